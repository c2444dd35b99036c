"""The OpenAI Chat Completions wire (``POST /v1/chat/completions``), server side.

Streams look like the real API's recordings (``../shared/corpus/openai-chat``): a role
chunk, content / reasoning / tool-call deltas, a finish chunk with ``delta: {}``, an optional
usage chunk with ``choices: []``, then ``data: [DONE]``. Reasoning is carried the way
DeepSeek and OpenRouter stream it, as ``delta.reasoning_content``. Output is a pure function
of the scenario (fixed ``created``, ids hashed from the scenario id), so the same scenario
always gives the same bytes.

Stream faults count *data events*, the ``data:`` lines of the stream including the
``[DONE]`` terminator, never the keep-alive comments between them; indexes start at 0.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import zip_longest
from typing import Any

from pydantic import JsonValue

from harness.dialects.chunking import split_text
from harness.dialects.common import (
    DONE,
    AttemptIds,
    End,
    WireDialect,
    alnum,
    apply_data_fault,
    compact_json,
    digest,
    encode_data_stream,
    error_headers,
)
from harness.dialects.exchanges import error_reply, json_reply, streamed_reply
from harness.dialects.framing import framing_support
from harness.dialects.openai_chat.parts import call_delta, choice_parts, choice_refusal
from harness.dialects.script import Exchange, Script
from harness.scenario.model import (
    NO_FINISH,
    HttpErrorReply,
    ReasoningPart,
    ReplyAttempt,
    Scenario,
    TextPart,
    ToolCallPart,
    Usage,
)

__all__ = ["PATH", "OpenAIChatDialect", "error_exchange"]

PATH = "/v1/chat/completions"
CREATED = 1_735_689_600
"""A fixed ``created`` timestamp (2025-01-01T00:00:00Z): synthesized bytes never vary."""


_FINISH = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
}

# status -> (message, type, code): what the API answers when the scenario gives no body.
_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request.", "invalid_request_error", None),
    401: (
        "Incorrect API key provided: sk-harn*****test. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        "invalid_api_key",
    ),
    403: ("You are not allowed to access this resource.", "invalid_request_error", None),
    404: (
        "The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    429: (
        "Rate limit reached for {model} in organization org-harness on requests per min "
        "(RPM): Limit 3, Used 3, Requested 1. Please try again later.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    503: ("The server is overloaded or not ready yet.", "server_error", None),
}


def _usage(usage: Usage) -> dict[str, Any]:
    """OpenAI usage; ``cache_read`` becomes ``prompt_tokens_details.cached_tokens``. The API
    has no cache-write count, so ``cache_write`` is not sent."""
    out: dict[str, Any] = {
        "prompt_tokens": usage.input,
        "completion_tokens": usage.output,
        "total_tokens": usage.input + usage.output,
    }
    if usage.cache_read is not None:
        out["prompt_tokens_details"] = {"cached_tokens": usage.cache_read}
    return out


class OpenAIChatDialect(WireDialect):
    """Compiles scenarios into OpenAI Chat Completions exchanges."""

    name = "openai-chat"
    no_finish = True  # finish_reason is nullable: null on every chunk but the last

    def wire_support(self, scenario: Scenario) -> str | None:
        for reply in scenario.replies():
            if reply.outcome != "completed":
                return (
                    f"openai-chat has no failed/incomplete run status (outcome "
                    f"{reply.outcome!r}); use an error payload fault"
                )
            if reply.finish == NO_FINISH and scenario.request.stream:
                return (
                    "a streamed reply without a finish reason is a stream with no finish "
                    "chunk (the fault-* scenarios); this wire says it in one body only"
                )
            if reply.finish != NO_FINISH and reply.finish not in _FINISH:
                return (
                    f"openai-chat has no {reply.finish!r} finish reason; use an error payload fault"
                )
            if any(isinstance(p, ReasoningPart) and p.signature for p in reply.parts):
                return "openai-chat has no thinking signatures"
            if reply.fault is not None and not scenario.request.stream:
                return "stream faults need a streamed request (request.stream is false)"
            calls = sum(isinstance(p, ToolCallPart) for p in reply.parts)
            if reply.wire.legacy_function_call and calls > 1:
                return f"a legacy function_call reply carries one call (got {calls})"
        return framing_support(scenario, named_events=False, chat=True)

    def synthesize(self, scenario: Scenario) -> Script:
        return self.compile(scenario, error_exchange, _reply_exchange)


# --------------------------------------------------------------------------- replies


class _Ids(AttemptIds):
    """Ids of one attempt: the completion's and the system fingerprint."""

    def __init__(self, scenario: Scenario, attempt: int) -> None:
        super().__init__(scenario, attempt)
        self.completion = "chatcmpl-" + alnum(self.seed, 29)
        self.fingerprint = "fp_" + digest("fingerprint", scenario.id)[:10]


