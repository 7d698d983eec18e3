"""Self-test probes: is a piece of the device there, and if not, what to do.

Each subsystem provides a ``probe`` next to the code that opens its hardware (the RF
sources, the Wi-Fi adapter, the panel, the pins, the history, the broker), so the
self-test checks a piece the way the daemon will use it. A probe returns a
:class:`Check`, looks without taking anything over (safe while the daemon runs) and
never raises: :func:`guarded` turns a bug in a probe into a MISSING line.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional


@dataclass(frozen=True)
class Check:
    """One piece of the device: present or not, what was seen, and how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: Optional[str] = None
    #: the sweep this piece makes possible ("RF sweep"), when it is a detection path
    detects: Optional[str] = None

    @property
    def status(self) -> str:
        return "OK" if self.ok else "MISSING"


def guarded(name: str, fn: Callable[[], Check]) -> Check:
    """Run one probe; a bug in it becomes a MISSING line, never a traceback."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 (the self-test must always finish its report)
        return Check(name, False, f"the check itself failed: {type(exc).__name__}: {exc}",
                     "report this as a Sweeper bug, with the line above")
