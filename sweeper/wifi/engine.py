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

from sweeper import verdicts
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
        dwell: Dict[int, float] = {}  # seconds and frames per channel (0: a source that does not tune)
        heard: Dict[int, int] = {}
        current, since = None, self.clock()
        for channel, batch, new_visit in hopper.run(self.duration_s, stop_event):
            if new_visit or current is None:
                now = self.clock()
                if current is not None:
                    dwell[current] = dwell.get(current, 0.0) + now - since
                current, since = channel, now
            heard[channel] = heard.get(channel, 0) + len(batch)
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
        if current is not None:
            dwell[current] = dwell.get(current, 0.0) + self.clock() - since
        an.finish()
        self.elapsed_s = time.monotonic() - t0
        self.progress(WifiProgress("done", 1.0, hopper.channel, len(an.devices), self._n_findings()))
        rep = an.report()
        rep["channels_visited"] = {str(k): v for k, v in sorted(self.visits.items())}
        rep["channel_errors"] = {str(k): v for k, v in hopper.errors.items()}
        rep["elapsed_s"] = round(self.elapsed_s, 2)
        stopped = stop_event is not None and stop_event.is_set()
        rep["coverage"], rep["gaps"] = self._coverage(dwell, heard, hopper.errors, rep["frames"]["parsed"], stopped)
        rep["verdict"] = verdicts.covered(rep["verdict"], rep["gaps"])
        return rep

    def _coverage(self, dwell: Dict[int, float], heard: Dict[int, int], errors: Dict[int, str],
                  parsed: int, stopped: bool) -> tuple:
        """Per channel: seconds listened, frames heard, the tuning error if any; and what
        was not covered, one line each. A capture that heard no frame at all covered
        nothing: a dead adapter, a driver that drops monitor mode or a mirror port that
        carries nothing looks exactly like an empty room."""
        tunes = getattr(self.source, "can_tune", False)
        rows = [{"channel": ch or None, "dwell_s": round(dwell.get(ch, 0.0), 2), "frames": heard.get(ch, 0),
                 "error": errors.get(ch)} for ch in sorted(set(dwell) | set(heard) | set(errors))]
        gaps = []
        if parsed == 0:
            where = "the port carries no traffic: check it is cabled to the switch's mirror port" if not tunes \
                else "the adapter may have left monitor mode, or its antenna is off: run `sweeper selftest`"
            gaps.append(f"Wi-Fi: heard no frame at all in {self.elapsed_s:.0f} s ({where})")
        for ch, why in sorted(errors.items()):
            gaps.append(f"Wi-Fi channel {ch}: would not tune ({why})")
        if tunes:
            missed = [ch for ch in self.policy.channels if ch not in dwell and ch not in errors]
            if missed:
                gaps.append(f"Wi-Fi channels {', '.join(map(str, missed))}: not visited "
                            + ("(the sweep was stopped)" if stopped else "(raise wifi.duration_s)"))
        elif stopped:
            gaps.append(f"Wi-Fi: stopped after {self.elapsed_s:.0f} of {self.duration_s:.0f} s")
        return rows, gaps

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
