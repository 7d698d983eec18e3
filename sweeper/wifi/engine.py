"""A Wi-Fi sweep: hop channels, capture, analyse as frames arrive, report.

Ties the edge (a :class:`FrameSource`, the :class:`Hopper`) to the pure core
(:class:`TrafficAnalyzer`). Each channel visit is its own analysis segment, so a window
never spans time the receiver spent elsewhere. The hopper is asked to linger while a
transmitter on the channel uploads large packets and has no verdict yet: that is what
gets a camera judged on the first visit to its channel.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, Optional

import numpy as np

from sweeper.wifi.analysis import TrafficAnalyzer
from sweeper.wifi.features import LARGE_L3, WindowConfig
from sweeper.wifi.frames import FC_RETRY, FTYPE_DATA, is_group, strip_payloads
from sweeper.wifi.hopper import Hopper, HopPolicy
from sweeper.wifi.source import FrameSource

#: large unicast data frames a transmitter must send in one batch to keep the hopper here
LINGER_MIN_LARGE_FRAMES = 3
#: capture seconds of a transmitter's upload after which its verdict is settled
#: (two consecutive 2 s windows, plus a step of slack)
SETTLE_S = 2.75


@dataclass
class WifiProgress:
    """A sweep event for progress displays (terminal bar, OLED)."""

    kind: str  # "start", "hop" (new channel visit or periodic update), "done"
    fraction: float
    channel: int
    transmitters: int
    findings: int


class WifiSweep:
    """One timed Wi-Fi sweep over a source (live adapter, simulator or file).

    ``clock`` is the hopper's time base: wall time for real captures; the simulator's own
    clock when it renders faster than real time.
    """

    def __init__(self, source: FrameSource, channels, dwell_s: float = 0.25, linger_s: float = 3.0,
                 duration_s: float = 40.0, camera_score: float = 0.8, suspect_score: float = 0.5,
                 window: WindowConfig = WindowConfig(), clock: Optional[Callable[[], float]] = None,
                 progress: Optional[Callable[[WifiProgress], None]] = None, recorder=None):
        self.source = source
        self.policy = HopPolicy(channels, dwell_s, linger_s)
        self.duration_s = duration_s
        self.analyzer = TrafficAnalyzer(window, camera_score, suspect_score)
        if clock is None and isinstance(getattr(type(source), "clock", None), property):
            clock = lambda: source.clock  # noqa: E731 (a simulator's own time base)
        self.clock = clock or time.monotonic
        self.progress = progress or (lambda p: None)
        self.recorder = recorder
        self.visits: Dict[int, int] = {}
        self.elapsed_s = 0.0
        self._uploading_since: Dict[int, float] = {}  # this visit: mac -> first large frame
        self._settled: set = set()  # watched long enough on some visit (also heard leaking
        # into neighbouring channels: no need to linger there again)

    def run(self, stop_event: Optional[threading.Event] = None) -> dict:
        hopper = Hopper(self.source, self.policy, clock=self.clock)
        an = self.analyzer
        t0 = time.monotonic()
        self.progress(WifiProgress("start", 0.0, 0, 0, 0))
        last_update = -1.0
        for channel, batch, new_visit in hopper.run(self.duration_s, stop_event):
            if new_visit:
                an.start_segment(float(batch.ts[0]) if len(batch) else None, channel)
                self._uploading_since = {}
                if channel:  # 0: a source that does not tune (wired port, file)
                    self.visits[channel] = self.visits.get(channel, 0) + 1
            if self.recorder is not None and len(batch):
                self.recorder.write(strip_payloads(batch))  # headers only, never payloads
            frames = an.feed(batch)
            if self._worth_lingering(frames):
                hopper.linger()
            now = self.clock()
            if new_visit or now - last_update >= 0.5:
                last_update = now
                self.progress(WifiProgress("hop", hopper.progress.fraction, channel,
                                           len(an.devices), self._n_findings()))
        an.finish()
        self.elapsed_s = time.monotonic() - t0
        self.progress(WifiProgress("done", 1.0, hopper.channel, len(an.devices), self._n_findings()))
        rep = an.report()
        rep["channels_visited"] = {str(k): v for k, v in sorted(self.visits.items())}
        rep["channel_errors"] = {str(k): v for k, v in hopper.errors.items()}
        rep["elapsed_s"] = round(self.elapsed_s, 2)
        return rep

    def _n_findings(self) -> int:
        an = self.analyzer
        return sum(1 for d in an.devices.values() if an.verdict_of(d) is not None)

    def _worth_lingering(self, frames: np.ndarray) -> bool:
        """Some transmitter here uploads large unicast packets and its verdict is not
        settled: it has uploaded for less than SETTLE_S this visit, or it sits between
        suspect and camera. Settled bulk uploads do not hold the hopper."""
        if len(frames) == 0:
            return False
        big = ((frames["ftype"] == FTYPE_DATA) & (frames["l3len"] >= LARGE_L3)
               & ((frames["fcflags"] & FC_RETRY) == 0) & ~is_group(frames["ra"]))
        if big.sum() < LINGER_MIN_LARGE_FRAMES:
            return False
        macs, counts = np.unique(frames["ta"][big], return_counts=True)
        now = float(frames["ts"][-1])
        an = self.analyzer
        for mac, n in zip(macs, counts):
            if n < LINGER_MIN_LARGE_FRAMES:
                continue
            mac = int(mac)
            since = self._uploading_since.setdefault(mac, now)
            d = an.devices.get(mac)
            if d is not None and d.camera_at is not None:
                continue
            if d is not None and d.score >= an.suspect_score:
                return True  # suspect: watch for the camera verdict
            if mac in self._settled:
                continue
            if now - since < SETTLE_S:
                return True
            self._settled.add(mac)
        return False
