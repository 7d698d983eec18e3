"""Room labels as a venue uses them: a typo is caught, not silently a new room.

Staff type ``--room Room101`` where the venue has "Room 101"; the sweep would start a
room of its own, with no baseline, and ``history --room`` / ``report --room`` would then
print nothing and succeed. So a label is checked against the rooms the venue declares
(``venue.room`` and ``venue.rooms``) and, for history and reports, the rooms it has
sweeps of. Labels that differ only in case and spaces are the same room mistyped.
"""
from __future__ import annotations

import difflib
from typing import Iterable, List

from sweeper.errors import InputError, terminal_safe


def _norm(label: str) -> str:
    return "".join(label.lower().split())


def _suggest(label: str, known: List[str]) -> str:
    by_norm = {_norm(k): k for k in known}
    close = difflib.get_close_matches(_norm(label), list(by_norm), n=1, cutoff=0.6)
    return f"did you mean {by_norm[close[0]]!r}? " if close else ""


def _listed(known: List[str]) -> str:
    shown = ", ".join(repr(k) for k in known[:8])
    return shown + (f" and {len(known) - 8} more" if len(known) > 8 else "")


def declared(venue) -> List[str]:
    """The rooms the configuration names (venue.room, then venue.rooms), without blanks."""
    return [r for r in dict.fromkeys((venue.room, *venue.rooms)) if r]


def check_sweep_room(label: str, venue) -> str:
    """A room to label a new sweep with. With ``venue.rooms`` set, only those (and
    ``venue.room``); without, any label, except one that is a known room mistyped in case
    or spaces. InputError (exit 2) with a suggestion otherwise."""
    known = declared(venue)
    if label in known:
        return label
    same = [k for k in known if _norm(k) == _norm(label)]
    if same:
        raise InputError(f"room {terminal_safe(label)!r} is not configured: did you mean {same[0]!r}?")
    if venue.rooms:
        raise InputError(f"room {terminal_safe(label)!r} is not one of venue.rooms: {_suggest(label, known)}"
                         f"(rooms: {_listed(known)}; add it to venue.rooms for a new room)")
    return label


def check_history_room(label: str, rooms: Iterable[str]) -> str:
    """A room to filter history or a report by: one the history has sweeps of, else
    InputError (exit 2) naming the closest and the rooms there are."""
    known = list(rooms)
    if label in known:
        return label
    if not known:
        raise InputError(f"no sweeps of room {terminal_safe(label)!r}: the history has no sweeps yet")
    raise InputError(f"no sweeps of room {terminal_safe(label)!r}: {_suggest(label, known)}"
                     f"(rooms in the history: {_listed(known)})")
