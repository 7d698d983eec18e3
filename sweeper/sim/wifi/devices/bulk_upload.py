"""A laptop or phone uploading in bulk (cloud backup, file sync, video upload): a hard
negative that sends near-MTU packets upstream as fast as its path allows.

The transfer is ACK-clocked: the path's bottleneck (the home's upstream link, or the
Wi-Fi itself) spaces the returning ACKs at the bottleneck rate, and each ACK that
reaches the sender releases the segments it acknowledged (``ack_every`` of them: 2 for
delayed ACKs, more for stretch ACKs). So the uplink follows the ACKs: small clumps of
segments, evenly spread at the throughput, not bursts at a frame rate. The rate walks
slowly (cross traffic), drops and recovers after losses (congestion-window halving),
pauses between files, and ramps up at the start (slow start). A share of uploads is
rate-limited by the application or the upstream link (1-5 Mbit/s). TCP or QUIC.
"""
from __future__ import annotations

import math
from typing import Any, Dict

import numpy as np

from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.devices.base import ME, PEER, Device, Param, choice, logu, random_radio

_TAG_CLOCK = 1


class BulkUpload(Device):
    """An ACK-clocked bulk upload (see the module docstring)."""

    kind = "bulk_upload"
    MAC_POOL = "laptop"
    LOCAL_MAC_SHARE = 0.3
    KIND_PARAMS = {
        "rate_bps": Param(20e6, "upload throughput (the bottleneck rate)", 1e5, 1e9),
        "mtu": Param(1500, "IP MTU (full segments are this long)", 576, 1500),
        "protocol": Param("tcp", "tcp or quic", choices=("tcp", "quic")),
        "rtt_ms": Param(40.0, "round trip to the server", 0.5, 2000.0),
        "ack_every": Param(2, "segments acknowledged per ACK (2 delayed ACK, more: stretch ACKs)", 1, 64),
        "ack_jitter": Param(0.3, "coefficient of variation of the ACK spacing", 0.0, 3.0),
        "rate_var": Param(0.15, "slow variation of the throughput (log std)", 0.0, 1.5),
        "rate_tau_s": Param(4.0, "time scale of that variation", 0.1, 600.0),
        "loss_per_s": Param(0.1, "loss events per second (rate halves, then recovers)", 0.0, 20.0),
        "recover_s": Param(1.5, "time to recover the rate after a loss", 0.05, 60.0),
        "pause_every_mb": Param(50.0, "mean megabytes between pauses (file boundaries)", 0.1, 1e6),
        "pause_s": Param(0.2, "mean pause length", 0.001, 600.0),
        "start_s": Param(0.0, "when the upload starts", 0.0, 1e7),
        "stop_s": Param(-1.0, "when it ends (-1: never)", -1.0, 1e7),
        "tid": Param(0, "QoS TID (0 best effort, 1 background)", 0, 7),
    }

    @classmethod
    def random_params(cls, rng: np.random.Generator) -> Dict[str, Any]:
        limited = rng.random() < 0.25
        rate = logu(rng, 1e6, 5e6) if limited else logu(rng, 2e6, 60e6)
        # the device's PHY must carry the rate (rate control rarely reaches the top rate)
        rates = [r for r in (72.2, 130.0, 144.4, 173.3, 300.0, 433.3, 585.0, 866.7) if r * 0.35 > rate / 1e6]
        p = random_radio(rng, rates=tuple(rates) or (866.7,), peer_rates=(130.0, 173.3, 300.0, 433.3, 866.7),
                         retry_hi=0.08)
        p["max_agg"] = int(choice(rng, [8, 16, 32, 32, 64]))
        p["busy_p"] = float(rng.uniform(0.0, 0.3))
        quic = rng.random() < 0.25
        start = 0.0 if rng.random() < 0.6 else float(rng.uniform(0.0, 30.0))
        p.update(
            rate_bps=rate,
            mtu=int(choice(rng, [1500, 1500, 1500, 1492, 1480, 1420])) if not quic else int(rng.integers(1280, 1400)),
            protocol="quic" if quic else "tcp",
            rtt_ms=logu(rng, 5.0, 200.0),
            ack_every=int(choice(rng, [2, 2, 2, 2, 1, 4, 8])) if not quic else int(choice(rng, [2, 2, 10])),
            ack_jitter=float(rng.uniform(0.1, 1.0)),
            rate_var=float(rng.uniform(0.0, 0.3)),
            rate_tau_s=logu(rng, 1.0, 10.0),
            loss_per_s=float(rng.uniform(0.0, 0.5)),
            recover_s=logu(rng, 0.3, 5.0),
            pause_every_mb=logu(rng, 1.0, 200.0),
            pause_s=logu(rng, 0.02, 2.0),
            start_s=start,
            stop_s=-1.0 if rng.random() < 0.85 else start + logu(rng, 5.0, 300.0),
            tid=int(choice(rng, [0, 0, 0, 1])),
        )
        return p

    def _setup(self) -> None:
        p = self.p
        self._stop = p["stop_s"] if p["stop_s"] >= 0 else math.inf
        self._quic = p["protocol"] == "quic"
        self._ack_bits = p["mtu"] * 8.0 * p["ack_every"]

    def _start(self, t0: float, rng: np.random.Generator) -> None:
        self._next_work = self._ack_bits * self._jit(1, rng)[0]  # bits of work before the next ACK
        self._lx = 0.0  # log-rate walk
        self._lt = t0
        self._losses = []  # loss times still affecting the rate
        self._next_loss = t0 + rng.exponential(1.0 / self.p["loss_per_s"]) if self.p["loss_per_s"] > 0 else math.inf
        self._pause_until = -math.inf
        self._to_pause = rng.exponential(self.p["pause_every_mb"] * 8e6)

    def _jit(self, n, rng):
        cv = self.p["ack_jitter"]
        if cv <= 0:
            return np.ones(n)
        shape = 1.0 / (cv * cv)
        return rng.gamma(shape, 1.0 / shape, n)

    def _rate_grid(self, a: float, b: float, rng: np.random.Generator):
        """Bottleneck rate (bit/s) on a 1 ms grid over [a, b)."""
        p = self.p
        dt = 1e-3
        n = max(1, int(math.ceil((b - a) / dt)))
        t = a + dt * np.arange(n)
        # slow log-normal walk (AR(1) on a 50 ms grid, interpolated)
        g = 0.05
        m = int(math.ceil((b - self._lt) / g)) + 1
        a1 = math.exp(-g / p["rate_tau_s"])
        w = rng.standard_normal(m) * p["rate_var"] * math.sqrt(1 - a1 * a1)
        xs = np.empty(m + 1)
        xs[0] = self._lx
        for i in range(m):
            xs[i + 1] = a1 * xs[i] + w[i]
        gt = self._lt + g * np.arange(m + 1)
        x = np.interp(t, gt, xs)
        self._lx = float(np.interp(b, gt, xs))
        self._lt = b
        rate = p["rate_bps"] * np.exp(x - p["rate_var"] ** 2 / 2)
        # slow start over the first round trips
        ramp_t = p["rtt_ms"] * 1e-3 * math.log2(max(2.0, p["rate_bps"] * p["rtt_ms"] * 1e-3 / (10 * 12000.0)))
        rate *= np.clip((t - p["start_s"]) / max(ramp_t, 1e-3), 0.05, 1.0)
        # losses: the window halves, then grows back linearly
        while self._next_loss < b:
            self._losses.append(self._next_loss)
            self._next_loss += rng.exponential(1.0 / p["loss_per_s"])
        rec = p["recover_s"]
        for tl in self._losses:
            f = np.where(t >= tl, np.clip(0.5 + 0.5 * (t - tl) / rec, 0.5, 1.0), 1.0)
            f = np.where((t >= tl) & (t < tl + p["rtt_ms"] * 1e-3), 0.0, f)  # fast retransmit round
            rate *= f
        self._losses = [tl for tl in self._losses if tl + rec > b]
        return t, rate, dt

    def _produce(self, t0: float, t1: float, rng: np.random.Generator):
        p = self.p
        a, b = max(t0, p["start_s"]), min(t1, self._stop)
        if a >= b:
            return []
        t, rate, dt = self._rate_grid(a, b, rng)
        rate = np.where(t < self._pause_until, 0.0, rate)
        work = np.cumsum(rate * dt)  # bits done by the end of each grid step
        total = float(work[-1])
        # pauses between files: after ~pause_every_mb megabytes the sender stops a while
        if self._to_pause < total:
            i = int(np.searchsorted(work, self._to_pause))
            tp = t[min(i, len(t) - 1)]
            self._pause_until = tp + rng.exponential(p["pause_s"])
            rate = np.where((t >= tp) & (t < self._pause_until), 0.0, rate)
            work = np.cumsum(rate * dt)
            total = float(work[-1])
            self._to_pause = rng.exponential(p["pause_every_mb"] * 8e6)
        else:
            self._to_pause -= total
        # ACK i is sent when the bottleneck has done its share of work
        w = self._next_work  # work still needed before the next ACK (bits)
        levels = None
        if w < total:
            n = int((total - w) / self._ack_bits * 1.3) + 16
            incr = self._ack_bits * self._jit(n, rng)
            lv = w + np.concatenate([[0.0], np.cumsum(incr[:-1])])
            while lv[-1] < total:
                more = self._ack_bits * self._jit(n, rng)
                lv = np.concatenate([lv, lv[-1] + np.cumsum(more)])
            levels = lv[lv < total]
            w = float(lv[len(levels)])
        self._next_work = w - total
        if levels is not None and len(levels):
            lv = levels
            ts = np.interp(lv, np.concatenate([[0.0], work]), np.concatenate([[a], t + dt]))
            ack_l3 = rng.integers(48, 80, len(ts)) if self._quic else np.full(len(ts), 52, np.int64)
            self._queue(PEER, ts, ack_l3, tid=p["tid"], proto=E.PROTO_UDP if self._quic else E.PROTO_TCP,
                        tag=_TAG_CLOCK)
        return []

    def _on_sent(self, side: int, rec: np.ndarray, res, rng: np.random.Generator) -> None:
        """Each ACK that reaches the laptop releases the segments it acknowledged."""
        if side != PEER or not len(res.pkt):
            return
        last = np.append(res.pkt[1:] != res.pkt[:-1], True)
        pk = res.pkt[last]
        clock = rec["tag"][pk] == _TAG_CLOCK
        if not clock.any():
            return
        t_ack = res.ts[last][clock] + 60e-6
        k = self.p["ack_every"]
        t = np.repeat(t_ack, k) + rng.exponential(80e-6, len(t_ack) * k)
        t = np.sort(t + np.tile(np.arange(k) * 5e-6, len(t_ack)))
        l3 = np.full(len(t), self.p["mtu"], np.int64)
        self._queue(ME, t, l3, tid=self.p["tid"], proto=E.PROTO_UDP if self._quic else E.PROTO_TCP)
