"""What leads a walking user to a transmitter: raw readings in, bar, peak and trend out.

A raw "-51 dBm" says nothing on its own: the number a transmitter gives depends on its
power, its antenna and the walls, so the same reading is near for one and far for
another. What leads is change. :class:`LeadMeter` turns the readings a locator gives
(dB, several a second, or None when the target was not heard) into:

- **a bar that moves at any distance** (auto-ranging): the scale is set around the
  first reading, RANGE_BELOW_DB under it and RANGE_ABOVE_DB over it, and widens when a
  reading falls outside. A faint camera across a hall moves the bar as much per step as
  a loud one in the next room would.
- **a peak-hold mark**: the strongest (smoothed) reading so far, where the user was
  closest; walking past it and coming back is how a hidden device is pinned down.
- **a trend**: "closer" / "farther" from the least-squares slope of the readings over
  the last TREND_WINDOW_S, when it is both steep (at least TREND_DB_PER_S) and clear of
  its own noise (at least TREND_T standard errors). Received power jitters by several
  dB as a body moves (multipath), so one reading to the next means nothing, and a bare
  slope threshold over a short window calls a still hand "farther" one time in five
  (tests/test_device_locating.py keeps the false leads rare).

:class:`LeadMeter` is pure (the caller passes the time, so tests feed a walk as arrays);
:class:`Readings` is the thread that reads a locator or the signal meter several times a
second for the daemon.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Deque, Optional, Tuple

import numpy as np

#: the bar's scale around the first reading: room to come closer (most of it) and some
#: to back off
RANGE_BELOW_DB = 6.0
RANGE_ABOVE_DB = 24.0
#: smoothing time constant (an exponential average) against multipath flicker
SMOOTH_S = 0.5
#: the trend's window, the slope that counts as moving, and how many standard errors
#: clear of zero it must be
TREND_WINDOW_S = 3.0
TREND_DB_PER_S = 1.5
TREND_T = 2.5
#: readings needed (spanning at least half the window) before a trend is shown
TREND_MIN_READINGS = 6

CLOSER = "\u25b2 closer"
FARTHER = "\u25bc farther"
STEADY = "steady"


@dataclass(frozen=True)
class Lead:
    """One update for the screen and the ticker."""

    level: float            # 0..1 on the auto-ranged scale (0 when not heard)
    peak: Optional[float]   # 0..1, the strongest so far on the same scale
    trend: str              # CLOSER, FARTHER, STEADY or "" (too early / not heard)
    text: str               # the reading as shown: "-51 dBm", "not heard"
    value_db: Optional[float]  # the smoothed reading
    span_db: Tuple[float, float]  # the scale, for logs and tests


class LeadMeter:
    """Feed :meth:`update` each reading; it keeps the scale, the peak and the trend."""

    def __init__(self, unit: str = "dB"):
        self.unit = unit
        self._lo: Optional[float] = None
        self._hi: Optional[float] = None
        self._smooth: Optional[float] = None
        self._last_t: Optional[float] = None
        self._peak_db: Optional[float] = None
        self._recent: Deque[Tuple[float, float]] = deque()

    def update(self, t: float, value_db: Optional[float]) -> Lead:
        if value_db is None or not math.isfinite(value_db):
            self._recent.clear()  # a gap breaks the trend; the scale and the peak stay
            self._last_t = None
            return Lead(0.0, self._scaled(self._peak_db), "", "not heard", None, self._span())
        value_db = float(value_db)
        if self._smooth is None or self._last_t is None:
            self._smooth = value_db
        else:
            a = 1.0 - math.exp(-max(0.0, t - self._last_t) / SMOOTH_S)
            self._smooth += a * (value_db - self._smooth)
        self._last_t = t
        if self._lo is None:
            self._lo, self._hi = value_db - RANGE_BELOW_DB, value_db + RANGE_ABOVE_DB
        self._lo = min(self._lo, self._smooth)  # widen, never narrow: the bar keeps its meaning
        self._hi = max(self._hi, self._smooth)
        self._peak_db = self._smooth if self._peak_db is None else max(self._peak_db, self._smooth)
        self._recent.append((t, value_db))
        while self._recent and self._recent[0][0] < t - TREND_WINDOW_S:
            self._recent.popleft()
        return Lead(self._scaled(self._smooth), self._scaled(self._peak_db), self._trend(),
                    f"{value_db:.0f} {self.unit}", self._smooth, self._span())

    def _scaled(self, db: Optional[float]) -> Optional[float]:
        if db is None or self._lo is None:
            return None
        return float(min(1.0, max(0.0, (db - self._lo) / (self._hi - self._lo))))

    def _span(self) -> Tuple[float, float]:
        return (self._lo, self._hi) if self._lo is not None else (math.nan, math.nan)

    def _trend(self) -> str:
        if len(self._recent) < TREND_MIN_READINGS:
            return ""
        t, v = np.array(self._recent, dtype=float).T
        if t[-1] - t[0] < TREND_WINDOW_S / 2:
            return ""
        tc = t - t.mean()
        sxx = float(np.sum(tc * tc))
        slope = float(np.sum(tc * (v - v.mean())) / sxx)
        resid = v - v.mean() - slope * tc
        se = math.sqrt(float(np.sum(resid * resid)) / (len(v) - 2) / sxx)
        if abs(slope) < max(TREND_DB_PER_S, TREND_T * se):
            return STEADY
        return CLOSER if slope > 0 else FARTHER


class Readings:
    """One locate or meter loop at a time, on its own thread. Each reading is posted as
    ``("reading", (run, time, value))``, a failure as ``("reading_lost", (run, why))``;
    ``run`` numbers the loops, so a stopped loop's late readings are dropped."""

    def __init__(self, post: Callable[[str, object], None]):
        self.post = post
        self._run = 0
        self._stop: Optional[threading.Event] = None
        self._meter: Optional[LeadMeter] = None
        self._what = ""

    def start(self, reader, what: str, every_s: float, name: str = "reading") -> None:
        """Read ``reader`` (``read()`` -> dB or None, ``unit``) every ``every_s``."""
        from sweeper.errors import HardwareError

        self.stop()
        self._run += 1
        run, stop = self._run, threading.Event()
        self._stop, self._what = stop, what
        self._meter = LeadMeter(getattr(reader, "unit", "dB"))

        def loop():
            while not stop.is_set():
                try:
                    value = reader.read()
                except HardwareError as exc:
                    self.post("reading_lost", (run, str(exc)))
                    return
                self.post("reading", (run, time.monotonic(), value))
                stop.wait(every_s)

        threading.Thread(target=loop, name=name, daemon=True).start()

    def current(self, payload) -> bool:
        """Whether an event came from the loop running now."""
        return self._stop is not None and payload[0] == self._run

    def accept(self, payload) -> Optional[Tuple[str, Lead]]:
        """A "reading" event's payload -> (what is read, the lead), or None if stale."""
        if not self.current(payload):
            return None
        _, t, value = payload
        return self._what, self._meter.update(t, value)

    def stop(self) -> bool:
        """End the loop; True if one was running."""
        if self._stop is None:
            return False
        self._stop.set()
        self._stop = None
        self._run += 1
        return True
