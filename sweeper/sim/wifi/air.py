"""The 802.11 medium as one transmitter experiences it: airtime, channel access, retries,
aggregation and acknowledgements, plus signal fading at the sniffer.

:class:`TxQueue` turns packets handed to a transmitter (arrival times and sizes) into
frames on the air. Each transmission waits DIFS plus a random backoff (and, when the
channel is busy, for someone else's transmission), lasts its airtime at the PHY rate
chosen for it, and is acknowledged after SIFS. A failed attempt is repeated with the
retry bit set and a doubled contention window. Packets that queue up behind each other
(a video frame's burst) leave as A-MPDUs of up to ``max_agg`` MPDUs sent back to back
and answered by one BlockAck. The queue is a Lindley recursion solved in closed form
with cumulative maxima, so whole bursts are scheduled without a per-packet loop, and its
state (busy until) carries over between calls so spans join seamlessly.

:class:`Fader` is a received-signal-strength process: an Ornstein-Uhlenbeck walk in dB
(slow fading: people moving, doors) plus per-frame Gaussian scatter (fast fading
averaged over the sniffer's antennas).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

#: HT (802.11n) single-stream 20 MHz rates in Mbit/s, long guard interval, MCS 0-7
HT20_1SS = (6.5, 13.0, 19.5, 26.0, 39.0, 52.0, 58.5, 65.0)
#: legacy OFDM rates (802.11a/g)
OFDM_RATES = (6.0, 9.0, 12.0, 18.0, 24.0, 36.0, 48.0, 54.0)

SLOT = 9e-6
ACK_BYTES = 14
BA_BYTES = 32


def sifs(channel: int) -> float:
    return 10e-6 if channel <= 14 else 16e-6


def ladder(max_rate_mbps: float) -> np.ndarray:
    """The rates a rate-control algorithm steps through below ``max_rate_mbps``: the
    HT20 single-stream ladder scaled so its top is the device's best rate."""
    top = HT20_1SS[-1]
    return np.array([r * max_rate_mbps / top for r in HT20_1SS], np.float64)


def airtime(nbytes, rate_mbps, preamble_us: float = 36.0):
    """Seconds on air of an MPDU of ``nbytes`` at ``rate_mbps`` (OFDM: 4 us symbols,
    16 service + 6 tail bits; ``preamble_us`` 20 legacy, 36 HT-mixed, 192 DSSS long)."""
    nbytes = np.asarray(nbytes, np.float64)
    rate = np.asarray(rate_mbps, np.float64)
    if preamble_us >= 96:  # DSSS/CCK: no symbol rounding
        return (preamble_us + 8.0 * nbytes / rate) * 1e-6
    bits_per_sym = rate * 4.0
    nsym = np.ceil((16.0 + 8.0 * nbytes + 6.0) / bits_per_sym)
    return (preamble_us + 4.0 * nsym) * 1e-6


@dataclass
class TxResult:
    """Frames one :meth:`TxQueue.send` call put on the air.

    Per attempt (one row per transmission, retries included): ``pkt`` (index of the
    packet sent), ``ts``, ``retry`` (bool), ``rate_mbps``. Per acknowledgement: ``ack_ts``,
    ``ack_block`` (True for a BlockAck) and ``ack_pkt`` (the packet acknowledged; for a
    BlockAck the last of its A-MPDU). ``sent`` marks packets not dropped by a full queue.
    """

    pkt: np.ndarray
    ts: np.ndarray
    retry: np.ndarray
    rate_mbps: np.ndarray
    ack_ts: np.ndarray
    ack_block: np.ndarray
    ack_pkt: np.ndarray
    sent: np.ndarray