def _reply_exchange(scenario: Scenario, n: int, reply: ReplyAttempt) -> Exchange:
    ids = _Ids(scenario, n)
    head = (("x-request-id", ids.request), ("openai-version", "2020-10-01"))
    if scenario.request.stream:
        events, end = _stream_events(scenario, ids, reply)
        headers = (("content-type", "text/event-stream; charset=utf-8"), *head)
        chunks = encode_data_stream(events, reply.wire)
        return streamed_reply(PATH, headers, chunks, end, n, reply.wire)
    body = json.dumps(_completion(scenario, ids, reply), indent=2, ensure_ascii=False)
    return json_reply(PATH, (("content-type", "application/json"), *head), body, n, reply.wire)


def _completion(scenario: Scenario, ids: _Ids, reply: ReplyAttempt) -> dict[str, Any]:
    """The non-streamed ``chat.completion`` object (one choice per ``wire.choices``)."""
    out: dict[str, Any] = {
        "id": ids.completion,
        "object": "chat.completion",
        "created": CREATED,
        "model": scenario.request.model,
        "choices": [
            {
                "index": k,
                "message": _message(ids, reply, k),
                "logprobs": None,
                "finish_reason": _finish(reply),
            }
            for k in range(reply.wire.choices)
        ],
    }
    if reply.usage is not None:
        out["usage"] = _usage(reply.usage)
    out["system_fingerprint"] = ids.fingerprint
    return out


def _message(ids: _Ids, reply: ReplyAttempt, k: int) -> dict[str, Any]:
    parts = choice_parts(reply, k)
    text = "".join(p.text for p in parts if isinstance(p, TextPart))
    reasoning = "".join(p.reasoning for p in parts if isinstance(p, ReasoningPart))
    refusal = "".join(choice_refusal(reply, k))
    calls = [p.tool_call for p in parts if isinstance(p, ToolCallPart)]
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text or (None if calls or refusal else ""),
    }
    if reasoning:
        message["reasoning_content"] = reasoning
    if calls and reply.wire.legacy_function_call:
        message["function_call"] = {"name": calls[0].name, "arguments": calls[0].argument_text()}
    elif calls:
        message["tool_calls"] = [
            {
                "id": call.id or ids.call(i),
                "type": "function",
                "function": {"name": call.name, "arguments": call.argument_text()},
            }
            for i, call in enumerate(calls)
        ]
    message["refusal"] = refusal or None
    return message


def _finish(reply: ReplyAttempt) -> str | None:
    if reply.finish == NO_FINISH:
        return None  # a server that gives no reason (some local servers, proxies)
    calls = any(isinstance(p, ToolCallPart) for p in reply.parts)
    if reply.wire.legacy_function_call and calls and reply.finish == "tool_calls":
        return "function_call"
    return _FINISH[reply.finish]


