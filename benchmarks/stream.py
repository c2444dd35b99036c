"""The benchmark stream: a 225-event, ~56 KB OpenAI chat completion, as the wire carries it.

Built once, in code, so every tool replays byte-identical events: a role chunk, 221 content
deltas, a finish chunk, a usage chunk (``stream_options.include_usage``) and ``[DONE]``,
each event with the fields a real ``chat.completion.chunk`` carries.
"""

from __future__ import annotations

import json
from functools import cache

__all__ = ["EVENTS", "PATH", "URL", "body", "events"]

EVENTS = 225
URL = "https://api.openai.invalid/v1/chat/completions"
PATH = "/v1/chat/completions"
_WORDS = ("The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".")


def _chunk(delta: dict[str, object], finish: str | None, usage: object = None) -> bytes:
    payload: dict[str, object] = {
        "id": "chatcmpl-BENCH7z0q3XkTzR1mJ5b2Vh9sWdLpQ",
        "object": "chat.completion.chunk",
        "created": 1764000000,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_efad92c60b",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage:
        payload.update(choices=[], usage=usage)
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


@cache
def events() -> tuple[bytes, ...]:
    """The 225 events, each a complete ``data: ...\\n\\n`` block."""
    out = [_chunk({"role": "assistant", "content": "", "refusal": None}, None)]
    out += [_chunk({"content": _WORDS[i % len(_WORDS)]}, None) for i in range(EVENTS - 4)]
    out.append(_chunk({}, "stop"))
    usage = {"prompt_tokens": 12, "completion_tokens": EVENTS - 4, "total_tokens": EVENTS + 8}
    out.append(_chunk({}, None, usage))
    out.append(b"data: [DONE]\n\n")
    assert len(out) == EVENTS
    return tuple(out)


def body() -> bytes:
    return b"".join(events())
