"""The recorded request body in neutral terms: model, messages, tools, stream, max tokens.

Chat Completions ``messages``, Responses ``instructions`` + ``input`` items and Anthropic
``system`` + content blocks all become :class:`~harness.scenario.model.Message` values with plain
text content; what has no neutral form (images, documents, server tools, reasoning items)
is dropped and noted, so a scenario built from any dialect can be sent by any driver.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import JsonValue

from harness.cassettes.model import RecordedRequest
from harness.scenario.model import ExpectedToolCall, Message, Request, Tool

__all__ = ["neutral_request"]

Role = Literal["system", "user", "assistant", "tool"]
_ROLES: dict[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "function": "tool",
    "model": "assistant",
}


def _text(content: Any, notes: list[str]) -> str:
    """Plain text of a content value: a string, or the text of a list of parts/blocks."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts: list[str] = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict):
            kind = part.get("type")
            if isinstance(part.get("text"), str) and kind in (
                None,
                "text",
                "input_text",
                "output_text",
            ):
                texts.append(part["text"])
            elif kind == "tool_result":
                texts.append(_text(part.get("content"), notes))
            elif kind not in ("tool_use", "thinking", "redacted_thinking"):
                notes.append(f"request content of type {kind!r} dropped")
    return "\n".join(t for t in texts if t)


def _arguments(value: Any) -> dict[str, JsonValue]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _call(call_id: Any, name: Any, arguments: Any) -> ExpectedToolCall:
    return ExpectedToolCall(
        name=str(name or "unknown"),
        arguments=_arguments(arguments),
        id=call_id if isinstance(call_id, str) and call_id else None,
    )


def _chat_messages(items: list[Any], notes: list[str]) -> list[Message]:
    out: list[Message] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        role = _ROLES.get(str(item.get("role")), "user")
        calls = [
            _call(
                c.get("id"),
                (c.get("function") or {}).get("name"),
                (c.get("function") or {}).get("arguments"),
            )
            for c in item.get("tool_calls") or []
            if isinstance(c, dict)
        ]
        out.append(
            Message(
                role=role,
                content=_text(item.get("content"), notes),
                tool_call_id=item.get("tool_call_id") if role == "tool" else None,
                tool_calls=calls if role == "assistant" else [],
            )
        )
    return out


def _responses_messages(body: dict[str, Any], notes: list[str]) -> list[Message]:
    out: list[Message] = []
    if isinstance(body.get("instructions"), str) and body["instructions"]:
        out.append(Message(role="system", content=body["instructions"]))
    items = body.get("input")
    if isinstance(items, str):
        return [*out, Message(role="user", content=items)]
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind == "message":
            role = _ROLES.get(str(item.get("role")), "user")
            out.append(Message(role=role, content=_text(item.get("content"), notes)))
        elif kind == "function_call":
            call = _call(item.get("call_id"), item.get("name"), item.get("arguments"))
            if out and out[-1].role == "assistant" and not out[-1].content:
                out[-1] = out[-1].model_copy(update={"tool_calls": [*out[-1].tool_calls, call]})
            else:
                out.append(Message(role="assistant", tool_calls=[call]))
        elif kind == "function_call_output":
            output = item.get("output")
            text = output if isinstance(output, str) else json.dumps(output)
            out.append(Message(role="tool", content=text, tool_call_id=item.get("call_id")))
        elif kind != "reasoning":
            notes.append(f"request input item of type {kind!r} dropped")
    return out


def _anthropic_messages(body: dict[str, Any], notes: list[str]) -> list[Message]:
    out: list[Message] = []
    system = _text(body.get("system"), notes)
    if system:
        out.append(Message(role="system", content=system))
    for item in body.get("messages") or []:
        if not isinstance(item, dict):
            continue
        role = _ROLES.get(str(item.get("role")), "user")
        content = item.get("content")
        blocks = content if isinstance(content, list) else []
        results = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
        for block in results:
            out.append(
                Message(
                    role="tool",
                    content=_text(block.get("content"), notes),
                    tool_call_id=block.get("tool_use_id"),
                )
            )
        rest = [b for b in blocks if b not in results] if blocks else content
        calls = [
            _call(b.get("id"), b.get("name"), b.get("input"))
            for b in blocks
            if isinstance(b, dict) and b.get("type") == "tool_use"
        ]
        text = _text(rest, notes)
        if text or calls or not results:
            out.append(
                Message(role=role, content=text, tool_calls=calls if role == "assistant" else [])
            )
    return out


def _tools(body: dict[str, Any], notes: list[str]) -> list[Tool]:
    out: list[Tool] = []
    for tool in body.get("tools") or []:
        if not isinstance(tool, dict):
            continue
        function = tool.get("function")
        spec: dict[str, Any] = function if isinstance(function, dict) else tool
        name = spec.get("name")
        schema = spec.get("parameters", spec.get("input_schema"))
        kind = tool.get("type", "function")
        if (
            not isinstance(name, str)
            or not name
            or (kind not in ("function", "custom") and schema is None)
        ):
            notes.append(f"server tool {kind or name!r} dropped")
            continue
        out.append(
            Tool(
                name=name,
                description=str(spec.get("description") or ""),
                parameters=schema
                if isinstance(schema, dict)
                else {"type": "object", "properties": {}},
            )
        )
    return out


def neutral_request(
    request: RecordedRequest, dialect: str, stream: bool, notes: list[str]
) -> Request:
    """The recorded request as a neutral :class:`Request` (``notes`` collects what is lost)."""
    body = request.json()
    if not isinstance(body, dict):
        body = {}
        notes.append("request body is not a JSON object")
    if dialect == "openai-responses":
        messages = _responses_messages(body, notes)
    elif dialect == "anthropic-messages":
        messages = _anthropic_messages(body, notes)
    else:
        messages = _chat_messages(body.get("messages") or [], notes)
    if not messages:
        notes.append("the recorded request has no messages; a placeholder user message is sent")
        messages = [Message(role="user", content="(recorded request had no messages)")]
    model = body.get("model")
    if not isinstance(model, str) or not model:
        model = _deployment(request.path) or "recorded-model"
    limit = next(
        (
            body[k]
            for k in ("max_tokens", "max_completion_tokens", "max_output_tokens")
            if isinstance(body.get(k), int) and not isinstance(body.get(k), bool) and body[k] >= 1
        ),
        None,
    )
    return Request(
        model=model, messages=messages, tools=_tools(body, notes), stream=stream, max_tokens=limit
    )


def _deployment(path: str) -> str | None:
    """Azure OpenAI puts the model (deployment) in the path."""
    parts = path.split("/")
    if "deployments" in parts and parts.index("deployments") + 1 < len(parts):
        return parts[parts.index("deployments") + 1]
    return None
