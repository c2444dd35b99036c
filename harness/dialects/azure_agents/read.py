"""Read Azure AI Agents (and OpenAI Assistants) recordings: a run's ``thread.*`` stream, or a
polled run's final status and the thread's messages, into neutral reply parts.

A run is spread over several interactions (create thread, add messages, create the run,
poll it, list messages), so :func:`run_flows` first finds each run in a cassette and the
interactions that belong to it; :mod:`harness.cassettes.import_` makes one azure-agents
scenario per run and says of the rest which run they belong to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.dialects.reading import Reading, json_events, token_usage
from harness.dialects.sse import SSEEvent
from harness.scenario.model import Message, Usage

if TYPE_CHECKING:
    from harness.cassettes.model import Cassette, Interaction

__all__ = [
    "PER_INTERACTION",
    "RunFlow",
    "messages_text",
    "read_json",
    "read_messages",
    "read_stream",
    "run_flows",
]

PER_INTERACTION = False
"""A run spans several interactions (thread, messages, run, polls, listing):
:mod:`harness.cassettes.import_` reads it as a flow (:func:`run_flows`)."""

_RUNS = re.compile(r"/threads(/[^/]+)?/runs$")
_RUN = re.compile(r"/threads/[^/]+/runs/[^/]+$")
_MESSAGES = re.compile(r"/threads/[^/]+/messages$")
_OUTCOMES = {"failed": "failed", "expired": "expired", "cancelled": "cancelled",
             "incomplete": "incomplete"}  # fmt: skip


def usage(raw: Any) -> Usage | None:
    """A run's usage (``prompt_tokens``...) in neutral terms."""
    return token_usage(raw, "prompt_tokens", "completion_tokens")


def read_messages(body: dict[str, Any], notes: list[str]) -> list[Message]:
    """The user messages a run-creation request carries in its ``thread`` (messages posted
    to the thread beforehand are other interactions: see :func:`run_flows`)."""
    thread = body.get("thread")
    return _user_messages(thread.get("messages") or []) if isinstance(thread, dict) else []


def _run_status(run: dict[str, Any], reading: Reading) -> None:
    """The final state of a run object (from a stream event or the last poll)."""
    status = run.get("status")
    if status == "requires_action":
        action = run.get("required_action") or {}
        calls = (action.get("submit_tool_outputs") or {}).get("tool_calls") or []
        for n, call in enumerate(calls):
            if isinstance(call, dict):
                function = call.get("function") or {}
                reading.parts.call(("action", n), call.get("id"), function.get("name"))
                arguments = function.get("arguments")
                reading.parts.final_arguments(
                    ("action", n), arguments if isinstance(arguments, str) else None
                )
        reading.finish = "tool_calls"
    elif status == "completed":
        reading.finish = reading.finish or "stop"
    elif isinstance(status, str) and status in _OUTCOMES:
        reading.outcome = _OUTCOMES[status]
        if status == "failed":
            error = run.get("last_error")
            reading.error_payload = error if isinstance(error, dict) else {"message": "failed"}
        reading.finish = "stop"
    found = usage(run.get("usage"))
    if found is not None:
        reading.usage = found


def read_stream(events: list[SSEEvent], reading: Reading) -> None:
    named = (event for event in events if event.event != "done")
    for event, data in json_events(named, reading, terminator="[DONE]"):
        kind = event.event or ""
        if kind == "thread.message.delta":
            for block in (data.get("delta") or {}).get("content") or []:
                if isinstance(block, dict) and block.get("type") == "text":
                    reading.parts.text((block.get("text") or {}).get("value"))
        elif kind.startswith("thread.run.") and not kind.startswith("thread.run.step"):
            _run_status(data, reading)
        elif kind == "error":
            reading.error_payload = data
    if reading.finish is None and reading.error_payload is None:
        reading.note("the recorded stream ends before the run does (no final run status)")


def read_json(obj: Any, reading: Reading) -> None:
    """A polled run: the last poll's run object; text comes from :func:`messages_text`."""
    if isinstance(obj, dict) and obj.get("object") == "thread.run":
        _run_status(obj, reading)
    else:
        reading.refuse("the JSON body is not a run")


def messages_text(obj: Any) -> str:
    """The assistant's text in a messages list (newest first, as the API lists them)."""
    if not isinstance(obj, dict):
        return ""
    for message in obj.get("data") or []:
        if isinstance(message, dict) and message.get("role") == "assistant":
            return "".join(
                (block.get("text") or {}).get("value") or ""
                for block in message.get("content") or []
                if isinstance(block, dict) and block.get("type") == "text"
            )
    return ""


@dataclass
class RunFlow:
    """One run: the interaction that starts it, its polls, the messages list after it."""

    start: Interaction
    messages: list[Message] = field(default_factory=list)
    assistant: str = "recorded-agent"
    polls: list[Interaction] = field(default_factory=list)
    listing: Interaction | None = None
    members: list[int] = field(default_factory=list)


def _user_messages(body: Any) -> list[Message]:
    out = []
    items = body if isinstance(body, list) else [body]
    for item in items:
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, str):
                out.append(Message(role="user", content=content))
    return out


def run_flows(cassette: Cassette) -> dict[int, RunFlow]:
    """Each run of the cassette by the index of the interaction that starts it; the polls,
    messages and thread bookkeeping before and after it are its members."""
    flows: dict[int, RunFlow] = {}
    pending: list[Message] = []
    current: RunFlow | None = None
    before: list[int] = []  # thread and message set-up, for the run that follows
    for interaction in cassette.interactions:
        request = interaction.request
        path = request.path.rstrip("/")
        body = request.json()
        if request.method == "POST" and _MESSAGES.search(path):
            pending += _user_messages(body)
        elif request.method == "POST" and _RUNS.search(path):
            thread = body.get("thread") if isinstance(body, dict) else None
            if isinstance(thread, dict):
                pending += _user_messages(thread.get("messages") or [])
            current = RunFlow(start=interaction, messages=pending, members=before)
            if isinstance(body, dict) and isinstance(body.get("assistant_id"), str):
                current.assistant = body["assistant_id"]
            flows[interaction.index] = current
            pending, before = [], []
            continue
        elif current is not None and request.method == "GET" and _RUN.search(path):
            current.polls.append(interaction)
        elif (
            current is not None
            and current.listing is None
            and request.method == "GET"
            and _MESSAGES.search(path)
        ):
            current.listing = interaction
        if current is not None and request.method == "GET":
            current.members.append(interaction.index)
        else:
            before.append(interaction.index)
    return flows
