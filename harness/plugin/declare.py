"""Declare your own adapter as a harness driver with one decorator, for the pytest suite.

::

    from harness.plugin.declare import conformance

    @conformance(dialect="openai-chat", normalize="openai-chat")
    async def my_client(request, ctx):
        client = MyClient(base_url=ctx.base_url + "/v1", api_key=ctx.api_key)
        async for chunk in client.stream(request.model, openai_messages(request)):
            yield chunk

The decorated function is the seam: it gets the scenario's
:class:`~harness.scenario.model.Request` and a :class:`~harness.drivers.base.DriverContext`
(``base_url``, ``api_key``, ``transport()``, ``options``) and drives the real adapter. It
may be sync or async, a generator or not; it yields or returns harness events, or the
adapter's own output plus a ``normalize`` that maps it onto events. HTTP clients it creates
without a transport are served by the replay too, and the network is blocked.

Where it is declared decides where the suite appears: in a ``conftest.py`` (any name) the
pytest plugin adds one test per scenario under that conftest; in a test module it must be
named like a test (``test_*``). Each test is ``<name>[<dialect>-<scenario id>]``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, cast

from harness.dialects.normalize import Normalizer
from harness.drivers.common import openai_messages, openai_tools
from harness.vocab.errors import HarnessError

if TYPE_CHECKING:
    from pydantic import JsonValue

    from harness.drivers.base import Driver, DriverContext
    from harness.drivers.contract import Contract
    from harness.scenario.model import Scenario
    from harness.vocab.events import ErrorEvent, Event

__all__ = [
    "AdapterDriver",
    "AdapterOutputError",
    "Conformance",
    "Normalizer",
    "conformance",
    "normalizer",
    "openai_messages",
    "openai_tools",
    "suite",
]


class AdapterOutputError(HarnessError, TypeError):
    """The adapter function produced something that is not a harness event, and no
    normalizer was given: a mistake in the declaration, reported as such, not as a finding."""


NormalizeSpec: TypeAlias = (
    "str | type[Normalizer] | Callable[[Any], Iterable[Event] | Event | None]"
)
"""A registered name, a :class:`Normalizer` class (one instance per run), or a function
mapping one output item to events."""


def normalizer(name: str) -> type[Normalizer]:
    """The normalizer of the dialect called ``name`` (``openai-chat``): the registry's."""
    from harness.dialects import DialectError, all_dialects, get_dialect

    try:
        found = get_dialect(name).normalizer
    except DialectError:
        found = None
    if found is None:
        known = ", ".join(d.name for d in all_dialects() if d.normalizer is not None)
        raise ValueError(
            f"normalize={name!r} is not a built-in normalizer (known: {known}); "
            "pass a Normalizer class or a function item -> events instead"
        ) from None
    return found


class _PerItem:
    """A plain ``item -> events`` function as a :class:`Normalizer`."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self._fn = fn

    def feed(self, item: Any) -> list[Event]:
        out = self._fn(item)
        if out is None:
            return []
        if isinstance(out, Iterable) and not hasattr(out, "kind"):
            return list(out)
        return [out]

    def close(self) -> list[Event]:
        return []


class _Identity:
    """No normalizer: the adapter yields harness events itself; anything else is a mistake."""

    def __init__(self, name: str) -> None:
        self._name = name

    def feed(self, item: Any) -> list[Event]:
        from harness.vocab.events import (
            ErrorEvent,
            FinishEvent,
            ReasoningEvent,
            RefusalEvent,
            TextEvent,
            ToolCallEvent,
            UsageEvent,
        )

        kinds = (
            TextEvent,
            ReasoningEvent,
            RefusalEvent,
            ToolCallEvent,
            UsageEvent,
            FinishEvent,
            ErrorEvent,
        )
        if isinstance(item, kinds):
            return [item]
        raise AdapterOutputError(
            f"adapter {self._name!r} produced {type(item).__qualname__} {_short(item)}; "
            "expected harness events (harness.vocab.events.TextEvent, ...). Hint: pass "
            "normalize='openai-chat', a Normalizer class, or a function item -> events "
            "to @conformance"
        )

    def close(self) -> list[Event]:
        return []


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _make_normalizer(spec: NormalizeSpec | None, name: str) -> Normalizer:
    if spec is None:
        return _Identity(name)
    if isinstance(spec, str):
        return normalizer(spec)()
    if inspect.isclass(spec):
        return cast(Normalizer, spec())
    return _PerItem(spec)


Adapter: TypeAlias = Callable[..., Any]
"""``fn(request, ctx)``: sync or async, generator or not (see the module docstring)."""


class Conformance:
    """A declared adapter: what ``@conformance(...)`` returns; the pytest plugin collects it.

    Calling it still calls the function, so it stays usable as plain code.
    """

    __harness_suite__: ClassVar[bool] = True
    """Lets the plugin recognise a suite without importing this module."""

    def __init__(
        self,
        fn: Adapter,
        *,
        dialects: tuple[str, ...],
        name: str,
        normalize: NormalizeSpec | None,
        options: Mapping[str, JsonValue],
        supports: Callable[[Scenario], str | None] | None,
        classify: Callable[[BaseException], ErrorEvent | None] | None,
        driver: Driver | None = None,
        contract: Contract | None = None,
    ) -> None:
        self.fn = fn
        self.driver = driver
        """A ready-made driver (from :func:`suite`) instead of an adapter function."""
        self.dialects = dialects
        self.name = name
        self.normalize = normalize
        self.options = dict(options)
        self.supports = supports
        self.classify = classify
        self.contract = contract
        """What the adapter declares (:mod:`harness.drivers.contract`); None: the protocol's."""
        self.__wrapped__ = fn
        self.__doc__ = fn.__doc__

    def __repr__(self) -> str:
        return f"<conformance {self.name!r} dialects={list(self.dialects)}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def drivers(self) -> list[Driver]:
        """One driver per dialect, named ``name`` (or ``name@dialect`` when there are several)."""
        if self.driver is not None:
            return [self.driver]
        several = len(self.dialects) > 1
        return [
            AdapterDriver.declare(self, dialect, f"{self.name}@{dialect}" if several else self.name)
            for dialect in self.dialects
        ]


