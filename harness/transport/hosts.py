"""The provider's own base URL for each dialect: where scripts are served by default.

Some libraries branch on the host: openai-agents checks for a missing finish reason only
when the base URL is ``api.openai.com`` and switches to a lenient "third-party" mode behind
any other host, so a fake host measures the wrong mode. Serving at the real URL costs no
network: the replay answers in-process and the no-network guard blocks anything that would
leave it. A driver may still choose its own (``base_url`` class attribute), as may a test
(``@pytest.mark.harness_scenario(..., base_url=...)``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["FALLBACK_BASE_URL", "base_url_for", "provider_base_urls"]

FALLBACK_BASE_URL = "https://replay.harness.invalid"
"""For dialects no single provider owns (a gateway) and for cassettes (any host matches)."""


def provider_base_urls() -> dict[str, str]:
    """Dialect -> its provider's base URL, without the version path (clients add ``/v1``;
    an Azure AI Foundry project endpoint adds ``/api/projects/<project>``): each
    registered dialect's ``base_url``."""
    from harness.dialects import all_dialects

    return {d.name: d.base_url for d in all_dialects() if d.base_url is not None}


def __getattr__(name: str) -> Any:
    if name == "PROVIDER_BASE_URLS":  # the name before the dialects owned their URL
        return provider_base_urls()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def base_url_for(dialect: str | None, override: str | None = None) -> str:
    """``override`` when given, else the dialect's provider URL, else the fallback host."""
    if override:
        return override.rstrip("/")
    from harness.dialects import DialectError, get_dialect

    try:  # one dialect's URL: loading every dialect per test cost a replay's whole set-up
        url = get_dialect(dialect).base_url if dialect else None
    except DialectError:
        url = None
    return url if url is not None else FALLBACK_BASE_URL
