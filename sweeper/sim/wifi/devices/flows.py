"""Transport-level timing shared by the device kinds: TCP transfers (slow start, then
ACK-clocked at the path's bottleneck rate) and on/off processes."""
from __future__ import annotations

import math
from typing import List, Tuple

import numpy as np


def tcp_transfer(t0: float, nbytes: int, mtu: int, hdr: int, rate_bps: float, rtt_s: float,
                 rng: np.random.Generator, iw: int = 10, jitter: float = 0.3) -> Tuple[np.ndarray, np.ndarray]:
    """Times at which the sender hands the segments of an ``nbytes`` transfer to its
    Wi-Fi interface, and their IP lengths.

    Slow start sends ``iw`` segments, then twice as many each round trip, each round's
    segments spaced at the bottleneck rate, until the window covers the bandwidth-delay
    product; from then on ACK clocking spaces segments at the bottleneck rate
    (``rate_bps``) with gamma-distributed jitter (``jitter`` = coefficient of variation).
    """
    pay = mtu - hdr
    n = max(1, int(math.ceil(nbytes / pay)))
    l3 = np.full(n, mtu, np.int64)
    l3[-1] = nbytes - (n - 1) * pay + hdr
    spacing = mtu * 8.0 / rate_bps
    times = np.empty(n)
    i = 0
    t = t0
    cwnd = max(1, iw)
    # slow start rounds (a handful at most)
    while i < n and cwnd * spacing < rtt_s:
        k = min(cwnd, n - i)
        times[i:i + k] = t + spacing * np.arange(k)
        i += k
        t += rtt_s
        cwnd *= 2
    if i < n:
        m = n - i
        if jitter > 0:
            shape = 1.0 / (jitter * jitter)
            gaps = rng.gamma(shape, spacing / shape, m)
        else:
            gaps = np.full(m, spacing)
        gaps[0] = 0.0
        times[i:] = t + np.cumsum(gaps)
    return times, l3


def on_off(t0: float, t1: float, state: bool, until: float, mean_on: float, mean_off: float,
           rng: np.random.Generator) -> Tuple[List[Tuple[float, float]], bool, float]:
    """Intervals of a two-state process with exponential sojourns, over [t0, t1).

    ``state``/``until`` are the current state and when it ends (carried between spans).
    Returns ([(on_start, on_end), ...] clipped to the span, state, until)."""
    out = []
    t = t0
    while t < t1:
        if until <= t:
            state = not state
            until = until + rng.exponential(mean_on if state else mean_off)
            continue
        end = min(until, t1)
        if state:
            out.append((t, end))
        t = end
    return out, state, until


def level_at(ts: np.ndarray, intervals: List[Tuple[float, float]]) -> np.ndarray:
    """True where ``ts`` falls inside one of the intervals."""
    on = np.zeros(len(ts), bool)
    for a, b in intervals:
        on |= (ts >= a) & (ts < b)
    return on


class ChunkedTransfer:
    """A long TCP or QUIC transfer made a chunk at a time, so a file of gigabytes never
    sits in memory as one array: slow start on the first chunk (a fresh connection, or
    one idle long enough to restart from the initial window), then ACK-clocked segments
    at the bottleneck rate. ``take(until)`` returns the segments of every chunk that
    starts before ``until``: (hand-over times, IP lengths, is-last-of-transfer)."""

    CHUNK_SEGS = 2000

    def __init__(self, t0: float, nbytes: int, mtu: int, hdr: int, rate_bps: float, rtt_s: float,
                 jitter: float = 0.3, iw: int = 10):
        self.t = float(t0)
        self.left = max(1, int(nbytes))
        self.mtu, self.hdr = int(mtu), int(hdr)
        self.rate, self.rtt, self.jitter, self.iw = float(rate_bps), float(rtt_s), float(jitter), int(iw)

    @property
    def done(self) -> bool:
        return self.left <= 0

    def take(self, until: float, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        arrs, l3s = [], []
        chunk = self.CHUNK_SEGS * (self.mtu - self.hdr)
        while self.left > 0 and self.t < until:
            n = min(self.left, chunk)
            arr, l3 = tcp_transfer(self.t, n, self.mtu, self.hdr, self.rate, self.rtt, rng, iw=self.iw,
                                   jitter=self.jitter)
            self.iw = 1 << 40  # the window is open after the first chunk
            self.left -= n
            self.t = float(arr[-1]) + self.mtu * 8.0 / self.rate
            arrs.append(arr)
            l3s.append(l3)
        if not arrs:
            return np.zeros(0), np.zeros(0, np.int64), np.zeros(0, bool)
        arr, l3 = np.concatenate(arrs), np.concatenate(l3s)
        last = np.zeros(len(arr), bool)
        if self.left <= 0:
            last[-1] = True
        return arr, l3, last
