"""The planted wire client on the OpenAI Responses wire: the same SSE reader and retry policy
as :class:`tests.checks.planted_wire.PlantedWireDriver`, reading Responses events, correct
by default, with one switch per realistic mishandling of a Responses case of issue 16:

- ``incomplete_as_completed``: ``response.incomplete`` read as a completed reply (stop);
- ``incomplete_reason_ignored``: every ``response.incomplete`` read as ``length``, whatever
  ``incomplete_details.reason`` says (``content_filter`` lost);
- ``failed_as_completed``: ``response.failed`` read as the end of a normal reply;
- ``first_message_only``: text of message items after the first one is dropped (a client
  that assumes one message item per response);
- ``one_delta_buffer``: one buffer for every delta of the response, text and arguments, so a
  call's arguments carry the text streamed before them (items not kept apart);
- ``args_from_deltas_only``: a call's arguments built from its delta events only, the done
  events' complete arguments ignored.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from harness.vocab.events import Event, ReasoningEvent, TextEvent
from tests.checks.planted import PlantedError
from tests.checks.planted_wire import PlantedWireDriver

__all__ = ["PlantedResponsesDriver"]

_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}


class PlantedResponsesDriver(PlantedWireDriver):
    """A driver around the planted client on ``POST /v1/responses``."""

    name: ClassVar[str] = "planted-wire-responses"
    dialect: ClassVar[str] = "openai-responses"
    path: ClassVar[str] = "/v1/responses"

    def _chunk(self, kind: str | None, data: str, state: dict[str, Any]) -> list[Event]:
        bugs = self.bugs
        payload = json.loads(data)
        kind = payload.get("type", kind)
        out: list[Event] = []
        state.setdefault("buffer", [])
        state.setdefault("messages_done", 0)
        if kind == "response.output_item.added":
            item = payload["item"]
            if item["type"] == "function_call":
                call = {"index": payload["output_index"], "id": item["call_id"], "args": []}
                state["calls"].append({**call, "name": item["name"], "item": item["id"]})
        elif kind == "response.output_text.delta" and payload["delta"]:
            state["buffer"].append(payload["delta"])
            if not (bugs.first_message_only and state["messages_done"]):
                out.append(TextEvent(text=payload["delta"]))
        elif kind == "response.reasoning_summary_text.delta" and payload["delta"]:
            out.append(ReasoningEvent(text=payload["delta"]))
        elif kind == "response.function_call_arguments.delta":
            state["buffer"].append(payload["delta"])
            self._call(state, payload["item_id"])["args"].append(payload["delta"])
        elif kind == "response.function_call_arguments.done":
            self._done(state, payload["item_id"], payload["arguments"])
        elif kind == "response.output_item.done":
            item = payload["item"]
            if item["type"] == "message":
                state["messages_done"] += 1
            elif item["type"] == "function_call":
                self._done(state, item["id"], item["arguments"])
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            out += self._terminal(kind, payload["response"], state)
        elif kind == "error":
            raise PlantedError("server", json.dumps(payload))
        return out

    def _call(self, state: dict[str, Any], item_id: str) -> dict[str, Any]:
        return next(c for c in state["calls"] if c["item"] == item_id)

    def _done(self, state: dict[str, Any], item_id: str, arguments: str) -> None:
        """A call's complete arguments, from one of its done events."""
        call = self._call(state, item_id)
        if self.bugs.one_delta_buffer:  # planted: every delta so far, text included
            call["args"] = list(state["buffer"])
        elif not self.bugs.args_from_deltas_only:  # planted: the done event's text ignored
            call["args"] = [arguments]

    def _terminal(self, kind: str, response: dict[str, Any], state: dict[str, Any]) -> list[Event]:
        bugs = self.bugs
        if kind == "response.failed" and not bugs.failed_as_completed:
            raise PlantedError("server", json.dumps(response.get("error")))
        state["done"] = True
        usage = response.get("usage")
        if usage:
            state["usage"] = {
                "prompt_tokens": usage["input_tokens"],
                "completion_tokens": usage["output_tokens"],
            }
        if kind == "response.incomplete" and not bugs.incomplete_as_completed:
            reason = str((response.get("incomplete_details") or {}).get("reason"))
            state["finish"] = "length" if bugs.incomplete_reason_ignored else _INCOMPLETE[reason]
        else:
            state["finish"] = "tool_calls" if state["calls"] else "stop"
        return []
