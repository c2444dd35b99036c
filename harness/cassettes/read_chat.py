"""Read an OpenAI Chat Completions response (streamed or not) into neutral reply parts.

Also reads the OpenAI-compatible servers seen in recordings (Azure OpenAI, Groq, Mistral,
OpenRouter, DeepSeek, Z.ai): reasoning as ``reasoning_content`` or ``reasoning``, usage in
the last content chunk (Mistral) or under ``x_groq``, and an ``{"error": ...}`` event that
ends a 200 stream without ``[DONE]`` (Groq). Only choice 0 is read.
"""

from __future__ import annotations

from typing import Any

from harness.cassettes.reply import NOT_JSON_EVENT, Reading, as_int
from harness.dialects.sse import SSEEvent
from harness.drivers.common import OPENAI_FINISH
from harness.scenario.model import Usage

__all__ = ["read_json", "read_stream", "usage"]


def usage(raw: Any) -> Usage | None:
    """Chat usage (``prompt_tokens``...) in neutral terms."""
    if not isinstance(raw, dict):
        return None
    prompt, completion = as_int(raw.get("prompt_tokens")), as_int(raw.get("completion_tokens"))
    if prompt is None or completion is None:
        return None
    details = raw.get("prompt_tokens_details")
    cached = as_int(details.get("cached_tokens")) if isinstance(details, dict) else None
    return Usage(input=prompt, output=completion, cache_read=cached)


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


def read_stream(events: list[SSEEvent], reading: Reading) -> None:
    import json

    parts = reading.parts
    done = False
    for event in events:
        if event.data.strip() == "[DONE]":
            done = True
            continue
        try:
            chunk = json.loads(event.data)
        except ValueError:
            reading.note(NOT_JSON_EVENT)
            continue
        if not isinstance(chunk, dict):
            continue
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
                if delta.get("refusal"):
                    reading.note("the refusal text has no neutral equivalent (dropped)")
                for call in delta.get("tool_calls") or []:
                    if not isinstance(call, dict):
                        continue
                    key = call.get("index", 0)
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
        for n, call in enumerate(message.get("tool_calls") or []):
            if isinstance(call, dict):
                function = call.get("function") or {}
                parts.call(n, call.get("id"), function.get("name"))
                arguments = function.get("arguments")
                parts.final_arguments(n, arguments if isinstance(arguments, str) else None)
    _finish(reading, choice.get("finish_reason"))
    reading.usage = usage(obj.get("usage"))
