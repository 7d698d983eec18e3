"""A device downloading a large file: a firmware image, an app or game update, a video
file (hard negative, above all on wired captures).

The station sends a request; the server answers with the file over TCP (or QUIC),
slow start and then ACK-clocked at the path's bottleneck rate (``rate_bps``): the
access point forwards near-MTU segments *to* the station (from-DS) with the spacing the
bottleneck gave them, and the station returns an ACK every ``ack_every`` segments.
When a download finishes the device may fetch another after ``gap_s``.

On a mirror port of the LAN the downlink is a steady stream of full-size packets whose
Ethernet source is the gateway (the router's MAC: the access point's own, or a separate
router's when the room has one) and whose IP source is a public address, towards the
station's LAN address: the shape of an uploading camera seen from the wrong side.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Optional

import numpy as np

from sweeper.sim.wifi.devices.base import (F_ACKME, F_BURST_END, ME, PEER, SimDevice, Param, QuicAcks, check_ranges,
                                           choice, logu, random_radio)
from sweeper.sim.wifi.devices.flows import ChunkedTransfer


class Download(QuicAcks, SimDevice):
    """A steady ACK-clocked download (see the module docstring)."""

    kind = "download"
    MAC_POOL = "laptop"
    LOCAL_MAC_SHARE = 0.3
    KIND_PARAMS = {
        "rate_bps": Param(10e6, "download throughput (the bottleneck rate)", 1e5, 1e9),
        "protocol": Param("tcp", "tcp or quic", choices=("tcp", "quic")),
        "mtu": Param(1500, "IP MTU of the server's segments", 576, 1500),
        "rtt_ms": Param(30.0, "round trip to the server", 0.5, 2000.0),
        "ack_every": Param(2, "segments per ACK of the station", 1, 64),
        "jitter": Param(0.3, "ACK-clock jitter (coefficient of variation of the segment spacing)", 0.0, 3.0),
        "file_mb": Param(200.0, "mean file size (MB)", 0.1, 10000.0),
        "gap_s": Param(30.0, "mean time before the next download", 0.0, 1e7),
        "start_s": Param(0.0, "when the first download starts", 0.0, 1e7),
        "stop_s": Param(-1.0, "when downloading stops (-1: never)", -1.0, 1e7),
        "tid": Param(0, "QoS TID (0 best effort, 1 background)", 0, 7),
    }

    @classmethod
    def random_params(cls, rng: np.random.Generator, ranges: str = "calibration") -> Dict[str, Any]:
        test = check_ranges(ranges) == "test"
        p = random_radio(rng, rates=(65.0, 72.2, 130.0, 144.4, 173.3, 300.0, 433.3, 866.7),
                         peer_rates=(130.0, 173.3, 300.0, 433.3, 866.7), retry_hi=0.08)
        p["max_agg"] = int(choice(rng, [8, 16, 32, 32, 64]))
        rate = logu(rng, 0.8e6, 80e6) if test else logu(rng, 1e6, 50e6)
        p["peer_rate_mbps"] = max(p["peer_rate_mbps"], float(choice(rng, [130.0, 300.0, 433.3, 866.7])) if
                                  rate > 20e6 else 0.0)
        quic = rng.random() < 0.25
        start = 0.0 if rng.random() < 0.6 else float(rng.uniform(0.0, 30.0))
        p.update(
            rate_bps=rate,
            protocol="quic" if quic else "tcp",
            mtu=int(rng.integers(1250, 1400)) if quic else int(choice(rng, [1500, 1500, 1500, 1492, 1480, 1420])),
            rtt_ms=logu(rng, 2.0, 400.0) if test else logu(rng, 5.0, 150.0),
            ack_every=int(rng.integers(2, 11)) if quic else int(choice(rng, [2, 2, 2, 1, 4, 8])),
            jitter=float(rng.uniform(0.05, 1.0)),
            file_mb=logu(rng, 5.0, 2000.0),
            gap_s=logu(rng, 1.0, 120.0),
            start_s=start,
            stop_s=-1.0 if rng.random() < 0.85 else start + logu(rng, 10.0, 300.0),
            tid=int(choice(rng, [0, 0, 0, 1])),
        )
        return p

    def _setup(self) -> None:
        self._setup_transport()
        self._xfer: Optional[ChunkedTransfer] = None

    def _start(self, t0: float, rng: np.random.Generator) -> None:
        self._next = max(t0, self.p["start_s"]) + rng.uniform(0.0, 0.3)

    def _ack_every(self) -> int:
        return int(self.p["ack_every"])

    def _produce(self, t0: float, t1: float, rng: np.random.Generator):
        p = self.p
        rtt = p["rtt_ms"] * 1e-3
        end = min(t1, self._stop)
        while True:
            if self._xfer is None:
                if self._next >= end:
                    break
                t = self._next
                self._queue(ME, t, int(rng.integers(300, 900)), tid=p["tid"], proto=self._proto,
                            flags=F_BURST_END)  # the request (its ACK rides on the data)
                nbytes = int(p["file_mb"] * 1e6 * math.exp(rng.normal(0.0, 0.8) - 0.32))
                rate = p["rate_bps"] * math.exp(rng.normal(0.0, 0.1))
                self._xfer = ChunkedTransfer(t + rtt * (1.0 + rng.exponential(0.05)), max(nbytes, 50000), p["mtu"],
                                             self._hdr, rate, rtt, p["jitter"])
            x = self._xfer
            arr, l3, last = x.take(t1, rng)
            if len(arr):
                keep = arr < self._stop
                flags = np.where(last, F_BURST_END, 0) | F_ACKME
                self._queue(PEER, arr[keep], l3[keep], tid=p["tid"], proto=self._proto, flags=flags[keep])
            if not x.done:
                break
            self._xfer = None
            self._next = x.t + rng.exponential(p["gap_s"]) + 0.05
        return []
