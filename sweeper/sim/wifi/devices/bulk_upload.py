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

Congestion control (``cc``) shapes the loss response and the fine timing:

* ``reno``: the window halves at a loss and grows back linearly.
* ``cubic``: the window drops to 0.7 and grows back along a concave cubic curve (fast,
  then flattening near the old maximum): a sawtooth over seconds. Nothing paces the
  sender, so when ACKs reach it compressed (the access point aggregates them, the
  receiver coalesces them: ``ack_clump``) it releases a window burst per clump.
* ``bbr``: the sender paces at its estimate of the bottleneck rate, in quanta of about
  a millisecond of data (at least two segments), whatever the ACKs do, and probes with
  the ProbeBW gain cycle: one round trip at 1.25x, one at 0.75x to drain the queue it
  built, six at 1x. Losses barely change its rate.
* ``paced`` (QUIC stacks, fq): a loss-based sender that paces its window over the round
  trip instead of releasing packets on ACK arrival. QUIC acknowledges every
  ``ack_every`` (2-10) packets in small UDP datagrams.

Where the bottleneck sits (``bottleneck``) decides how even the ACK clock is: ``path``
(the rate is the path's, ACK spacing jitters with ``ack_jitter``), ``uplink`` (a home
DSL/cable upstream of 1-6 Mbit/s: its queue drains at exactly the line rate, so ACKs
come back evenly spaced and the upload is smooth) or ``policer`` (a token-bucket shaper
whose timer refills it every ``bucket_ms``, 1-12 ms with kernel timer ticks or cable
upstream grant cycles, and forwards what the tokens allow at line rate: ACKs, and so the
sender's segments, come in one train per refill).
"""
from __future__ import annotations

import math
from typing import Any, Dict

import numpy as np

from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.devices.base import (F_ACKME, ME, PEER, SimDevice, Param, QuicAcks, added_draws, check_ranges,
                                           choice, logu, random_radio)

_TAG_CLOCK = 1
#: BBR ProbeBW pacing gains, one round trip each
_BBR_GAINS = np.array([1.25, 0.75, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
#: line rate a policer forwards a train at (bit/s)
_LINE_BPS = 100e6


class BulkUpload(QuicAcks, SimDevice):
    """An ACK-clocked bulk upload (see the module docstring)."""

    kind = "bulk_upload"
    MAC_POOL = "laptop"
    LOCAL_MAC_SHARE = 0.3
    SCENE_FILE_DEFAULTS = ("cc", "paced", "ack_clump", "bottleneck", "bucket_ms")
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
        "cc": Param("reno", "congestion control: reno, cubic or bbr (see the module docstring)",
                    choices=("reno", "cubic", "bbr")),
        "paced": Param(False, "a loss-based sender paces its window (QUIC stacks, fq) instead of ACK clocking"),
        "ack_clump": Param(1.0, "mean ACKs reaching the sender together (aggregation, coalescing)", 1.0, 64.0),
        "bottleneck": Param("path", "path, uplink (smooth home upstream) or policer (token-bucket trains)",
                            choices=("path", "uplink", "policer")),
        "bucket_ms": Param(20.0, "policer: token refill interval", 1.0, 1000.0),
    }

    @classmethod
    def random_params(cls, rng: np.random.Generator, ranges: str = "calibration") -> Dict[str, Any]:
        test = check_ranges(ranges) == "test"
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
        # later additions, from a child stream: the original draws keep their values
        x = added_draws(rng)
        p.update(
            cc=choice(x, ["cubic", "bbr"], [0.6, 0.4]) if quic else choice(x, ["reno", "cubic", "bbr"],
                                                                            [0.15, 0.55, 0.3]),
            paced=bool(quic and x.random() < 0.6),
            ack_clump=1.0 if x.random() < 0.4 else logu(x, 1.5, 6.0),
            bottleneck=choice(x, ["path", "uplink", "policer"], [0.5, 0.35, 0.15]),
            bucket_ms=logu(x, 2.0, 10.0),
        )
        if p["bottleneck"] == "uplink":  # home DSL / cable upstream
            p["rate_bps"] = logu(x, 1e6, 6e6)
        elif p["bottleneck"] == "policer":
            p["rate_bps"] = logu(x, 0.8e6, 10e6)
        elif x.random() < 0.4:  # laptops and phones on a fast upstream, the range cameras share
            p["rate_bps"] = logu(x, 0.8e6, 20e6)
        if test:
            if p["bottleneck"] == "path":
                p["rate_bps"] = logu(x, 0.8e6, 30e6)
            p["rtt_ms"] = logu(x, 2.0, 400.0)
            p["ack_jitter"] = float(x.uniform(0.02, 1.5))
            p["pause_s"] = logu(x, 0.01, 5.0)
            p["pause_every_mb"] = logu(x, 0.5, 300.0)
            p["loss_per_s"] = float(x.uniform(0.0, 1.0))
            p["ack_every"] = int(choice(x, [1, 2, 2, 3, 4, 8, 16])) if not quic else int(x.integers(2, 11))
            p["ack_clump"] = 1.0 if x.random() < 0.3 else logu(x, 1.2, 10.0)
            p["bucket_ms"] = logu(x, 1.0, 12.0)
        return p

    def _setup(self) -> None:
        p = self.p
        self._stop = p["stop_s"] if p["stop_s"] >= 0 else math.inf
        self._quic = p["protocol"] == "quic"
        self._ack_bits = p["mtu"] * 8.0 * p["ack_every"]
        self._paced = p["cc"] == "bbr" or p["paced"]
        # pacing quantum: about 1 ms of data, at least two segments (TSO autosizing)
        self._quantum = 1 if (self._quic and p["rate_bps"] < 10e6) else max(2, int(round(
            p["rate_bps"] * 1e-3 / (p["mtu"] * 8.0))))

    def _start(self, t0: float, rng: np.random.Generator) -> None:
        self._next_work = self._ack_bits * self._jit(1, rng)[0]  # bits of work before the next ACK
        self._lx = 0.0  # log-rate walk
        self._lt = t0
        self._losses = []  # loss times still affecting the rate
        self._next_loss = t0 + rng.exponential(1.0 / self.p["loss_per_s"]) if self.p["loss_per_s"] > 0 else math.inf
        self._pause_until = -math.inf
        self._to_pause = rng.exponential(self.p["pause_every_mb"] * 8e6)
        p = self.p
        if self._paced:
            self._next_work = p["mtu"] * 8.0 * self._quantum
        if p["cc"] == "bbr":
            self._cycle0 = t0 - rng.uniform(0.0, 8.0) * p["rtt_ms"] * 1e-3
        if p["bottleneck"] == "policer":
            self._bucket_phase = float(rng.uniform(0.0, p["bucket_ms"] * 1e-3))
            self._train = (-1, 0, 0.0)  # (refill index, ACKs already in its train, its timer lateness)

    def _jit(self, n, rng):
        cv = self.p["ack_jitter"]
        if self.p["bottleneck"] == "uplink":
            cv *= 0.25  # the upstream queue re-spaces packets at the line rate
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
            if p["cc"] == "bbr":
                break  # BBR keeps pacing at its bandwidth estimate
            if p["cc"] == "cubic":  # back to 0.7, concave cubic regrowth to the old maximum
                u = np.clip((t - tl) / rec, 0.0, 1.0)
                f = np.where(t >= tl, 1.0 - 0.3 * (1.0 - u) ** 3, 1.0)
            else:
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
        if self._paced:
            self._paced_send(a, t, rate, dt, rng)
            return []
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
            ts = self._shape_acks(ts, rng)
            ack_l3 = rng.integers(48, 80, len(ts)) if self._quic else np.full(len(ts), 52, np.int64)
            self._queue(PEER, ts, ack_l3, tid=p["tid"], proto=E.PROTO_UDP if self._quic else E.PROTO_TCP,
                        tag=_TAG_CLOCK)
        return []

    def _shape_acks(self, ts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """ACK times as they reach the access point: one train per policer refill, and
        clumps of ``ack_clump`` ACKs forwarded together."""
        p = self.p
        if p["bottleneck"] == "policer" and len(ts):
            B = p["bucket_ms"] * 1e-3
            idx = np.floor((ts - self._bucket_phase) / B).astype(np.int64)
            first = np.flatnonzero(np.concatenate([[True], idx[1:] != idx[:-1]]))
            grp = np.cumsum(np.concatenate([[False], idx[1:] != idx[:-1]]))
            rank = np.arange(len(ts)) - first[grp]
            rank = rank + np.where(idx == self._train[0], self._train[1], 0)
            # the refill timer fires a little late, by a different amount each tick
            late = rng.uniform(0.0, 0.3 * B, len(first))
            late[0] = self._train[2] if idx[0] == self._train[0] else late[0]
            ts = self._bucket_phase + (idx + 1) * B + late[grp] + rank * (self._ack_bits / _LINE_BPS)
            self._train = (int(idx[-1]), int(rank[-1]) + 1, float(late[-1]))
        if p["ack_clump"] > 1.0 and len(ts):
            size = rng.geometric(1.0 / p["ack_clump"], len(ts))
            ends = np.minimum(np.cumsum(size) - 1, len(ts) - 1)
            clump = np.searchsorted(np.cumsum(size), np.arange(len(ts)), side="right")
            ts = ts[ends[clump]]
        return ts

    def _paced_send(self, a: float, t: np.ndarray, rate: np.ndarray, dt: float, rng: np.random.Generator) -> None:
        """A pacing sender: a quantum of segments every quantum's worth of the pacing rate
        (with BBR's ProbeBW gains); the receiver's ACKs come back a round trip later."""
        p = self.p
        if p["cc"] == "bbr":
            phase = np.floor((t - self._cycle0) / (p["rtt_ms"] * 1e-3)).astype(np.int64) % 8
            rate = rate * _BBR_GAINS[phase]
        work = np.cumsum(rate * dt)
        total = float(work[-1])
        qbits = p["mtu"] * 8.0 * self._quantum
        w = self._next_work
        if w >= total:
            self._next_work = w - total
            return
        lv = w + qbits * np.arange(int((total - w) / qbits) + 1)
        lv = lv[lv < total]
        self._next_work = float(lv[-1] + qbits - total)
        te = np.interp(lv, np.concatenate([[0.0], work]), np.concatenate([[a], t + dt]))
        q = self._quantum
        ts = np.repeat(te, q) + np.tile(np.arange(q) * 12e-6, len(te)) + rng.exponential(20e-6, len(te) * q)
        l3 = np.full(len(ts), p["mtu"], np.int64)
        self._queue(ME, np.sort(ts), l3, tid=p["tid"], proto=E.PROTO_UDP if self._quic else E.PROTO_TCP,
                    flags=F_ACKME)

    def _ack_delay(self, side: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if side == ME:  # the server's ACKs of paced data come back after the round trip
            return self.p["rtt_ms"] * 1e-3 * (0.95 + rng.exponential(0.05, n))
        return super()._ack_delay(side, n, rng)

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
