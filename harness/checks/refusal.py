"""The refusal expectation: the model declined (OpenAI chat's ``refusal``), and a correct
adapter passes the refusal on as a refusal (:class:`harness.vocab.events.RefusalEvent`), apart
from the text, so its caller never shows it as an ordinary answer nor loses it.

- ``refusal-dropped``: the refusal never reached the caller (neither as a refusal nor as
  text): the caller sees an empty reply that finished normally;
- ``refusal-as-text``: the refusal came through as ordinary assistant text, unmarked (the
  text mismatch it causes is this finding, not another one);
- ``refusal-mismatch``: a refusal came through, but not the one the server sent.
"""

from __future__ import annotations

from harness.scenario import Scenario
from harness.vocab.codes import Code
from harness.vocab.events import Transcript
from harness.vocab.findings import Finding

__all__ = ["explained_text", "refusal_findings"]


def refusal_findings(scenario: Scenario, t: Transcript, where: str) -> list[Finding]:
    """What is wrong with the refusal the adapter passed on (none when not expected)."""
    want = scenario.expect.refusal
    got = t.refusal()
    if want is None or got == want:
        return []
    if want and not got and want in t.text():
        code, why = Code.REFUSAL_AS_TEXT, "came through as ordinary assistant text, unmarked"
    elif want and not got:
        code, why = Code.REFUSAL_DROPPED, "never reached the caller"
    else:
        code, why = Code.REFUSAL_MISMATCH, "differs from what the server sent"
    return [
        Finding(
            code=code,
            check="expectations",
            message=f"the server's refusal {why}: a caller cannot tell the model declined",
            expected=want,
            actual={"refusal": got, "text": t.text()},
            where=where,
        )
    ]


def explained_text(scenario: Scenario, t: Transcript, found: list[Finding]) -> list[Finding]:
    """``found`` without the text mismatch a refusal passed off as text explains."""
    want = scenario.expect.refusal
    if not want or Code.REFUSAL_AS_TEXT not in {f.code for f in found}:
        return found
    text = t.text().replace(want, "", 1)
    if text != (scenario.expect.text or ""):
        return found
    return [f for f in found if f.code != Code.TEXT_MISMATCH]