@dataclass
class TxQueue:
    """One transmitter's queue for one access category (see the module docstring).

    ``rate_mbps`` is the best PHY rate rate control reaches; ``retry_p`` the chance an
    attempt fails; ``busy_p`` / ``busy_mean_s`` how often and how long the channel is
    taken by others when the transmitter wants it; ``cw_min`` the contention window
    (15 best effort, 7 video, 3 voice); ``max_delay_s`` the queue length in time beyond
    which packets are dropped (a full driver queue); ``group_rate_mbps`` the basic rate
    used for group-addressed frames. ``ppdu_ts``: every MPDU of an A-MPDU carries the
    start time of the PPDU (as many monitor drivers stamp them).
    """

    rate_mbps: float = 65.0
    channel: int = 6
    retry_p: float = 0.02
    max_agg: int = 16
    busy_p: float = 0.1
    busy_mean_s: float = 0.5e-3
    cw_min: int = 15
    max_delay_s: float = 0.5
    group_rate_mbps: float = 1.0
    rate_spread: float = 0.3
    ppdu_ts: bool = False
    busy_until: float = 0.0
    _ladder: np.ndarray = field(default=None, repr=False)

    def __post_init__(self):
        self._ladder = ladder(self.rate_mbps)

    @property
    def sifs(self) -> float:
        return sifs(self.channel)

    def _group_preamble(self) -> float:
        return 192.0 if self.group_rate_mbps < 6 else 20.0

    def control_airtime(self, nbytes: int) -> float:
        """Airtime of an ACK/BlockAck at the legacy control rate (24 Mbit/s, or 1/2 Mbit/s
        DSSS when the BSS runs 802.11b basic rates)."""
        if self.group_rate_mbps < 6:
            return float(airtime(nbytes, 2.0, 192.0))
        return float(airtime(nbytes, 24.0, 20.0))

    def _rates(self, n: int, rng: np.random.Generator) -> np.ndarray:
        lad = self._ladder
        top = len(lad) - 1
        step = np.minimum(rng.geometric(1.0 - min(0.9, self.rate_spread), n) - 1, top)
        return lad[top - step]

    def send(self, arr: np.ndarray, nbytes: np.ndarray, rng: np.random.Generator, group=False) -> TxResult:
        """Schedule packets (arrival times ``arr`` in order, MPDU sizes ``nbytes`` on the
        air) behind whatever is still queued. ``group`` (a bool or one per packet) marks
        group-addressed frames: sent once at the basic rate, never acknowledged nor
        aggregated."""
        arr = np.asarray(arr, np.float64)
        n = len(arr)
        z = np.zeros(0, np.int64)
        if n == 0:
            zf = np.zeros(0)
            return TxResult(z, zf, np.zeros(0, bool), zf, zf, np.zeros(0, bool), z, np.zeros(0, bool))
        if n > 1 and np.any(np.diff(arr) < 0):
            raise ValueError("arrivals must be in time order")
        nbytes = np.asarray(nbytes, np.float64)
        grp = np.broadcast_to(np.asarray(group, bool), (n,)).copy()
        sifs_s = self.sifs
        difs = sifs_s + 2 * SLOT
        rate = np.where(grp, self.group_rate_mbps, self._rates(n, rng))
        a = np.where(grp, airtime(nbytes, self.group_rate_mbps, self._group_preamble()),
                     airtime(nbytes, rate, 36.0))
        if self.retry_p > 0:
            k = np.minimum(rng.geometric(1.0 - min(self.retry_p, 0.9), n), 7).astype(np.int64)
            k[grp] = 1
        else:
            k = np.ones(n, np.int64)
        ack_t = sifs_s + self.control_airtime(ACK_BYTES)
        # attempt-level arrays
        m = int(k.sum())
        pkt = np.repeat(np.arange(n), k)
        first = np.zeros(m, bool)
        starts = np.cumsum(k) - k
        first[starts] = True
        last_att = np.append(pkt[1:] != pkt[:-1], True)
        j = np.arange(m) - np.repeat(starts, k)  # attempt number within its packet
        cw = np.minimum((self.cw_min + 1) * (2 ** j) - 1, 1023)
        backoff = difs + np.floor(rng.random(m) * (cw + 1)) * SLOT
        busy = rng.random(m) < self.busy_p
        backoff = backoff + np.where(busy, rng.exponential(self.busy_mean_s, m), 0.0)
        a_att = a[pkt]
        # a failed attempt waits out the ACK timeout; the last one gets its ACK
        tail = np.where(grp[pkt], 0.0, ack_t)
        # pass 1: every packet on its own
        svc = np.bincount(pkt, backoff + a_att + tail, minlength=n)
        start = self._lindley(arr, svc)
        agg_first = np.ones(n, bool)
        agg_last = np.ones(n, bool)
        if self.max_agg > 1 and n > 1 and not grp.all():
            end1 = start + svc
            queued = np.zeros(n, bool)
            # arrived while the previous packet was going out (group frames break A-MPDUs)
            queued[1:] = (arr[1:] < end1[:-1]) & ~grp[1:] & ~grp[:-1]
            run_id = np.cumsum(~queued)
            run_start = np.flatnonzero(~queued)
            pos = np.arange(n) - run_start[run_id - 1]
            agg_first = (pos % self.max_agg) == 0
            agg_last = np.append(agg_first[1:], True)
            # pass 2: only the first MPDU of an A-MPDU contends; the last gets the BlockAck
            multi_last = agg_last & ~agg_first
            single = agg_first & agg_last
            ba_t = sifs_s + self.control_airtime(BA_BYTES)
            contend = (agg_first[pkt] & first) | ~first
            backoff = np.where(contend, backoff, 0.0)
            tail = np.where(single[pkt], tail, 0.0)
            tail = np.where(multi_last[pkt] & last_att, ba_t, tail)
            svc = np.bincount(pkt, backoff + a_att + tail, minlength=n)
            start = self._lindley(arr, svc)
        # drop what would wait beyond the queue's capacity (then re-schedule the rest)
        keep = (start - arr) <= self.max_delay_s
        if not keep.all():
            svc = np.where(keep, svc, 0.0)
            start = np.where(keep, self._lindley(arr, svc), np.nan)
        return self._finish(start, svc, backoff, a_att, tail, pkt, first, last_att, agg_first, agg_last, rate,
                            keep, grp)

    def _lindley(self, arr: np.ndarray, svc: np.ndarray) -> np.ndarray:
        """Service start times of a FIFO server: start_i = max(arr_i, end_{i-1}), with the
        server busy until ``busy_until`` before the first packet."""
        S = np.cumsum(svc)
        S_prev = S - svc
        end = S + np.maximum(self.busy_until, np.maximum.accumulate(arr - S_prev))
        return end - svc

    def _finish(self, start, svc, backoff, a_att, tail, pkt, first, last_att, agg_first, agg_last, rate, keep, grp):
        n = len(start)
        # attempt start times: packet service start + the costs of earlier attempts
        cost = backoff + a_att + tail
        excl = np.cumsum(cost) - cost
        counts = np.bincount(pkt, minlength=n)
        pstart = np.cumsum(counts) - counts
        ts = start[pkt] + (excl - excl[pstart][pkt]) + backoff
        end_att = ts + a_att
        valid = np.isfinite(ts)
        if self.ppdu_ts:
            # every MPDU of an A-MPDU stamped with the start of its first MPDU
            agg_id = np.cumsum(agg_first) - 1
            first_ts = np.full(int(agg_id[-1]) + 1, np.inf)
            sel = valid & first
            np.minimum.at(first_ts, agg_id[pkt][sel], ts[sel])
            ts = np.where(sel, np.minimum(ts, first_ts[agg_id[pkt]]), ts)
        fin = start + svc
        fin = fin[np.isfinite(fin)]
        if len(fin):
            self.busy_until = max(self.busy_until, float(fin.max()))
        # acknowledgements: after the last attempt of a single MPDU, or after the last
        # MPDU of an A-MPDU (BlockAck); none for group-addressed frames
        ack_sel = last_att & valid & agg_last[pkt] & ~grp[pkt]
        ack_ts = end_att[ack_sel] + self.sifs
        ack_pkt = pkt[ack_sel]
        ack_block = ~agg_first[ack_pkt]
        return TxResult(pkt[valid], ts[valid], ~first[valid], rate[pkt][valid], ack_ts, ack_block, ack_pkt, keep)


