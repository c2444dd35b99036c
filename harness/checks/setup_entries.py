"""The catalogue's entries for cells harness could not run as scripted (``setup-*``, made by
:mod:`harness.run.setup_errors`) and for the ``adapter-hung`` finding of a cell ended by its
budget; :mod:`harness.checks.catalogue` lists them after the checks' own codes.
"""

from __future__ import annotations

from harness.vocab.codes import Code
from harness.vocab.findings import Severity

__all__ = ["SETUP_ENTRIES"]

SETUP_ENTRIES: list[tuple[Code, Severity, str, str, str, str]] = [
    # (code, severity, check, title, why, fix)
    (
        Code.SETUP_OWN_TRANSPORT,
        "error",
        "setup",
        "The adapter's HTTP client did not use harness's transport (the network guard "
        "stopped it before the first scripted exchange).",
        "Replay works by serving the adapter's HTTP client from a script. A client that passes "
        "its own transport (socket options, a proxy, a custom HTTPTransport), or that was built "
        "before the test (at import, or cached), opens a real connection instead, which the "
        "network guard blocks. Nothing the adapter did was judged: this is not a finding.",
        "Build the client inside the adapter function with harness's transport: "
        "`http_client=httpx.AsyncClient(transport=ctx.transport())` (or `ctx.transport('httpx2')`"
        "); if it must keep its own transport, wrap it so the driver can pass "
        "`ctx.transport()` in tests. Do not build clients at import time.",
    ),
    (
        Code.SETUP_STALE_CLIENT,
        "error",
        "setup",
        "A client built before this cell (cached from an earlier one) sent the requests.",
        "A module-level or lru_cache'd client keeps the transport of the cell it was built in, "
        "so its requests reach that cell's replay, which is over; this cell's script is never "
        "served and nothing about the adapter can be concluded.",
        "Build the client per call inside the adapter function, or clear the cache between "
        "tests (`get_client.cache_clear()`), or pass `http_client=` built from `ctx.transport()`.",
    ),
    (
        Code.SETUP_DRIVER_ERROR,
        "error",
        "setup",
        "The driver wrapper itself raised: harness's code around the adapter failed.",
        "The exception started in the driver (harness's or your @conformance function's "
        "normalization), not in the adapter: an import that failed, an attribute the wrapper "
        "expected on the adapter's output. It says nothing about the adapter.",
        "Read the traceback in the cell's reason; fix the driver (or report it as a harness "
        "bug for a built-in driver); install the adapter's extra if an import failed.",
    ),
    (
        Code.SETUP_DECLARATION,
        "error",
        "setup",
        "The @conformance declaration does not fit what the adapter produces.",
        "Without a normalizer the adapter function must yield harness events; it yielded "
        "something else, so nothing could be checked.",
        "Pass normalize='openai-chat', a Normalizer class or a function item -> events to "
        "@conformance, or yield harness.vocab.events objects.",
    ),
    (
        Code.SETUP_NOT_INSTALLED,
        "error",
        "setup",
        "The driver's adapter is not installed in the environment that runs it.",
        "The adapter could not be imported, so the cell could not run.",
        "Install the driver's extra (`pip install 'llm-adapter-harness[EXTRA]'`, named in "
        "the reason), "
        "or leave the driver out with --driver.",
    ),
    (
        Code.SETUP_ENVIRONMENT,
        "error",
        "setup",
        "The driver's own environment could not be built or found.",
        "Drivers with pinned dependencies run in an environment of their own (HARNESS_ENVS_DIR);"
        " building it failed, so no cell of the driver could run.",
        "Read the reason (the failing step), fix it, and run again; `make envs` rebuilds.",
    ),
    (
        Code.SETUP_WORKER_CRASHED,
        "error",
        "setup",
        "The worker process running the cell died before reporting it.",
        "A crash of the interpreter (a segfault in an extension, os._exit, an out-of-memory "
        "kill) ends the process; only the cell it was running is lost, the matrix goes on.",
        "Run the cell alone (`harness run SCENARIO --driver NAME`) to see the crash; the "
        "reason quotes the worker's last stderr line.",
    ),
    (
        Code.SETUP_HARNESS_ERROR,
        "error",
        "setup",
        "harness itself failed while running the cell (a bug in harness).",
        "An exception escaped harness's own code, outside the adapter and the driver.",
        "Report it with the traceback from the cell's reason.",
    ),
    (
        Code.ADAPTER_HUNG,
        "error",
        "budget",
        "The adapter did not finish within the cell's budget of virtual or wall time.",
        "A call that never returns hangs its caller: an endless poll or retry loop keeps "
        "waiting (virtual budget, default 3600 s), a busy loop or a wait on something that "
        "never happens never returns (wall budget, default 60 s). The stack shows where the "
        "adapter was when it was ended.",
        "Bound every loop: cap attempts and total time, give every wait a timeout, and raise "
        "when the budget is spent. If the adapter legitimately waits longer, raise the budget "
        "(--virtual-budget / --wall-budget, harness_virtual_budget / harness_wall_budget).",
    ),
]
