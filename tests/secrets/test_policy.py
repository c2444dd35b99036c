"""The secret policy itself: boundaries that hold after escapes, whole PEM blocks, names at
any depth, severities, and a placeholder rule that excuses test values but no random key."""

from __future__ import annotations

import base64
import json

import pytest

from harness.vocab.secrets import (
    field_rule,
    find,
    header_rule,
    is_placeholder,
    mask_headers,
    mask_json,
    mask_url,
    param_rule,
)

KEY = "sk-proj-Qx7Lr2Vn9Tb4Wc8Zp1Ks6Jm3Hd5Fg0Ay"


@pytest.mark.parametrize(
    "before", ["\\n", "\\t", "\\r", "%20", "\\u0022", '\\"', " ", "", "(", "="]
)
def test_a_key_after_an_escape_is_found(before: str) -> None:
    text = f'{{"content": "your key:{before}{KEY} ok"}}'
    assert [f.value for f in find(text)] == [KEY]


def test_a_key_glued_to_a_word_is_not_a_key() -> None:
    assert find(f"mask{KEY}") == []


def test_a_pem_block_is_found_whole_even_escaped_in_json() -> None:
    body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
    pem = f"-----BEGIN PRIVATE KEY-----\n{body}\n{body}\n-----END PRIVATE KEY-----"
    for text in (pem, json.dumps({"key": pem})):
        (found,) = [f for f in find(text) if f.rule.kind == "private-key"]
        assert body in found.value and found.value.endswith("-----END PRIVATE KEY-----")


def test_fields_at_any_depth_and_inside_json_strings() -> None:
    inner = json.dumps({"api_key": "Zq8rT2mW9xK4pL7vN3bC", "sas_token": "Hy6Tg5Rf4Ed3Ws2Qa1Zx"})
    text = json.dumps({"a": {"b": [{"password": "Lp0-Ok9_Ij8+Uh7"}]}, "config": inner})
    assert sorted(f.value for f in find(text)) == sorted(
        ["Lp0-Ok9_Ij8+Uh7", "Zq8rT2mW9xK4pL7vN3bC", "Hy6Tg5Rf4Ed3Ws2Qa1Zx"]
    )


def test_base64_of_a_key_and_basic_credentials() -> None:
    encoded = base64.b64encode(KEY.encode()).decode()
    basic = base64.b64encode(b"user:Zq8rT2mW9xK4pL7v").decode()
    kinds = {f.rule.kind for f in find(f"blob {encoded} and Basic {basic}")}
    assert kinds == {"base64-openai-project-key", "basic-credential"}
    assert find("a basic representation of the problem") == []


@pytest.mark.parametrize(
    ("name", "secret"),
    [("x-functions-key", True), ("ocp-apim-subscription-key", True),
     ("X-Portkey-Virtual-Key", True), ("x-custom-token", True), ("x-request-signature", True),
     ("proxy-authorization", True), ("x-ratelimit-remaining-tokens", False),
     ("content-type", False), ("anthropic-ratelimit-input-tokens-limit", False)],
)  # fmt: skip
def test_header_names(name: str, secret: bool) -> None:
    assert (header_rule(name) is not None) is secret


def test_query_parameter_and_field_names() -> None:
    for name in ("key", "api_key", "access-token", "sig", "code", "subscription_key"):
        assert param_rule(name) is not None, name
    assert param_rule("api-version") is None and param_rule("max_tokens") is None
    assert field_rule("max_tokens", "100") is None
    assert field_rule("token", "Hello") is None  # a log-probability entry
    assert field_rule("refresh_token", "Zq8rT2mW9xK4pL7vN3bC") is not None


def test_identifiers_are_not_credentials() -> None:
    rules = {f.rule.kind: f.rule.severity for f in find("org-Zq8rT2mW9xK4pL7vN3bC6hJ1 " + KEY)}
    assert rules == {"openai-org-id": "identifier", "openai-project-key": "credential"}
    assert header_rule("cookie").severity == "identifier"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "value",
    ["sk-your-key-here", "AUTHORIZATION-XXX", "X-GOOG-API-KEY-XXX", "<API_KEY>", "${OPENAI_KEY}",
     "REDACTED", "***", "sk-XXXXXXXXXXXXXXXXXXXX", "AKIATESTTESTTESTTEST", "AKIATEST1234567890AB",
     "AKIAIOSFODNN7EXAMPLE", "test_set_cookie", "FAKE-SESSION-TOKEN-FOR-VCR-TESTING-ONLY",
     "Bearer test_openai_api_key", "sk-1234567890abcdef", "short"],
)  # fmt: skip
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value",
    ["sk-AbCdEfQx7Lr2Vn9Tb4Wc8Zp1Ks6Jm3", "sk-testQx7Lr2Vn9Tb4Wc8Zp1Ks6Jm3",
     "gsk_8Lr2mockVn9Tb4Wc8Zp1Ks", "Zq8rT2mW9xK4pL7vN3bC123456", "yourQx7Lr2Vn9Tb4Wc8Zp1K", KEY],
)  # fmt: skip
def test_a_random_key_containing_a_placeholder_word_is_still_a_secret(value: str) -> None:
    assert not is_placeholder(value)


def test_masking_for_logs_and_reports() -> None:
    headers = mask_headers([("Authorization", f"Bearer {KEY}"), ("Cookie", "a=Zq8rT2mW9xK4; b=1"),
                            ("X-Trace", KEY), ("Accept", "application/json")])  # fmt: skip
    assert headers == {"authorization": "Bearer ***", "cookie": "a=***; b=***", "x-trace": "***",
                       "accept": "application/json"}  # fmt: skip
    assert mask_url(f"https://h/v1?key={KEY}&api-version=1") == "https://h/v1?key=***&api-version=1"
    doc = {"messages": [{"content": f"key {KEY}"}], "api_key": "Zq8rT2mW9xK4pL7vN3bC", "n": 1}
    assert mask_json(doc) == {"messages": [{"content": "key ***"}], "api_key": "***", "n": 1}
    assert mask_json({"plain": "text"}) == {"plain": "text"}
