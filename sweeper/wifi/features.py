"""Per-transmitter traffic features over sliding windows, computed on whole batches.

Time is cut into slots of ``step_s`` (0.25 s). A window is the last ``window_s`` (4 s,
i.e. 16 slots; shorter, from 1 s, while a capture or channel visit is young) ending at
a slot boundary, evaluated for each transmitter at each slot in which it sent unicast
data. Per (transmitter, slot) sums come from one sort and ``bincount``; window sums
are differences of cumulative sums; so there is no Python loop over frames or windows.
Only windows that pass a cheap gate (enough uplink to be any camera) get the costly
part: the burst-level evidence of :mod:`sweeper.wifi.bursts` (frame clock, frame
boundaries, key frames). Four seconds hold 20 frames of a 5 fps camera, enough for its
clock to stand out from chance; a young window judges what it has.

What is "uplink": data frames the transmitter sends to a unicast receiver (a camera in
AP mode sends its video from-DS, so direction bits are not used); "downlink": unicast
data frames addressed to it. Retransmissions (retry bit) are not counted twice.
Frames to group addresses (an AP's multicast, e.g. IPTV) are not uplink: a hidden
camera streams to one viewer or one cloud server. Nor is what a transmitter relays
(``PATH_FORWARDED``): a gateway on a wire forwarding the internet, an access point
sending the router's or another station's packets (their source address is not its own).

Memory is bounded: between batches only the frames of the last window are kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from sweeper.wifi import bursts
from sweeper.wifi.frames import FC_RETRY, FRAME_DTYPE, FTYPE_DATA, PATH_FORWARDED, is_group

#: network-layer bytes from which a packet counts as "large" (the hopper lingers on a
#: channel where someone uploads these: video is cut into near-MTU packets)
LARGE_L3 = 1000
#: received packets above this many network-layer bytes are more than a TCP ACK
#: (40-64) or an RTP receiver report: in a call, the far side's voice every 20-60 ms
MEDIA_L3_MIN = 90

WINDOW_DTYPE = np.dtype([
    ("mac", "u8"),  # transmitter
    ("t_end", "f8"),  # window end (capture clock)
    ("dur", "f4"),  # seconds of capture in the window
    ("up_kbps", "f4"),  # unicast data sent, kbit/s of network-layer bytes
    ("slot_kb", "f4"),  # kilobytes sent in the window's last slot (uploads add these up)
    ("down_kbps", "f4"),  # unicast data received
    ("down_media_pps", "f4"),  # packets received per second larger than an ACK (MEDIA_L3_MIN)
    ("up_fps", "f4"),  # frames sent per second
    ("up_share", "f4"),  # up / (up + down) bytes
    ("steadiness", "f4"),  # share of the window's slots with uplink
    # burst-level evidence (sweeper.wifi.bursts): how video is made and carried
    ("frame_bursts", "f4"),  # bursts of >= FRAME_MIN_BYTES per second
    ("clock", "f4"),  # phase coherence of burst onsets on the best frame-rate grid (0..1)
    ("clock_z", "f4"),  # Rayleigh statistic of that coherence (effective onsets x clock^2)
    ("clock_margin", "f4"),  # clock minus the mean clock of gap-shuffled surrogates
    ("frame_hz", "f4"),  # the rate of that grid
    ("grid_fill", "f4"),  # share of the grid's slots that hold a burst
    ("boundaries", "f4"),  # share of frames (grid slots, else bursts) ending in a short packet
    ("keyframe", "f4"),  # largest frame slot's bytes over the median slot's (I-frames)
    ("long_bursts", "f4"),  # share of burst bytes in bursts longer than bursts.LONG_BURST_S (bulk, not frames)
    ("rtp_video", "f4"),  # how well RTP frame markers keep a 90 kHz clock, 0..1 (wired)
    ("rssi_mean", "f4"),
    ("rssi_std", "f4"),
])


@dataclass(frozen=True)
class WindowConfig:
    window_s: float = 4.0
    step_s: float = 0.25
    #: shortest window worth judging (at the start of a capture or a channel visit)
    min_window_s: float = 1.0
    #: uplink that could be any camera at all (a cheap camera's 150 kbit/s sub-stream
    #: averages less over a calm stretch)
    gate_kbps: float = 40.0
    gate_frames: int = 10
    #: below this share of bytes going up, no burst evidence is computed (a camera's
    #: share is above 0.8: see classify.RAMPS)
    gate_up_share: float = 0.6


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
        #: surrogate shuffles are random: a fixed seed keeps a capture's verdict reproducible
        self._rng = np.random.default_rng(0x5EED)

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
        unicast = fresh & ~is_group(f["ra"]) & (f["l3len"] >= 0)
        # on a wire, what the gateway forwards from the internet is its receiver's
        # download, not the gateway's upload
        up = unicast & (f["path"] != PATH_FORWARDED)
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
        # per (sender, slot) pairs: candidate windows, and the slots with uplink
        pair_key = (up_sender.astype(np.int64) << 40) | up_slot
        pairs = np.unique(pair_key)
        k_up, (c_bytes, c_frames) = keyed(up_sender, up_slot, [l3, np.ones_like(l3)])
        c_active = np.concatenate([[0.0], np.cumsum(np.ones(pairs.size))])
        # downlink: unicast data addressed to a sender (forwarded frames included)
        ra_u = f["ra"][unicast]
        pos = np.minimum(np.searchsorted(senders, ra_u), senders.size - 1)
        is_down = senders[pos] == ra_u
        down_l3 = f["l3len"][unicast][is_down].astype(np.float64)
        k_down, (c_down, c_media) = keyed(pos[is_down], rel[unicast][is_down],
                                          [down_l3, (down_l3 > MEDIA_L3_MIN).astype(np.float64)])
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
        upb, nfr = window_sum(k_up, [c_bytes, c_frames], pairs)
        ok &= (upb * 8 / 1000 / np.maximum(dur, 1e-9) >= cfg.gate_kbps) & (nfr >= cfg.gate_frames)
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return np.zeros(0, WINDOW_DTYPE)
        q = pairs[idx]
        hi = np.searchsorted(pairs, q, side="right")
        lo = np.searchsorted(pairs, q - spw, side="right")
        active = c_active[hi] - c_active[lo]
        downb, down_media = window_sum(k_down, [c_down, c_media], q)
        rs, rq, rn = window_sum(k_rssi, [c_rs, c_rq, c_rn], q)
        upb, nfr = upb[idx], nfr[idx]
        (slot_bytes,) = window_sum(k_up, [c_bytes], q, span=1)
        n_slots_in = np.maximum(np.rint(dur[idx] / cfg.step_s), 1).astype(np.int64)

        rows = np.zeros(idx.size, WINDOW_DTYPE)
        d = dur[idx]
        sender_idx = (q >> 40).astype(np.int64)
        rows["mac"] = senders[sender_idx]
        rows["t_end"] = t_end[idx]
        rows["dur"] = d
        rows["up_kbps"] = upb * 8 / 1000 / d
        rows["slot_kb"] = slot_bytes / 1000
        rows["down_kbps"] = downb * 8 / 1000 / d
        rows["down_media_pps"] = down_media / d
        rows["up_fps"] = nfr / d
        rows["up_share"] = upb / np.maximum(upb + downb, 1)
        rows["steadiness"] = np.minimum(active / n_slots_in, 1.0)
        rmean = rs / np.maximum(rn, 1)
        rows["rssi_mean"] = np.where(rn > 0, rmean, np.nan)
        rows["rssi_std"] = np.where(rn > 1, np.sqrt(np.maximum(rq / np.maximum(rn, 1) - rmean ** 2, 0)), np.nan)

        # burst timing, only for the windows that passed the gate
        # burst evidence only where the traffic is mostly one way: a call or a download
        # cannot be a camera whatever its bursts look like (and they are the costly part)
        one_way = np.flatnonzero(rows["up_share"] >= cfg.gate_up_share)
        if one_way.size:
            wired = (f["rtp"][up], f["rtp_ts"][up], f["ssrc"][up]) if f["rtp"][up].any() else None
            sub = rows[one_way]
            self._frame_evidence(sub, f["ts"][up], l3, up_sender, sender_idx[one_way], wired)
            rows[one_way] = sub
        return rows

    def _frame_evidence(self, rows, ts, l3, sender_rows, si, rtp=None, chunk: int = 32) -> None:
        """Burst-level evidence of each gated window (see :mod:`sweeper.wifi.bursts`),
        computed on chunks of windows at once."""
        # uplink frames sorted by (sender, time), so a window is a contiguous run; the key
        # strides senders by the batch's whole span, so it cannot overlap however far
        # apart two frames are
        t_us = np.rint((ts - ts.min()) * 1e6).astype(np.int64)
        stride = int(t_us.max()) + 2
        key = sender_rows.astype(np.int64) * stride + t_us
        order = np.argsort(key, kind="stable")
        key_sorted = key[order]
        ts_sorted, l3_sorted = ts[order], l3[order]
        rtp_sorted = tuple(a[order] for a in rtp) if rtp is not None else None
        start = (rows["t_end"] - rows["dur"]).astype(np.float64)
        t0_us = np.clip(np.rint((start - ts.min()) * 1e6), 0, stride - 1).astype(np.int64)
        t1_us = np.clip(np.rint((rows["t_end"] - ts.min()) * 1e6), 0, stride - 1).astype(np.int64)
        base = si.astype(np.int64) * stride
        lo = np.searchsorted(key_sorted, base + t0_us)
        hi = np.searchsorted(key_sorted, base + t1_us)
        for c0 in range(0, rows.size, chunk):
            c1 = min(c0 + chunk, rows.size)
            ev = bursts.window_evidence(ts_sorted, l3_sorted, lo[c0:c1], hi[c0:c1], start[c0:c1],
                                        rows["dur"][c0:c1].astype(np.float64), self._rng, rtp_sorted)
            for name in bursts.EVIDENCE_FIELDS:
                rows[name][c0:c1] = ev[name]
