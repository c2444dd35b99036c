"""A failing cell as a standalone Python file: the scenario's exact wire bytes served through
the adapter's own client seam (a small transport of ``httpx`` or ``httpx2``, the chunks as
literal bytes, cut where the script cuts them), the adapter called the way its driver calls
it (the driver's :class:`~harness.drivers.recipe.Recipe`), and one assertion per finding
(:mod:`harness.report.repro_assertions`). It imports nothing of harness, so a library's
maintainer can run it with only their library installed; it fails with an AssertionError
whose message is the finding's while the defect is there.
"""

from __future__ import annotations

import pprint
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.dialects.script import Exchange, HttpDate, Script
from harness.drivers.recipe import Recipe
from harness.report.repro_assertions import assertion_lines
from harness.vocab.findings import Finding

__all__ = ["Reproducer", "asserted_findings", "reproducer_source"]


@dataclass(frozen=True)
class Reproducer:
    """Everything one reproducer is written from."""

    driver: str
    scenario: str
    description: str
    script: Script
    findings: Sequence[Finding]
    recipe: Recipe
    base_url: str
    versions: Mapping[str, str]

    @property
    def command(self) -> str:
        return f"harness repro --driver {self.driver} --scenario {self.scenario}"

    @property
    def filename(self) -> str:
        return f"{self.driver}--{self.scenario}.py"


def asserted_findings(findings: Sequence[Finding], recipe: Recipe) -> list[Finding]:
    """The cell's error findings the reproducer asserts, one per code, the root (first)
    first; those the assertion table cannot express are left out."""
    seen: set[str] = set()
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: f.severity != "error"):
        if f.severity == "error" and f.code not in seen and assertion_lines(f, recipe):
            seen.add(f.code)
            out.append(f)
    return out


def reproducer_source(r: Reproducer) -> str:
    """The reproducer's Python source."""
    recipe = r.recipe
    http = recipe.http_library
    asserted = asserted_findings(r.findings, recipe)
    needs = ", ".join(f"{k} {v}" for k, v in r.versions.items())
    title = asserted[0].message if asserted else "(no finding to assert)"
    described = textwrap.fill(" ".join(r.description.split()), 92)
    parts = [
        f'"""{r.driver} x {r.scenario}: {_docstring_safe(title)}',
        "",
        _docstring_safe(described),
        "",
        f"Written by `{r.command}`; needs only {needs} (not harness).",
        "It serves the provider's reply byte for byte, in the chunks the client reads, through",
        "the client's own transport, and fails with an AssertionError while the defect is there.",
        '"""',
        "",
        "from __future__ import annotations  # the helpers' annotations are never evaluated",
        "",
        *([] if recipe.sync else ["import asyncio"]),
        "import json",
        "",
        *_imports(recipe),
        "",
        f"BASE_URL = {r.base_url!r}",
        'API_KEY = "sk-test-not-a-real-key"',
        "",
        "# The call, as the application (and harness's driver) makes it.",
        "REQUEST = " + pprint.pformat(dict(recipe.request), width=92, sort_dicts=False),
        "",
        *_exchanges(r.script, http),
        *_server(http, sync=recipe.sync),
        *_sleeps(recipe),
        "",
        "def parsed(arguments):",
        '    """Tool-call arguments as JSON, or None when they are not JSON."""',
        "    try:",
        "        return json.loads(arguments)",
        "    except (TypeError, ValueError):",
        "        return None",
        "",
        "",
        "def qualname(obj):",
        '    return f"{type(obj).__module__}.{type(obj).__qualname__}"',
        "",
        "",
        "def causes(exc):",
        '    """`exc`, then what it wraps (its causes and contexts), each once."""',
        "    seen, pending = [], [exc]",
        "    while pending:",
        "        link = pending.pop(0)",
        "        if link is not None and all(link is not s for s in seen):",
        "            seen.append(link)",
        "            pending += [link.__cause__, link.__context__]",
        "    return seen",
        "",
        "",
        "def class_names(exc):",
        '    """The names of the classes of `exc` and of what it wraps."""',
        "    return {c.__name__ for link in causes(exc) for c in type(link).__mro__}",
        "",
        "",
    ]
    if recipe.helpers:
        parts += [recipe.helpers.rstrip(), "", ""]
    run = "call(server, out)" if recipe.sync else "await call(server, out)"
    parts += [
        f"{_async(recipe)}def call(transport, out):",
        '    """The adapter called as harness\'s driver calls it; what it yields, into `out`."""',
        textwrap.indent(recipe.call.rstrip(), "    "),
        "",
        "",
        f"{_async(recipe)}def main():",
        "    out = {",
        '        "text": "", "reasoning": "", "refusal": "", "tool_calls": [],',
        '        "finish": None, "usage": None, "error": None,',
        "    }",
        "    server = Server()",
        "    try:",
        f"        {run}",
        "    except Exception as exc:  # what the adapter raised is part of what it did",
        '        out["error"] = exc',
        '    out["requests"] = server.requests',
        '    out["hung"] = server.hung',
        '    out["refused"] = server.refused',
        "    return out",
        "",
        "",
        'if __name__ == "__main__":',
        *(f"    {sleep} = no_wait" for sleep in _sleep_names(recipe)),
        "    out = main()" if recipe.sync else "    out = asyncio.run(main())",
        "    for key, value in out.items():",
        '        print(f"{key}: {value!r}")',
        "",
    ]
    for f in asserted:
        lines = assertion_lines(f, recipe) or []
        parts += [textwrap.indent(line, "    ") for line in lines]
    return "\n".join(parts) + "\n"


