"""Suggestions for a mistyped name ("did you mean ...?"): the closest known names.

Every lookup by name (drivers, dialects, scenario ids, finding codes) ends its error with
these suggestions, so a typo costs one glance instead of reading a list of thirty names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]


def closest(word: str, known: Iterable[str], *, n: int = 3) -> list[str]:
    """Up to ``n`` known names most like ``word``: spelling neighbours (difflib) first, then
    names that contain it (``litellm`` -> ``litellm-chat``)."""
    names = sorted(set(known))
    found = difflib.get_close_matches(word, names, n=n, cutoff=0.6)
    lowered = word.lower()
    for name in names:
        if len(found) >= n:
            break
        if name not in found and len(lowered) >= 3 and lowered in name.lower():
            found.append(name)
    return found


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``"; did you mean 'a' or 'b'?"`` to end an error message, or ``""`` if nothing is close."""
    found = closest(word, known)
    if not found:
        return ""
    quoted = [repr(name) for name in found]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"; did you mean {listed}?"
