"""Emitters: contiguous runs of spectrum above the noise floor, and what we know of them.

Found on one window's PSD or on a sweep's stitched spectrum (a wide FM video signal
spans several hops, so it is found only after stitching), then described by their
timing (:class:`BurstStats`), line structure (:class:`VideoEvidence`) and classified.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from sweeper.rf.dsp import BurstStats
from sweeper.rf.video import VideoEvidence


@dataclass
class Emitter:
    """One transmitter as the sweep sees it. Frequencies are RF Hz."""

    freq_hz: float  # power-weighted centre
    lo_hz: float
    hi_hz: float
    peak_hz: float
    power_db: float  # total in-band power, dB relative to receiver full scale
    snr_db: float  # peak PSD bin over the noise floor
    flatness: float = 0.0  # spectral flatness in its band, 0..1 (OFDM is flat, FM is not)
    fills_window: bool = False  # wider than what one window showed: true width unknown
    bursts: Optional[BurstStats] = None
    video: Optional[VideoEvidence] = None
    hops: List[int] = field(default_factory=list)
    cls: str = "unknown"
    cls_score: float = 0.0
    reasons: List[str] = field(default_factory=list)

    @property
    def bandwidth_hz(self) -> float:
        return self.hi_hz - self.lo_hz


def smooth(p: np.ndarray, width: int = 5) -> np.ndarray:
    """Moving average over ``width`` bins (edges use a shorter window)."""
    if width <= 1 or len(p) < width:
        return p
    kernel = np.ones(width, dtype=np.float32) / width
    num = np.convolve(p, kernel, mode="same")
    den = np.convolve(np.ones_like(p), kernel, mode="same")
    return (num / den).astype(np.float32)


def find_bands(ratio: np.ndarray, threshold_db: float, merge_gap: int) -> List[Tuple[int, int]]:
    """Runs of bins whose smoothed PSD/floor ratio exceeds ``threshold_db``, with runs
    closer than ``merge_gap`` bins joined. Returns (start, stop) bin slices."""
    above = ratio > 10.0 ** (threshold_db / 10.0)
    if not above.any():
        return []
    edges = np.diff(above.astype(np.int8), prepend=0, append=0)
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    if len(starts) > 1:
        keep = np.concatenate([[True], (starts[1:] - stops[:-1]) > merge_gap])
        starts = starts[keep]
        stops = np.concatenate([stops[:-1][keep[1:]], stops[-1:]])
    return list(zip(starts.tolist(), stops.tolist()))


def spectral_flatness(p: np.ndarray) -> float:
    """Geometric over arithmetic mean of the band's PSD: near 1 for a flat top."""
    p = np.maximum(p.astype(np.float64), 1e-30)
    return float(np.exp(np.mean(np.log(p))) / np.mean(p))


def describe_band(p: np.ndarray, freqs: np.ndarray, floor: float, lo: int, hi: int,
                  bin_hz: float) -> Emitter:
    """An Emitter from PSD bins [lo, hi) at RF ``freqs`` (ascending)."""
    band = p[lo:hi]
    excess = np.maximum(band - floor, 0.0)
    weight = excess.sum()
    centre = float((freqs[lo:hi] * excess).sum() / weight) if weight > 0 else float(freqs[lo:hi].mean())
    peak = int(np.argmax(band))
    total = float(band.sum())
    return Emitter(
        freq_hz=centre,
        lo_hz=float(freqs[lo] - bin_hz / 2),
        hi_hz=float(freqs[hi - 1] + bin_hz / 2),
        peak_hz=float(freqs[lo + peak]),
        power_db=10.0 * np.log10(max(total, 1e-30)),
        snr_db=10.0 * np.log10(max(float(band[peak]) / floor, 1e-30)),
        flatness=spectral_flatness(band),
    )
