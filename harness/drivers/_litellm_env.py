"""litellm hygiene shared by the litellm-based drivers: import it quietly and offline,
keep one run from leaking into the next.

- ``LITELLM_LOCAL_MODEL_COST_MAP=True`` is set before the first import; without it the
  import fetches a cost map from the internet.
- ``telemetry`` off, ``suppress_debug_info`` on (no "Give Feedback" banners on errors),
  ``disable_aiohttp_transport`` on so litellm's own HTTP calls go through httpx, where a
  replay transport can serve them.
- Per run: the client cache is flushed (litellm keeps clients for an hour, keyed by
  arguments, so a client bound to an earlier run's transport or loop could be reused), and
  the background logging worker litellm starts on the running loop is drained and stopped
  before the loop goes away.

None of this changes what litellm does with a request or a response.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

__all__ = ["flush_clients", "load_litellm", "settle"]


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

    A worker still bound to an earlier run's (closed) loop is left alone: litellm rebinds
    it on next use, and cancelling its tasks would need that closed loop.
    """
    try:
        from litellm.litellm_core_utils import logging_worker
    except ImportError:  # another litellm layout: nothing of ours to settle
        return
    worker: Any = logging_worker.GLOBAL_LOGGING_WORKER
    if getattr(worker, "_bound_loop", None) is not asyncio.get_running_loop():
        return
    await worker.clear_queue()
    await worker.stop()
