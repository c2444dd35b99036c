"""The secret policy: what a secret is, where it sits, how bad it is, what a placeholder is.

One package, so that recording (:mod:`harness.cassettes.redact`), ``harness scan``, the
request log of replays (:mod:`harness.transport.core`) and every report writer apply the
same rules: a recording redacted by one must never be flagged by another, and a value
masked in a cassette must not reappear in a report.

A value is a secret four ways:

* by **header name**: ``authorization``, ``proxy-authorization``, cookies, and any name
  containing ``key``, ``token``, ``secret``, ``signature``, ``password`` or ``credential``
  (``x-functions-key``, ``ocp-apim-subscription-key``, ``x-portkey-virtual-key`` ...), but
  not rate-limit and token-count headers; account ids (``openai-organization`` ...) are
  *identifiers*;
* by **query parameter name**: ``key``, ``*_key``, ``*token*``, ``sig`` (and the ``se`` /
  ``sv`` / ``skoid`` ... fields of an Azure SAS), ``code``, ``password``, ``*secret*``;
* by **JSON field name**, at any depth, also inside JSON encoded as a string;
* by **value**, anywhere: provider key shapes, JWTs, whole PEM private-key blocks, AWS
  keys, SAS signatures, ``Bearer``/``Basic`` credentials, and base64 of any of these.

Matches need a boundary before them, and an escape counts as one: a key after ``\\n``,
``\\t``, ``%20`` or ``\\u0022`` is found although the character before it is a letter.

A **placeholder** is a value made only of placeholder words (``sk-your-key-here``,
``AUTHORIZATION-XXX``), a template (``<API_KEY>``, ``${KEY}``), a masked value (``***``,
``REDACTED``), a periodic or sequential filler (``AKIATESTTESTTESTTEST``, ``sk-1234567890``),
an AWS documentation key (``...EXAMPLE``) or a value too short to be a key. Whole-word
rules only: a random key that happens to contain ``test`` or ``AbCdEf`` is still a secret.
"""

from harness.vocab.secrets.mask import (
    mask_header,
    mask_headers,
    mask_json,
    mask_text,
    mask_url,
    merge,
)
from harness.vocab.secrets.names import (
    MASK,
    PLACEHOLDER,
    Found,
    Rule,
    Severity,
    field_rule,
    header_rule,
    is_placeholder,
    param_rule,
)
from harness.vocab.secrets.values import find

__all__ = [
    "MASK",
    "PLACEHOLDER",
    "Found",
    "Rule",
    "Severity",
    "field_rule",
    "find",
    "header_rule",
    "is_placeholder",
    "mask_header",
    "mask_headers",
    "mask_json",
    "mask_text",
    "mask_url",
    "merge",
    "param_rule",
]
