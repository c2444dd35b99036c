"""What a fuzzing session changes in its process while it runs, and puts back after: the
heap that exists before it left out of the garbage collector's scans, and Hypothesis's
local constants switched off (so ``--seed`` repeats a run anywhere)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["frozen_heap", "no_local_constants"]


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Leave what exists before fuzzing (the imported SDK, Hypothesis) out of the cyclic
    garbage collector's scans while it runs: the examples allocate enough to trigger full
    collections, each walking every object of the process. Garbage made while fuzzing is
    collected as usual; :func:`gc.unfreeze` puts the rest back at the end."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def no_local_constants() -> Iterator[None]:
    """Hypothesis mixes literals from every local module in ``sys.modules`` into its draws,
    so one seed gives other examples in a pytest session than on the command line. Switch
    that off while fuzzing, so ``--seed`` repeats a run anywhere; on exit the cache of
    constants permitted per draw is as it was (other tests in the process do not pay to
    fill it again). (Hypothesis internals: if they move, fuzzing still works, only less
    repeatably across environments.)"""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants

        original = providers._get_local_constants
        cache = providers.CONSTANTS_CACHE.cache
    except (ImportError, AttributeError):
        yield
        return
    empty = Constants()
    providers._get_local_constants = lambda: empty
    saved = list(cache.items())  # drawn with the local constants: they serve again after
    cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.clear()
        cache.update(saved)
