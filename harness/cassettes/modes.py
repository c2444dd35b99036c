"""The record modes, defined once: the recorder, the ``harness record`` command and the
pytest plugin's ``--harness-record-mode`` take their choices and meaning from here.

Imports nothing but the standard library, so the plugin can read it at start-up.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

__all__ = ["RecordMode"]


class RecordMode(StrEnum):
    """When a cassette is recorded, as in vcrpy / pytest-recording.

    ================ ===============================================================
    ``none``         replay only: an existing cassette is served in order; nothing is recorded
    ``once``         record when the cassette does not exist yet, else behave like ``none``
    ``new_episodes`` serve recorded requests that match, record the others, append them
    ``all``          record everything and overwrite the cassette
    ================ ===============================================================

    Members are strings (``RecordMode.ONCE == "once"``), so the spellings of a command line,
    an ini file or a marker compare equal to them.
    """

    NONE = "none"
    ONCE = "once"
    NEW_EPISODES = "new_episodes"
    ALL = "all"

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every mode as spelled by users, in the table's order (for choices and messages)."""
        return tuple(mode.value for mode in cls)

    def replays_existing(self) -> bool:
        """Whether an existing cassette is only replayed (nothing recorded)."""
        return self in (RecordMode.NONE, RecordMode.ONCE)

    def records(self, cassette: Path) -> bool:
        """Whether a test with this mode talks to the real server for ``cassette``."""
        return not self.replays_existing() or (self is RecordMode.ONCE and not cassette.exists())
