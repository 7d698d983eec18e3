"""A phone backing up its photos and videos to the cloud (hard negative).

Backup apps upload one file at a time. Before each file the app asks the service where
to put it and whether it already has it (a few small request/response round trips:
``meta_rtts``), then uploads the file on a connection that has been idle long enough to
restart from the initial window, so every file begins with TCP (or QUIC) slow start
and then runs ACK-clocked at the path's bottleneck (``rate_bps``, 4-15 Mbit/s on home
Wi-Fi, the rate varying a little from file to file with the server and cross traffic).
A commit response closes the file; the app then waits (``pause_s``: thumbnailing,
hashing the next file, its own queue) before the next one. Photos are a few megabytes,
videos tens to hundreds. So the uplink alternates: seconds of near-MTU segments, short
pauses with a little downlink, and the pattern never repeats at a frame rate.

Phones use randomised MACs on most networks.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Optional

import numpy as np

from sweeper.sim.wifi.devices.base import (F_ACKME, F_BURST_END, ME, PEER, SimDevice, Param, QuicAcks, check_ranges,
                                           choice, logu, random_radio)
from sweeper.sim.wifi.devices.flows import ChunkedTransfer


class PhotoBackup(QuicAcks, SimDevice):
    """Per-file cloud uploads with pauses between files (see the module docstring)."""

    kind = "photo_backup"
    MAC_POOL = "phone"
    LOCAL_MAC_SHARE = 0.8
    KIND_PARAMS = {
        "rate_bps": Param(8e6, "upload throughput while a file transfers", 1e5, 1e9),
        "protocol": Param("tcp", "tcp (HTTPS) or quic (HTTP/3)", choices=("tcp", "quic")),
        "mtu": Param(1500, "IP MTU (full segments are this long)", 576, 1500),
        "rtt_ms": Param(40.0, "round trip to the backup service", 0.5, 2000.0),
        "ack_every": Param(2, "segments acknowledged per ACK", 1, 64),
        "jitter": Param(0.3, "ACK-clock jitter (coefficient of variation of the segment spacing)", 0.0, 3.0),
        "photo_mb": Param(3.0, "mean photo size (MB)", 0.01, 200.0),
        "video_mb": Param(50.0, "mean video size (MB)", 0.5, 4000.0),
        "video_share": Param(0.15, "share of the files that are videos", 0.0, 1.0),
        "file_sigma": Param(0.4, "file size scatter (log-normal sigma)", 0.0, 2.0),
        "pause_s": Param(1.0, "mean pause between files", 0.001, 600.0),
        "meta_rtts": Param(2, "request/response round trips before each file", 0, 10),
        "start_s": Param(0.0, "when the backup starts", 0.0, 1e7),
        "stop_s": Param(-1.0, "when it stops (-1: never)", -1.0, 1e7),
        "tid": Param(0, "QoS TID (0 best effort, 1 background)", 0, 7),
    }

    @classmethod
    def random_params(cls, rng: np.random.Generator, ranges: str = "calibration") -> Dict[str, Any]:
        test = check_ranges(ranges) == "test"
        p = random_radio(rng, rates=(65.0, 72.2, 130.0, 144.4, 173.3, 286.8, 433.3, 866.7),
                         peer_rates=(130.0, 173.3, 300.0, 433.3, 866.7), retry_hi=0.08)
        p["max_agg"] = int(choice(rng, [8, 16, 32, 32, 64]))
        quic = rng.random() < 0.3
        start = 0.0 if rng.random() < 0.6 else float(rng.uniform(0.0, 30.0))
        p.update(
            rate_bps=logu(rng, 3e6, 20e6) if test else logu(rng, 4e6, 15e6),
            protocol="quic" if quic else "tcp",
            mtu=int(rng.integers(1250, 1400)) if quic else int(choice(rng, [1500, 1500, 1492, 1480, 1440, 1420])),
            rtt_ms=logu(rng, 2.0, 400.0) if test else logu(rng, 8.0, 150.0),
            ack_every=int(rng.integers(2, 11)) if quic else int(choice(rng, [2, 2, 2, 1, 4])),
            jitter=float(rng.uniform(0.05, 1.0)),
            photo_mb=float(rng.uniform(1.5, 5.0)) if not test else float(rng.uniform(0.8, 8.0)),
            video_mb=logu(rng, 15.0, 120.0) if not test else logu(rng, 8.0, 250.0),
            video_share=float(rng.uniform(0.0, 0.3)),
            file_sigma=float(rng.uniform(0.2, 0.5)),
            pause_s=logu(rng, 0.2, 2.5) if not test else logu(rng, 0.08, 6.0),
            meta_rtts=int(rng.integers(1, 4)),
            start_s=start,
            stop_s=-1.0 if rng.random() < 0.85 else start + logu(rng, 10.0, 300.0),
            tid=int(choice(rng, [0, 0, 0, 1])),
        )
        return p

    def _setup(self) -> None:
        self._setup_transport()
        self._xfer: Optional[ChunkedTransfer] = None

    def _start(self, t0: float, rng: np.random.Generator) -> None:
        self._next_file = max(t0, self.p["start_s"]) + rng.uniform(0.0, 0.5)

    def _ack_delay(self, side: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if side == ME:  # the service's ACKs come back after the round trip
            return self.p["rtt_ms"] * 1e-3 * (0.95 + rng.exponential(0.08, n))
        return 0.0002 + rng.exponential(0.001, n)

    def _file(self, t: float, rng: np.random.Generator) -> None:
        """Metadata round trips, then the file's transfer from slow start."""
        p = self.p
        rtt = p["rtt_ms"] * 1e-3
        fl = F_ACKME | F_BURST_END
        for i in range(p["meta_rtts"]):
            tq = t + i * rtt * 1.15
            self._queue(ME, tq, int(rng.integers(300, 1400)), tid=p["tid"], proto=self._proto, flags=fl)
            self._queue(PEER, tq + rtt * (1.0 + rng.exponential(0.1)), int(rng.integers(150, 900)), tid=p["tid"],
                        proto=self._proto, flags=fl)
        video = rng.random() < p["video_share"]
        mean = p["video_mb"] if video else p["photo_mb"]
        sig = p["file_sigma"]
        nbytes = int(mean * 1e6 * math.exp(rng.normal(0.0, sig) - sig * sig / 2))
        rate = p["rate_bps"] * math.exp(rng.normal(0.0, 0.12))
        t_x = t + p["meta_rtts"] * rtt * 1.15 + rng.uniform(0.001, 0.01)
        self._xfer = ChunkedTransfer(t_x, max(nbytes, 20000), p["mtu"], self._hdr, rate, rtt, p["jitter"])

    def _produce(self, t0: float, t1: float, rng: np.random.Generator):
        p = self.p
        rtt = p["rtt_ms"] * 1e-3
        end = min(t1, self._stop)
        while True:
            if self._xfer is None:
                if self._next_file >= end:
                    break
                self._file(self._next_file, rng)
            x = self._xfer
            arr, l3, last = x.take(t1, rng)
            if len(arr):
                keep = arr < self._stop
                flags = np.where(last, F_BURST_END, 0) | F_ACKME
                self._queue(ME, arr[keep], l3[keep], tid=p["tid"], proto=self._proto, flags=flags[keep])
            if not x.done:
                break
            # the commit response closes the file; the app pauses before the next one
            t_end = x.t
            self._queue(PEER, t_end + rtt * (1.0 + rng.exponential(0.1)), int(rng.integers(200, 700)),
                        tid=p["tid"], proto=self._proto, flags=F_ACKME | F_BURST_END)
            self._xfer = None
            self._next_file = t_end + rtt * 1.2 + p["pause_s"] * math.exp(rng.normal(0.0, 0.6) - 0.18)
        return []
