"""The seams of a dialect: the :class:`Dialect` protocol and the :class:`Reader` it may have.

A dialect owns everything about one provider's wire, in one folder
(``harness/dialects/<wire>/``), and answers four questions:

- synthesize: ``supports()`` (None, or why it cannot express a scenario: an honest n/a)
  and ``synthesize()`` (the scenario as the exchanges a server of this wire sends);
- read: ``reader``, which reads a recorded reply and request back into neutral terms
  (None: recordings of this wire cannot be read);
- recognise: ``recognise()``, how sure it is that a recording speaks this wire;
- normalize: ``normalizer``, which maps the wire's decoded stream items (or an SDK's
  objects of the same shape) onto harness events (None: only SDK-specific mappers exist,
  in the drivers).

``base_url`` is where the wire's provider serves it (None when no single provider owns
it): the replay serves there by default, since some clients branch on the host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from harness.vocab.errors import HarnessError

if TYPE_CHECKING:
    from harness.dialects.normalize import Normalizer
    from harness.dialects.reading import Reading
    from harness.dialects.script import Script
    from harness.dialects.sse import SSEEvent
    from harness.scenario.model import Message, Scenario

__all__ = ["BY_MARKER", "BY_PATH", "Dialect", "DialectError", "Reader"]

BY_PATH = 100
"""What :meth:`Dialect.recognise` returns, at least, for a path that is this wire's
endpoint; a body marker gives less (``BY_MARKER``), and the surest dialect wins."""
BY_MARKER = 50
"""The base of what :meth:`Dialect.recognise` returns for a marker in the body: a marker
that another wire's bodies may also carry adds less to it than a marker only this wire has."""


class DialectError(HarnessError, LookupError):
    """An unknown dialect name, or one registered twice."""


class Reader(Protocol):
    """Reads a recorded reply (SSE events or a JSON body) and request into neutral terms.

    ``PER_INTERACTION`` says whether one interaction holds a whole reply (False: a reply
    spans several, as an Azure Agents run does, and the importer reads the flow).

    A wire whose stream is not SSE (Bedrock's binary AWS event stream) also has
    ``decode_stream(body: bytes) -> list[SSEEvent] | None``: its stream's events, named
    and with their payload as data, for ``read_stream`` (None: not such a stream). It is
    optional, looked up with ``getattr``.
    """

    @property
    def PER_INTERACTION(self) -> bool: ...

    def read_stream(self, events: list[SSEEvent], reading: Reading) -> None: ...

    def read_json(self, obj: Any, reading: Reading) -> None: ...

    def read_messages(self, body: dict[str, Any], notes: list[str]) -> list[Message]: ...


class Dialect(Protocol):
    """One provider's wire: synthesize, read, recognise, normalize (see the module)."""

    @property
    def name(self) -> str: ...

    @property
    def reader(self) -> Reader | None: ...

    @property
    def normalizer(self) -> type[Normalizer] | None: ...

    @property
    def base_url(self) -> str | None: ...

    def supports(self, scenario: Scenario) -> str | None:
        """None if the dialect can express the scenario, else the feature it lacks."""
        ...

    def synthesize(self, scenario: Scenario) -> Script:
        """The exchanges a server of this dialect sends for the scenario's attempts."""
        ...

    def recognise(self, path: str, head: bytes) -> int:
        """How sure the dialect is that a recorded exchange is its own, from the request
        path (no trailing slash) and the first bytes of the decoded response body: 0 not
        at all, at least :data:`BY_PATH` for its endpoint, :data:`BY_MARKER` and up for a
        marker in the body."""
        ...
