"""A TV, set-top box, laptop or phone watching adaptive streaming (DASH/HLS): a hard
negative whose video flows *down*.

The player fetches media segments of ``seg_s`` seconds of video. At start-up it fills
its buffer (``buffer_s``) fetching segments back to back; then it fetches one segment
whenever one has played: ON/OFF traffic, a download burst at the path's throughput
(5-40 Mbit/s, TCP slow start after idle, then ACK-clocked) every few seconds, with idle
gaps in between. The client sends the HTTP requests and ACKs every ``ack_every``
segments (QUIC: ACK frames every couple of packets). Segment sizes follow the content
(VBR) and occasional bitrate switches; audio segments may come separately.
"""
from __future__ import annotations

import math
from typing import Any, Dict

import numpy as np

from sweeper.sim.wifi.devices.base import (F_ACKME, F_BURST_END, ME, PEER, SimDevice, Param, QuicAcks, check_ranges,
                                           choice, logu, random_radio)
from sweeper.sim.wifi.devices.flows import tcp_transfer


class VideoStream(QuicAcks, SimDevice):
    """Adaptive streaming playback (see the module docstring)."""

    QUIC_ACK_L3 = (45, 80)

    kind = "video_stream"
    MAC_POOL = "tv"
    LOCAL_MAC_SHARE = 0.2
    KIND_PARAMS = {
        "video_bps": Param(4e6, "content bitrate of the chosen rendition", 1e5, 1e8),
        "seg_s": Param(4.0, "segment duration", 0.5, 30.0),
        "throughput_bps": Param(20e6, "download throughput while a segment is fetched", 5e5, 1e9),
        "buffer_s": Param(30.0, "buffer the player keeps", 2.0, 600.0),
        "seg_sigma": Param(0.25, "segment size scatter (log-normal sigma)", 0.0, 1.5),
        "switch_per_min": Param(0.3, "bitrate switches per minute", 0.0, 60.0),
        "protocol": Param("tcp", "tcp (HTTP/1.1, HTTP/2) or quic (HTTP/3)", choices=("tcp", "quic")),
        "mtu": Param(1500, "IP MTU of the server's segments", 576, 1500),
        "rtt_ms": Param(25.0, "round trip to the CDN", 0.5, 2000.0),
        "ack_every": Param(2, "segments per client ACK", 1, 64),
        "request_bytes": Param(500, "HTTP request size (IP bytes)", 60, 4000),
        "audio_bps": Param(128e3, "separate audio rendition (0: muxed with the video)", 0.0, 1e6),
        "start_s": Param(0.0, "when playback starts", 0.0, 1e7),
        "stop_s": Param(-1.0, "when it stops (-1: never)", -1.0, 1e7),
    }

    @classmethod
    def random_params(cls, rng: np.random.Generator, ranges: str = "calibration") -> Dict[str, Any]:
        test = check_ranges(ranges) == "test"
        p = random_radio(rng, rates=(65.0, 130.0, 144.4, 173.3, 300.0, 433.3, 866.7),
                         peer_rates=(130.0, 173.3, 300.0, 433.3, 866.7), retry_hi=0.08)
        quic = rng.random() < 0.3
        video = logu(rng, 1e6, 16e6)
        start = 0.0 if rng.random() < 0.5 else float(rng.uniform(0.0, 30.0))
        p.update(
            video_bps=video,
            seg_s=float(choice(rng, [2.0, 4.0, 4.0, 5.0, 6.0, 6.0, 10.0])),
            throughput_bps=max(logu(rng, 5e6, 40e6), 1.5 * video),
            buffer_s=float(rng.uniform(10.0, 60.0)),
            seg_sigma=float(rng.uniform(0.05, 0.4)),
            switch_per_min=float(rng.uniform(0.0, 1.0)),
            protocol="quic" if quic else "tcp",
            mtu=int(rng.integers(1280, 1400)) if quic else int(choice(rng, [1500, 1500, 1492, 1460])),
            rtt_ms=logu(rng, 5.0, 100.0),
            ack_every=int(choice(rng, [2, 2, 2, 1])) if not quic else int(choice(rng, [2, 2, 10])),
            request_bytes=int(rng.integers(300, 900)),
            audio_bps=0.0 if rng.random() < 0.5 else float(choice(rng, [64e3, 96e3, 128e3, 192e3])),
            start_s=start,
            stop_s=-1.0 if rng.random() < 0.85 else start + logu(rng, 20.0, 600.0),
        )
        if test:  # shifted, wider ranges for a test set
            video = logu(rng, 0.5e6, 25e6)
            p.update(video_bps=video, throughput_bps=max(logu(rng, 3e6, 100e6), 1.5 * video),
                     seg_s=float(choice(rng, [1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0])), rtt_ms=logu(rng, 2.0, 400.0))
        return p

    def _setup(self) -> None:
        self._setup_transport()

    def _start(self, t0: float, rng: np.random.Generator) -> None:
        p = self.p
        st = max(t0, p["start_s"])
        if t0 > p["start_s"]:
            # joined mid-playback: the buffer is already full, next fetch soon
            self._next_req = t0 + rng.uniform(0, p["seg_s"])
            self._buffered = p["buffer_s"]
        else:
            self._next_req = st
            self._buffered = 0.0
        self._level = 1.0

    def _ack_delay(self, side: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if side == PEER:  # the client acknowledges the server's data right away
            return 0.0002 + rng.exponential(0.0006, n)
        return self.p["rtt_ms"] * 1e-3 * (0.9 + rng.exponential(0.1, n))

    def _produce(self, t0: float, t1: float, rng: np.random.Generator):
        p = self.p
        b = min(t1, self._stop)
        rtt = p["rtt_ms"] * 1e-3
        while self._next_req < b:
            t = self._next_req
            if rng.random() < p["switch_per_min"] * p["seg_s"] / 60.0:
                self._level = float(np.clip(self._level * choice(rng, [0.5, 0.7, 1.4, 2.0]), 0.25, 1.0))
            nbytes = int(p["video_bps"] * self._level * p["seg_s"] / 8 * math.exp(rng.normal(0, p["seg_sigma"])))
            # request up, then the segment down after a round trip and the server's time
            self._queue(ME, t, p["request_bytes"] + int(rng.integers(-40, 41)), proto=self._proto,
                        flags=F_ACKME | F_BURST_END)
            t_srv = t + rtt + rng.exponential(0.01)
            arr, l3 = tcp_transfer(t_srv, nbytes, p["mtu"], 52 if not self._quic else 40, p["throughput_bps"], rtt,
                                   rng, jitter=0.4)
            flags = np.full(len(arr), F_ACKME)
            flags[-1] |= F_BURST_END
            self._queue(PEER, arr, l3, proto=self._proto, flags=flags)
            done = arr[-1]
            if p["audio_bps"] > 0:
                ab = int(p["audio_bps"] * p["seg_s"] / 8)
                t_a = t + rng.uniform(0.001, 0.05)
                self._queue(ME, t_a, p["request_bytes"] + int(rng.integers(-40, 41)), proto=self._proto,
                            flags=F_ACKME | F_BURST_END)
                arr2, l32 = tcp_transfer(t_a + rtt + rng.exponential(0.01), ab, p["mtu"], 52,
                                         p["throughput_bps"], rtt, rng, jitter=0.4)
                f2 = np.full(len(arr2), F_ACKME)
                f2[-1] |= F_BURST_END
                self._queue(PEER, arr2, l32, proto=self._proto, flags=f2)
                done = max(done, arr2[-1])
            # the player's buffer: back to back until full, then one segment per segment played
            played = max(0.0, done - t)
            self._buffered = max(0.0, self._buffered - played) + p["seg_s"]
            if self._buffered < p["buffer_s"]:
                self._next_req = done + rng.uniform(0.001, 0.02)
            else:
                self._next_req = max(done, t + p["seg_s"] * rng.uniform(0.97, 1.03))
                self._buffered -= max(0.0, self._next_req - done)
        return []
