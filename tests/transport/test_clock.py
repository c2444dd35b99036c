"""Virtual time: sleeps cost nothing in the bound thread and loop, and are real elsewhere."""

from __future__ import annotations

import asyncio
import threading
import time

import anyio
import pytest

from harness.transport.clock import Clock, ClockError, new_virtual_loop, run

REAL = (time.sleep, time.time, time.monotonic, time.perf_counter)


def test_sleeps_advance_the_clock_and_never_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    slept = real_sleeps(monkeypatch)

    async def main() -> str:
        await asyncio.sleep(30)
        time.sleep(30)
        await anyio.sleep(120)
        return "done"

    assert clock.run(main) == "done"
    assert clock.elapsed() == 180  # exactly what was waited for, nothing of the work between
    assert set(slept) <= {0}  # the driver thread never slept for real


def real_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every real ``time.sleep`` the clock makes from now on (only zero-second yields)."""
    import harness.transport.clock

    calls: list[float] = []

    def record(seconds: float) -> None:
        calls.append(seconds)
        REAL[0](seconds)

    monkeypatch.setattr(harness.transport.clock, "_real_sleep", record)
    return calls


def test_work_between_waits_costs_no_virtual_time() -> None:
    clock = Clock()
    with clock.installed():
        before = time.monotonic()
        end = time.perf_counter() + 0.05
        while time.perf_counter() < end:  # real CPU work
            pass
        assert time.monotonic() == before
        time.sleep(2)
        assert time.monotonic() == before + 2
    assert clock.elapsed() == 2


def test_installed_patches_time_for_the_bound_thread_only() -> None:
    clock = Clock()
    seen: dict[str, float] = {}

    def background() -> None:
        time.sleep(0.01)
        seen["time"] = time.time()

    with clock.installed():
        before = time.time()
        time.sleep(3600)
        assert time.time() - before == 3600
        thread = threading.Thread(target=background)
        thread.start()
        thread.join()
    assert clock.elapsed() == 3600, "the background thread's sleep moved the clock"
    assert seen["time"] < clock.time() - 3000, "the background thread saw virtual time"


def test_restores_time_functions_even_on_error() -> None:
    clock = Clock()
    with pytest.raises(KeyError), clock.installed():
        assert time.sleep is not REAL[0]
        raise KeyError("boom")
    assert (time.sleep, time.time, time.monotonic, time.perf_counter) == REAL


def test_nesting_same_clock_is_fine_another_clock_is_refused() -> None:
    clock = Clock()
    with clock.installed():
        with clock.installed():
            time.sleep(1)
        time.sleep(1)  # still virtual after the inner exit
        with pytest.raises(ClockError, match="already installed"), Clock().installed():
            pass
    assert clock.elapsed() >= 2
    assert time.sleep is REAL[0]


def test_call_later_keeps_order_on_virtual_time() -> None:
    clock = Clock()
    fired: list[tuple[str, float]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        loop.call_later(20, lambda: fired.append(("late", clock.elapsed())))
        loop.call_later(10, lambda: fired.append(("early", clock.elapsed())))
        loop.call_later(30, done.set_result, None)
        await done

    clock.run(main)
    assert [name for name, _ in fired] == ["early", "late"]
    assert [at for _, at in fired] == [10, 20]


def test_executor_threads_are_waited_for_in_real_time() -> None:
    clock = Clock()

    async def main() -> str:
        loop = asyncio.get_running_loop()

        def slow() -> str:
            time.sleep(0.05)  # a worker thread: real time
            return "thread"

        return await asyncio.wait_for(loop.run_in_executor(None, slow), timeout=5)

    assert clock.run(main) == "thread"
    assert clock.elapsed() < 5


def test_run_cancels_pending_tasks_and_closes_the_loop() -> None:
    clock = Clock()
    state: dict[str, object] = {}

    async def forever() -> None:
        try:
            await asyncio.sleep(10**6)
        except asyncio.CancelledError:
            state["cancelled"] = True
            raise

    async def main() -> None:
        state["task"] = asyncio.create_task(forever())
        state["loop"] = asyncio.get_running_loop()
        await asyncio.sleep(0)

    run(main, clock)
    assert state["cancelled"] is True
    loop = state["loop"]
    assert isinstance(loop, asyncio.AbstractEventLoop) and loop.is_closed()
    assert time.sleep is REAL[0]


def test_virtual_loop_time_is_the_clock() -> None:
    clock = Clock()
    loop = new_virtual_loop(clock)
    try:
        clock.advance(42)
        assert loop.time() == clock.monotonic()
    finally:
        loop.close()


def test_a_clock_cannot_go_back() -> None:
    with pytest.raises(ValueError, match="cannot go back"):
        Clock().advance(-1)