def conformance(
    dialect: str | Sequence[str],
    *,
    name: str | None = None,
    normalize: NormalizeSpec | None = None,
    options: Mapping[str, JsonValue] | None = None,
    supports: Callable[[Scenario], str | None] | None = None,
    classify: Callable[[BaseException], ErrorEvent | None] | None = None,
    contract: Contract | None = None,
) -> Callable[[Adapter], Conformance]:
    """Declare ``fn(request, ctx)`` as an adapter to run every scenario of ``dialect`` through.

    ``name`` defaults to the function's name (``test_`` removed): the driver name in
    reports and baselines. ``options`` become ``ctx.options``. ``supports(scenario)``
    returns None or why the adapter cannot run it (the test is skipped as n/a).
    ``classify(exc)`` may map the adapter's own exceptions to an ``ErrorEvent`` (None: use
    harness's classifier). ``contract`` declares the adapter's retry policy, error types,
    end-of-stream rules and features (:class:`harness.drivers.contract.Contract`); the checks judge
    the adapter by it and every report lists how it deviates from the protocol.
    """
    dialects = (dialect,) if isinstance(dialect, str) else tuple(dialect)
    if not dialects or not all(isinstance(d, str) and d for d in dialects):
        raise ValueError(f"dialect must be a dialect name or a list of them (got {dialect!r})")
    from harness.dialects import dialect_names

    unknown = [d for d in dialects if d not in dialect_names()]
    if unknown:  # fail at declaration, not in every test
        known = ", ".join(dialect_names())
        raise ValueError(f"unknown dialect {unknown[0]!r} for @conformance; known: {known}")
    if isinstance(normalize, str):
        normalizer(normalize)

    def wrap(fn: Adapter) -> Conformance:
        if not callable(fn):
            raise TypeError(f"@conformance decorates a function (got {fn!r})")
        default = getattr(fn, "__name__", "adapter").removeprefix("test_")
        return Conformance(
            fn,
            dialects=dialects,
            name=name or default.replace("_", "-"),
            normalize=normalize,
            options=options or {},
            supports=supports,
            classify=classify,
            contract=contract,
        )

    return wrap


def suite(driver: str | Driver, *, contract: Contract | None = None) -> Conformance:
    """A registered driver (by name) or a Driver object as a suite the plugin collects.

    ``test_reference = suite("openai-sdk-chat")`` runs harness's own OpenAI SDK driver
    next to yours. ``contract`` replaces the driver's own declaration.
    """
    from harness.drivers.base import get_driver

    resolved = get_driver(driver) if isinstance(driver, str) else driver
    if contract is not None:
        resolved.contract = contract  # type: ignore[attr-defined]
    return Conformance(
        _no_adapter,
        dialects=(resolved.dialect,),
        name=resolved.name,
        normalize=None,
        options={},
        supports=None,
        classify=None,
        driver=resolved,
        contract=contract,
    )


def _no_adapter(*args: Any, **kwargs: Any) -> Any:
    raise TypeError("a suite built from a driver has no adapter function to call")


class AdapterDriver:
    """A :class:`~harness.drivers.base.Driver` that runs a declared adapter function.

    One subclass per declared name and dialect (:meth:`declare`), since a driver's name and
    dialect are class attributes.
    """

    name: ClassVar[str]
    dialect: ClassVar[str]
    declared: ClassVar[Conformance]
    http_library: ClassVar[str] = "httpx"
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str] = ""
    distributions: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def declare(cls, declared: Conformance, dialect: str, name: str) -> AdapterDriver:
        attrs: dict[str, Any] = {"name": name, "dialect": dialect, "declared": declared}
        if declared.contract is not None:
            attrs["contract"] = declared.contract
        made: type[AdapterDriver] = type(f"AdapterDriver[{name}]", (cls,), attrs)
        return made()

    def __repr__(self) -> str:
        return f"<AdapterDriver {self.name!r} ({self.dialect})>"

    def supports(self, scenario: Scenario) -> str | None:
        check = self.declared.supports
        return check(scenario) if check is not None else None

    def classify(self, exc: BaseException) -> ErrorEvent | None:
        custom = self.declared.classify
        return custom(exc) if custom is not None else None

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        """Call the adapter with the replay serving every client it creates."""
        from harness.transport import serving

        ctx.options = {**self.declared.options, **ctx.options}
        mapper = _make_normalizer(self.declared.normalize, self.name)
        with serving(ctx.replay):
            outputs = _outputs(self.declared.fn(ctx.scenario.request, ctx))
            try:
                async for item in outputs:
                    for event in mapper.feed(item):
                        yield event
            finally:
                await outputs.aclose()
            for event in mapper.close():
                yield event


async def _outputs(result: Any) -> AsyncGenerator[Any, None]:
    """Every item of whatever the adapter function gave: awaited, iterated, or as is."""
    if inspect.isawaitable(result):
        result = await result
    if hasattr(result, "__aiter__"):
        try:
            async for item in result:
                yield item
        finally:  # close the adapter's generator in this task, not at loop shutdown
            aclose = getattr(result, "aclose", None)
            if aclose is not None:
                await aclose()
    elif isinstance(result, str | bytes | Mapping) or not isinstance(result, Iterable):
        if result is not None:
            yield result
    else:
        for item in result:
            yield item
