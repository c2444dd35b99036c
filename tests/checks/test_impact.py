"""Every finding code has one impact from the fixed vocabulary; setup codes have none."""

from __future__ import annotations

from harness.checks.catalogue import CATALOGUE
from harness.checks.impact import IMPACT_MEANING, IMPACTS, impact_of
from harness.vocab.codes import Code


def test_every_finding_code_has_an_impact_and_setup_codes_none() -> None:
    findings = {c for c in Code if not c.startswith("setup-")}
    assert set(IMPACTS) == findings, f"no impact for {sorted(findings - set(IMPACTS))}"
    assert all(impact in IMPACT_MEANING for impact in IMPACTS.values())
    assert impact_of("setup-not-installed") is None and impact_of("no-such-code") is None


def test_the_catalogue_shows_the_impact() -> None:
    entry = CATALOGUE[Code.RETRY_WAIT_UNBOUNDED]
    assert entry.impact == "hang"
    assert entry.render().startswith("retry-wait-unbounded (error, hang, from ")
    assert CATALOGUE[Code.TRUNCATED_STREAM_ACCEPTED].impact == "silent-failure"
