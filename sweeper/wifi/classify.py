"""Camera score for each traffic window: evidence of how video is made and carried.

A hidden Wi-Fi camera uploads compressed video. Its encoder emits a frame every 1/fps of
a crystal clock; each frame leaves as a burst that ends in a short remainder packet;
an I-frame several times the size of the others comes once per GOP; little comes back.
A bulk upload (backup, sync) has every *rate* cue of that (steady, one-way, near-MTU),
so the cues that decide are the ones it cannot produce: a frame clock that beats its
own shuffled gaps, bursts that end short, and a channel left idle between frames (a
transfer's bytes run on in bursts of hundreds of ms). An IoT device writing TLS records
on a timer has a clock and short ends, but no key frames; a video call has everything
but one-way traffic: the far side's voice keeps coming back. :mod:`sweeper.wifi.bursts`
says why each holds.

Each cue is a ramp from "not like a camera" (0) to "like a camera" (1); the score is
their product, so every cue must hold, and nothing gives a second chance. The ramps'
ends are set by calibration (``bench/calibrate_wifi.py``: labelled simulated rooms of
one seed set and parameter range; tests/test_wifi_detection.py scores rooms of other
seeds and wider ranges), not by eye. They live in :data:`RAMPS`; the table below is
kept equal to it by tests/test_wifi_classify.py.

==========  =================  ======  ======  =========================================
cue         feature            0 at    1 at    what it rules out
==========  =================  ======  ======  =========================================
rate        up_kbps            40      64      keepalives, telemetry (too little)
rate_max    up_kbps            14000   9000    transfers far above a camera's rate
asymmetry   up_share           0.82    0.9     calls, browsing, downloads (two-way)
clock       clock_margin       0.06    0.12    random clumping, RTT-clocked TCP/QUIC
clock_lock  clock_z            7       10      (or: many onsets on one grid: chance ~e^-z)
grid_fill   grid_fill          0.35    0.6     a few long bursts that sit on a fine grid
boundaries  boundaries         0.35    0.4     bulk transfers: bursts of full segments
keyframes   keyframe           2       2.6     records written on a timer (no I-frames)
key_rate    up_kbps            1300    1600    (or: more than timed records carry: an encoder)
idle        long_bursts        0.8     0.6     bulk transfers: bytes sent in bursts of > 0.1 s
one_way     down_media_pps     12      4       calls: the far side's voice arrives every 20-60 ms
steadiness  steadiness         0.55    0.85    page loads, segment fetches, bursts
==========  =================  ======  ======  =========================================

``clock`` and ``clock_lock`` are one cue: the better of the two counts. ``keyframe``
carries over :data:`KEY_MEMORY_S` (:func:`carry_key_frames`). ``keyframes`` and
``key_rate`` are one cue too: key frames are asked of a stream only at rates a device
writing records on a timer reaches (IoT TLS bursts: 150-700 kbit/s, at most 0.9 Mbit/s
in any simulated window). Above that, one-way traffic on a frame clock, with short
frame ends and idle gaps, is an encoder whether or not its I-frames show: long GOPs
(10 s and more in "smart" codecs) and CBR rate control that caps the I-frame hide them
from a short capture. On wired captures RTP
video on a 90 kHz clock (``rtp_video`` 0.5 -> 0.8) stands in for the clock, boundary
and key-frame cues together. Hints adjust, never decide: a locally administered
(randomised) MAC, which phones use and cameras rarely do, multiplies the score by 0.85;
a Wi-Fi module maker common in cheap cameras by 1.1 (capped at 1). A transmitter's
score is the best over time of two consecutive windows (the lower of the pair), so a
verdict needs the evidence to hold over two steps (at least 1.25 s of capture).
Verdicts: ``camera`` at >= 0.8, ``suspect`` at >= 0.5 (``detection.wifi.camera_score``
/ ``suspect_score``). One rule works on whole uploads instead of windows: a
battery camera's clip uploads, when they recur, make it a suspect
(:mod:`sweeper.wifi.clips`).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np

from sweeper import verdicts
from sweeper.wifi.bursts import LONG_BURST_S

#: cue -> (feature, value scoring 0, value scoring 1); set by bench/calibrate_wifi.py
RAMPS: Dict[str, Tuple[str, float, float]] = {
    "rate": ("up_kbps", 40.0, 64.0),
    "rate_max": ("up_kbps", 14000.0, 9000.0),
    "asymmetry": ("up_share", 0.82, 0.90),
    "clock": ("clock_margin", 0.06, 0.12),
    "clock_lock": ("clock_z", 7.0, 10.0),
    "grid_fill": ("grid_fill", 0.35, 0.60),
    "boundaries": ("boundaries", 0.35, 0.40),
    "keyframes": ("keyframe", 2.0, 2.6),
    "key_rate": ("up_kbps", 1300.0, 1600.0),
    "idle": ("long_bursts", 0.8, 0.6),
    "one_way": ("down_media_pps", 12.0, 4.0),
    "steadiness": ("steadiness", 0.55, 0.85),
}
#: cues that stand in for each other (the better counts)
ALTERNATIVES = {"clock_lock": "clock", "key_rate": "keyframes"}
#: RTP video on a 90 kHz clock (wired captures) is near-proof: it stands in for the
#: clock, boundary and key-frame cues together
RTP_RAMP = ("rtp_video", 0.5, 0.8)
RTP_REPLACES = ("clock", "boundaries", "keyframes")
LOCAL_MAC_FACTOR = 0.85
MODULE_VENDOR_FACTOR = 1.1
#: how long a key frame seen in a clocked window vouches for the stream (longest GOPs)
KEY_MEMORY_S = 12.0
CAMERA_SCORE = 0.8
SUSPECT_SCORE = 0.5

#: Wi-Fi module makers found in cheap cameras: matched against the vendor name from the
#: IEEE registry; a hint that raises a score, never a reason on its own
CAMERA_MODULE_VENDORS = ("espressif", "realtek", "bilian", "fn-link", "fn link", "icomm",
                         "altobeam", "tuya", "hangzhou", "beken", "allwinner",
                         "shenzhen bilian", "hisilicon", "ingenic", "xiaomi", "wyze")


#: what each cue rules out (the docstring table's last column)
RULES_OUT = {
    "rate": "keepalives, telemetry (too little)",
    "rate_max": "transfers far above a camera's rate",
    "asymmetry": "calls, browsing, downloads (two-way)",
    "clock": "random clumping, RTT-clocked TCP/QUIC",
    "clock_lock": "(or: many onsets on one grid: chance ~e^-z)",
    "grid_fill": "a few long bursts that sit on a fine grid",
    "boundaries": "bulk transfers: bursts of full segments",
    "keyframes": "records written on a timer (no I-frames)",
    "key_rate": "(or: more than timed records carry: an encoder)",
    "idle": f"bulk transfers: bytes sent in bursts of > {LONG_BURST_S:g} s",
    "steadiness": "page loads, segment fetches, bursts",
    "one_way": "calls: the far side's voice arrives every 20-60 ms",
}


def ramps_table(ramps: Dict[str, Tuple[str, float, float]] = RAMPS) -> str:
    """The docstring's table of ramps, rendered from ``ramps`` (a test keeps them equal)."""
    rule = "==========  =================  ======  ======  " + "=" * 41
    lines = [rule, f"{'cue':10s}  {'feature':17s}  {'0 at':6s}  {'1 at':6s}  what it rules out", rule]
    for cue, (feat, zero, one) in ramps.items():
        lines.append(f"{cue:10s}  {feat:17s}  {zero:<6g}  {one:<6g}  {RULES_OUT.get(cue, '')}".rstrip())
    lines.append(rule)
    return "\n".join(lines)


