"""Channel hopping: visit every channel in turn, stay longer where a camera may be talking.

A camera streams continuously on one channel, so a short visit per channel finds the busy
ones; lingering on a channel with data traffic then collects enough frames to judge the
transmitters there. The planning (:class:`HopPolicy`) is pure and clock-free so it can be
tested with plain numbers; :class:`Hopper` applies it to a :class:`FrameSource`.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Collection, Dict, Iterator, NamedTuple, Optional, Sequence, Tuple

from sweeper.errors import HardwareError
from sweeper.wifi.channels import channel_to_mhz
from sweeper.wifi.source import FrameSource, RawBatch

#: longest wait for one batch, so a stop request is noticed promptly
MAX_WAIT_S = 0.25


class HopPolicy:
    """Visit ``channels`` in order, ``dwell_s`` each; a visit with data traffic may last
    up to ``linger_s`` in total."""

    def __init__(self, channels: Sequence[int], dwell_s: float = 0.25, linger_s: float = 3.0):
        if not channels:
            raise ValueError("HopPolicy needs at least one channel")
        for ch in channels:
            channel_to_mhz(ch)  # ValueError for a number that is not a channel
        if dwell_s <= 0 or linger_s < dwell_s:
            raise ValueError(f"need 0 < dwell_s <= linger_s, got dwell_s={dwell_s}, linger_s={linger_s}")
        self.channels = tuple(channels)
        self.dwell_s = float(dwell_s)
        self.linger_s = float(linger_s)

    def visit_end(self, start: float, last_linger: Optional[float] = None) -> float:
        """When a visit that began at ``start`` ends: ``dwell_s`` after the start or after the
        last linger request, whichever is later, but no more than ``linger_s`` after the start."""
        end = start + self.dwell_s
        if last_linger is not None:
            end = max(end, last_linger + self.dwell_s)
        return min(end, start + self.linger_s)

    def next_index(self, index: int, skip: Collection[int] = ()) -> Optional[int]:
        """Index of the channel after ``index`` in cycle order, passing over channels in
        ``skip``; None when every channel is skipped."""
        count = len(self.channels)
        for step in range(1, count + 1):
            candidate = (index + step) % count
            if self.channels[candidate] not in skip:
                return candidate
        return None


class Progress(NamedTuple):
    """How far a run has got, for the ready screen."""

    fraction: float  # of the requested duration (0.0 when the run has no duration)
    channel: int  # channel being watched (0 before the first batch)


class Hopper:
    """Reads a source while hopping it across the policy's channels.

    A source that cannot tune (a replay, a fixed interface) is read as it is, one channel.
    A channel that fails to tune is recorded in :attr:`errors` and skipped for the rest
    of the run, so one bad channel (regulatory limits, driver quirks) does not end a sweep.
    """

    def __init__(self, source: FrameSource, policy: HopPolicy, clock: Callable[[], float] = time.monotonic):
        self.source = source
        self.policy = policy
        self.clock = clock
        self.errors: Dict[int, str] = {}
        #: channels tuned to at least once in this run (lingering leaves time for the rest)
        self.visited: set = set()
        self.channel = 0
        self._start = self._visit_start = 0.0
        self._duration: Optional[float] = None
        self._last_linger: Optional[float] = None

    def linger(self) -> None:
        """The consumer sees data traffic worth watching here: extend this visit (up to linger_s)."""
        self._last_linger = self.clock()

    @property
    def progress(self) -> Progress:
        if not self._duration:
            return Progress(0.0, self.channel)
        return Progress(min(1.0, max(0.0, (self.clock() - self._start) / self._duration)), self.channel)

    def run(self, duration_s: Optional[float] = None,
            stop_event: Optional[threading.Event] = None) -> Iterator[Tuple[int, RawBatch, bool]]:
        """Yield ``(channel, batch, new_visit)`` until ``duration_s`` passes, ``stop_event``
        is set or the source ends; ``new_visit`` marks the first batch after a retune."""
        self.errors = {}
        self.visited: set = set()
        self.channel = 0
        self._start = self.clock()
        self._duration = duration_s
        end = None if duration_s is None else self._start + duration_s
        tuning = self.source.can_tune
        index = self._tune(-1) if tuning else None
        new_visit = True
        while not (stop_event is not None and stop_event.is_set()):
            now = self.clock()
            if end is not None and now >= end:
                return
            wait = MAX_WAIT_S if end is None else min(MAX_WAIT_S, end - now)
            if tuning:
                visit_end = self.policy.visit_end(self._visit_start, self._last_linger)
                if end is not None:  # lingering never starves a channel not yet visited
                    unvisited = set(self.policy.channels) - self.visited - set(self.errors)
                    reserve = len(unvisited) * self.policy.dwell_s
                    visit_end = min(visit_end, max(self._visit_start + self.policy.dwell_s, end - reserve))
                if now >= visit_end:
                    previous = self.channel
                    index = self._tune(index)
                    new_visit = new_visit or self.channel != previous
                    continue
                wait = min(wait, visit_end - now)
            batch = self.source.read_batch(wait)
            if batch is None:
                return
            if not tuning:
                self.channel = batch.channel
            yield self.channel, batch, new_visit
            new_visit = False

    def _tune(self, index: int) -> int:
        """Retune to the next channel that accepts it and start a visit; return its index."""
        while True:
            nxt = self.policy.next_index(index, self.errors)
            if nxt is None:
                raise HardwareError("could not tune to any channel: " + "; ".join(
                    f"{ch}: {msg}" for ch, msg in self.errors.items()))
            channel = self.policy.channels[nxt]
            if nxt == index:
                break  # the only channel left is this one: stay on it
            try:
                self.source.set_channel(channel)
                break
            except HardwareError as e:
                self.errors[channel] = str(e)
                index = nxt
        self.channel = channel
        self.visited.add(channel)
        self._visit_start = self.clock()
        self._last_linger = None
        return nxt
