"""The environment lock (filelock) is exclusive across threads and says when it waits."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from harness.matrix.file_lock import locked


def test_a_second_holder_waits_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "openai-sdk-chat.lock"
    held, release = threading.Event(), threading.Event()
    entered: list[str] = []

    def first() -> None:
        with locked(path):
            entered.append("first")
            held.set()
            release.wait()

    def second() -> None:
        with locked(path):
            entered.append("second")

    a = threading.Thread(target=first)
    a.start()
    held.wait()
    b = threading.Thread(target=second)
    b.start()
    waited = ""
    while "waiting" not in waited and b.is_alive():  # the message comes before blocking
        waited += capsys.readouterr().err
        b.join(0.01)
    assert f"harness: waiting for another process building {tmp_path / 'openai-sdk-chat'}" in (
        waited
    )
    assert entered == ["first"]
    release.set()
    a.join()
    b.join()
    assert entered == ["first", "second"]