def _feature(rows: np.ndarray, name: str) -> np.ndarray:
    return rows[name].astype(np.float64)


def _ramp(x, zero, one):
    return np.clip((np.asarray(x, np.float64) - zero) / (one - zero), 0.0, 1.0)


def cues(rows: np.ndarray, ramps: Dict[str, Tuple[str, float, float]] = RAMPS) -> Dict[str, np.ndarray]:
    """Each cue's value (0..1) for each window row (alternatives already merged)."""
    out = {name: _ramp(_feature(rows, feat), zero, one) for name, (feat, zero, one) in ramps.items()}
    out["rate"] = out["rate"] * out.pop("rate_max")
    for alt, main in ALTERNATIVES.items():
        out[main] = np.maximum(out[main], out.pop(alt))
    return out


def window_scores(rows: np.ndarray, local_mac: np.ndarray, module_vendor: np.ndarray,
                  ramps: Dict[str, Tuple[str, float, float]] = RAMPS) -> np.ndarray:
    """Camera score (0..1) of each window row; hints are per row booleans."""
    c = cues(rows, ramps)
    score = np.ones(rows.size)
    rtp_score = _ramp(_feature(rows, RTP_RAMP[0]), *RTP_RAMP[1:])
    for name, v in c.items():
        score = score * v
        if name not in RTP_REPLACES:
            rtp_score = rtp_score * v
    score = np.maximum(score, rtp_score)
    score = score * np.where(local_mac, LOCAL_MAC_FACTOR, 1.0)
    score = score * np.where(module_vendor, MODULE_VENDOR_FACTOR, 1.0)
    return np.clip(score, 0.0, 1.0).astype(np.float32)


