"""Analog video detector: finds the line structure of FM-modulated PAL/NTSC video.

Why it works (see shared/FIELD-NOTES.md): a composite video signal repeats its sync
pulse every line (64 us PAL, 63.56 us NTSC) and neighbouring lines of a picture are
alike, so the transmitter's instantaneous frequency -- and, when only a slice of the
15-20 MHz wide FM signal falls in the receiver's window, the in-window power too --
repeats every line. Both live in the lag product ``z[n] = x[n+1] * conj(x[n])``: its
phase is the FM discriminator, its magnitude the power. A carrier, noise, Wi-Fi,
Bluetooth, microwave ovens and digital OFDM have no such repetition at a line period.

The statistic is the *line contrast*: the normalised autocorrelation of ``z`` at
``k`` line periods minus the mean of its values half a line either side, taken over
``k = 1..K`` lines (median, so one coincidental lag cannot make it) and searched over
line periods 61-66 us at fractional lags (2.4 MS/s has 153.6 samples per PAL line;
NTSC is never whole). Slowly varying signals (FM audio, bursts) correlate as much
half a line away as a line away, so their contrast is near zero; the sync train's
is large. The best period says PAL or NTSC, or neither for off-standard cameras.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

PAL_LINE_S = 64.0e-6
NTSC_LINE_S = 1.0 / 15734.264
#: searched line periods; stops short of LTE's 66.7 us useful symbol
LINE_SEARCH_S = (61.0e-6, 66.0e-6)
#: line periods called PAL / NTSC: each standard's side of the midpoint between them,
#: widened by 0.35 us outwards (a two-line capture resolves the period to ~0.2 us)
STANDARD_RANGES_S = {
    "PAL": (0.5 * (64.0e-6 + 1.0 / 15734.264), 64.35e-6),
    "NTSC": (1.0 / 15734.264 - 0.35e-6, 0.5 * (64.0e-6 + 1.0 / 15734.264)),
}
#: the lag product is summed in blocks down to about this rate: the sync edges
#: (4.7 us pulses) survive and the autocorrelation is cheap
FEATURE_RATE = 600e3
#: long captures are cut into segments this long (in time) for the autocorrelation ...
SEGMENT_S = 0.008
#: ... and at most this many segments, spread over the capture, are used: line
#: structure is established within a few thousand lines, more data adds nothing but cost
MAX_SEGMENTS = 16
#: a short capture keeps at least this many feature samples (less decimation)
MIN_FEATURE_SAMPLES = 20_000
MAX_LINES = 32

# Contrast -> score. Calibrated on the labelled simulator suite and the real captures
# (tests/test_video_detection.py); the contrast of noise falls as 1/sqrt(samples), so a
# short capture needs more contrast to be believed (see _noise_contrast).
CONTRAST_FLOOR = 0.06
CONTRAST_FULL = 0.30


@dataclass
class VideoEvidence:
    """What the line-structure search found in one window."""

    score: float = 0.0  # 0..1, how sure we are that this is analog video
    contrast: float = 0.0  # line contrast at the best period
    line_period_s: Optional[float] = None
    standard: Optional[str] = None  # "PAL", "NTSC" or None
    lines: int = 0  # how many line lags were averaged
    reasons: List[str] = field(default_factory=list)

    @property
    def line_rate_hz(self) -> Optional[float]:
        return None if self.line_period_s is None else 1.0 / self.line_period_s


def lag_product(x: np.ndarray, decimation: int) -> np.ndarray:
    """``x[n+1] * conj(x[n])`` summed over blocks of ``decimation`` samples.

    ``x`` is (N, M) complex64; returns (N, (M-1)//decimation) complex64."""
    z = x[:, 1:] * np.conj(x[:, :-1])
    m = (z.shape[1] // decimation) * decimation
    if decimation == 1:
        return z[:, :m]
    return z[:, :m].reshape(z.shape[0], -1, decimation).sum(axis=2)


def _segments(x: np.ndarray, length: int) -> np.ndarray:
    """Rows of ``length`` raw samples: long captures are cut into pieces, of which at
    most MAX_SEGMENTS evenly spaced ones are kept, so cost is bounded per window."""
    n, m = x.shape
    if m <= 2 * length:
        return x
    per_row = m // length
    pieces = x[:, : per_row * length].reshape(n * per_row, length)
    if len(pieces) > MAX_SEGMENTS:
        pieces = pieces[np.linspace(0, len(pieces) - 1, MAX_SEGMENTS).round().astype(int)]
    return pieces


def autocorrelation(z: np.ndarray, max_lag: int) -> np.ndarray:
    """Normalised, unbiased autocorrelation (real part) of the rows of ``z``,
    pooled over rows, for lags 0..max_lag. Rows are made zero-mean first so a
    steady carrier contributes nothing."""
    z = z - z.mean(axis=1, keepdims=True)
    m = z.shape[1]
    nfft = 1 << int(np.ceil(np.log2(m + max_lag + 1)))
    spec = np.fft.fft(z, nfft, axis=1)
    power = (spec.real * spec.real + spec.imag * spec.imag).sum(axis=0)
    r = np.fft.ifft(power).real[: max_lag + 1]
    if r[0] <= 0:
        return np.zeros(max_lag + 1)
    overlap = (m - np.arange(max_lag + 1)) / m
    return r / r[0] / overlap


def _interp(r: np.ndarray, lag: np.ndarray) -> np.ndarray:
    i = np.floor(lag).astype(np.int64)
    frac = lag - i
    return r[i] * (1.0 - frac) + r[i + 1] * frac


def line_contrast(r: np.ndarray, periods: np.ndarray, max_lines: int):
    """Median over k of r(k T) - (r((k-1/2)T) + r((k+1/2)T))/2 for each period T
    (in feature samples). Returns (contrast per period, lines used)."""
    max_lag = len(r) - 2
    lines = int(min(max_lines, np.floor(max_lag / periods.max() - 0.5)))
    if lines < 1:
        return np.zeros(len(periods)), 0
    k = np.arange(1, lines + 1)[:, None]
    on = _interp(r, k * periods)
    off = 0.5 * (_interp(r, (k - 0.5) * periods) + _interp(r, (k + 0.5) * periods))
    return np.median(on - off, axis=0), lines


def _noise_contrast(samples: int) -> float:
    """Contrast that noise alone reaches in the period search (about 6 sigma of an
    autocorrelation estimate from ``samples`` independent values)."""
    return 6.0 / np.sqrt(max(samples, 1))


def detect_video(x: np.ndarray, sample_rate: float) -> VideoEvidence:
    """Look for PAL/NTSC line structure in complex baseband ``x``.

    ``x``: complex64, shape (M,) for one capture or (N, M) for N separate captures
    of the same signal. Works at any rate from 0.25 to 20 MS/s and on captures as
    short as about two lines."""
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[None, :]
    x = x.astype(np.complex64, copy=False)
    # decimate to about FEATURE_RATE, less when the capture is short
    decimation = int(max(1, min(sample_rate // FEATURE_RATE, x.size // MIN_FEATURE_SAMPLES)))
    feature_rate = sample_rate / decimation
    seg_len = int(SEGMENT_S * feature_rate) * decimation + 1
    z = lag_product(_segments(x, seg_len), decimation)
    max_lag = min(z.shape[1] - 2, int(np.ceil((MAX_LINES + 0.5) * LINE_SEARCH_S[1] * feature_rate)) + 2)
    ev = VideoEvidence()
    if max_lag < 1.5 * LINE_SEARCH_S[1] * feature_rate + 2:
        ev.reasons.append("capture shorter than two video lines")
        return ev
    r = autocorrelation(z, max_lag)
    # period grid fine enough that the longest lag moves by under 1/4 sample per step
    step = 0.25 / (MAX_LINES * feature_rate)
    step = max(step, 0.004e-6)
    periods_s = np.arange(LINE_SEARCH_S[0], LINE_SEARCH_S[1] + step / 2, step)
    contrast, lines = line_contrast(r, periods_s * feature_rate, MAX_LINES)
    if lines == 0:
        ev.reasons.append("capture shorter than two video lines")
        return ev
    best = int(np.argmax(contrast))
    c = float(contrast[best])
    period = float(periods_s[best])
    noise = _noise_contrast(z.size)
    floor = max(CONTRAST_FLOOR, noise)
    ev.contrast = c
    ev.lines = lines
    ev.score = float(np.clip((c - floor) / (CONTRAST_FULL - CONTRAST_FLOOR), 0.0, 1.0))
    if c <= floor:
        ev.reasons.append(f"no video line structure (line contrast {c:.2f})")
        return ev
    ev.line_period_s = period
    for name, (lo, hi) in STANDARD_RANGES_S.items():
        if lo <= period < hi:
            ev.standard = name
    rate = 1.0 / period
    ev.reasons.append(
        f"signal repeats every {period * 1e6:.2f} us ({rate / 1e3:.3f} kHz line rate, "
        f"contrast {c:.2f} over {lines} line{'s' if lines > 1 else ''})"
    )
    if ev.standard:
        ev.reasons.append(f"line rate matches {ev.standard}")
    else:
        ev.reasons.append("line rate is off-standard (neither PAL nor NTSC)")
    return ev
