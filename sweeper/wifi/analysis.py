"""The Wi-Fi pipeline: raw batches -> frames -> window features -> per-device verdicts.

:class:`TrafficAnalyzer` is fed batches from any :class:`FrameSource` (file, live
socket, simulator) and keeps one small record per transmitter (:class:`Transmitter`), so
memory is bounded by the number of devices (itself capped) and by one window of frames,
never by the length of the capture. :meth:`TrafficAnalyzer.report` gives the JSON shape
of ``sweeper analyze``: camera-like transmitters as ``findings`` of the
Wi-Fi camera kind (:mod:`sweeper.kinds.wifi_camera`), every other transmitter in ``devices``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, Optional

import numpy as np

from sweeper import verdicts
from sweeper.kinds import wifi_camera
from sweeper.wifi import classify, clips, oui
from sweeper.wifi.channels import channel_to_mhz, mhz_to_channel
from sweeper.wifi.features import TrafficWindows, WindowConfig
from sweeper.wifi.frames import (FC_RETRY, FTYPE_DATA, FTYPE_MGMT, PATH_FORWARDED, SUBTYPE_BEACON,
                                 SUBTYPE_PROBE_RESP, ParseStats, is_group, is_local,
                                 mac_to_str, parse_batch)
from sweeper.wifi.source import SUPPORTED_LINKTYPES, RawBatch

#: devices remembered at once; beyond it the least interesting are dropped (a hostile
#: neighbour can spray random MAC addresses)
MAX_DEVICES = 4096
MAX_SSIDS = 1024


@dataclass
class Transmitter:
    """What we know about one transmitter (a MAC address)."""

    mac: int
    first_ts: float
    last_ts: float
    frames: int = 0
    up_bytes: float = 0.0  # unicast data sent (network-layer bytes, no retries)
    down_bytes: float = 0.0  # unicast data received
    rssi_sum: float = 0.0
    rssi_n: int = 0
    rssi_max: float = -math.inf
    freq_frames: Dict[int, int] = field(default_factory=dict)  # MHz -> frames heard there
    bssid: int = 0
    beacons: int = 0
    forwarded: int = 0  # wired frames it relayed from the internet (a gateway)
    score: float = 0.0  # best two-window score so far
    best: Optional[np.void] = None  # the window row behind it
    prev_t_end: float = -math.inf
    prev_score: float = 0.0
    camera_at: Optional[float] = None  # capture time the camera verdict was reached
    suspect_at: Optional[float] = None
    run_start: float = 0.0  # start of the current run of consecutive judged windows
    camera_after: Optional[float] = None  # seconds of that run the verdict needed
    suspect_after: Optional[float] = None
    clip_score: float = 0.0  # recurring clip uploads (sweeper.wifi.clips), never camera
    clips: list = field(default_factory=list)  # the recurring clips behind it (latest group)

    @property
    def freq(self) -> int:
        """Where it is heard most: its own channel (a receiver tuned to a neighbouring
        2.4 GHz channel also hears it, stamped with the tuned frequency)."""
        return max(self.freq_frames, key=self.freq_frames.get) if self.freq_frames else 0

    @property
    def local(self) -> bool:
        return bool((self.mac >> 41) & 1)


class TrafficAnalyzer:
    """Streaming analysis of captured frames; see the module docstring."""

    def __init__(self, window: WindowConfig = WindowConfig(), camera_score: float = 0.8,
                 suspect_score: float = 0.5, max_devices: int = MAX_DEVICES):
        self.window_cfg = window
        self.windows = TrafficWindows(window)
        self.camera_score = camera_score
        self.suspect_score = suspect_score
        self.max_devices = max_devices
        self.devices: Dict[int, Transmitter] = {}
        self.ssids: Dict[int, str] = {}
        self.stats = ParseStats()
        self.evicted = 0
        self.linktypes: Dict[int, int] = {}
        self._segment_start: Optional[float] = None
        self._segment_channel = 0
        self._vendor_hint: Dict[int, bool] = {}
        self.windows_scored = 0
        self._key_frames: Dict[int, tuple] = {}  # mac -> (when, how large) of its last key frame
        self.clips = clips.ClipTracker()

    # ------------------------------------------------------------------ feeding

    def start_segment(self, ts: Optional[float] = None, channel: int = 0) -> None:
        """The capture (re)starts, e.g. the hopper tuned to ``channel``: window
        features must not span the time the receiver was elsewhere."""
        self._score_rows(self.windows.flush())
        self._mark_clips(self.clips.close_all())
        self.windows.start_segment(ts)
        self.clips.start_segment(ts)
        self._segment_start = ts
        self._segment_channel = channel

    def feed(self, batch: RawBatch) -> np.ndarray:
        """Parse and analyse one batch; returns its parsed frames (for callers that
        want e.g. to know whether data traffic was seen)."""
        frames, st, ssids = parse_batch(batch)
        self.stats.add(st)
        if len(batch):
            self.linktypes[batch.linktype] = self.linktypes.get(batch.linktype, 0) + len(batch)
        for k, v in ssids.items():
            if k in self.ssids or len(self.ssids) < MAX_SSIDS:
                self.ssids[k] = v
        if len(frames) == 0:
            return frames
        if self._segment_start is None:
            self._segment_start = float(frames["ts"].min())
            self.clips.start_segment(self._segment_start)
        if batch.channel and not frames["freq"].any():  # no radiotap: the tuned channel
            try:
                frames["freq"] = channel_to_mhz(batch.channel)
            except ValueError:
                pass
        self._update_devices(frames)
        self._score_rows(self.windows.push(frames))
        return frames

    def finish(self) -> None:
        """End of capture: judge the windows still open."""
        self._score_rows(self.windows.flush())
        self._mark_clips(self.clips.close_all())

    # ------------------------------------------------------------------ devices

    def _update_devices(self, f: np.ndarray) -> None:
        ta = f["ta"]
        has = ta != 0
        macs, inv = np.unique(ta[has], return_inverse=True)
        ff = f[has]
        n = macs.size
        if n == 0:  # only frames without a transmitter (ACK, CTS)
            return
        cnt = np.bincount(inv, minlength=n)
        # per-transmitter reductions on the frames grouped by transmitter (sorted once;
        # ufunc.at is an order of magnitude slower)
        order = np.argsort(inv, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(inv[order]) != 0])
        ts_sorted = ff["ts"][order]
        first = np.minimum.reduceat(ts_sorted, starts)
        last = np.maximum.reduceat(ts_sorted, starts)
        data = (ff["ftype"] == FTYPE_DATA) & ((ff["fcflags"] & FC_RETRY) == 0) & ~is_group(ff["ra"])
        forwarded = ff["path"] == PATH_FORWARDED  # a gateway relaying the internet (wired)
        l3 = np.maximum(ff["l3len"], 0).astype(np.float64)
        upb = np.bincount(inv, weights=np.where(data & ~forwarded, l3, 0.0), minlength=n)
        nfwd = np.bincount(inv, weights=forwarded.astype(np.float64), minlength=n)
        rssi = ff["rssi"]
        rok = ~np.isnan(rssi)
        rsum = np.bincount(inv, weights=np.where(rok, rssi, 0.0), minlength=n)
        rn = np.bincount(inv, weights=rok.astype(np.float64), minlength=n)
        rmax = np.maximum.reduceat(np.where(rok, rssi, -np.inf)[order], starts)
        beacon = (ff["ftype"] == FTYPE_MGMT) & np.isin(ff["subtype"], (SUBTYPE_BEACON, SUBTYPE_PROBE_RESP))
        nbeacon = np.bincount(inv, weights=beacon.astype(np.float64), minlength=n)
        # frames per (transmitter, frequency), and the last BSSID each was seen with
        fkey, fcount = np.unique((inv.astype(np.int64) << 16) | ff["freq"], return_counts=True)
        bss_frames = np.flatnonzero((ff["bssid"] != 0) & (ff["ftype"] != 1))
        bssid = np.zeros(n, np.uint64)
        if bss_frames.size:
            bssid[inv[bss_frames]] = ff["bssid"][bss_frames]  # last write wins
        # bytes received by known transmitters (downlink)
        dmask = data & np.isin(ff["ra"], macs)
        dmacs, dsum = np.unique(ff["ra"][dmask], return_inverse=True)
        dbytes = np.bincount(dsum, weights=l3[dmask], minlength=dmacs.size) if dmacs.size else []

        devs = self.devices
        for i in range(n):
            mac = int(macs[i])
            d = devs.get(mac)
            if d is None:
                d = devs[mac] = Transmitter(mac, float(first[i]), float(last[i]))
            d.last_ts = max(d.last_ts, float(last[i]))
            d.frames += int(cnt[i])
            d.up_bytes += float(upb[i])
            d.rssi_sum += float(rsum[i])
            d.rssi_n += int(rn[i])
            d.rssi_max = max(d.rssi_max, float(rmax[i]))
            d.beacons += int(nbeacon[i])
            d.forwarded += int(nfwd[i])
            if bssid[i]:
                d.bssid = int(bssid[i])
        for k, c in zip(fkey.tolist(), fcount.tolist()):
            mhz = k & 0xFFFF
            if mhz:
                ff_ = devs[int(macs[k >> 16])].freq_frames
                ff_[mhz] = ff_.get(mhz, 0) + c
        for j in range(len(dmacs)):
            d = devs.get(int(dmacs[j]))
            if d is not None:
                d.down_bytes += float(dbytes[j])
        if len(devs) > self.max_devices:
            self._evict()

    def _evict(self) -> None:
        """Drop the least interesting devices: no score, seen least recently."""
        keep = int(self.max_devices * 0.9)
        ranked = sorted(self.devices.values(), key=lambda d: (d.score, d.last_ts), reverse=True)
        for d in ranked[keep:]:
            del self.devices[d.mac]
            self.evicted += 1

    # ------------------------------------------------------------------ scoring

    def _score_rows(self, rows: np.ndarray) -> None:
        if rows.size == 0:
            return
        self.windows_scored += rows.size
        local = is_local(rows["mac"])
        hint = self._module_hints(np.unique(rows["mac"]))
        module = np.array([hint[int(m)] for m in rows["mac"]], bool)
        rows = rows.copy()
        rows["keyframe"] = classify.carry_key_frames(rows, self._key_frames)
        scores = classify.window_scores(rows, local, module)
        step = self.window_cfg.step_s
        for i in range(rows.size):  # rows are few: only windows that passed the gate
            mac = int(rows["mac"][i])
            d = self.devices.get(mac)
            if d is None:
                continue
            t_end, s = float(rows["t_end"][i]), float(scores[i])
            consecutive = abs(t_end - step - d.prev_t_end) < step / 10
            held = min(s, d.prev_score) if consecutive else 0.0
            if not consecutive:
                d.run_start = t_end - float(rows["dur"][i])
            d.prev_t_end, d.prev_score = t_end, s
            # the row behind the best score; while nothing scores, the peak upload (what
            # a user wants to see in the device list)
            if held > d.score or d.best is None or (
                    d.score == 0 and held == 0 and rows["up_kbps"][i] > d.best["up_kbps"]):
                if held > d.score:
                    d.score = held
                if d.best is None or held >= d.score:
                    d.best = rows[i].copy()
            if d.camera_at is None and held >= self.camera_score:
                d.camera_at, d.camera_after = t_end, t_end - d.run_start
            if d.suspect_at is None and held >= self.suspect_score:
                d.suspect_at, d.suspect_after = t_end, t_end - d.run_start
        self._mark_clips(self.clips.update(rows))

    def _mark_clips(self, recurring) -> None:
        """Transmitters whose clip uploads now recur: suspect (a device-level rule)."""
        for mac, group in recurring.items():
            d = self.devices.get(mac)
            if d is None or d.beacons or d.local or d.forwarded > d.frames / 2:
                continue  # access points, randomised MACs (phones) and gateways are not battery cameras
            d.clip_score = clips.CLIP_SCORE
            d.clips = group
            if d.score < clips.CLIP_SCORE:
                d.score = clips.CLIP_SCORE
                if d.suspect_at is None and d.score >= self.suspect_score:
                    ev = d.clips  # heard from the first clip to the last
                    d.suspect_at, d.suspect_after = ev[-1].end, ev[-1].end - ev[0].start

    def _module_hints(self, macs) -> Dict[int, bool]:
        """Whether each MAC's maker makes Wi-Fi modules for cameras. Remembered for at
        most oui.CACHE_MAX addresses: a flood of random addresses must not grow it."""
        missing = [int(m) for m in macs if int(m) not in self._vendor_hint]
        if missing:
            for mac, vendor in oui.lookup_many(missing).items():
                self._vendor_hint[mac] = classify.is_module_vendor(vendor)
            oui.trim(self._vendor_hint)
        return {int(m): self._vendor_hint.get(int(m), False) for m in macs}

    # ------------------------------------------------------------------ report

    def verdict_of(self, d: Transmitter) -> Optional[str]:
        return classify.verdict(d.score, self.camera_score, self.suspect_score)

    def report(self) -> dict:
        """``{"verdict", "findings", "devices", "frames"}`` in the analyze contract."""
        vendors = oui.lookup_many(self.devices.keys())
        findings, devices = [], []
        for d in self.devices.values():
            v = self.verdict_of(d)
            if v is not None:
                findings.append(self._finding(d, v, vendors.get(d.mac)))
            else:
                devices.append(self._device(d, vendors.get(d.mac)))
        findings.sort(key=lambda x: -x["score"])
        devices.sort(key=lambda x: (-x["uplink_kbps"], x["mac"]))
        verdict = verdicts.of_findings(f["verdict"] for f in findings)
        st = self.stats
        return {
            "verdict": verdict,
            "findings": findings,
            "devices": devices,
            "frames": {"records": st.records, "parsed": st.parsed, "truncated": st.truncated,
                       "malformed": st.malformed, "bad_fcs": st.bad_fcs},
            "link_types": {SUPPORTED_LINKTYPES.get(k, str(k)): v for k, v in sorted(self.linktypes.items())},
            "devices_dropped": self.evicted,
        }

    def _common(self, d: Transmitter, vendor) -> dict:
        span = max(d.last_ts - d.first_ts, 1e-3)
        is_ap = d.beacons > 0
        bssid = d.mac if is_ap else d.bssid
        return {
            "mac": mac_to_str(d.mac),
            "vendor": vendor,
            "locally_administered": d.local,
            "role": "access_point" if is_ap else ("station" if d.freq or d.rssi_n else
                                                  "gateway" if d.forwarded > d.frames / 2 else "wired"),
            "bssid": mac_to_str(bssid) if bssid else None,
            "ssid": self.ssids.get(bssid) if bssid else None,
            "channel": mhz_to_channel(d.freq) if d.freq else None,
            "rssi_dbm": round(d.rssi_sum / d.rssi_n, 1) if d.rssi_n else None,
            "rssi_max_dbm": round(d.rssi_max, 1) if d.rssi_n else None,
            "frames": d.frames,
            "first_seen": round(d.first_ts, 6),
            "last_seen": round(d.last_ts, 6),
            "avg_uplink_kbps": round(d.up_bytes * 8 / 1000 / span, 1),
            "avg_downlink_kbps": round(d.down_bytes * 8 / 1000 / span, 1),
        }

    def _finding(self, d: Transmitter, verdict: str, vendor) -> dict:
        row = d.best
        out = {"type": wifi_camera.TYPE, "verdict": verdict, "score": round(d.score, 3)}
        out.update(self._common(d, vendor))
        out.update({
            "uplink_kbps": round(float(row["up_kbps"]), 1),
            "downlink_kbps": round(float(row["down_kbps"]), 1),
            "burst_hz": round(float(row["frame_hz"]), 2),
            "reasons": self._reasons(d, row, vendor),
            "seen_at": round(float(row["t_end"]), 3),
        })
        after = d.camera_after if verdict == "camera" else d.suspect_after
        if after is not None:  # seconds of capture of the upload the verdict needed
            out["verdict_after_s"] = round(after, 2)
        if not math.isnan(float(row["rssi_mean"])):
            out["rssi_dbm"] = round(float(row["rssi_mean"]), 1)
        return out

    def _reasons(self, d: Transmitter, row, vendor) -> list:
        window = classify.reasons(row, d.local, vendor)
        if d.clip_score and d.clip_score >= d.score:  # the clips are what made it a finding
            return clips.reasons(d.clips) + window
        return window

    def _device(self, d: Transmitter, vendor) -> dict:
        out = self._common(d, vendor)
        out["uplink_kbps"] = round(float(d.best["up_kbps"]), 1) if d.best is not None else out["avg_uplink_kbps"]
        out["score"] = round(d.score, 3)
        return out


def analyze_capture(path, camera_score: float = 0.8, suspect_score: float = 0.5,
                    window: WindowConfig = WindowConfig()) -> dict:
    """Analyse a pcap/pcapng file; the report of :class:`TrafficAnalyzer` plus file facts."""
    from sweeper.wifi.pcapio import ReadStats, read_capture

    rs = ReadStats()
    an = TrafficAnalyzer(window, camera_score, suspect_score)
    for batch in read_capture(path, rs):
        an.feed(batch)
    an.finish()
    rep = an.report()
    rep["frames"]["file_truncated_records"] = rs.truncated_records
    rep["frames"]["file_corrupt_records"] = rs.corrupt_records
    return rep
