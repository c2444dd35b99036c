"""Pieces every dialect's request reader uses: roles, content text, tool calls, tools.

Each dialect's reader turns a recorded request body's conversation into
:class:`~harness.scenario.model.Message` values with plain text content (Chat Completions
``messages`` here, :func:`chat_messages`, which the gateway shares; Responses ``input``
items and Anthropic content blocks in their own dialect's ``read``); what has no neutral
form (images, documents, server tools, reasoning items) is dropped and noted, so a
scenario built from any dialect can be sent by any driver.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import JsonValue

from harness.scenario.model import ExpectedToolCall, Message, Tool

__all__ = ["ROLES", "Role", "chat_messages", "content_text", "expected_call", "tools"]

Role = Literal["system", "user", "assistant", "tool"]
ROLES: dict[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "function": "tool",
    "model": "assistant",
}


def content_text(content: Any, notes: list[str]) -> str:
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
                texts.append(content_text(part.get("content"), notes))
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


def expected_call(call_id: Any, name: Any, arguments: Any) -> ExpectedToolCall:
    """A tool call of the conversation, its arguments as an object (text is parsed)."""
    return ExpectedToolCall(
        name=str(name or "unknown"),
        arguments=_arguments(arguments),
        id=call_id if isinstance(call_id, str) and call_id else None,
    )


def chat_messages(items: list[Any], notes: list[str]) -> list[Message]:
    """Chat Completions ``messages`` (the gateway sends the same list) as neutral messages."""
    out: list[Message] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        role = ROLES.get(str(item.get("role")), "user")
        calls = [
            expected_call(
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
                content=content_text(item.get("content"), notes),
                tool_call_id=item.get("tool_call_id") if role == "tool" else None,
                tool_calls=calls if role == "assistant" else [],
            )
        )
    return out


_SCHEMA_KEYS = (
    "parameters",
    "input_schema",
    "parametersJsonSchema",
    "parameters_json_schema",
)
"""Where a function's JSON schema is: OpenAI, Anthropic, Gemini (camel or snake case)."""


def _declared(items: list[Any]) -> list[Any]:
    """The tool list with Gemini's ``{"functionDeclarations": [...]}`` groups opened, one
    item per function (another group, ``googleSearch`` say, is a server tool); Bedrock's
    ``{"toolSpec": {...}}`` is one function."""
    out: list[Any] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        group = item.get("functionDeclarations", item.get("function_declarations"))
        if isinstance(group, list):
            out += [{"type": "function", **d} for d in group if isinstance(d, dict)]
        elif len(item) == 1 and next(iter(item)) not in ("type", "function", "name", "toolSpec"):
            out.append({"type": next(iter(item))})  # {"googleSearch": {}}
        else:
            out.append(item)
    return out


def tools(body: dict[str, Any], notes: list[str]) -> list[Tool]:
    """The body's function tools (any dialect's spelling); server tools are dropped."""
    out: list[Tool] = []
    config = body.get("toolConfig")  # Bedrock Converse: toolConfig.tools[].toolSpec
    listed = config.get("tools") if isinstance(config, dict) else body.get("tools")
    for tool in _declared(listed or []):
        if not isinstance(tool, dict):
            continue
        function = tool.get("function", tool.get("toolSpec"))
        spec: dict[str, Any] = function if isinstance(function, dict) else tool
        name = spec.get("name")
        schema = next(
            (spec[k] for k in _SCHEMA_KEYS if isinstance(spec.get(k), dict)), spec.get("parameters")
        )
        if schema is None and isinstance(spec.get("inputSchema"), dict):
            schema = spec["inputSchema"].get("json")  # Bedrock: inputSchema.json
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
