"""Read an OpenAI Chat Completions recording (the reply, streamed or not, and the request's
messages) into neutral terms.

Also reads the OpenAI-compatible servers seen in recordings (Azure OpenAI, Groq, Mistral,
OpenRouter, DeepSeek, Z.ai): reasoning as ``reasoning_content`` or ``reasoning``, usage in
the last content chunk (Mistral) or under ``x_groq``, an ``{"error": ...}`` event that
ends a 200 stream without ``[DONE]`` (Groq), parallel calls that all say ``index: 0`` with
their own ids, the legacy ``function_call`` and a ``refusal``. Only choice 0 is read.
"""

from __future__ import annotations

from typing import Any

from harness.dialects.normalize import CallKeys
from harness.dialects.openai_chat.normalize import OPENAI_FINISH
from harness.dialects.reading import Reading, as_int, json_events, token_usage
from harness.dialects.request import chat_messages
from harness.dialects.sse import SSEEvent
from harness.scenario.model import Message, Usage

__all__ = ["PER_INTERACTION", "read_json", "read_messages", "read_stream", "usage"]

PER_INTERACTION = True
"""One interaction holds the whole reply."""


def usage(raw: Any) -> Usage | None:
    """Chat usage (``prompt_tokens``...) in neutral terms."""
    details = raw.get("prompt_tokens_details") if isinstance(raw, dict) else None
    cached = as_int(details.get("cached_tokens")) if isinstance(details, dict) else None
    return token_usage(raw, "prompt_tokens", "completion_tokens", cached)


def read_messages(body: dict[str, Any], notes: list[str]) -> list[Message]:
    """The request's ``messages`` as neutral messages."""
    return chat_messages(body.get("messages") or [], notes)


def _reasoning(obj: dict[str, Any]) -> str | None:
    for key in ("reasoning_content", "reasoning"):
        value = obj.get(key)
        if isinstance(value, str):
            return value
    return None


def _finish(reading: Reading, reason: Any) -> None:
    if isinstance(reason, str) and reason and reading.raw_finish is None:
        reading.raw_finish = reason
        reading.finish = OPENAI_FINISH.get(reason)
        if reason == "error" and reading.error_payload is None:  # the stream failed
            reading.error_payload = {"error": {"message": "finish_reason: error"}}
        if reading.finish is None or reading.finish == "error":
            reading.note(f"finish reason {reason!r} has no neutral equivalent")
            reading.finish = None


_LEGACY = "function_call"
"""The key of the one legacy ``function_call`` among the streamed calls."""


def read_stream(events: list[SSEEvent], reading: Reading) -> None:
    parts = reading.parts
    calls = CallKeys()
    done = any(event.data.strip() == "[DONE]" for event in events)
    for _, chunk in json_events(events, reading, terminator="[DONE]"):
        if chunk.get("error"):  # alone (Groq) or beside choices (OpenRouter)
            reading.error_payload = {"error": chunk["error"]}
            continue
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or (choice.get("index") or 0) != 0:
                continue
            delta = choice.get("delta") or {}
            if isinstance(delta, dict):
                parts.reasoning(_reasoning(delta))
                content = delta.get("content")
                parts.text(content if isinstance(content, str) else None)
                refusal = delta.get("refusal")
                if isinstance(refusal, str) and refusal:
                    reading.refusal.append(refusal)
                legacy = delta.get("function_call")
                if isinstance(legacy, dict):  # the pre-tools call: no id, no index
                    parts.call(_LEGACY, None, legacy.get("name"))
                    parts.fragment(_LEGACY, legacy.get("arguments"))
                for call in delta.get("tool_calls") or []:
                    if not isinstance(call, dict):
                        continue
                    key = calls.key(call.get("index", 0), call.get("id"))
                    function = call.get("function") or {}
                    parts.call(key, call.get("id"), function.get("name"))
                    parts.fragment(key, function.get("arguments"))
            _finish(reading, choice.get("finish_reason"))
        found = usage(chunk.get("usage")) or usage((chunk.get("x_groq") or {}).get("usage"))
        if found is not None:
            reading.usage = found
    if not done and reading.error_payload is None:
        reading.note("the stream ends without data: [DONE]")


def read_json(obj: Any, reading: Reading) -> None:
    if not isinstance(obj, dict):
        reading.refuse("the JSON body is not an object")
        return
    choices = obj.get("choices") or []
    if not choices:
        error = obj.get("error")
        reading.refuse(
            "a 200 JSON body with an error and no choices"
            if error
            else "a 200 JSON body with no choices",
            error,
        )
        return
    choice = choices[0] if choices and isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    parts = reading.parts
    if isinstance(message, dict):
        parts.reasoning(_reasoning(message))
        content = message.get("content")
        if isinstance(content, str):
            parts.text(content)
        refusal = message.get("refusal")
        if isinstance(refusal, str) and refusal:
            reading.refusal.append(refusal)
        legacy = message.get("function_call")
        if isinstance(legacy, dict):  # the pre-tools call: no id
            parts.call(_LEGACY, None, legacy.get("name"))
            arguments = legacy.get("arguments")
            parts.final_arguments(_LEGACY, arguments if isinstance(arguments, str) else None)
        for n, call in enumerate(message.get("tool_calls") or []):
            if isinstance(call, dict):
                function = call.get("function") or {}
                parts.call(n, call.get("id"), function.get("name"))
                arguments = function.get("arguments")
                parts.final_arguments(n, arguments if isinstance(arguments, str) else None)
    _finish(reading, choice.get("finish_reason"))
    reading.no_finish = "finish_reason" in choice and choice["finish_reason"] is None
    reading.usage = usage(obj.get("usage"))
