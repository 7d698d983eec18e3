"""Camera score for each traffic window: the shape of a video upload, cue by cue.

A hidden Wi-Fi camera uploads compressed video: each video frame leaves as a burst of
near-MTU packets, bursts recur at the frame rate (8-40 per second), the stream runs
without pause, and little comes back (TCP acknowledgements or RTCP reports). Each cue is
a ramp from "not like a camera" (0) to "like a camera" (1):

=============  ============================  ================================================
cue            ramp (0 -> 1)                 hard negative it rules out
=============  ============================  ================================================
rate           120 -> 200 kbit/s up,         IoT keepalives (too little); bulk uploads and
               1 at <= 15, 0 at >= 25 Mbit/s  streaming bursts far above any camera's rate
asymmetry      up share 0.70 -> 0.85         video calls (video flows both ways), browsing
large packets  0.35 -> 0.65 of uplink bytes  keepalives, voice, control traffic
               in packets >= 1000 bytes
steadiness     0.55 -> 0.85 of 0.25 s slots  browsing, page loads, DASH segment bursts
               with uplink
frame bursts   autocorrelation 0.10 -> 0.20  bulk uploads and downloads: steady but with no
               at 25-350 ms lag, also at     recurring frame bursts
               twice that lag
=============  ============================  ================================================

``core = rate x asymmetry x large x steadiness`` (all must hold) and
``score = core x (0.35 + 0.65 x frame_bursts)``: without frame-rate bursts a window
scores at most 0.35, below "suspect". Hints adjust, never decide: a locally administered
(randomised) MAC, which phones use and cameras do not, multiplies the score by 0.85; a
Wi-Fi module maker common in cheap cameras by 1.1 (capped at 1). A transmitter's score is
the best over time of two consecutive windows (the lower of the pair), so a verdict
needs the shape to hold for 2.25 s. Verdicts: ``camera`` at >= 0.8, ``suspect`` at >= 0.5
(``detection.wifi_camera_score`` / ``wifi_suspect_score``).
"""
from __future__ import annotations

from typing import List

import numpy as np

from sweeper.wifi.features import LARGE_L3

RATE_MIN = (120.0, 200.0)
RATE_MAX = (9000.0, 14000.0)
UP_SHARE = (0.80, 0.92)
LARGE_SHARE = (0.05, 0.15)
STEADINESS = (0.55, 0.85)
#: |log2| of the ratio of bytes in a window's second half to its first
LEVEL_CHANGE = (1.3, 2.0)
PERIODICITY = (0.10, 0.20)
BASE_WITHOUT_BURSTS = 0.35
LOCAL_MAC_FACTOR = 0.85
MODULE_VENDOR_FACTOR = 1.1

#: Wi-Fi module makers found in cheap cameras (FIELD-NOTES): matched against the vendor
#: name from the IEEE registry; a hint that raises a score, never a reason on its own
CAMERA_MODULE_VENDORS = ("espressif", "realtek", "bilian", "fn-link", "fn link", "icomm",
                         "altobeam", "tuya", "hangzhou", "beken", "allwinner",
                         "shenzhen bilian", "hisilicon", "ingenic", "xiaomi", "wyze")


def _ramp(x, lo, hi):
    return np.clip((np.asarray(x, np.float32) - lo) / (hi - lo), 0.0, 1.0)


def cues(rows: np.ndarray) -> dict:
    """The five cue values (0..1) for each window row."""
    rate = _ramp(rows["up_kbps"], *RATE_MIN) * (1 - _ramp(rows["up_kbps"], *RATE_MAX))
    return {
        "rate": rate,
        "asymmetry": _ramp(rows["up_share"], *UP_SHARE),
        "large": _ramp(rows["large_share"], *LARGE_SHARE),
        "steadiness": _ramp(rows["steadiness"], *STEADINESS),
        "level": 1 - _ramp(np.abs(np.log2(np.clip(rows["growth"], 1e-3, 1e3))), *LEVEL_CHANGE),
        "bursts": _ramp(rows["periodicity"], *PERIODICITY),
    }


def window_scores(rows: np.ndarray, local_mac: np.ndarray, module_vendor: np.ndarray) -> np.ndarray:
    """Camera score (0..1) of each window row; hints are per row booleans."""
    c = cues(rows)
    core = c["rate"] * c["asymmetry"] * c["large"] * c["steadiness"] * c["level"]
    score = core * (BASE_WITHOUT_BURSTS + (1 - BASE_WITHOUT_BURSTS) * c["bursts"])
    score = score * np.where(local_mac, LOCAL_MAC_FACTOR, 1.0)
    score = score * np.where(module_vendor, MODULE_VENDOR_FACTOR, 1.0)
    return np.clip(score, 0.0, 1.0).astype(np.float32)


def is_module_vendor(vendor) -> bool:
    v = (vendor or "").lower()
    return any(k in v for k in CAMERA_MODULE_VENDORS)


def verdict(score: float, camera_score: float = 0.8, suspect_score: float = 0.5) -> str:
    if score >= camera_score:
        return "camera"
    if score >= suspect_score:
        return "suspect"
    return "none"


def reasons(row, local_mac: bool, vendor) -> List[str]:
    """Plain-language evidence for one window (the transmitter's best)."""
    c = {k: float(np.ravel(v)[0]) for k, v in cues(np.asarray(row).reshape(1)).items()}
    out = []
    up, down = float(row["up_kbps"]), float(row["down_kbps"])
    out.append(f"steady upload {up / 1000:.2f} Mbit/s" if up >= 1000 else f"steady upload {up:.0f} kbit/s")
    if c["asymmetry"] > 0.5:
        ratio = up / down if down > 0 else float("inf")
        out.append("almost nothing comes back" if ratio > 100 else f"{ratio:.0f}x more up than down")
    else:
        out.append(f"two-way traffic ({down:.0f} kbit/s down): like a call, not a camera")
    if c["large"] > 0.5:
        out.append(f"{100 * float(row['large_share']):.0f}% of uploaded bytes in packets "
                   f">= {LARGE_L3} bytes ({100 * float(row['mtu_share']):.0f}% of packets near MTU)")
    if c["bursts"] > 0.3:
        what = "video frame rate" if float(row["burst_hz"]) >= 7.5 else "I-frames of a short GOP"
        out.append(f"bursts recur {float(row['burst_hz']):.1f} times/s ({what}), "
                   f"autocorrelation {float(row['periodicity']):.2f}")
    else:
        out.append("no bursts at a video frame rate")
    if c["steadiness"] < 0.5:
        out.append("intermittent")
    if c["level"] < 0.5:
        out.append("rate ramping up or down (like a TCP transfer starting), not a steady stream")
    if local_mac:
        out.append("randomised (locally administered) MAC: phones use these, cameras rarely")
    if is_module_vendor(vendor):
        out.append(f"vendor {vendor}: a Wi-Fi module maker common in cheap cameras")
    return out