def _docstring_safe(text: str) -> str:
    """``text`` as it reads inside the file's docstring: its backslashes escaped (a
    scenario may quote a JSON escape), and no closing quotes."""
    return text.replace("\\", "\\\\").replace('"""', "'''")


def _sleep_names(recipe: Recipe) -> tuple[str, ...]:
    """The module attributes the file replaces by ``no_wait`` (``anyio.sleep``...)."""
    return (recipe.retry_sleep, *recipe.other_sleeps)


def _imports(recipe: Recipe) -> list[str]:
    """The recipe's imports, and those of the modules whose sleep the file replaces."""
    lines = recipe.imports.rstrip().splitlines()
    done = {"json"} if recipe.sync else {"asyncio", "json"}  # imported above them
    sleeps = _sleep_names(recipe) + (("time.sleep",) if recipe.sync else ())
    for module in dict.fromkeys(name.rsplit(".", 1)[0] for name in sleeps):
        if module not in done and not any(line.strip() == f"import {module}" for line in lines):
            lines.append(f"import {module}")
    return lines


def _exchanges(script: Script, http: str) -> list[str]:
    lines = [
        "# What the server sends, one entry per request in order: status, headers, the body in",
        "# the chunks the client reads, and how the body ends: 'close' normally, 'cut' as a",
        "# dropped connection, 'stall' as a server that sends nothing more (the client's read",
        "# timeout then fires, raised at once here; with no read timeout set, the client would",
        "# wait forever: noted, and ended at once), 'reset' as no response at all.",
    ]
    lines += _waits(script)
    lines.append("EXCHANGES = [")
    for ex in script.exchanges:
        lines += ["    (", f"        {ex.status},", "        ["]
        for name, value in ex.headers:
            shown = f"http_date({value.seconds!r})" if isinstance(value, HttpDate) else repr(value)
            lines.append(f"            ({name!r}, {shown}),")
        lines += ["        ],", "        ["]
        for chunk in ex.chunks:
            lines += _chunk(chunk.data)
        lines += ["        ],", f"        {ex.end!r},", "    ),"]
    lines += ["]", "", ""]
    if any(isinstance(v, HttpDate) for ex in script.exchanges for _, v in ex.headers):
        lines = [
            "def http_date(seconds):",
            '    """An HTTP date `seconds` from now (a Retry-After in its date form)."""',
            "    import email.utils",
            "    import time",
            "",
            "    return email.utils.formatdate(time.time() + seconds, usegmt=True)",
            "",
            "",
            *lines,
        ]
    return lines


def _waits(script: Script) -> list[str]:
    """A comment naming the scripted pauses the file leaves out (real time, not virtual)."""
    pauses = []
    for n, ex in enumerate(script.exchanges, start=1):
        if ex.delay:
            pauses.append(f"{ex.delay:g} s before reply {n}")
        pauses += [
            f"{c.delay:g} s before chunk {i} of reply {n}"
            for i, c in enumerate(ex.chunks, start=1)
            if c.delay
        ]
    if not pauses:
        return []
    return [
        "# The script's pauses are left out (this finding does not depend on them): "
        + "; ".join(pauses)
        + "."
    ]