def _stream_events(scenario: Scenario, ids: _Ids, reply: ReplyAttempt) -> tuple[list[str], End]:
    """The data of each SSE event, after the fault, and how the body ends. With several
    choices, each chunk carries one choice, the choices' chunks interleaved."""
    usage_chunk = reply.usage is not None and reply.wire.usage_chunk
    head: dict[str, Any] = {
        "id": ids.completion,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": scenario.request.model,
        "system_fingerprint": ids.fingerprint,
    }

    def chunk(
        delta: dict[str, Any],
        finish: str | None = None,
        usage: Usage | None = None,
        index: int = 0,
    ) -> str:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        body = {**head, "choices": [choice]}
        if usage is not None:
            body["usage"] = _usage(usage)
        elif usage_chunk:
            body["usage"] = None  # with include_usage on, null until the usage chunk
        elif reply.usage is not None and finish is not None and index == 0:
            body["usage"] = _usage(reply.usage)  # no usage chunk: on the finish chunk
        return compact_json(body)

    streams = [_choice_stream(ids, reply, k, chunk) for k in range(reply.wire.choices)]
    content = [c for group in zip_longest(*(s[0] for s in streams)) for c in group if c]
    early = None
    if reply.wire.usage_repeated and reply.usage is not None:
        early = Usage(input=reply.usage.input, output=reply.usage.output // 2)
    finish = _finish(reply)
    tail = [chunk(streams[0][1], finish, early)]
    tail += [chunk(s[1], finish, index=k) for k, s in enumerate(streams) if k > 0]
    if reply.usage is not None and (usage_chunk or early is not None):
        tail.append(compact_json({**head, "choices": [], "usage": _usage(reply.usage)}))
    return apply_data_fault(reply.fault, content, [*tail, DONE], _stream_error)


def _choice_stream(
    ids: _Ids, reply: ReplyAttempt, k: int, chunk: Callable[..., str]
) -> tuple[list[str], dict[str, Any]]:
    """Choice ``k``'s content chunks and the delta its finish chunk carries."""
    wire = reply.wire
    parts = choice_parts(reply, k)
    has_text = any(isinstance(p, TextPart) for p in parts)
    has_reasoning = any(isinstance(p, ReasoningPart) for p in parts)
    role: dict[str, Any] = {"role": "assistant"}
    if not wire.role_only_first:
        role["content"] = "" if has_text else None
    # with a BOM, the first event must carry content: the role rides on the first delta
    content: list[str] = [] if wire.bom and parts else [chunk(role, index=k)]

    def add(delta: dict[str, Any]) -> None:
        if not content:
            delta = {"role": "assistant", **delta}
        content.append(chunk(delta, index=k))

    call_index = 0
    for part in parts:
        if isinstance(part, TextPart):
            for piece in split_text(part.text, part.deltas):
                delta: dict[str, Any] = {"content": piece}
                if has_reasoning:
                    delta["reasoning_content"] = None  # DeepSeek sends both keys
                add(delta)
                if wire.empty_deltas:
                    add({"content": ""})
                    add({"content": None})
        elif isinstance(part, ReasoningPart):
            for piece in split_text(part.reasoning, part.deltas):
                add({"content": None, "reasoning_content": piece})
        else:
            call = part.tool_call
            for i, piece in enumerate(split_text(call.argument_text(), call.fragments)):
                add(call_delta(wire, call, call.id or ids.call(call_index), call_index, i, piece))
            call_index += 1
    for piece in choice_refusal(reply, k):
        add({"refusal": piece})
    finish_delta: dict[str, Any] = {}
    calls_last = bool(content) and any(
        key in content[-1] for key in ('"tool_calls"', '"function_call"')
    )
    if wire.args_with_finish and calls_last:
        # the last argument fragment moves into the finish chunk
        last = json.loads(content.pop())
        finish_delta = last["choices"][0]["delta"]
    return content, finish_delta


def _stream_error(payload: dict[str, JsonValue]) -> str:
    """OpenAI's in-stream error: the payload under ``error`` unless it already is one."""
    return compact_json(payload if "error" in payload else {"error": payload})


# --------------------------------------------------------------------------- errors


def error_exchange(scenario: Scenario, n: int, error: HttpErrorReply) -> Exchange:
    """OpenAI's error answer for one attempt (the Responses wire sends the same)."""
    ids = _Ids(scenario, n)
    headers = error_headers(
        error, {"content-type": "application/json; charset=utf-8", "x-request-id": ids.request}
    )
    body = error.body if error.body is not None else _error_body(error.status, scenario)
    text = json.dumps(body, indent=2, ensure_ascii=False)
    return error_reply(PATH, error.status, headers, text, n)


def _error_body(status: int, scenario: Scenario) -> dict[str, Any]:
    """OpenAI's usual error JSON for a status."""
    if status in _ERRORS:
        message, kind, code = _ERRORS[status]
    elif status >= 500:
        message, kind, code = _ERRORS[503]
    else:
        message, kind, code = _ERRORS[400]
    return {
        "error": {
            "message": message.format(model=scenario.request.model),
            "type": kind,
            "param": None,
            "code": code,
        }
    }
