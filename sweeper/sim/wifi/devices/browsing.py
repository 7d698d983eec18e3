"""Someone browsing the web: page loads separated by reading ("think") time (hard negative).

A page load opens a few connections (TLS handshakes), sends requests upstream (small,
staggered while the page's HTML and scripts reveal more objects) and receives the
objects downstream, each a short TCP transfer in slow start. Between page loads the
user reads for a heavy-tailed think time; an open page polls now and then.
"""
from __future__ import annotations

import math
from typing import Any, Dict

import numpy as np

from sweeper.sim.wifi.devices.base import (F_ACKME, F_BURST_END, ME, PEER, SimDevice, Param, check_ranges, choice, logu,
                                           random_radio)
from sweeper.sim.wifi.devices.flows import tcp_transfer


class Browsing(SimDevice):
    """Web browsing (see the module docstring)."""

    kind = "browsing"
    MAC_POOL = "phone"
    LOCAL_MAC_SHARE = 0.6
    KIND_PARAMS = {
        "think_s": Param(20.0, "mean reading time between page loads", 0.5, 3600.0),
        "page_bytes": Param(1.5e6, "median page weight", 1e3, 1e8),
        "objects": Param(40, "mean objects per page", 1, 1000),
        "connections": Param(4, "new connections per page (TLS handshakes)", 1, 64),
        "throughput_bps": Param(30e6, "download throughput", 5e5, 1e9),
        "rtt_ms": Param(40.0, "round trip to the servers", 0.5, 2000.0),
        "mtu": Param(1500, "IP MTU", 576, 1500),
        "poll_s": Param(30.0, "an open page's background requests (mean interval)", 1.0, 3600.0),
        "start_s": Param(0.0, "when browsing starts", 0.0, 1e7),
    }

    @classmethod
    def random_params(cls, rng: np.random.Generator, ranges: str = "calibration") -> Dict[str, Any]:
        test = check_ranges(ranges) == "test"
        p = random_radio(rng, rates=(65.0, 130.0, 144.4, 173.3, 300.0, 433.3, 866.7),
                         peer_rates=(130.0, 173.3, 300.0, 433.3, 866.7), retry_hi=0.08)
        p.update(
            think_s=logu(rng, 5.0, 60.0),
            page_bytes=logu(rng, 0.3e6, 3e6),
            objects=int(logu(rng, 10, 80)),
            connections=int(rng.integers(1, 9)),
            throughput_bps=logu(rng, 5e6, 100e6),
            rtt_ms=logu(rng, 10.0, 150.0),
            mtu=int(choice(rng, [1500, 1500, 1500, 1492, 1460])),
            poll_s=logu(rng, 5.0, 120.0),
            start_s=0.0 if rng.random() < 0.7 else float(rng.uniform(0.0, 20.0)),
        )
        if test:  # shifted, wider ranges for a test set
            p.update(think_s=logu(rng, 2.0, 120.0), throughput_bps=logu(rng, 2e6, 200e6), rtt_ms=logu(rng, 2.0, 400.0),
                     page_bytes=logu(rng, 0.1e6, 6e6))
        return p

    def _start(self, t0: float, rng: np.random.Generator) -> None:
        self._next_page = max(t0, self.p["start_s"]) + rng.exponential(min(self.p["think_s"], 5.0))
        self._next_poll = t0 + rng.exponential(self.p["poll_s"])

    def _ack_delay(self, side: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if side == PEER:
            return 0.0002 + rng.exponential(0.0006, n)
        return self.p["rtt_ms"] * 1e-3 * (0.9 + rng.exponential(0.1, n))

    def _page(self, t: float, rng: np.random.Generator) -> float:
        """Schedule one page load starting at t; returns when its last byte arrives."""
        p = self.p
        rtt = p["rtt_ms"] * 1e-3
        end = t
        # TLS handshakes: ClientHello up, ServerHello + certificates down, Finished up
        for c in range(p["connections"]):
            tc = t + c * rng.uniform(0.0, 0.05) + (rtt if c else 0.0)
            self._queue(ME, [tc, tc + 0.0003], [60, int(rng.integers(517, 700))], flags=F_ACKME | F_BURST_END)
            arr, l3 = tcp_transfer(tc + rtt, int(rng.integers(2500, 6000)), p["mtu"], 52, p["throughput_bps"], rtt,
                                   rng)
            fl = np.full(len(arr), F_ACKME)
            fl[-1] |= F_BURST_END
            self._queue(PEER, arr, l3, flags=fl)
            self._queue(ME, arr[-1] + 0.001, int(rng.integers(80, 160)), flags=F_ACKME | F_BURST_END)
        n = max(1, int(rng.poisson(p["objects"])))
        sizes = rng.lognormal(0.0, 1.4, n)
        sizes = np.maximum(200, sizes / sizes.sum() * p["page_bytes"] * math.exp(rng.normal(0, 0.7))).astype(int)
        # requests are revealed in waves (HTML, then CSS/JS, then images...)
        wave = rng.integers(0, 4, n)
        t_req = np.sort(t + 2 * rtt + wave * (rtt + rng.exponential(0.05, n)) + rng.exponential(0.02, n))
        self._queue(ME, t_req, rng.integers(80, 700, n), flags=F_ACKME | F_BURST_END)
        for tr, sz in zip(t_req, sizes):
            arr, l3 = tcp_transfer(tr + rtt + rng.exponential(0.02), int(sz), p["mtu"], 52, p["throughput_bps"],
                                   rtt, rng)
            fl = np.full(len(arr), F_ACKME)
            fl[-1] |= F_BURST_END
            self._queue(PEER, arr, l3, flags=fl)
            end = max(end, float(arr[-1]))
        return end

    def _produce(self, t0: float, t1: float, rng: np.random.Generator):
        p = self.p
        while self._next_page < t1:
            end = self._page(self._next_page, rng)
            # heavy-tailed reading time (log-normal with the given mean)
            self._next_page = end + p["think_s"] * math.exp(rng.normal(-0.5, 1.0))
        polls = []
        while self._next_poll < t1:
            if self._next_poll >= p["start_s"]:
                polls.append(self._next_poll)
            self._next_poll += rng.exponential(p["poll_s"])
        if polls:
            ts = np.array(polls)
            self._queue(ME, ts, rng.integers(200, 900, len(ts)), flags=F_ACKME | F_BURST_END)
            self._queue(PEER, ts + p["rtt_ms"] * 1e-3 * 1.2, rng.integers(100, 1500, len(ts)),
                        flags=F_ACKME | F_BURST_END)
        return []

