"""Per-transmitter traffic features over sliding windows, computed on whole batches.

Time is cut into slots of ``step_s`` (0.25 s). A window is the last ``window_s`` (2 s,
i.e. 8 slots) ending at a slot boundary, evaluated for each transmitter at each slot
in which it sent unicast data. Per (transmitter, slot) sums come from one sort and
``bincount``; window sums are differences of cumulative sums; so there is no Python
loop over frames or windows. Only windows that pass a cheap gate (enough uplink to be
any camera) get the costly part: the uplink as busy/idle 2 ms bins, whose
autocorrelation shows bursts recurring at a video frame rate.

What is "uplink": data frames the transmitter sends to a unicast receiver (a camera in
AP mode sends its video from-DS, so direction bits are not used); "downlink": unicast
data frames addressed to it. Retransmissions (retry bit) are not counted twice.
Frames to group addresses (an AP's multicast, e.g. IPTV) are not uplink: a hidden
camera streams to one viewer or one cloud server.

Memory is bounded: between batches only the frames of the last window are kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from sweeper.wifi.frames import FC_RETRY, FRAME_DTYPE, FTYPE_DATA, is_group

#: network-layer bytes from which a packet counts as "large" (video is cut into
#: near-MTU packets: 1500 on Ethernet, 1200-1400 for some RTP/WebRTC stacks)
LARGE_L3 = 1000
#: "near MTU" in the reasons shown to the user
NEAR_MTU_L3 = 1400

WINDOW_DTYPE = np.dtype([
    ("mac", "u8"),  # transmitter
    ("t_end", "f8"),  # window end (capture clock)
    ("dur", "f4"),  # seconds of capture in the window
    ("up_kbps", "f4"),  # unicast data sent, kbit/s of network-layer bytes
    ("down_kbps", "f4"),  # unicast data received
    ("up_fps", "f4"),  # frames sent per second
    ("up_share", "f4"),  # up / (up + down) bytes
    ("large_share", "f4"),  # share of uplink bytes in packets >= LARGE_L3
    ("mtu_share", "f4"),  # share of uplink packets >= NEAR_MTU_L3
    ("steadiness", "f4"),  # share of the window's slots with uplink
    ("slot_cv", "f4"),  # coefficient of variation of uplink bytes per slot
    ("growth", "f4"),  # uplink bytes in the window's second half / first half
    ("periodicity", "f4"),  # autocorrelation peak of the burst series at video frame periods
    ("burst_hz", "f4"),  # burst rate at that peak
    ("occupancy", "f4"),  # share of 2 ms bins with uplink (low: bursty; high: saturating)
    ("rssi_mean", "f4"),
    ("rssi_std", "f4"),
])


@dataclass(frozen=True)
class WindowConfig:
    window_s: float = 2.0
    step_s: float = 0.25
    #: shortest window worth judging (at the start of a capture or a channel visit)
    min_window_s: float = 1.0
    #: uplink that could be any camera at all (the lowest bitrates are ~200 kbit/s)
    gate_kbps: float = 120.0
    gate_frames: int = 12
    #: fine bins for burst timing, and the burst periods searched: video frames at 8-40
    #: frames/s, and up to 0.35 s where a short GOP's I-frame bursts set the rhythm
    bin_s: float = 0.002
    min_period_s: float = 1 / 40
    max_period_s: float = 0.35  # frame periods up to 1/8 s, and GOPs of a few frames


class TrafficWindows:
    """Streaming window features: :meth:`push` parsed frames, get window rows back.

    Call :meth:`start_segment` when the capture (re)starts on a channel so windows do
    not span time the receiver was elsewhere; :meth:`flush` at the end of a capture.
    """

    def __init__(self, cfg: WindowConfig = WindowConfig()):
        self.cfg = cfg
        self.slots_per_window = int(round(cfg.window_s / cfg.step_s))
        self._carry = np.zeros(0, FRAME_DTYPE)
        self._seg_start: Optional[float] = None
        self._done_slot: Optional[int] = None  # last slot whose window was evaluated
        # candidate frame periods (in bins) and, for each, the lags from half a period to
        # the period itself, where the correlation must dip below the peak
        lag_lo = int(np.floor(cfg.min_period_s / cfg.bin_s))
        lag_hi = int(np.ceil(cfg.max_period_s / cfg.bin_s))
        self._lags = np.arange(lag_lo, 2 * lag_hi + 2)  # periods and their second multiples
        self._n_periods = lag_hi - lag_lo + 1
        # the dip: min over lags [L // 2, L], answered from a sparse table of minima over
        # power-of-two spans (two overlapping spans cover any range)
        lo_lag = self._lags // 2
        span = self._lags - lo_lag + 1
        self._valley_level = np.floor(np.log2(span)).astype(np.int64)
        self._valley_lo = lo_lag
        self._valley_hi = self._lags - (1 << self._valley_level) + 1
        periods = np.arange(lag_lo, lag_hi + 1)
        self._double_idx = (2 * periods[:, None] + np.array([-1, 0, 1])[None, :]) - lag_lo

    def start_segment(self, ts: Optional[float] = None) -> None:
        """Forget the carried frames; windows start again at ``ts`` (or the next frame)."""
        self._carry = np.zeros(0, FRAME_DTYPE)
        self._seg_start = ts
        self._done_slot = None

    def push(self, frames: np.ndarray) -> np.ndarray:
        """Add parsed frames (``FRAME_DTYPE``); return rows for windows now complete."""
        data = frames[(frames["ftype"] == FTYPE_DATA) & (frames["ta"] != 0)]
        if self._seg_start is None and len(frames):
            self._seg_start = float(frames["ts"].min())
        if len(data) == 0 and len(self._carry) == 0:
            return np.zeros(0, WINDOW_DTYPE)
        allf = np.concatenate([self._carry, data]) if len(self._carry) else data
        if len(allf) > 1 and np.any(np.diff(allf["ts"]) < 0):
            allf = allf[np.argsort(allf["ts"], kind="stable")]
        last_ts = float(frames["ts"].max()) if len(frames) else float(allf["ts"][-1])
        # windows end at slot boundaries; only slots that are over are evaluated
        complete = int(np.floor(last_ts / self.cfg.step_s)) - 1
        rows = self._windows(allf, complete)
        keep_from = (complete - self.slots_per_window + 1) * self.cfg.step_s
        self._carry = allf[allf["ts"] >= keep_from]
        return rows

    def flush(self) -> np.ndarray:
        """Evaluate the windows still open at the end of a capture."""
        if len(self._carry) == 0:
            return np.zeros(0, WINDOW_DTYPE)
        last = int(np.floor(float(self._carry["ts"][-1]) / self.cfg.step_s))
        rows = self._windows(self._carry, last)
        self._carry = np.zeros(0, FRAME_DTYPE)
        return rows

    # ------------------------------------------------------------------ internals

    def _windows(self, f: np.ndarray, last_slot: int) -> np.ndarray:
        """Rows for the windows ending at slots up to ``last_slot`` not yet evaluated.

        Sparse in time: a frame's key is ``(sender << 40) | slot``; with frames sorted by
        key, the sum over any sender's window is a difference of two cumulative sums
        found by ``searchsorted``. Idle hours in a week-long capture cost nothing.
        """
        cfg = self.cfg
        spw = self.slots_per_window
        first_slot = (self._done_slot + 1) if self._done_slot is not None else None
        if first_slot is not None and last_slot < first_slot:
            return np.zeros(0, WINDOW_DTYPE)
        self._done_slot = last_slot if self._done_slot is None else max(self._done_slot, last_slot)

        fresh = (f["fcflags"] & FC_RETRY) == 0
        up = fresh & ~is_group(f["ra"]) & (f["l3len"] >= 0)
        if not up.any():
            return np.zeros(0, WINDOW_DTYPE)
        senders, up_sender = np.unique(f["ta"][up], return_inverse=True)
        slot = np.floor(f["ts"] / cfg.step_s).astype(np.int64)
        s0 = int(slot.min())
        rel = slot - s0

        def keyed(rows_sender, rows_slot, weights_list):
            """Sorted keys and zero-prefixed cumulative sums of each weight."""
            key = (rows_sender.astype(np.int64) << 40) | rows_slot
            order = np.argsort(key, kind="stable")
            sums = [np.concatenate([[0.0], np.cumsum(np.asarray(w, np.float64)[order])])
                    for w in weights_list]
            return key[order], sums

        def window_sum(keys, sums, q, span=spw):
            hi = np.searchsorted(keys, q, side="right")
            lo = np.searchsorted(keys, q - span, side="right")
            return [c[hi] - c[lo] for c in sums]

        l3 = f["l3len"][up].astype(np.float64)
        up_slot = rel[up]
        # per (sender, slot) pairs: candidate windows, and the slot-level statistics
        pair_key = (up_sender.astype(np.int64) << 40) | up_slot
        pairs, pair_inv = np.unique(pair_key, return_inverse=True)
        pair_bytes = np.bincount(pair_inv, weights=l3, minlength=pairs.size)
        k_up, (c_bytes, c_frames, c_large, c_mtu) = keyed(
            up_sender, up_slot, [l3, np.ones_like(l3), np.where(l3 >= LARGE_L3, l3, 0.0),
                                 (l3 >= NEAR_MTU_L3).astype(np.float64)])
        c_active = np.concatenate([[0.0], np.cumsum(np.ones(pairs.size))])
        c_sq = np.concatenate([[0.0], np.cumsum(pair_bytes ** 2)])
        # downlink: unicast data addressed to a sender
        pos = np.searchsorted(senders, f["ra"][up])
        pos = np.minimum(pos, senders.size - 1)
        is_down = senders[pos] == f["ra"][up]
        k_down, (c_down,) = keyed(pos[is_down], up_slot[is_down], [l3[is_down]])
        # received signal of everything the senders transmit
        pos_all = np.minimum(np.searchsorted(senders, f["ta"]), senders.size - 1)
        r_ok = (senders[pos_all] == f["ta"]) & ~np.isnan(f["rssi"])
        r = f["rssi"][r_ok].astype(np.float64)
        k_rssi, (c_rs, c_rq, c_rn) = keyed(pos_all[r_ok], rel[r_ok], [r, r * r, np.ones_like(r)])

        # which pairs are windows to judge now
        slot_abs = (pairs & ((1 << 40) - 1)) + s0
        t_end = (slot_abs + 1) * cfg.step_s
        seg = self._seg_start if self._seg_start is not None else float(f["ts"].min())
        dur = np.minimum(cfg.window_s, t_end - seg)
        ok = (slot_abs <= last_slot) & (dur >= cfg.min_window_s - 1e-9)
        if first_slot is not None:
            ok &= slot_abs >= first_slot
        upb, nfr, nlarge, nmtu = window_sum(k_up, [c_bytes, c_frames, c_large, c_mtu], pairs)
        ok &= (upb * 8 / 1000 / np.maximum(dur, 1e-9) >= cfg.gate_kbps) & (nfr >= cfg.gate_frames)
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return np.zeros(0, WINDOW_DTYPE)
        q = pairs[idx]
        hi = np.searchsorted(pairs, q, side="right")
        lo = np.searchsorted(pairs, q - spw, side="right")
        active = c_active[hi] - c_active[lo]
        sq = c_sq[hi] - c_sq[lo]
        (downb,) = window_sum(k_down, [c_down], q)
        rs, rq, rn = window_sum(k_rssi, [c_rs, c_rq, c_rn], q)
        upb, nfr, nlarge, nmtu = upb[idx], nfr[idx], nlarge[idx], nmtu[idx]
        n_slots_in = np.maximum(np.rint(dur[idx] / cfg.step_s), 1).astype(np.int64)
        half = np.maximum(n_slots_in // 2, 1)
        (late,) = window_sum(k_up, [c_bytes], q, half)

        rows = np.zeros(idx.size, WINDOW_DTYPE)
        d = dur[idx]
        sender_idx = (q >> 40).astype(np.int64)
        rows["mac"] = senders[sender_idx]
        rows["t_end"] = t_end[idx]
        rows["dur"] = d
        rows["up_kbps"] = upb * 8 / 1000 / d
        rows["down_kbps"] = downb * 8 / 1000 / d
        rows["up_fps"] = nfr / d
        rows["up_share"] = upb / np.maximum(upb + downb, 1)
        rows["large_share"] = nlarge / np.maximum(upb, 1)
        rows["mtu_share"] = nmtu / np.maximum(nfr, 1)
        rows["steadiness"] = np.minimum(active / n_slots_in, 1.0)
        mean = upb / n_slots_in
        rows["growth"] = late / np.maximum(upb - late, 1.0)
        rows["slot_cv"] = np.sqrt(np.maximum(sq / n_slots_in - mean ** 2, 0)) / np.maximum(mean, 1e-9)
        rmean = rs / np.maximum(rn, 1)
        rows["rssi_mean"] = np.where(rn > 0, rmean, np.nan)
        rows["rssi_std"] = np.where(rn > 1, np.sqrt(np.maximum(rq / np.maximum(rn, 1) - rmean ** 2, 0)), np.nan)

        # burst timing, only for the windows that passed the gate
        self._periodicity(rows, f["ts"][up], l3, up_sender, sender_idx)
        return rows

    def _valley(self, sm: np.ndarray) -> np.ndarray:
        """min(sm[:, L // 2 : L + 1]) for every lag L in ``self._lags`` (range-minimum
        queries on a sparse table: a few array minimums instead of a 3-D gather)."""
        levels = [sm]
        for k in range(1, int(self._valley_level.max()) + 1):
            prev, half = levels[-1], 1 << (k - 1)
            levels.append(np.minimum(prev[:, :-half], prev[:, half:]))
        out = np.empty((sm.shape[0], self._lags.size), sm.dtype)
        for k in np.unique(self._valley_level):
            cols = np.flatnonzero(self._valley_level == k)
            table = levels[k]
            out[:, cols] = np.minimum(table[:, self._valley_lo[cols]], table[:, self._valley_hi[cols]])
        return out

    def _periodicity(self, rows, ts, l3, sender_rows, si, chunk: int = 64) -> None:
        """Burst rhythm of each gated window: the autocorrelation of its uplink as busy/idle
        ``bin_s`` bins, peak prominence at a frame (or GOP) period and twice it."""
        cfg = self.cfg
        nb = int(round(cfg.window_s / cfg.bin_s))
        nfft = 1 << int(np.ceil(np.log2(2 * nb)))
        lag_lo = int(np.floor(cfg.min_period_s / cfg.bin_s))
        lag_hi = int(np.ceil(cfg.max_period_s / cfg.bin_s))
        # uplink frames sorted by (sender, time): a window is a contiguous run
        t_us = np.rint((ts - ts.min()) * 1e6).astype(np.int64)
        key = sender_rows.astype(np.int64) << 40 | t_us
        order = np.argsort(key, kind="stable")
        key_sorted = key[order]
        ts_sorted, l3_sorted = ts[order], l3[order]
        t0_us = np.rint((rows["t_end"] - rows["dur"] - ts.min()) * 1e6).astype(np.int64)
        t1_us = np.rint((rows["t_end"] - ts.min()) * 1e6).astype(np.int64)
        lo = np.searchsorted(key_sorted, si.astype(np.int64) << 40 | np.maximum(t0_us, 0))
        hi = np.searchsorted(key_sorted, si.astype(np.int64) << 40 | np.maximum(t1_us, 0))
        for c0 in range(0, rows.size, chunk):
            c1 = min(c0 + chunk, rows.size)
            counts = hi[c0:c1] - lo[c0:c1]
            total = int(counts.sum())
            row_of = np.repeat(np.arange(c1 - c0), counts)
            within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
            idx = np.repeat(lo[c0:c1], counts) + within
            start = (rows["t_end"][c0:c1] - rows["dur"][c0:c1]).astype(np.float64)
            b = np.floor((ts_sorted[idx] - start[row_of]) / cfg.bin_s).astype(np.int64)
            b = np.clip(b, 0, nb - 1)
            series = np.bincount(row_of * nb + b, weights=l3_sorted[idx],
                                 minlength=(c1 - c0) * nb).reshape(c1 - c0, nb)
            # burst *timing* is the cue, not size: one I-frame must not outweigh a
            # second of P-frames, so each bin counts as busy or idle
            series = (series > 0).astype(np.float32)
            valid = np.arange(nb)[None, :] < np.rint(rows["dur"][c0:c1] / cfg.bin_s)[:, None]
            nvalid = valid.sum(axis=1)
            mean = series.sum(axis=1) / np.maximum(nvalid, 1)
            x = np.where(valid, series - mean[:, None], 0.0).astype(np.float32)
            spec = np.fft.rfft(x, nfft, axis=1)
            acf = np.fft.irfft(spec.real ** 2 + spec.imag ** 2, nfft, axis=1)[:, :2 * lag_hi + 3]
            acf = acf / np.maximum(acf[:, :1], 1e-12)
            # bursts jitter by a bin or two: smooth over three lags
            sm = np.empty_like(acf)
            sm[:, 1:-1] = (acf[:, :-2] + acf[:, 1:-1] + acf[:, 2:]) / 3
            sm[:, 0], sm[:, -1] = acf[:, 0], acf[:, -1]
            # a frame period is a *peak*: high at the lag, low half a period earlier. A
            # correlation that merely decays from lag 0 (on/off or aggregated traffic) is not.
            prominence = sm[:, self._lags] - self._valley(sm)
            first = prominence[:, :self._n_periods]
            # a train of frames also correlates at twice its period; a chance
            # fluctuation of bulk traffic rarely does at both
            second = prominence[:, self._double_idx].max(axis=2)
            first = np.minimum(first, second)
            best = first.argmax(axis=1)
            rows["periodicity"][c0:c1] = np.clip(first[np.arange(c1 - c0), best], 0, 1)
            rows["burst_hz"][c0:c1] = 1.0 / (self._lags[best] * cfg.bin_s)
            rows["occupancy"][c0:c1] = (valid & (series > 0)).sum(axis=1) / np.maximum(nvalid, 1)
