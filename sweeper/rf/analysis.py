"""Analyse one receiver window, and turn emitters into the user-facing report.

``analyze_window`` is the per-hop (and per-recording) pipeline: spectrogram -> PSD ->
noise floor -> emitters with burst timing -> analog-video line search. It is pure:
complex64 samples in, an :class:`WindowAnalysis` out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np

from sweeper import verdicts
from sweeper.rf import dsp
from sweeper.rf.channels import nearest_channel
from sweeper.kinds import analog_video
from sweeper.rf.classifiers import VIDEO, Context, classify
from sweeper.rf.emitters import Emitter, describe_band, find_bands, smooth
from sweeper.rf.video import VideoEvidence, detect_video

#: PSD threshold over the floor for an emitter, by how well averaged the PSD is
THRESHOLD_DB_AVERAGED = 4.0
THRESHOLD_DB_SPARSE = 8.0
#: gaps narrower than this join two runs into one emitter (FM video's spectrum is ragged)
MERGE_GAP_HZ = 150e3
#: the fewest samples (per capture) a window can be analysed from: one 64-point FFT
MIN_SAMPLES = 64
#: emitters narrower than this cannot carry video, so never get the window's video evidence
MIN_VIDEO_WIDTH_HZ = 100e3


@dataclass
class WindowAnalysis:
    """What one window showed. Frequencies of emitters are RF Hz (or baseband offsets
    when the centre frequency is unknown)."""

    sample_rate: float
    center_hz: float
    inverted: bool
    psd: np.ndarray  # float32, FFT-shifted, ascending baseband offset
    peak: np.ndarray  # max-hold over segments: bursty emitters (Wi-Fi, Bluetooth) show here
    floor: float  # noise power per bin
    segments: int
    emitters: List[Emitter]
    video: VideoEvidence

    @property
    def bin_hz(self) -> float:
        return self.sample_rate / len(self.psd)

    def rf_freqs(self) -> np.ndarray:
        off = dsp.bin_offsets(self.sample_rate, len(self.psd))
        return self.center_hz - off if self.inverted else self.center_hz + off


def analyze_window(x: np.ndarray, sample_rate: float, center_hz: float = 0.0,
                   inverted: bool = False, nfft: int = dsp.NFFT) -> WindowAnalysis:
    """Find and describe the emitters in one window of complex64 samples ((M,) or
    (N, M) for N captures). ``inverted`` says the spectrum is mirrored (high-side
    downconverter), so baseband offsets map to RF with the sign flipped."""
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[None, :]
    if x.shape[1] < MIN_SAMPLES:
        raise ValueError(f"too short to analyse: {x.shape[1]} samples, at least {MIN_SAMPLES}")
    nfft = int(min(nfft, 1 << int(np.log2(x.shape[1]))))
    spec, p, peak = dsp.spectrogram_stats(x, nfft)
    p = dsp.suppress_dc(p)
    peak = dsp.suppress_dc(peak)
    segments = spec.shape[0]
    floor = dsp.noise_floor(p, segments)
    bin_hz = sample_rate / nfft
    off = dsp.bin_offsets(sample_rate, nfft)
    threshold = THRESHOLD_DB_AVERAGED if segments >= 16 else THRESHOLD_DB_SPARSE
    bands = find_bands(smooth(p) / floor, threshold, max(1, int(MERGE_GAP_HZ / bin_hz)))
    resolution = nfft / sample_rate
    emitters = []
    for lo, hi in bands:
        e = describe_band(p, off, floor, lo, hi, bin_hz)
        e.fills_window = lo <= 1 or hi >= nfft - 1
        series = spec[:, lo:hi].sum(axis=1)
        e.bursts = dsp.burst_stats(series, floor * (hi - lo), resolution)
        emitters.append(e)
    video = detect_video(x, sample_rate)
    if video.score > 0:
        _attribute_video(emitters, video, p, off, floor, bin_hz, nfft)
    for e in emitters:  # baseband -> RF
        for name in ("freq_hz", "peak_hz"):
            setattr(e, name, _to_rf(getattr(e, name), center_hz, inverted))
        a, b = _to_rf(e.lo_hz, center_hz, inverted), _to_rf(e.hi_hz, center_hz, inverted)
        e.lo_hz, e.hi_hz = min(a, b), max(a, b)
    return WindowAnalysis(sample_rate, center_hz, inverted, p, peak, floor, segments, emitters, video)


def _to_rf(offset: float, center_hz: float, inverted: bool) -> float:
    return center_hz - offset if inverted else center_hz + offset


def _attribute_video(emitters: List[Emitter], video: VideoEvidence, p, off, floor, bin_hz, nfft):
    """The line structure belongs to the strongest emitter wide enough to be video;
    when the signal fills the window too evenly to stand out, it becomes one. A
    line-rate fundamental alone next to only narrow emitters is a tone-modulated
    carrier, not video."""
    # the line-rate fundamental alone is the smooth edge of a wide FM signal: it needs a
    # wide emitter, not a broadcast station
    need = MIN_VIDEO_WIDTH_HZ if not video.fundamental_only else min(1e6, 0.4 * bin_hz * nfft)
    wide = [e for e in emitters if e.bandwidth_hz >= need]
    if wide:
        max(wide, key=lambda e: e.power_db).video = video
        return
    if emitters and video.fundamental_only:
        return
    e = describe_band(p, off, float(np.min(p)), 0, nfft, bin_hz)
    e.fills_window = True
    e.video = video
    emitters.append(e)


def verdict_for(score: float, camera: float, suspect: float) -> Optional[str]:
    return verdicts.for_score(score, camera, suspect)


def report(emitters: List[Emitter], ctx: Context, camera_score: float = 0.8,
           suspect_score: float = 0.5) -> Dict[str, list]:
    """Classify emitters and split them into ``findings`` (analog video, ranked by
    score) and ``emitters`` (everything else), in the shape of the analyze contract."""
    findings, others = [], []
    for e in emitters:
        classify(e, ctx)
        verdict = verdict_for(e.video.score if e.video else 0.0, camera_score, suspect_score)
        if e.cls == VIDEO and verdict:
            findings.append(finding_dict(e, verdict))
        else:
            others.append(emitter_dict(e))
    findings.sort(key=lambda f: -f["score"])
    others.sort(key=lambda d: d["freq_hz"])
    return {"findings": findings, "emitters": others}


def finding_dict(e: Emitter, verdict: str) -> dict:
    v = e.video
    reasons = list(v.reasons)
    if e.fills_window:
        reasons.append("signal is wider than the window: the carrier may lie outside it")
    channel = nearest_channel(e.freq_hz)
    if channel is not None:
        reasons.append(f"near the common video channel {channel / 1e6:g} MHz")
    return {
        "type": analog_video.TYPE,
        "verdict": verdict,
        "score": round(float(v.score), 3),
        "freq_hz": round(e.freq_hz),
        "channel_hz": None if channel is None else round(channel),
        "standard": v.standard,
        "line_system": v.line_system,
        "line_rate_hz": None if v.line_rate_hz is None else round(v.line_rate_hz, 1),
        "bandwidth_hz": round(e.bandwidth_hz),
        "lo_hz": round(e.lo_hz),
        "hi_hz": round(e.hi_hz),
        "power_db": round(e.power_db, 1),
        "snr_db": round(e.snr_db, 1),
        "reasons": reasons,
    }


def emitter_dict(e: Emitter) -> dict:
    d = {
        "class": e.cls,
        "score": round(float(e.cls_score), 3),
        "freq_hz": round(e.freq_hz),
        "bandwidth_hz": round(e.bandwidth_hz),
        "power_db": round(e.power_db, 1),
        "snr_db": round(e.snr_db, 1),
        "reasons": list(e.reasons),
    }
    if e.bursts is not None:
        d["duty"] = round(e.bursts.duty, 3)
        d["bursts"] = e.bursts.bursts
    return d
