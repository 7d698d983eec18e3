"""A smart plug, hub or bulb uploading over TLS for a while (hard negative): during setup,
a firmware or metadata check, a log or diagnostics upload.

Each burst opens a connection to the cloud: the TCP handshake, then the TLS handshake
(ClientHello up; the server's flight of a few kilobytes with its certificate chain down;
the client's key exchange and Finished up), then the application writes its data as TLS
records. A record carries at most ``record_bytes`` of plaintext (16 KB by the standard,
less on small TLS stacks) plus 29 bytes of header, nonce and tag, and the TCP stack
segments each record on its own: full MSS segments and a short remainder at every
record boundary. The application writes every ``write_ms`` (a sensor log flushed
periodically, a chunked upload loop) or back to back (``write_ms`` 0) at what the
device's CPU and small TCP send buffer allow, ``rate_bps`` (150-700 kbit/s). A small
embedded TCP stack keeps only ``wnd_segs`` segments in flight, so a long record leaves
in windows a round trip apart. The burst lasts ``burst_s``; then the connection idles
with TLS keepalives every ``keepalive_s``, and a new burst comes now and then
(``repeat_s``).
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from sweeper.sim.wifi.devices.base import (F_ACKME, F_BURST_END, ME, PEER, SimDevice, Param, check_ranges, choice,
                                           logu, packetise, random_radio)

#: TLS 1.2 AES-GCM record overhead: 5-byte header, 8-byte explicit nonce, 16-byte tag
TLS_OVERHEAD = 29


class IotTlsBurst(SimDevice):
    """TLS uploads of an IoT device (see the module docstring)."""

    kind = "iot_tls_burst"
    MAC_POOL = "iot"
    KIND_PARAMS = {
        "rate_bps": Param(400e3, "upload rate while a burst lasts", 1e4, 1e8),
        "burst_s": Param(10.0, "length of a burst", 0.1, 3600.0),
        "write_ms": Param(100.0, "interval of the application's writes (0: back to back)", 0.0, 10000.0),
        "record_bytes": Param(16384, "largest TLS record plaintext", 256, 16384),
        "wnd_segs": Param(4, "segments the device's TCP keeps in flight", 1, 64),
        "mtu": Param(1500, "IP MTU (full segments are this long)", 576, 1500),
        "rtt_ms": Param(80.0, "round trip to the cloud", 0.5, 3000.0),
        "repeat_s": Param(600.0, "mean time between bursts", 1.0, 1e7),
        "keepalive_s": Param(60.0, "idle: TLS keepalive interval", 1.0, 7200.0),
        "start_s": Param(0.0, "when the first burst starts", 0.0, 1e7),
    }

    @classmethod
    def random_params(cls, rng: np.random.Generator, ranges: str = "calibration") -> Dict[str, Any]:
        test = check_ranges(ranges) == "test"
        p = random_radio(rng, rates=(6.5, 13.0, 19.5, 26.0, 39.0, 52.0, 65.0, 72.2),
                         peer_rates=(26.0, 52.0, 65.0, 72.2), retry_hi=0.12)
        p["max_agg"] = int(choice(rng, [1, 1, 4, 8]))
        p.update(
            rate_bps=logu(rng, 100e3, 1e6) if test else logu(rng, 150e3, 700e3),
            burst_s=logu(rng, 1.0, 60.0) if test else logu(rng, 2.0, 40.0),
            write_ms=0.0 if rng.random() < 0.3 else (logu(rng, 10.0, 400.0) if test else logu(rng, 20.0, 200.0)),
            record_bytes=int(choice(rng, [16384, 16384, 4096, 2048, 8192, 1024])),
            wnd_segs=int(choice(rng, [2, 4, 4, 6, 8, 16])),
            mtu=int(choice(rng, [1500, 1500, 1500, 1460, 1400, 1280, 576])),
            rtt_ms=logu(rng, 2.0, 400.0) if test else logu(rng, 15.0, 250.0),
            repeat_s=logu(rng, 30.0, 3600.0) if test else logu(rng, 60.0, 1800.0),
            keepalive_s=logu(rng, 10.0, 180.0),
            start_s=0.0 if rng.random() < 0.5 else float(rng.uniform(0.0, 30.0)),
        )
        return p

    def _start(self, t0: float, rng: np.random.Generator) -> None:
        p = self.p
        self._burst = max(t0, p["start_s"]) + rng.uniform(0.0, 1.0)
        self._next_ka = t0 + rng.uniform(0.0, p["keepalive_s"])

    def _ack_delay(self, side: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if side == ME:  # the cloud's ACKs come back after the round trip
            return self.p["rtt_ms"] * 1e-3 * (0.9 + rng.exponential(0.15, n))
        return 0.0003 + rng.exponential(0.002, n)

    def _do_burst(self, t: float, rng: np.random.Generator) -> float:
        """Handshakes and the burst's records from ``t``; returns when the burst ends."""
        p = self.p
        rtt = p["rtt_ms"] * 1e-3
        fl = F_ACKME | F_BURST_END
        # TCP: SYN, SYN/ACK; TLS: ClientHello, server flight, client Finished
        self._queue(ME, t, 60)
        self._queue(PEER, t + rtt, 60)
        t_ch = t + rtt * 1.05
        self._queue(ME, t_ch, int(rng.integers(250, 600)), flags=fl)
        sf = int(rng.integers(2500, 6500))
        _, l3, last = packetise(np.array([sf]), 1500, 52)
        ts = t_ch + rtt * (1.0 + rng.exponential(0.1)) + np.arange(len(l3)) * 2e-4
        self._queue(PEER, ts, l3, flags=np.where(last, F_BURST_END, 0) | F_ACKME)
        t_fin = ts[-1] + rng.uniform(0.005, 0.05)  # the device's key exchange (slow CPUs)
        self._queue(ME, t_fin, int(rng.integers(100, 200)), flags=fl)
        self._queue(PEER, t_fin + rtt, int(rng.integers(60, 300)), flags=fl)
        t_app = t_fin + rtt * 1.05
        end = t_app + p["burst_s"]
        # the application's writes, each split into records
        rec_max = p["record_bytes"]
        if p["write_ms"] > 0:
            iv = p["write_ms"] * 1e-3
            n_w = max(1, int(p["burst_s"] / iv))
            tw = t_app + iv * np.arange(n_w) + np.abs(rng.normal(0.0, 0.05 * iv, n_w))
            wb = p["rate_bps"] * iv / 8.0 * np.exp(rng.normal(0.0, 0.2, n_w) - 0.02)
            wmsg, rlen, _ = packetise(np.maximum(wb, 16).astype(np.int64), rec_max + TLS_OVERHEAD, TLS_OVERHEAD)
            # records of one write follow each other as fast as the device encrypts
            rk = np.arange(len(wmsg)) - np.searchsorted(wmsg, wmsg)
            tr = tw[wmsg] + rk * rlen * 8.0 / (20.0 * p["rate_bps"])
        else:
            iv = (rec_max + TLS_OVERHEAD) * 8.0 / p["rate_bps"]
            n_r = max(1, int(p["burst_s"] / iv))
            tr = t_app + iv * np.arange(n_r) * np.exp(rng.normal(0.0, 0.05, n_r))
            tr = np.sort(tr)
            rlen = np.full(n_r, rec_max + TLS_OVERHEAD, np.int64)
        rmsg, l3, last = packetise(rlen, p["mtu"], 52)
        j = np.arange(len(rmsg)) - np.searchsorted(rmsg, rmsg)
        # segments back to back, a window of wnd_segs per round trip
        arr = tr[rmsg] + j * rng.uniform(3e-4, 1.5e-3) + (j // p["wnd_segs"]) * rtt
        o = np.argsort(arr, kind="stable")
        self._queue(ME, arr[o], l3[o], flags=(np.where(last, F_BURST_END, 0) | F_ACKME)[o])
        return max(end, float(arr.max()))

    def _produce(self, t0: float, t1: float, rng: np.random.Generator):
        p = self.p
        rtt = p["rtt_ms"] * 1e-3
        while self._burst < t1:
            end = self._do_burst(self._burst, rng)
            self._next_ka = max(self._next_ka, end + p["keepalive_s"] * rng.uniform(0.5, 1.0))
            self._burst = end + rng.exponential(p["repeat_s"])
        ts = []
        while self._next_ka < t1:
            ts.append(self._next_ka)
            self._next_ka += p["keepalive_s"] * rng.uniform(0.97, 1.03)
        if ts:
            ts = np.array(ts)
            n = len(ts)
            self._queue(ME, ts, rng.integers(60, 130, n), flags=F_ACKME | F_BURST_END)
            self._queue(PEER, ts + rtt * (1.0 + rng.exponential(0.2, n)), rng.integers(60, 130, n),
                        flags=F_ACKME | F_BURST_END)
        return []
