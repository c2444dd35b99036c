"""litellm hygiene for harness drivers, built-in and yours: import litellm quietly and
offline, keep one run from leaking into the next. Every built-in litellm driver uses it;
a user driver or ``@conformance`` adapter on litellm wraps its call in :func:`litellm_run`
and gets the same clean runs (no client-cache reuse across runs, no aiohttp transport the
replay cannot serve, no logging task left on the loop)::

    from harness.drivers.litellm_hygiene import litellm_run

    @conformance(dialect="openai-chat", normalize="openai-chat")
    async def my_litellm_adapter(request, ctx):
        async with litellm_run() as litellm:
            stream = await litellm.acompletion(model="openai/" + request.model, ...)
            async for chunk in stream:
                yield chunk

- ``LITELLM_LOCAL_MODEL_COST_MAP=True`` is set before the first import; without it the
  import fetches a cost map from the internet.
- ``telemetry`` off, ``suppress_debug_info`` on (no "Give Feedback" banners on errors),
  ``disable_aiohttp_transport`` on so litellm's own HTTP calls go through httpx, where a
  replay transport can serve them.
- Per run: the client cache is flushed (litellm keeps clients for an hour, keyed by
  arguments, so a client bound to an earlier run's transport or loop could be reused), and
  the background logging worker litellm starts on the running loop is drained and stopped
  before the loop goes away.

- :func:`serving_handlers`: for providers whose handlers build their own httpx clients
  (Azure AI Agents), the replay transport goes in where litellm picks a transport for them.

None of this changes what litellm does with a request or a response.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from typing import Any

__all__ = ["flush_clients", "litellm_run", "load_litellm", "serving_handlers", "settle"]


def load_litellm() -> Any:
    """Import litellm offline and quiet; the module is returned."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    litellm.disable_aiohttp_transport = True
    return litellm


def flush_clients() -> None:
    """Forget every client litellm cached (they may hold another run's transport)."""
    import litellm

    cache: Any = litellm.in_memory_llm_clients_cache
    cache.flush_cache()


async def settle() -> None:
    """Run what litellm's logging worker queued on this loop, then stop it.

    litellm hands success logging to a task (``asyncio.create_task``) that enqueues a
    coroutine on its global worker; one loop turn lets that task run first. Left queued
    when the loop closes, the coroutine would be dropped un-awaited on the next run. A
    worker still bound to an earlier run's (closed) loop is left alone: litellm rebinds it
    on next use, and cancelling its tasks would need that closed loop.
    """
    await asyncio.sleep(0)
    try:
        from litellm.litellm_core_utils import logging_worker
    except ImportError:  # another litellm layout: nothing of ours to settle
        return
    worker: Any = logging_worker.GLOBAL_LOGGING_WORKER
    if getattr(worker, "_bound_loop", None) is not asyncio.get_running_loop():
        return
    await worker.clear_queue()
    await worker.stop()


@contextmanager
def serving_handlers(transport: Any) -> Iterator[None]:
    """litellm's own HTTP handlers are served by ``transport`` inside; undone on exit.

    The seam (DESIGN.md, "Seams"): the client cache is flushed and litellm's module-level
    handlers forgotten, ``AsyncHTTPHandler._create_async_transport`` (where every async
    handler, and its reconnect-and-retry path, picks a transport) returns ``transport``,
    and ``litellm.sync_transport`` (what ``HTTPHandler`` uses) is set. On exit both are put
    back, the cache flushed and the module-level handlers forgotten again, so no cached
    client keeps pointing at this run's replay.
    """
    import litellm
    from litellm.llms.custom_httpx import http_handler

    handler: Any = http_handler.AsyncHTTPHandler
    saved_async = handler.__dict__["_create_async_transport"]
    had_sync = "sync_transport" in vars(litellm)
    saved_sync = getattr(litellm, "sync_transport", None)

    def _create_async_transport(*args: Any, **kwargs: Any) -> Any:
        return transport

    flush_clients()
    _forget_module_clients(litellm)
    handler._create_async_transport = staticmethod(_create_async_transport)
    litellm.sync_transport = transport
    try:
        yield
    finally:
        handler._create_async_transport = saved_async
        if had_sync:
            litellm.sync_transport = saved_sync
        else:
            del litellm.sync_transport
        flush_clients()
        _forget_module_clients(litellm)


_MODULE_CLIENTS = ("module_level_aclient", "module_level_client")
"""litellm's module-level handlers, built lazily once and kept in its globals
(``litellm/_lazy_imports.py:419-447``); streaming routes without a client of their own
send with them (``litellm/litellm_core_utils/streaming_handler.py:1973-1982``: Gemini's)."""


def _forget_module_clients(litellm: Any) -> None:
    """Drop litellm's module-level handlers, so the next use builds them afresh (inside a
    run: on that run's transport; never one an earlier run built)."""
    for name in _MODULE_CLIENTS:
        vars(litellm).pop(name, None)


@asynccontextmanager
async def litellm_run(transport: Any = None) -> AsyncIterator[Any]:
    """One clean litellm run: litellm loaded offline and quiet (yielded), its client cache
    flushed before and after, its logging worker settled on exit. ``transport``: also serve
    litellm's own HTTP handlers with it (providers whose handlers build their own clients,
    see :func:`serving_handlers`); clients built with no transport are served by the
    replay anyway."""
    litellm = load_litellm()
    flush_clients()
    try:
        with serving_handlers(transport) if transport is not None else nullcontext():
            yield litellm
    finally:
        await settle()
        flush_clients()