def _chunk(data: bytes) -> list[str]:
    """One chunk: adjacent bytes literals, a line each, so the events stay readable."""
    pieces = [p for p in data.splitlines(keepends=True)] or [b""]
    if len(pieces) == 1:
        return [f"            {pieces[0]!r},"]
    return ["            ("] + [f"                {p!r}" for p in pieces] + ["            ),"]


def _async(recipe: Recipe) -> str:
    return "" if recipe.sync else "async "


def _server(http: str, *, sync: bool = False) -> list[str]:
    a, aw = ("", "") if sync else ("async ", "await ")
    stream, transport = (
        ("SyncByteStream", "BaseTransport") if sync else ("AsyncByteStream", "AsyncBaseTransport")
    )
    return [
        "class Stalled(Exception):",
        '    """The server sent nothing more and the client set no read timeout: a real client',
        '    would wait here forever (raised at once instead, and noted in Server.hung)."""',
        "",
        "",
        f"class Body({http}.{stream}):",
        "    def __init__(self, chunks, end, request, server):",
        "        self.chunks, self.end, self.request, self.server = chunks, end, request, server",
        "",
        f"    {a}def {'__iter__' if sync else '__aiter__'}(self):",
        "        for chunk in self.chunks:",
        "            yield chunk",
        '        if self.end == "cut":  # what the client raises when the peer closes mid-body',
        f"            raise {http}.RemoteProtocolError(",
        '                "peer closed connection without sending complete message body "',
        '                "(incomplete chunked read)",',
        "                request=self.request,",
        "            )",
        '        if self.end == "stall":',
        "            if read_timeout(self.request) is None:  # nothing would ever end the wait",
        "                self.server.hung.append(self.server.requests)",
        "                raise Stalled(",
        '                    f"request {self.server.requests}: the server stopped sending and "',
        '                    "the client set no read timeout: a real client would wait forever"',
        "                )",
        "            # what the client raises once its read timeout passes (at once here)",
        f"            raise {http}.ReadTimeout(",
        '                "The read operation timed out", request=self.request',
        "            )",
        "",
        "",
        "def read_timeout(request):",
        '    """The read timeout the client set on `request` (None: it waits forever)."""',
        '    return (request.extensions.get("timeout") or {}).get("read")',
        "",
        "",
        f"class Server({http}.{transport}):",
        '    """Answers each request with the next of EXCHANGES; `hung` lists the requests',
        '    whose reply stalled while the client had set no read timeout."""',
        "",
        "    def __init__(self):",
        "        self.requests = 0",
        "        self.hung = []",
        "        self.refused = 0  # requests past the last reply",
        "",
        f"    {a}def {'handle_request' if sync else 'handle_async_request'}(self, request):",
        f"        {aw}request.{'read' if sync else 'aread'}()",
        "        if self.requests >= len(EXCHANGES):",
        "            self.refused += 1",
        "            raise RuntimeError(",
        '                f"request {self.requests + 1} was not expected: the server has "',
        '                f"{len(EXCHANGES)} replies"',
        "            )",
        "        status, headers, chunks, end = EXCHANGES[self.requests]",
        "        self.requests += 1",
        '        if end == "reset":',
        f"            raise {http}.RemoteProtocolError(",
        '                "Server disconnected without sending a response.", request=request',
        "            )",
        "        body = Body(chunks, end, request, self)",
        f"        return {http}.Response(status, headers=headers, stream=body, request=request)",
        "",
        "",
    ]


def _sleeps(recipe: Recipe) -> list[str]:
    sync = recipe.sync
    waits = " and ".join(_sleep_names(recipe))
    lines = [
        "SLEPT = []",
        # what no_wait yields with: not a replaced one (anyio's asyncio backend, imported
        # on first use, binds asyncio.sleep as it is then)
        "real_sleep = time.sleep" if sync else "real_sleep = asyncio.sleep",
        "",
        "",
        f"{'' if sync else 'async '}def no_wait(seconds, *args, **kwargs):",
        f'    """Instead of {waits}, the library\'s wait between attempts: note the wait',
        '    and skip it, so a long Retry-After costs no time (SLEPT lists what it asked)."""',
        "    SLEPT.append(float(seconds))",
    ]
    return [*lines, "    real_sleep(0)" if sync else "    await real_sleep(0)", ""]


def exchange_summary(ex: Exchange) -> str:
    """One line per exchange for a bug report: status, size, how it ends."""
    return f"HTTP {ex.status}, {len(ex.body)} bytes in {len(ex.chunks)} chunks, ends {ex.end!r}"
