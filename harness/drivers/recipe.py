"""How a driver is reproduced without harness: the :class:`Recipe` a driver's ``repro``
method returns, from which ``harness repro`` writes a standalone Python file that needs only
the adapter's library and its HTTP client (:mod:`harness.report.reproducer`).

A reproducer serves the scenario's exact wire bytes with a small transport of the recipe's
``http_library`` (``httpx`` or ``httpx2``), and calls ``async def call(transport, out)``
(``def call`` on a synchronous transport when the recipe is ``sync``),
whose body is the recipe's ``call``: build the adapter's client on ``transport`` the way the
driver does, make the call with ``REQUEST`` (the recipe's ``request``, written out as a
literal), and fill ``out`` from what the adapter yielded, in plain terms:

- ``out["text"]``, ``out["reasoning"]``, ``out["refusal"]``: the pieces joined (``str``);
- ``out["tool_calls"]``: ``[{"id": ..., "name": ..., "arguments": <JSON text>}, ...]``;
- ``out["finish"]``: the library's own finish value (``"stop"``, ``"end_turn"``...), None
  when none came; ``recipe.finish`` maps those values to harness's finish reasons;
- ``out["usage"]``: ``{"input": n, "output": n}`` (None when none came).

An exception raised by ``call`` becomes ``out["error"]``. ``BASE_URL`` (the provider's URL,
no version path) and ``API_KEY`` are defined for the body; so is ``json``. The assertions
(one per finding code, :mod:`harness.report.repro_assertions`) read only ``out``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CHAT_COMPLETION_READ", "CHAT_HELPERS", "CHAT_STREAM_READ", "Recipe"]


@dataclass(frozen=True)
class Recipe:
    """One driver's reproduction: imports, client construction at the seam, the call and
    how to read what the adapter yielded (see the module docstring for ``out``)."""

    library: str
    """The project a bug report goes to, e.g. ``openai-python``."""
    tracker: str
    """Where its issues are filed (a URL)."""
    imports: str
    """The import lines (and anything that must run before an import, e.g. an offline
    switch), as source."""
    request: Mapping[str, Any]
    """The call's arguments, written into the file as ``REQUEST``: plain JSON-like values."""
    call: str
    """The body of ``async def call(transport, out)``, as source (not indented)."""
    http_library: str = "httpx"
    """The module whose transport classes the client takes (``httpx`` or ``httpx2``)."""
    finish: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    """The library's finish values -> harness finish reasons (``stop``, ``length``...); a
    value that stands for several (Responses' ``completed``: stop or tool calls) maps to
    all of them."""
    helpers: str = ""
    """Module-level functions the body uses, as source: the driver's own function where it
    is self-contained (``inspect.getsource``; imports inside it, no module globals), so the
    two cannot drift. The file starts with ``from __future__ import annotations``, so its
    annotations need no imports."""
    retry_sleep: str = "anyio.sleep"
    """The module attribute the library waits between attempts with: the reproducer records
    each wait there and skips it, so a Retry-After of an hour costs nothing."""
    other_sleeps: tuple[str, ...] = ()
    """Further module attributes the library waits between attempts with, skipped alike
    (llama-index's own retry around the OpenAI SDK's waits with ``asyncio.sleep``)."""
    sync: bool = False
    """The library is called synchronously: ``call`` is the body of ``def call(transport,
    out)``, the transport an ``httpx.BaseTransport`` (not the async one), and
    ``retry_sleep`` a plain function (``time.sleep``)."""
    pieces: bool = False
    """Whether the body also lists each text piece the library yields, empty ones too, in
    ``out["pieces"]`` (it sets the list up itself): what an empty-text finding needs."""


CHAT_HELPERS = '''\
def refusal_of(delta):
    """A refusal piece: the field, or where the library keeps fields its type lacks."""
    value = getattr(delta, "refusal", None)
    if value is None:
        value = (getattr(delta, "provider_specific_fields", None) or {}).get("refusal")
    return value or ""
'''

CHAT_STREAM_READ = """\
calls = {}
async for chunk in stream:
    usage = getattr(chunk, "usage", None)
    if usage is not None:
        out["usage"] = {"input": usage.prompt_tokens, "output": usage.completion_tokens}
    for choice in chunk.choices:
        delta = choice.delta
        out["text"] += delta.content or ""
        out["refusal"] += refusal_of(delta)
        for piece in delta.tool_calls or []:
            call = calls.setdefault(piece.index, {"id": None, "name": None, "arguments": ""})
            call["id"] = call["id"] or piece.id
            if piece.function is not None:
                call["name"] = call["name"] or piece.function.name
                call["arguments"] += piece.function.arguments or ""
        out["finish"] = choice.finish_reason or out["finish"]
out["tool_calls"] = list(calls.values())
"""
"""Reading a chat-completions stream (OpenAI SDK chunks, litellm's alike) named ``stream``."""

CHAT_COMPLETION_READ = """\
usage = getattr(response, "usage", None)
if usage is not None:
    out["usage"] = {"input": usage.prompt_tokens, "output": usage.completion_tokens}
for choice in response.choices[:1]:
    out["text"] = choice.message.content or ""
    out["refusal"] = refusal_of(choice.message)
    for call in choice.message.tool_calls or []:
        out["tool_calls"].append(
            {"id": call.id, "name": call.function.name, "arguments": call.function.arguments}
        )
    out["finish"] = choice.finish_reason
"""
"""Reading a chat completion (not streamed) named ``response``."""
