"""The JSON objects of the Azure AI Agents service (thread, message, run, run step, error
body), with ids hashed from the scenario id: what :mod:`harness.dialects.azure_agents` serves.

Field sets and order follow the service's recordings (``../shared/corpus/azure-agents``,
api-version 2025-05-15-preview) and the Assistants API they descend from.
"""

from __future__ import annotations

import json
from typing import Any

from harness.dialects.chunking import chunk_events
from harness.dialects.common import alnum, compact_json, digest, error_headers, header_number
from harness.dialects.script import Chunk, Exchange, HttpDate
from harness.scenario.model import (
    HttpErrorReply,
    ReplyAttempt,
    Scenario,
    TextPart,
    ToolCallPart,
    Usage,
    Wire,
)

__all__ = [
    "API_VERSION",
    "CREATED",
    "EXPIRES",
    "FINAL",
    "Flow",
    "agent_id",
    "calls_of",
    "json_text",
    "step_object",
    "text_of",
    "usage_object",
]

API_VERSION = "2025-05-01"
"""The GA api-version, and what a scenario's requests must carry unless it names another."""
CREATED = 1_735_689_600
"""A fixed ``created_at`` (2025-01-01T00:00:00Z): synthesized bytes never vary."""
EXPIRES = 600
MODEL = "gpt-4o"
INSTRUCTIONS = "You are a helpful agent."

FINAL = {
    "completed": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
    "expired": "expired",
}
_DEFAULT_ERRORS: dict[str, dict[str, Any]] = {
    "failed": {"code": "server_error", "message": "Sorry, something went wrong."},
    "expired": {"code": "expired", "message": "The run expired before it completed."},
}
# status -> (code, message) of the service's usual error body.
_HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request: the payload could not be processed."),
    401: ("Unauthorized", "Access token is missing, invalid, audience is incorrect or expired."),
    403: ("PermissionDenied", "The principal lacks the required data action."),
    404: ("not_found", "No assistant found with id '{agent}'."),
    429: ("too_many_requests", "Rate limit is exceeded. Try again in {wait} seconds."),
    500: ("server_error", "The server had an error while processing your request."),
    503: ("service_unavailable", "The service is temporarily unavailable."),
}


json_text = compact_json
"""Compact JSON, as the service streams it."""


def agent_id(model: str) -> str:
    """The agent a scenario's ``request.model`` names: itself if it is an agent id
    (``asst_...``), else ``asst_<model>`` (a neutral scenario names a model, not an agent)."""
    return model if model.startswith("asst_") else f"asst_{model}"


# --------------------------------------------------------------------------- objects


