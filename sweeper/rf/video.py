"""Analog video detector: finds the line structure of FM-modulated PAL/NTSC video.

Why it works (see shared/FIELD-NOTES.md): a composite video signal repeats its sync
pulse every line (64 us PAL, 63.56 us NTSC) and neighbouring lines of a picture are
alike, so the transmitter's instantaneous frequency -- and, when only a slice of the
15-20 MHz wide FM signal falls in the receiver's window, the in-window power too --
repeats every line. Two features carry it: the lag product ``x[n+1] * conj(x[n])``
(phase: the FM discriminator; magnitude: the power) and the in-window power alone,
which survives pictures whose pre-emphasised noise scrambles the discriminator. A
carrier, noise, Wi-Fi, Bluetooth, microwave ovens and digital OFDM have no such
repetition at a line period.

The statistic is the *line contrast*: the normalised autocorrelation of a feature at
``k`` line periods minus the mean of its values half a line either side, averaged over
``k = 1..32`` (and ``1..8``, for pictures that change over tens of lines) with an
interquartile mean, so one coincidental lag (an LTE cyclic prefix) cannot make it,
searched over line periods 62.2-65.3 us at fractional lags (2.4 MS/s has 153.6
samples per PAL line; NTSC is never whole). Slowly varying signals (FM audio, burst
envelopes) correlate as much half a line away as a line away, so their contrast is
near zero. A lone tone in a feature (two carriers beating) does repeat at some period
in the range, so the periodic power must also spread over several harmonics of the
line rate (:func:`harmonic_spread`). The best period says PAL or NTSC, or neither for
off-standard cameras.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

PAL_LINE_S = 64.0e-6
NTSC_LINE_S = 1.0 / 15734.264
#: searched line periods: the two standards with 2% of timebase error either way
#: (cheap senders run off-standard: a real 5.8 GHz capture repeats every 62.8 us);
#: stops short of LTE's 66.7 us useful symbol
LINE_SEARCH_S = (62.2e-6, 65.3e-6)
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
#: the feature's slow part (bursts switching on and off) is removed over this span
BURST_WINDOW_S = 0.0005
#: a short capture keeps at least this many feature samples (less decimation)
MIN_FEATURE_SAMPLES = 20_000
MAX_LINES = 32
#: the power feature counts from this std/mean (a strong FM broadcast station's ripple
#: from the dongle's IQ image reaches 0.15) and fully from the next (noise alone: ~0.5)
POWER_DEPTH_MIN = 0.15
POWER_DEPTH_FULL = 0.4
SHORT_LINES = 8

# Contrast -> score. Calibrated on the labelled simulator suite and the real captures
# (tests/test_video_detection.py); the contrast of noise falls as 1/sqrt(samples), so a
# short capture needs more contrast to be believed (see _noise_contrast).
CONTRAST_FLOOR = 0.01
CONTRAST_FULL = 0.035
#: harmonics of the line rate that carry its power: a tone gives ~1, a sync train many
SPREAD_MIN = 1.3
SPREAD_FULL = 2.0


@dataclass
class VideoEvidence:
    """What the line-structure search found in one window."""

    score: float = 0.0  # 0..1, how sure we are that this is analog video
    contrast: float = 0.0  # line contrast at the best period
    line_period_s: Optional[float] = None
    standard: Optional[str] = None  # "PAL", "NTSC" or None
    lines: int = 0  # how many line lags were averaged
    spread: float = 0.0  # effective number of line-rate harmonics (a tone: ~1)
    #: the periodic power sits in the line-rate fundamental alone: the smooth edge of
    #: an FM video signal -- or a narrowband signal modulated by a tone at that rate,
    #: so only believed for a signal wider than a carrier
    fundamental_only: bool = False
    reasons: List[str] = field(default_factory=list)

    @property
    def line_rate_hz(self) -> Optional[float]:
        return None if self.line_period_s is None else 1.0 / self.line_period_s


def lag_product(x: np.ndarray, decimation: int) -> np.ndarray:
    """``x[n+1] * conj(x[n])`` summed over blocks of ``decimation`` samples.

    ``x`` is (N, M) complex64; returns (N, (M-1)//decimation) complex64. Each row's
    mean (the receiver's DC offset) is removed first: a DC offset beating with any
    steady signal in the window puts a pure tone into the lag product, and a tone
    repeats at some period in the line search."""
    x = x - x.mean(axis=1, keepdims=True)
    z = x[:, 1:] * np.conj(x[:, :-1])
    m = (z.shape[1] // decimation) * decimation
    if decimation == 1:
        return z[:, :m]
    return z[:, :m].reshape(z.shape[0], -1, decimation).sum(axis=2)


def power_envelope(x: np.ndarray, decimation: int) -> np.ndarray:
    """In-window power ``|x|^2`` summed over blocks of ``decimation`` samples, as
    complex64 so it shares the lag product's path. When the sender's picture noise
    (pre-emphasised) scrambles the FM discriminator, the times the signal sweeps
    into the window still repeat every line."""
    p = x.real * x.real + x.imag * x.imag
    m = ((p.shape[1] - 1) // decimation) * decimation
    p = p[:, :m]
    if decimation > 1:
        p = p.reshape(p.shape[0], -1, decimation).sum(axis=2)
    return p.astype(np.complex64)


def _moving_average(a: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over ``width`` samples along rows (cumulative sums and
    slices; near the edges the window is cut short)."""
    n, m = a.shape
    h = min(width // 2, (m - 1) // 2)
    c = np.empty((n, m + 1), a.dtype)
    c[:, 0] = 0
    np.cumsum(a, axis=1, out=c[:, 1:])
    out = np.empty_like(a)
    out[:, h:m - h] = c[:, 2 * h + 1:] - c[:, : m - 2 * h]
    out[:, :h] = c[:, h + 1: 2 * h + 1] - c[:, :1]
    out[:, m - h:] = c[:, m:] - c[:, m - 2 * h: m - h]
    counts = np.full(m, 2 * h + 1, dtype=np.float32)
    counts[:h] = np.arange(h + 1, 2 * h + 1)
    counts[m - h:] = np.arange(2 * h, h, -1)
    out /= counts
    return out


def equalize_bursts(z: np.ndarray, width: int) -> np.ndarray:
    """Remove the slow part of the feature (over ``width`` samples, several lines) and
    scale it to unit local power.

    Why: a Wi-Fi or Bluetooth burst is a block of near-constant lag product that
    switches on and off over milliseconds; left in, its envelope dominates the
    autocorrelation and, like any slow trend, can lean the line contrast. Line
    structure (tens of microseconds) passes untouched, and a continuous video signal
    has constant local power so the scaling does not change it."""
    hp = z - _moving_average(z, width)
    power = _moving_average((hp.real * hp.real + hp.imag * hp.imag), width)
    # stretches with (almost) nothing -- an 8-bit dongle whose noise quantises to one
    # level -- must stay quiet, not be blown up to unit power
    quiet = 1e-3 * power.mean(axis=1, keepdims=True) + 1e-30
    return (hp / np.sqrt(power + quiet)).astype(np.complex64)


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


def feature_spectrum(z: np.ndarray, max_lag: int) -> np.ndarray:
    """Power spectrum of the rows of ``z`` (made zero-mean, so a steady carrier
    contributes nothing), zero-padded so lags up to ``max_lag`` do not wrap, pooled
    over rows."""
    z = z - z.mean(axis=1, keepdims=True)
    nfft = 1 << int(np.ceil(np.log2(z.shape[1] + max_lag + 1)))
    spec = np.fft.fft(z, nfft, axis=1)
    return (spec.real * spec.real + spec.imag * spec.imag).sum(axis=0)


def autocorrelation(power: np.ndarray, row_length: int, max_lag: int) -> np.ndarray:
    """Normalised, unbiased autocorrelation (real part) for lags 0..max_lag from a
    :func:`feature_spectrum` of rows ``row_length`` long."""
    r = np.fft.ifft(power).real[: max_lag + 1]
    if r[0] <= 0:
        return np.zeros(max_lag + 1)
    overlap = (row_length - np.arange(max_lag + 1)) / row_length
    return r / r[0] / overlap


def harmonic_spread(power: np.ndarray, row_length: int, feature_rate: float, period_s: float):
    """Effective number of harmonics of ``1/period_s`` that carry the feature's
    periodic power (participation ratio of their excess over the local background),
    and which harmonic carries most.

    Why: a single tone in the feature -- two carriers beating, say -- repeats at
    *some* period in the search range (any tone above 200 kHz does) and fools the lag
    contrast. A sync-pulse train spreads its power over many harmonics of the line
    rate; and when only the smooth edge of an FM video signal reaches the window, its
    power swells and fades at the line rate itself, the first harmonic. A tone sitting
    exactly on the line rate is the one coincidence left."""
    nfft = len(power)
    f_line = 1.0 / period_s
    n_harm = int(min(24, np.floor(0.45 * feature_rate / f_line)))
    if n_harm < 2:
        return float(SPREAD_FULL), 1
    half = max(1, int(round(nfft / row_length)))
    block = max(32, 8 * half)
    m = nfft // block * block
    background = np.repeat(np.median(power[:m].reshape(-1, block), axis=1), block)
    background = np.concatenate([background, np.full(nfft - m, background[-1])])
    n = np.arange(1, n_harm + 1, dtype=np.float64)
    f = np.concatenate([n, -n]) * f_line
    bins = np.round(f / feature_rate * nfft).astype(np.int64) % nfft
    idx = (bins[:, None] + np.arange(-half, half + 1)[None, :]) % nfft
    excess = np.maximum(power[idx].sum(axis=1, dtype=np.float64) - 2.0 * (2 * half + 1) * background[bins], 0.0)
    excess = excess[:n_harm] + excess[n_harm:]  # +f and -f: a real tone has both
    total = excess.sum()
    if total <= 0:
        return 0.0, 0
    return float(total * total / np.sum(excess * excess)), int(np.argmax(excess)) + 1


def _interp(r: np.ndarray, lag: np.ndarray) -> np.ndarray:
    i = np.floor(lag).astype(np.int64)
    frac = lag - i
    return r[i] * (1.0 - frac) + r[i + 1] * frac


def line_contrast(r: np.ndarray, periods: np.ndarray, max_lines: int):
    """Robust mean over k of r(k T) - (r((k-1/2)T) + r((k+1/2)T))/2 for each period T
    (in feature samples), k = 1..max_lines. Returns (contrast per period, lines used)."""
    max_lag = len(r) - 2
    lines = int(min(max_lines, np.floor(max_lag / periods.max() - 0.5)))
    if lines < 1:
        return np.zeros(len(periods)), 0
    k = np.arange(1, lines + 1)[:, None]
    on = _interp(r, k * periods)
    off = 0.5 * (_interp(r, (k - 0.5) * periods) + _interp(r, (k + 0.5) * periods))
    return _interquartile_mean(on - off), lines


def _interquartile_mean(a: np.ndarray) -> np.ndarray:
    """Mean of the middle half along axis 0: as robust as the median to a few odd
    lags (an LTE cyclic prefix, a coincidental burst), with less noise."""
    n = a.shape[0]
    if n < 4:
        return np.median(a, axis=0)
    s = np.sort(a, axis=0)
    return s[n // 4: n - n // 4].mean(axis=0)


def _noise_contrast(samples: int) -> float:
    """Contrast that noise alone stays below in the period search (the median over
    line multiples makes it several times less than 1/sqrt(samples))."""
    return 2.0 / np.sqrt(max(samples, 1))


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
    segments = _segments(x, seg_len)
    ev = VideoEvidence()
    max_lag = min(segments.shape[1] // decimation - 3,
                  int(np.ceil((MAX_LINES + 0.5) * LINE_SEARCH_S[1] * feature_rate)) + 2)
    if max_lag < 1.5 * LINE_SEARCH_S[1] * feature_rate + 2:
        ev.reasons.append("capture shorter than two video lines")
        return ev
    # period grid fine enough that the longest lag moves by under 1/4 sample per step
    step = 0.25 / (MAX_LINES * feature_rate)
    step = max(step, 0.004e-6)
    periods_s = np.arange(LINE_SEARCH_S[0], LINE_SEARCH_S[1] + step / 2, step)
    lags = periods_s * feature_rate
    best = None
    for name, z in (("lag product", lag_product(segments, decimation)),
                    ("power", power_envelope(segments, decimation))):
        weight = 1.0
        if name == "power":
            # a steady signal inside the window has a flat envelope whose tiny ripple the
            # equalising below would blow up: count the power only as far as it swings
            mean = float(np.mean(z.real))
            depth = float(np.std(z.real)) / mean if mean > 0 else 0.0
            weight = float(np.clip((depth - POWER_DEPTH_MIN) / (POWER_DEPTH_FULL - POWER_DEPTH_MIN), 0.0, 1.0))
        width = int(BURST_WINDOW_S * feature_rate)
        if z.shape[1] >= 4 * width:  # short captures hold no millisecond bursts to remove
            z = equalize_bursts(z, width)
        spec = feature_spectrum(z, max_lag)
        r = autocorrelation(spec, z.shape[1], max_lag)
        contrast, lines = line_contrast(r, lags, MAX_LINES)
        if lines == 0:
            continue
        if SHORT_LINES and lines > SHORT_LINES:
            # a natural picture changes over tens of lines: its neighbouring lines agree
            # more than lines 30 apart, so judge the first few line lags on their own too
            # (fewer lags, more noise: it must beat the full set by two more noise floors)
            near, _ = line_contrast(r, lags, SHORT_LINES)
            near = near - 2.0 * _noise_contrast(z.size)
            if near.max() > contrast.max():
                contrast, lines = near, SHORT_LINES
        contrast = contrast * weight
        if best is None or contrast.max() > best[1].max():
            best = (name, contrast, lines, spec, z.shape[1])
    if best is None:
        ev.reasons.append("capture shorter than two video lines")
        return ev
    feature, contrast, lines, power, row_length = best
    # a maximum on the edge of the search belongs to a period outside it
    edge = max(1, int(round(0.03e-6 / step)))
    contrast[:edge] = contrast[-edge:] = -np.inf
    best = int(np.argmax(contrast))
    c = float(contrast[best])
    period = float(periods_s[best])
    floor = max(CONTRAST_FLOOR, _noise_contrast(row_length * len(segments)))
    ev.contrast = c
    ev.lines = lines
    ev.spread, dominant = harmonic_spread(power, row_length, feature_rate, period)
    ev.fundamental_only = dominant == 1 and ev.spread <= SPREAD_MIN
    strength = np.clip((c - floor) / (CONTRAST_FULL - CONTRAST_FLOOR), 0.0, 1.0)
    comb = 1.0 if dominant == 1 else np.clip((ev.spread - SPREAD_MIN) / (SPREAD_FULL - SPREAD_MIN), 0.0, 1.0)
    ev.score = float(strength * comb)
    if c <= floor:
        ev.reasons.append(f"no video line structure (line contrast {c:.2f})")
        return ev
    if comb <= 0:
        ev.reasons.append(f"repeats every {period * 1e6:.2f} us but like a single tone, not a sync "
                          f"pulse train ({ev.spread:.1f} harmonics)")
        return ev
    ev.line_period_s = period
    for name, (lo, hi) in STANDARD_RANGES_S.items():
        if lo <= period < hi:
            ev.standard = name
    rate = 1.0 / period
    ev.reasons.append(
        f"signal repeats every {period * 1e6:.2f} us ({rate / 1e3:.3f} kHz line rate; {feature} "
        f"contrast {c:.2f} over {lines} lines, power in {ev.spread:.1f} harmonics)"
    )
    if ev.standard:
        ev.reasons.append(f"line rate matches {ev.standard}")
    else:
        ev.reasons.append("line rate is off-standard (neither PAL nor NTSC)")
    return ev