@dataclass
class Fader:
    """RSSI at the sniffer (dBm): ``mean_db`` + an OU walk of std ``slow_db`` and
    correlation time ``tau_s`` + per-frame Gaussian scatter of std ``fast_db``."""

    mean_db: float = -60.0
    slow_db: float = 3.0
    tau_s: float = 2.0
    fast_db: float = 1.5
    _grid_t: Optional[np.ndarray] = field(default=None, repr=False)
    _grid_x: Optional[np.ndarray] = field(default=None, repr=False)

    def _extend(self, t_start: float, t_end: float, rng: np.random.Generator) -> None:
        g = max(0.02, min(0.5, self.tau_s / 8.0))
        if self._grid_t is None:
            t0 = math.floor(t_start) - 1.0
            self._grid_t = np.array([t0])
            self._grid_x = np.array([rng.normal(0.0, self.slow_db)])
        last_t = float(self._grid_t[-1])
        if t_end <= last_t:
            return
        n = int(math.ceil((t_end - last_t) / g)) + 1
        a = math.exp(-g / self.tau_s)
        b = self.slow_db * math.sqrt(1 - a * a)
        w = rng.standard_normal(n) * b
        x = np.empty(n)
        prev = float(self._grid_x[-1])
        for i in range(n):
            prev = a * prev + w[i]
            x[i] = prev
        t = last_t + g * np.arange(1, n + 1)
        # keep a short history (frames arrive slightly out of order across spans)
        keep = self._grid_t >= last_t - 5.0
        self._grid_t = np.concatenate([self._grid_t[keep], t])
        self._grid_x = np.concatenate([self._grid_x[keep], x])

    def slow(self, ts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The slow component (dB) at times ``ts``."""
        ts = np.asarray(ts, np.float64)
        if len(ts) == 0:
            return np.zeros(0)
        self._extend(float(ts.min()), float(ts.max()), rng)
        return np.interp(ts, self._grid_t, self._grid_x)

    def at(self, ts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """RSSI (dBm, float) of frames at ``ts``."""
        ts = np.asarray(ts, np.float64)
        return self.mean_db + self.slow(ts, rng) + rng.normal(0.0, self.fast_db, len(ts))


def rssi_i8(x: np.ndarray) -> np.ndarray:
    """dBm floats -> int8 as radiotap carries them (clipped to -100..-10)."""
    return np.clip(np.round(x), -100, -10).astype(np.int8)


def rate_units(rate_mbps: np.ndarray) -> np.ndarray:
    """Mbit/s -> radiotap's 500 kbit/s units (u2 here; the renderer clips to one byte)."""
    return np.clip(np.round(np.asarray(rate_mbps) * 2.0), 0, 65535).astype(np.uint16)

