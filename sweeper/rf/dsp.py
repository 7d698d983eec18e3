"""Spectral building blocks: spectrogram, PSD, robust noise floor, burst timing.

All vectorised over complex64/float32 arrays. One 1024-point FFT per segment serves
both the averaged PSD (where emitters are) and the per-segment powers (when they
transmit), so the FFT is paid once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

NFFT = 1024
_WINDOWS = {}


def _hann(n: int) -> np.ndarray:
    w = _WINDOWS.get(n)
    if w is None:
        w = np.hanning(n).astype(np.float32)
        w /= np.sqrt(np.mean(w * w))  # unit power gain: a bin's power is comparable across sizes
        _WINDOWS[n] = w
    return w


def spectrogram(x: np.ndarray, nfft: int = NFFT, chunk: int = 128) -> np.ndarray:
    """Power of each ``nfft``-sample segment, Hann-windowed, FFT-shifted so bin 0 is
    -fs/2. ``x``: (M,) or (N, M) complex64 (rows are cut separately). Returns float32
    (segments, nfft) in units of |x|^2 per bin. Works ``chunk`` segments at a time so
    the temporaries stay in cache and memory stays bounded for long captures."""
    return _spectrogram(x, nfft, chunk, False)[0]


def spectrogram_stats(x: np.ndarray, nfft: int = NFFT, chunk: int = 128):
    """(:func:`spectrogram`, its :func:`psd`, its max-hold per bin), the two summaries
    taken while each chunk of segments is still in cache."""
    return _spectrogram(x, nfft, chunk, True)


def _spectrogram(x: np.ndarray, nfft: int, chunk: int, stats: bool):
    x = np.asarray(x, dtype=np.complex64)
    if x.ndim == 1:
        x = x[None, :]
    m = (x.shape[1] // nfft) * nfft
    if m == 0:
        raise ValueError(f"need at least {nfft} samples per capture, got {x.shape[1]}")
    seg = x[:, :m].reshape(-1, nfft)
    out = np.empty(seg.shape, dtype=np.float32)
    window = _hann(nfft)
    scale = np.float32(1.0 / nfft)
    half = nfft // 2
    total = np.zeros(nfft, np.float32) if stats else None
    peak = np.zeros(nfft, np.float32) if stats else None
    for i in range(0, len(seg), chunk):
        spec = np.fft.fft(seg[i:i + chunk] * window, axis=1)
        power = np.abs(spec)
        np.square(power, out=power)
        power *= scale
        rows = out[i:i + chunk]
        rows[:, :half] = power[:, half:]  # FFT shift while copying
        rows[:, half:] = power[:, :half]
        if stats:
            total += rows.sum(axis=0)
            np.maximum(peak, rows.max(axis=0), out=peak)
    if not stats:
        return out, None, None
    return out, total / np.float32(len(seg)), peak


def bin_offsets(sample_rate: float, nfft: int = NFFT) -> np.ndarray:
    """Baseband frequency of each FFT-shifted bin, Hz from the tuned centre."""
    return (np.arange(nfft) - nfft // 2) * (sample_rate / nfft)


def psd(spec: np.ndarray) -> np.ndarray:
    """Average power per bin over segments (Welch with no overlap)."""
    return spec.mean(axis=0, dtype=np.float32)


def suppress_dc(p: np.ndarray, half_width: int = 2) -> np.ndarray:
    """Replace the bins around the centre (the RTL-SDR's DC spike) by the level of
    their neighbours, so the spike is not mistaken for a carrier."""
    p = p.copy()
    c = len(p) // 2
    lo, hi = c - half_width, c + half_width + 1
    around = np.concatenate([p[max(0, lo - 4):lo], p[hi:hi + 4]])
    if around.size:
        p[lo:hi] = np.median(around)
    return p


def noise_floor(p: np.ndarray, segments: int = 1, quantile: float = 0.25) -> float:
    """Robust noise level per bin: a low quantile of the PSD corrected for the spread
    of averaged noise (Gamma(K, 1/K) for K averaged segments; Wilson-Hilferty), so
    emitters covering up to three quarters of the window do not raise it."""
    k = max(int(segments), 1)
    z = {0.1: -1.2816, 0.25: -0.6745, 0.5: 0.0}[quantile]
    a = 1.0 / (9.0 * k)
    ratio = max((1.0 - a + z * np.sqrt(a)) ** 3, 1e-3)
    q = float(np.quantile(p, quantile))
    return max(q / ratio, 1e-20)


@dataclass
class BurstStats:
    """When an emitter transmits, from its per-segment power."""

    duty: float  # fraction of segments on
    bursts: int  # number of separate on-runs
    mean_on_s: float
    mean_off_s: float
    max_on_s: float
    period_s: Optional[float]  # median start-to-start interval when regular
    regularity: float  # 0..1: 1 when bursts start at a steady interval
    resolution_s: float
    #: when, from the start of the series: the first on segment starts, the last one ends
    first_on_s: float = 0.0
    last_on_s: float = 0.0
    #: how long it is on from the series' start, and up to its end (0: off there)
    lead_on_s: float = 0.0
    trail_on_s: float = 0.0
    #: the time the series covers
    span_s: float = 0.0

    @property
    def continuous(self) -> bool:
        return self.duty > 0.97


def burst_stats(power: np.ndarray, noise: float, resolution_s: float,
                threshold: float = 4.0) -> BurstStats:
    """On/off timing of a per-segment power series (float array), on when power is
    ``threshold`` times the emitter band's noise power."""
    on = power > noise * threshold
    n = len(on)
    duty = float(on.mean()) if n else 0.0
    edges = np.diff(on.astype(np.int8), prepend=0, append=0)
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    lengths = stops - starts
    bursts = len(starts)
    if bursts == 0:
        return BurstStats(0.0, 0, 0.0, 0.0, 0.0, None, 0.0, resolution_s, span_s=n * resolution_s)
    gaps = starts[1:] - stops[:-1]
    period = None
    regularity = 0.0
    if bursts >= 3:
        intervals = np.diff(starts)
        med = float(np.median(intervals))
        spread = float(np.median(np.abs(intervals - med)))
        regularity = float(np.clip(1.0 - spread / max(med, 1.0) * 4.0, 0.0, 1.0))
        period = med * resolution_s
    return BurstStats(
        duty=duty,
        bursts=bursts,
        mean_on_s=float(lengths.mean()) * resolution_s,
        mean_off_s=float(gaps.mean()) * resolution_s if gaps.size else 0.0,
        max_on_s=float(lengths.max()) * resolution_s,
        period_s=period,
        regularity=regularity,
        resolution_s=resolution_s,
        first_on_s=float(starts[0]) * resolution_s,
        last_on_s=float(stops[-1]) * resolution_s,
        lead_on_s=float(lengths[0]) * resolution_s if starts[0] == 0 else 0.0,
        trail_on_s=float(lengths[-1]) * resolution_s if stops[-1] == n else 0.0,
        span_s=n * resolution_s,
    )
