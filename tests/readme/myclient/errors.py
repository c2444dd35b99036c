"""The exceptions of the docs' example client (``docs/contracts.md``)."""

from __future__ import annotations


class MyClientError(Exception):
    """Every error the client raises."""


class Throttled(MyClientError):
    """The provider rate-limited the call (HTTP 429) and the retries ran out."""


class ServerFailed(MyClientError):
    """Any other HTTP error status."""


class BrokenStream(MyClientError):
    """The stream ended early, or sent something that is not a chunk."""
