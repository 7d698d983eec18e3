"""The verdict words, in one place.

A finding's verdict is a :class:`Verdict`: ``camera`` or ``suspect`` (a score below the
suspect threshold is no finding: ``None``). A sweep's verdict is upper case: ``CAMERA``
or ``SUSPECT`` (the most alarming of its findings', whatever was covered), else
``CLEAR`` only when the sweep heard everything it was set to hear, and ``INCOMPLETE``
when it did not (a band no receive path reaches, a channel that would not tune, a
capture that heard nothing, a sweep stopped early). Observations of what was
heard but is no finding say ``clear``. These words are the JSON contracts of
``analyze``, ``history`` and MQTT; :class:`Verdict` is a ``StrEnum``, so it is written
and compared as the plain word.
"""
from __future__ import annotations

import enum
from typing import Iterable, Optional


class Verdict(enum.StrEnum):
    """A finding's (or an observation's) verdict, mildest first."""

    CLEAR = "clear"
    SUSPECT = "suspect"
    CAMERA = "camera"

    @property
    def word(self) -> str:
        """The sweep-level word: CLEAR, SUSPECT, CAMERA."""
        return self.value.upper()

    @classmethod
    def parse(cls, text) -> "Verdict":
        """A verdict from its word in either case (ValueError for anything else)."""
        return cls(str(text).lower())


CAMERA, SUSPECT, CLEAR = Verdict.CAMERA, Verdict.SUSPECT, Verdict.CLEAR
INCOMPLETE = "INCOMPLETE"
#: sweep-level words, mildest first: a finding outranks missing coverage
SWEEP_ORDER = ("CLEAR", INCOMPLETE, "SUSPECT", "CAMERA")


def for_score(score: float, camera_score: float, suspect_score: float) -> Optional[Verdict]:
    """A finding's verdict for a detector score, or None (no finding)."""
    if score >= camera_score:
        return CAMERA
    if score >= suspect_score:
        return SUSPECT
    return None


def rank(verdict: Optional[str]) -> int:
    """Higher is more alarming: clear (or none), incomplete, suspect, camera; either case."""
    return SWEEP_ORDER.index(verdict.upper()) if verdict and verdict.upper() in SWEEP_ORDER else 0


def of_findings(verdicts: Iterable[Optional[str]]) -> str:
    """The sweep verdict over findings' verdicts: CAMERA, SUSPECT or CLEAR."""
    return SWEEP_ORDER[max((rank(v) for v in verdicts), default=0)]


def worst(*sweep_verdicts: str) -> str:
    """The most alarming of sweep verdicts (CLEAR when there are none)."""
    return of_findings(sweep_verdicts)


def covered(verdict: str, gaps) -> str:
    """A sweep verdict from its findings' and what it could not cover: CLEAR becomes
    INCOMPLETE when anything is missing; CAMERA and SUSPECT stand either way."""
    return INCOMPLETE if verdict == "CLEAR" and gaps else verdict