class Flow:
    """Ids and JSON objects of one scenario's thread and run, hashed from its id."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        request = scenario.request
        options = request.options
        self.seed = scenario.id
        self.agent = agent_id(request.model)
        self.api_version = str(options.get("api_version", API_VERSION))
        self.given_thread = isinstance(options.get("thread_id"), str)
        self.thread_id = str(options["thread_id"]) if self.given_thread else self.id("thread")
        self.messages = [(m.role, m.content) for m in request.messages if m.role != "system"]
        self.messages_path = f"/threads/{self.thread_id}/messages"
        self.tools = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                    "strict": False,
                },
            }
            for t in request.tools
        ]

    def id(self, kind: str, *more: object) -> str:
        return f"{kind}_" + alnum(":".join(map(str, (self.seed, kind, *more))), 24)

    def runs_path(self) -> str:
        if self.scenario.request.stream and not self.given_thread:
            return "/threads/runs"
        return f"/threads/{self.thread_id}/runs"

    def headers(self, n: int, content_type: str) -> tuple[tuple[str, str | HttpDate], ...]:
        return (
            ("content-type", content_type),
            ("apim-request-id", digest("apim", self.seed, n)[:32]),
            ("x-request-id", digest("request", self.seed, n)[:32]),
            ("openai-version", "2020-10-01"),
            ("x-ms-region", "West US"),
        )

    def json(
        self,
        method: str,
        path: str,
        body: object,
        label: str,
        n: int = -1,
        wire: Wire | None = None,
    ) -> Exchange:
        text = json.dumps(body, indent=2, ensure_ascii=False).encode()
        return Exchange(
            method=method,
            path=path,
            headers=self.headers(n, "application/json"),
            chunks=chunk_events([text], wire.chunking if wire else "whole"),
            label=label,
            query=(("api-version", self.api_version),),
        )

    def thread(self) -> dict[str, Any]:
        return {
            "id": self.thread_id,
            "object": "thread",
            "created_at": CREATED,
            "metadata": {},
            "tool_resources": {},
        }

    def message(
        self, i: int, role: str, text: str | None, run: str | None = None, status: str = ""
    ) -> dict[str, Any]:
        content = (
            [] if text is None else [{"type": "text", "text": {"value": text, "annotations": []}}]
        )
        out: dict[str, Any] = {
            "id": self.id("msg", i if run is None else f"{run}:reply"),
            "object": "thread.message",
            "created_at": CREATED + (i if run is None else 10),
            "assistant_id": self.agent if run is not None else None,
            "thread_id": self.thread_id,
            "run_id": run,
            "role": role,
            "content": content,
            "attachments": [],
            "metadata": {},
        }
        if status:
            out.update(
                status=status,
                incomplete_details=None,
                incomplete_at=None,
                completed_at=CREATED + 12 if status == "completed" else None,
            )
        return out

    def run(
        self, run_id: str, status: str, reply: ReplyAttempt | None, calls: list[dict[str, Any]]
    ) -> dict[str, Any]:
        final = status in ("completed", "failed", "cancelled", "expired")
        error = None
        if reply is not None and status in ("failed", "expired"):
            error = reply.error if reply.error is not None else _DEFAULT_ERRORS[status]
        return {
            "id": run_id,
            "object": "thread.run",
            "created_at": CREATED + 1,
            "assistant_id": self.agent,
            "thread_id": self.thread_id,
            "status": status,
            "started_at": None if status == "queued" else CREATED + 2,
            "expires_at": None if final else CREATED + 1 + EXPIRES,
            "cancelled_at": CREATED + 20 if status == "cancelled" else None,
            "failed_at": CREATED + 20 if status == "failed" else None,
            "completed_at": CREATED + 20 if status == "completed" else None,
            "required_action": (
                {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": calls}}
                if status == "requires_action"
                else None
            ),
            "last_error": error,
            "model": MODEL,
            "instructions": INSTRUCTIONS,
            "tools": self.tools,
            "tool_resources": {"code_interpreter": {"file_ids": []}},
            "metadata": {},
            "temperature": 1.0,
            "top_p": 1.0,
            "max_completion_tokens": None,
            "max_prompt_tokens": None,
            "truncation_strategy": {"type": "auto", "last_messages": None},
            "incomplete_details": None,
            "usage": usage_object(reply.usage) if final and reply and reply.usage else None,
            "response_format": "auto",
            "tool_choice": "auto",
            "parallel_tool_calls": True,
        }

    def error(self, n: int, error: HttpErrorReply) -> Exchange:
        headers = error_headers(error, dict(self.headers(n, "application/json; charset=utf-8")))
        body = error.body
        if body is None:
            code, message = _HTTP_ERRORS.get(
                error.status, _HTTP_ERRORS[503] if error.status >= 500 else _HTTP_ERRORS[400]
            )
            wait = header_number(error.retry_after) if error.retry_after is not None else "1"
            body = {"error": {"code": code, "message": message.format(agent=self.agent, wait=wait)}}
        return Exchange(
            method="POST",
            path=self.runs_path(),
            status=error.status,
            headers=tuple(headers.items()),
            chunks=(Chunk(json.dumps(body, indent=2, ensure_ascii=False).encode()),),
            label=f"attempt {n + 1}: HTTP {error.status} (run creation)",
            query=(("api-version", self.api_version),),
        )


def usage_object(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input,
        "completion_tokens": usage.output,
        "total_tokens": usage.input + usage.output,
        "prompt_token_details": {"cached_tokens": usage.cache_read or 0},
    }


def calls_of(flow: Flow, n: int, reply: ReplyAttempt) -> list[dict[str, Any]]:
    calls = [p.tool_call for p in reply.parts if isinstance(p, ToolCallPart)]
    return [
        {
            "id": call.id or flow.id("call", n, i),
            "type": "function",
            "function": {"name": call.name, "arguments": call.argument_text()},
        }
        for i, call in enumerate(calls)
    ]


def text_of(reply: ReplyAttempt) -> str | None:
    texts = [p.text for p in reply.parts if isinstance(p, TextPart)]
    return "".join(texts) if texts else None


def step_object(flow: Flow, run_id: str, index: int, details: dict[str, Any], status: str,
          usage: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "id": flow.id("step", run_id, index),
        "object": "thread.run.step",
        "created_at": CREATED + 3,
        "run_id": run_id,
        "assistant_id": flow.agent,
        "thread_id": flow.thread_id,
        "type": details["type"],
        "status": status,
        "cancelled_at": None,
        "completed_at": CREATED + 12 if status == "completed" else None,
        "expires_at": CREATED + 1 + EXPIRES,
        "failed_at": None,
        "last_error": None,
        "step_details": details,
        "usage": usage,
    }
