"""A cell's run on the virtual clock: requests, responses, events and the waits between them.

Retries, Retry-After, polling and stalls are the heart of what harness checks, and they are
about time: "asked to wait 2 s, came back after 0.5 s" is obvious on a timeline and buried
in JSON. :func:`timeline` turns a :class:`~harness.vocab.events.Transcript` into :class:`Mark` s;
:func:`render_text` prints them (``harness run --timeline``) and :func:`render_svg` draws
them for the HTML report (inline SVG, no script: native ``<title>`` tooltips only).

Times are seconds from the first request, whatever the clock counted before it (imports,
set-up), so the axis starts where the conversation with the server does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from html import escape
from itertools import groupby
from typing import Literal

from harness.vocab.events import Event, RequestRecord, ResponseRecord, Transcript

__all__ = ["Mark", "render_svg", "render_text", "rows", "timeline"]

Kind = Literal["request", "response", "pause", "end", "event", "wait"]
Tone = Literal["ok", "bad", "warn", "info"]
_VISIBLE = 0.001
"""Shorter spans are not worth a mark (a request sent right after the previous answer)."""
_RANK = {"request": 0, "response": 1, "pause": 2, "end": 3, "event": 4, "wait": 5}
_TEXT_GLYPH = {
    "request": "->",
    "response": "<-",
    "pause": "..",
    "end": "||",
    "event": " *",
    "wait": "~~",
}


@dataclass(frozen=True)
class Mark:
    """One thing on the timeline: a moment (``until`` is None) or a span."""

    at: float
    kind: Kind
    label: str
    until: float | None = None
    tone: Tone = "info"
    """How to colour it: ok (served, complete), bad (cut, error), warn (timeout, short wait)."""
    asked_until: float | None = None
    """For a wait after a Retry-After: when the wait the server asked for would end."""

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def timeline(t: Transcript) -> list[Mark]:
    """Every mark of ``t``, in time order, at seconds from the first request."""
    start = t.requests[0].at if t.requests else 0.0
    marks: list[Mark] = []
    answers = {r.request: r for r in t.responses}
    for i, req in enumerate(t.requests):
        marks.append(_request_mark(req, start))
        answer = answers.get(i)
        if answer is not None:
            marks += _response_marks(answer, req, start)
        if i + 1 < len(t.requests):
            wait = _wait_mark(req, answer, t.requests[i + 1], start)
            if wait is not None:
                marks.append(wait)
    marks += _event_marks(t.events, t.event_times, start)
    order = sorted(range(len(marks)), key=lambda k: (marks[k].at, _RANK[marks[k].kind], k))
    return [marks[k] for k in order]


def _s(seconds: float) -> str:
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + " s" if seconds else "0 s"


def _request_mark(req: RequestRecord, start: float) -> Mark:
    missed = req.exchange is None
    label = f"{req.method} {req.path}" + (" (not in the script)" if missed else "")
    return Mark(req.at - start, "request", label, tone="bad" if missed else "info")


def _response_marks(r: ResponseRecord, req: RequestRecord, start: float) -> list[Mark]:
    marks: list[Mark] = []
    if r.status is None:
        end = (r.end_at if r.end_at is not None else req.at) - start
        marks.append(
            Mark(req.at - start, "end", "read timeout: no response", until=end, tone="warn")
        )
        return marks
    head = (r.head_at if r.head_at is not None else req.at) - start
    asked = f" (Retry-After {_s(r.retry_after)})" if r.retry_after is not None else ""
    delay = head - (req.at - start)
    waited = f" after {_s(delay)}" if delay >= _VISIBLE else ""
    marks.append(
        Mark(head, "response", f"{r.status}{asked}{waited}", tone="ok" if r.status < 400 else "bad")
    )
    for at, seconds in r.pauses:
        marks.append(
            Mark(at - start, "pause", f"server pauses {_s(seconds)}", until=at - start + seconds)
        )
    end = (r.end_at - start) if r.end_at is not None else head
    chunks = f"{r.chunks} chunk{'' if r.chunks == 1 else 's'}"
    ends: dict[str, tuple[str, Tone]] = {
        "complete": (f"body complete ({chunks})", "ok"),
        "cut": (f"stream cut by the server after {chunks}", "bad"),
        "stall": (f"server stalls after {chunks}: read timeout", "warn"),
        "timeout": (f"read timeout after {chunks}", "warn"),
        "closed": (f"client closed the body after {chunks}", "info"),
        "open": (f"body never finished nor closed ({chunks} read)", "bad"),
    }
    label, tone = ends[r.end]
    marks.append(Mark(end, "end", label, tone=tone))
    return marks


def _wait_mark(
    req: RequestRecord, answer: ResponseRecord | None, following: RequestRecord, start: float
) -> Mark | None:
    """The gap before the next request: a retry's wait, a poll's interval (None when the
    next request follows at once and nothing asked for a wait)."""
    if answer is not None and answer.end_at is not None:
        since = answer.end_at
    elif answer is not None and answer.head_at is not None:
        since = answer.head_at
    else:
        since = req.at
    gap = max(0.0, following.at - since)
    asked = answer.retry_after if answer is not None else None
    if gap < _VISIBLE and asked is None:
        return None
    poll = req.method == following.method == "GET" and req.path == following.path
    label = f"{'poll interval' if poll else 'client waits'} {_s(gap)}"
    tone: Tone = "info"
    if asked is not None:
        label += f" (Retry-After asked {_s(asked)})"
        if gap + 1e-6 < asked:
            label += ": sooner than asked"
            tone = "warn"
    asked_until = since - start + asked if asked is not None else None
    return Mark(
        since - start, "wait", label, until=following.at - start, tone=tone, asked_until=asked_until
    )


def _event_marks(events: list[Event], times: list[float], start: float) -> list[Mark]:
    """Consecutive events of one kind become one mark ("text x12 'Hello…'")."""
    if len(times) != len(events):  # an older transcript: events without times, at the start
        times = [start] * len(events)
    marks: list[Mark] = []
    for kind, run in groupby(zip(events, times, strict=True), key=lambda p: p[0].kind):
        items = list(run)
        first, last_at = items[0][1] - start, items[-1][1] - start
        label = _event_label(kind, [e for e, _ in items])
        tone: Tone = "bad" if kind == "error" else "ok" if kind == "finish" else "info"
        marks.append(
            Mark(first, "event", label, until=last_at if last_at > first else None, tone=tone)
        )
    return marks


def _event_label(kind: str, events: list[Event]) -> str:
    count = f" x{len(events)}" if len(events) > 1 else ""
    e = events[-1]
    if kind in ("text", "reasoning"):
        text = "".join(getattr(x, "text", "") for x in events)
        return f"{kind}{count} {_short(text)!r}"
    if kind == "tool_call":
        return f"tool_call{count} " + ", ".join(getattr(x, "name", "?") for x in events)
    if kind == "finish":
        return f"finish {getattr(e, 'reason', None)}"
    if kind == "error":
        status = getattr(e, "status", None)
        return f"error {getattr(e, 'error', '?')}" + (f" ({status})" if status else "")
    if kind == "usage":
        return f"usage in={getattr(e, 'input', None)} out={getattr(e, 'output', None)}"
    return f"{kind}{count}"


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- text

_WORST = {"info": 0, "ok": 1, "warn": 2, "bad": 3}


def rows(marks: list[Mark]) -> list[Mark]:
    """Marks for reading as lines: a request answered at once, with its body read at once,
    is one line ("GET /runs/1 -> 200, body complete (1 chunk)"), so a 30-poll run is 60
    lines rather than 120; anything that took time keeps its own line."""
    out: list[Mark] = []
    i = 0
    while i < len(marks):
        m = marks[i]
        group = [m]
        if m.kind == "request":
            for follower, kind in zip(marks[i + 1 : i + 3], ("response", "end"), strict=False):
                if follower.kind != kind or follower.at - m.at >= _VISIBLE:
                    break
                group.append(follower)
        if len(group) > 1:
            tone = max((g.tone for g in group), key=lambda t: _WORST[t])
            label = group[0].label + " -> " + ", ".join(g.label for g in group[1:])
            m = Mark(m.at, "request", label, tone=tone)
        out.append(m)
        i += len(group)
    return out


def render_text(t: Transcript) -> str:
    """The timeline as lines: ``  2.000 -> POST /chat/completions``."""
    marks = rows(timeline(t))
    lines = [f"timeline of {t.scenario} x {t.driver} (virtual seconds from the first request)"]
    for m in marks:
        span = f" until {m.until:.3f}" if m.until is not None else ""
        lines.append(f"  {m.at:8.3f}  {_TEXT_GLYPH[m.kind]} {m.label}{span}")
    if not marks:
        lines.append("  (no requests and no events)")
    return "\n".join(lines)


# --------------------------------------------------------------------------- SVG

_W, _LEFT, _RIGHT = 520, 78, 14
_LANES = ("requests", "body", "waits", "events")
_LANE_H, _TOP = 30, 14
_COLOR = {"ok": "#1a7f37", "bad": "#cf222e", "warn": "#bc4c00", "info": "#0969da"}
_LANE_OF = {
    "request": "requests",
    "response": "requests",
    "pause": "body",
    "end": "body",
    "event": "events",
    "wait": "waits",
}


def render_svg(t: Transcript) -> str:
    """An inline SVG: one lane each for requests, response bodies, waits and events, on a
    shared time axis; each mark has a ``<title>`` (a tooltip without script)."""
    marks = timeline(t)
    end = max([m.until or m.at for m in marks] + [m.asked_until or 0.0 for m in marks] + [0.0])
    scale = (_W - _LEFT - _RIGHT) / (end or 1.0)
    height = _TOP + _LANE_H * len(_LANES) + 22

    def x(at: float) -> float:
        return round(_LEFT + at * scale, 1)

    parts = [
        f'<svg class="timeline" viewBox="0 0 {_W} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">',
        f"<title>Timeline of {escape(t.scenario)} x {escape(t.driver)}, "
        f"{_s(end)} of virtual time from the first request</title>",
    ]
    for i, lane in enumerate(_LANES):
        y = _TOP + i * _LANE_H
        parts.append(
            f'<text x="4" y="{y + 16}" class="lane">{lane}</text>'
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y + 12}" y2="{y + 12}" class="rail"/>'
        )
    body = [_body_spans(t, x)]
    for m in marks:
        y = _TOP + _LANES.index(_LANE_OF[m.kind]) * _LANE_H + 12
        color = _COLOR[m.tone]
        tip = f"<title>{m.at:.3f} s: {escape(m.label)}</title>"
        if m.asked_until is not None and m.asked_until > m.at:  # the wait asked for, behind
            body.append(
                f'<g><rect x="{x(m.at)}" y="{y - 7}" width="{x(m.asked_until) - x(m.at)}" '
                f'height="14" class="asked"/><text x="{x(m.asked_until) - 3}" y="{y + 4}" '
                f'text-anchor="end" class="span asked-label">asked {_s(m.asked_until - m.at)}'
                f"</text><title>Retry-After asked for {_s(m.asked_until - m.at)}</title></g>"
            )
        if m.until is not None and m.until > m.at:
            wait = m.kind == "wait"
            style = 'stroke-width="3" stroke-dasharray="6 4"' if wait else 'stroke-width="6"'
            label = ""
            if wait and x(m.until) - x(m.at) > 48:  # say the wait where there is room
                middle = round((x(m.at) + x(m.until)) / 2, 1)
                short = m.label.split(" (")[0].replace("client waits ", "").replace(":", "")
                label = (
                    f'<text x="{middle}" y="{y - 6}" text-anchor="middle" class="span" '
                    f'fill="{color}">{escape(short)}</text>'
                )
            body.append(
                f'<g><line x1="{x(m.at)}" x2="{x(m.until)}" y1="{y}" y2="{y}" stroke="{color}" '
                f"{style}/>{label}{tip}</g>"
            )
        elif m.kind == "end" and m.tone in ("bad", "warn"):  # a cut or a timeout: a cross
            a, b = x(m.at), y
            body.append(
                f'<g><path d="M{a - 5} {b - 5} L{a + 5} {b + 5} M{a - 5} {b + 5} L{a + 5} {b - 5}" '
                f'stroke="{color}" stroke-width="3"/>{tip}</g>'
            )
        elif m.kind == "request":
            body.append(
                f'<g><path d="M{x(m.at) - 5} {y - 8} L{x(m.at) + 5} {y} L{x(m.at) - 5} {y + 8} Z" '
                f'fill="{color}"/>{tip}</g>'
            )
        else:
            body.append(f'<g><circle cx="{x(m.at)}" cy="{y}" r="5" fill="{color}"/>{tip}</g>')
    axis_y = _TOP + _LANE_H * len(_LANES) + 4
    ticks = [
        f'<text x="{x(v)}" y="{axis_y + 12}" class="tick" '
        f'text-anchor="{"end" if x(v) > _W - 30 else "middle"}">{_s(v)}</text>'
        for v in _ticks(end)
    ]
    parts += body + ticks + ["</svg>"]
    return "".join(parts)


def _body_spans(t: Transcript, x: Callable[[float], float]) -> str:
    """A light bar per response body from its head to its end, under the end marks."""
    start = t.requests[0].at if t.requests else 0.0
    y = _TOP + _LANES.index("body") * _LANE_H + 12
    bars = []
    for r in t.responses:
        if r.head_at is None:
            continue
        stop = r.end_at if r.end_at is not None else r.head_at
        bars.append(
            f'<line x1="{x(r.head_at - start)}" x2="{x(stop - start) + 0.1}" y1="{y}" y2="{y}" '
            'class="bodybar"/>'
        )
    return "".join(bars)


def _ticks(end: float) -> list[float]:
    if end <= 0:
        return [0.0]
    step = 10 ** len(str(int(end))) / 10 if end >= 1 else 0.1
    while end / step > 6:
        step *= 2
    while end / step < 2:
        step /= 2
    count = int(end / step + 1e-9)
    return [round(i * step, 6) for i in range(count + 1)]