def carry_key_frames(rows: np.ndarray, memory: Dict[int, Tuple[float, float]], ramps=RAMPS) -> np.ndarray:
    """Key-frame evidence with memory: each row's ``keyframe``, or the last key frame
    (one that scores fully) its transmitter showed within :data:`KEY_MEMORY_S` seconds
    in a window that also had a frame clock, whichever is larger (an I-frame comes once per GOP, up to 12 s apart;
    the stream between is still that stream). ``memory`` ({mac: (t_end, value)})
    carries over between calls."""
    n = rows.size
    own = rows["keyframe"].astype(np.float64)
    if n == 0:
        return own
    order = np.lexsort((rows["t_end"], rows["mac"]))
    mac, t, k = rows["mac"][order], rows["t_end"][order].astype(np.float64), own[order]
    qualifies = (cues(rows, ramps)["clock"][order] >= 0.5) & (k >= ramps["keyframes"][2])
    start = np.r_[True, mac[1:] != mac[:-1]]
    # the last qualifying row at or before each row, within the same transmitter
    idx = np.where(qualifies, np.arange(n), -1)
    group_start = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    last = np.maximum.accumulate(idx)
    last = np.where(last >= group_start, last, -1)
    seen_t = np.where(last >= 0, t[np.maximum(last, 0)], -np.inf)
    seen_k = np.where(last >= 0, k[np.maximum(last, 0)], 0.0)
    # what earlier calls remembered, for rows before this call's first qualifying one
    for i in np.flatnonzero(start):
        m = memory.get(int(mac[i]))
        if m is None:
            continue
        j = i
        while j < n and mac[j] == mac[i] and last[j] < 0:
            seen_t[j], seen_k[j] = m
            j += 1
    fresh = t - seen_t <= KEY_MEMORY_S
    carried = np.where(fresh, np.maximum(k, seen_k), k)
    for i in np.flatnonzero(np.r_[start[1:], True]):  # each transmitter's last row
        if last[i] >= 0:
            memory[int(mac[i])] = (float(t[last[i]]), float(k[last[i]]))
    out = np.empty(n)
    out[order] = carried
    return out


def is_module_vendor(vendor) -> bool:
    v = (vendor or "").lower()
    return any(k in v for k in CAMERA_MODULE_VENDORS)


def verdict(score: float, camera_score: float = CAMERA_SCORE, suspect_score: float = SUSPECT_SCORE) -> Optional[str]:
    """camera, suspect, or None (no finding): sweeper/verdicts.py."""
    return verdicts.for_score(score, camera_score, suspect_score)


def _rate(kbps: float) -> str:
    return f"{kbps / 1000:.2f} Mbit/s" if kbps >= 1000 else f"{kbps:.0f} kbit/s"


def reasons(row, local_mac: bool, vendor) -> List[str]:
    """Plain-language evidence for one window (the transmitter's best)."""
    r = np.asarray(row).reshape(1)
    c = {k: float(v[0]) for k, v in cues(r).items()}
    up, down = float(row["up_kbps"]), float(row["down_kbps"])
    out = [f"steady upload {_rate(up)}" if c["steadiness"] > 0.5 else f"intermittent upload {_rate(up)}"]
    if c["asymmetry"] > 0.5:
        ratio = up / down if down > 0 else float("inf")
        out.append("almost nothing comes back" if ratio > 100 else f"{ratio:.0f}x more up than down")
    else:
        out.append(f"two-way traffic ({_rate(down)} down): like a call or a download, not a camera")
    hz, clock, margin = float(row["frame_hz"]), float(row["clock"]), float(row["clock_margin"])
    if c["clock"] > 0.5:
        what = "video frames" if hz <= 31 else "audio or video frames"
        out.append(f"bursts keep a steady {hz:.1f}/s clock ({what}): {clock:.2f} on the grid, "
                   f"{margin:+.2f} over the same gaps shuffled")
    else:
        out.append(f"no frame clock (grid {clock:.2f}, {margin:+.2f} over shuffled gaps)")
    share = float(row["boundaries"])
    if c["boundaries"] > 0.5:
        out.append(f"{100 * share:.0f}% of bursts end in a short packet (frame boundaries)")
    else:
        out.append("bursts end on full-size packets, like a bulk transfer")
    if c["idle"] < 0.5:
        out.append(f"{100 * float(row['long_bursts']):.0f}% of the bytes in bursts longer than {LONG_BURST_S:g} s: "
                   "a transfer filling its window, not frames with idle gaps")
    key = float(row["keyframe"])
    if _ramp(key, *RAMPS["keyframes"][1:]) > 0.5:
        out.append(f"a burst {key:.1f}x the median frame (a key frame)")
    elif c["keyframes"] > 0.5:
        out.append(f"no key frame in this window, but {_rate(up)} on a frame clock is more than records "
                   "written on a timer: an encoder with a long GOP")
    else:
        out.append("no key frame: bursts of alike size, like records written on a timer")
    if float(row["rtp_video"]) >= RTP_RAMP[2]:
        out.append(f"RTP video: {100 * float(row['rtp_video']):.0f}% of frame markers step a 90 kHz clock")
    if c["one_way"] < 0.5:
        out.append(f"{float(row['down_media_pps']):.0f} packets/s of media come back (a call), not a one-way stream")
    if local_mac:
        out.append("randomised (locally administered) MAC: phones use these, cameras rarely")
    if is_module_vendor(vendor):
        out.append(f"vendor {vendor}: a Wi-Fi module maker common in cheap cameras")
    return out
