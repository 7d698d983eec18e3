"""Analog video detector: finds the line structure of FM-modulated PAL/NTSC video.

Why it works (docs/RADIO.md has the timing facts): a composite video signal repeats its sync
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
line rate (:func:`harmonic_spread`). Line periodicity alone is not video (a switching
supply has it too): the score also needs a constant FM envelope or a field structure.
The best period gives the line system (625/50 or 525/60, or neither for off-standard
cameras); the colour standard (PAL, NTSC, SECAM, PAL-M) is named only from the chroma
lines in the FM discriminator, which a window of 10 MS/s or more can see
(:func:`chroma_evidence`).

Why one module of over 400 lines: the line search, the two supply checks (envelope
kurtosis, field structure) and the colour check share the decimated features, the line
period and one threshold table; apart, the table would be split across files.
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

# Line periodicity alone is not video: a switching supply whose edges repeat near the
# line rate has it too. Video must also show evidence a supply cannot give (see
# :func:`envelope_kurtosis` and :func:`field_structure`); the score is multiplied by the
# stronger of the two. Thresholds set on a calibration seed set of simulated supplies and
# senders at 0.25-20 MS/s (bench/bench_video_supply.py reports them on other seeds):
#
# =====================  =====  =====  =============================================
# quantity               lo     full   meaning
# =====================  =====  =====  =============================================
# power kurtosis         15     30     <= lo: constant envelope (FM); >= full: impulses
#                        (x N)  (x N)  below 0.54 MS/s: 0.45 and 0.6 x samples per line N
#                        4      8      at 10 MS/s and more (the window holds the FM swing)
# field margin           4      8      >= full: a vertical interval every field
# =====================  =====  =====  =============================================
#
#: local kurtosis E[p^2]/E[p]^2 of the in-window power p = |x|^2: noise gives 2, a
#: constant envelope 1, a slice of an FM sender a few; a supply's impulses (one sample
#: long, once a line) 25-400. At or below KURTOSIS_FM it counts fully as FM evidence,
#: at or above KURTOSIS_IMPULSIVE not at all.
KURTOSIS_FM = 15.0
KURTOSIS_IMPULSIVE = 30.0
#: a once-a-line impulse gives a kurtosis of about the samples per line N, so when a
#: line is only a few tens of samples (0.25 MS/s: 16) the bounds shrink to these x N
KURTOSIS_FM_PER_SAMPLE = 0.45
KURTOSIS_IMPULSIVE_PER_SAMPLE = 0.6
#: a window of WIDE_WINDOW_RATE or more holds most of an FM video signal's swing, so
#: its envelope is nearly constant (1.0-1.8 in simulated senders up to 8 MHz off
#: centre, 1.0-1.1 in both real 20 MS/s captures), while a supply's impulses still
#: give 17 and more at 5 dB: the bounds tighten to these
WIDE_WINDOW_RATE = 10e6
KURTOSIS_FM_WIDE = 4.0
KURTOSIS_IMPULSIVE_WIDE = 8.0
#: the kurtosis is taken over chunks this long (median over the strong ones), so a
#: sender switching on and off within the window is not mistaken for impulses
KURTOSIS_CHUNK_S = 0.002
#: field structure: how far the per-line half-line similarity's correlation at one
#: field (312.5 or 262.5 lines) stands above its largest value at any other lag, in
#: robust standard deviations of those lags; supplies stay below about 4
FIELD_Z_MIN = 4.0
FIELD_Z_FULL = 8.0
#: at least this many lines are needed to look for the field structure, and at most
#: FIELD_MAX_S of the capture is used
FIELD_MIN_LINES = 400
FIELD_MAX_S = 0.06
#: the per-line statistic is high-passed over this many lines (removes bursts and gating)
FIELD_HP_LINES = 41
#: line systems by line period, and their lines per field
LINE_SYSTEMS = {"625/50": (STANDARD_RANGES_S["PAL"], 312.5), "525/60": (STANDARD_RANGES_S["NTSC"], 262.5)}

# Colour standard from the chroma (see :func:`chroma_evidence`): the subcarrier sits at
# 3.6-4.4 MHz in the FM discriminator output, so only windows of CHROMA_MIN_RATE and
# more can see it, and only when the whole FM signal is in the window.
CHROMA_HZ = {"PAL": 4.43361875e6, "NTSC": 3.579545e6, "PAL-M": 3.57561149e6}
SECAM_REST_HZ = (4.40625e6, 4.25e6)
COLOUR_SYSTEMS = {"625/50": ("PAL", "SECAM"), "525/60": ("NTSC", "PAL-M")}
CHROMA_MIN_RATE = 10e6
#: the chroma lines need this much of one capture in one piece (about 23 lines) ...
CHROMA_MIN_S = 0.0015
#: ... and at most this much is used (longer: narrower lines over the same floor)
CHROMA_MAX_S = 0.05
#: a subcarrier line is looked for within this of its nominal place (crystal error)
CHROMA_TOL_HZ = 800.0
#: the floor is the median power within this of the subcarrier
CHROMA_FLOOR_HZ = 30e3
#: a system's weaker group of lines must stand this far above the floor (power ratio)
CHROMA_Z = 15.0
#: ... while the line system's other colour system stays below this
CHROMA_Z_OTHER = 10.0
#: ... or this many times below the named one (a strong burst's faint companions)
CHROMA_DOMINANCE = 30.0


@dataclass
class VideoEvidence:
    """What the line-structure search found in one window."""

    score: float = 0.0  # 0..1, how sure we are that this is analog video
    contrast: float = 0.0  # line contrast at the best period
    line_period_s: Optional[float] = None
    #: "PAL", "NTSC", "SECAM" or "PAL-M" when the chroma says so, else None
    colour_standard: Optional[str] = None
    line_system: Optional[str] = None  # "625/50" or "525/60" from the line period
    line_score: float = 0.0  # the score from line structure alone, before the supply gate
    kurtosis: float = 0.0  # local kurtosis of the in-window power (impulses: large)
    field_z: Optional[float] = None  # field-structure z-score (None: capture too short)
    lines: int = 0  # how many line lags were averaged
    spread: float = 0.0  # effective number of line-rate harmonics (a tone: ~1)
    #: the periodic power sits in the line-rate fundamental alone: the smooth edge of
    #: an FM video signal -- or a narrowband signal modulated by a tone at that rate,
    #: so only believed for a signal wider than a carrier
    fundamental_only: bool = False
    reasons: List[str] = field(default_factory=list)

    @property
    def standard(self) -> Optional[str]:
        """What to call it: the colour standard when the chroma resolved it, else the
        line system (a camera's colour coding is not visible in a narrow window)."""
        return self.colour_standard or self.line_system

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
    z = np.conj(x[:, :-1])
    z *= x[:, 1:]
    m = (z.shape[1] // decimation) * decimation
    if decimation == 1:
        return z[:, :m]
    return _block_sum(z[:, :m], decimation)


def _block_sum(z: np.ndarray, d: int) -> np.ndarray:
    """Sums over consecutive blocks of ``d`` samples along the rows of ``z`` (whose
    length is a multiple of ``d``). A few strided additions: numpy's reduction over a
    short inner axis costs several times more."""
    if d > 8:
        return z.reshape(z.shape[0], -1, d).sum(axis=2)
    out = z[:, 0::d].copy()
    for i in range(1, d):
        out += z[:, i::d]
    return out


def power_envelope(x: np.ndarray, decimation: int) -> np.ndarray:
    """In-window power ``|x|^2`` summed over blocks of ``decimation`` samples (float32:
    it takes the lag product's path at half the cost). When the sender's picture
    noise (pre-emphasised) scrambles the FM discriminator, the times the signal
    sweeps into the window still repeat every line."""
    p = _power(x)
    m = ((p.shape[1] - 1) // decimation) * decimation
    p = p[:, :m]
    if decimation > 1:
        p = _block_sum(p, decimation)
    return p.astype(np.float32, copy=False)


def _power(a: np.ndarray) -> np.ndarray:
    """|a|^2, for a real or complex array."""
    if np.iscomplexobj(a):
        return a.real * a.real + a.imag * a.imag
    return a * a


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
    power = _moving_average(_power(hp), width)
    # stretches with (almost) nothing -- an 8-bit dongle whose noise quantises to one
    # level -- must stay quiet, not be blown up to unit power
    quiet = 1e-3 * power.mean(axis=1, keepdims=True) + 1e-30
    hp /= np.sqrt(power + quiet)
    return hp.astype(np.complex64 if np.iscomplexobj(hp) else np.float32, copy=False)


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
    if np.iscomplexobj(z):
        return _power(np.fft.fft(z, nfft, axis=1)).sum(axis=0)
    # a real feature's spectrum is symmetric: half the transform, mirrored
    half = _power(np.fft.rfft(z, nfft, axis=1)).sum(axis=0)
    return np.concatenate([half, half[-2:0:-1]])


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
    if c <= floor:  # (most windows: the harmonics need not be counted)
        ev.reasons.append(f"no video line structure (line contrast {c:.2f})")
        return ev
    ev.spread, dominant = harmonic_spread(power, row_length, feature_rate, period)
    ev.fundamental_only = dominant == 1 and ev.spread <= SPREAD_MIN
    strength = np.clip((c - floor) / (CONTRAST_FULL - CONTRAST_FLOOR), 0.0, 1.0)
    comb = 1.0 if dominant == 1 else np.clip((ev.spread - SPREAD_MIN) / (SPREAD_FULL - SPREAD_MIN), 0.0, 1.0)
    ev.score = float(strength * comb)
    if comb <= 0:
        ev.reasons.append(f"repeats every {period * 1e6:.2f} us but like a single tone, not a sync "
                          f"pulse train ({ev.spread:.1f} harmonics)")
        return ev
    rate = 1.0 / period
    system = None
    for name, ((lo, hi), _) in LINE_SYSTEMS.items():
        if lo <= period < hi:
            system = name
    # evidence a switching supply cannot give
    ev.kurtosis = envelope_kurtosis(segments, sample_rate)
    ev.field_z = field_structure(x, sample_rate, period)
    n_line = period * sample_rate
    if sample_rate >= WIDE_WINDOW_RATE:
        k_lo, k_hi = KURTOSIS_FM_WIDE, KURTOSIS_IMPULSIVE_WIDE
    else:
        k_lo = min(KURTOSIS_FM, KURTOSIS_FM_PER_SAMPLE * n_line)
        k_hi = min(KURTOSIS_IMPULSIVE, KURTOSIS_IMPULSIVE_PER_SAMPLE * n_line)
    fm = float(np.clip((k_hi - ev.kurtosis) / (k_hi - k_lo), 0.0, 1.0))
    fld = 0.0 if ev.field_z is None else float(np.clip((ev.field_z - FIELD_Z_MIN) / (FIELD_Z_FULL - FIELD_Z_MIN),
                                                        0.0, 1.0))
    ev.line_score = ev.score
    ev.score = float(ev.score * max(fm, fld))
    line = (f"signal repeats every {period * 1e6:.2f} us ({rate / 1e3:.3f} kHz line rate; {feature} "
            f"contrast {c:.2f} over {lines} lines, power in {ev.spread:.1f} harmonics)")
    if max(fm, fld) <= 0:
        ev.reasons.append(line.replace("signal repeats", "impulses repeat", 1))
        ev.reasons.append(f"but as amplitude spikes (power kurtosis {ev.kurtosis:.0f}), not a constant-envelope FM "
                          f"signal, and with no video field structure: a switching power supply or similar")
        return ev
    ev.line_period_s = period
    ev.line_system = system
    ev.reasons.append(line)
    if fld > 0:
        ev.reasons.append(f"video field structure: a vertical interval every {LINE_SYSTEMS.get(system, (0, 312.5))[1]:g} "
                          f"lines (z {ev.field_z:.0f})")
    if fm > 0:
        ev.reasons.append(f"constant envelope like FM, not impulses (power kurtosis {ev.kurtosis:.1f})")
    if system:
        ev.reasons.append(f"line rate matches {system} ({'PAL/SECAM' if system == '625/50' else 'NTSC/PAL-M'} "
                          "line timing)")
    else:
        ev.reasons.append("line rate is off-standard (neither 625/50 nor 525/60)")
    ev.colour_standard, why = colour_standard(x, sample_rate, period, system)
    ev.reasons.append(why)
    return ev


def chroma_evidence(x: np.ndarray, sample_rate: float, period: float) -> Optional[dict]:
    """Strength of each colour system's spectral lines in the FM discriminator output,
    as {standard: tone-to-floor ratio}; None when the longest capture row is shorter
    than CHROMA_MIN_S.

    Why: the discriminator output is the composite video, so it carries the chroma
    subcarrier. Its colour burst is the same few cycles on every line, phase-locked to
    the subcarrier, so over many lines it forms narrow spectral lines whose positions
    give the system away (f_H: the measured line rate):

    * NTSC: the burst at 3.579545 MHz and f_sc +- f_H (half-way between the line
      harmonics, where a picture's luminance has no lines); two of the three must
      show, since the line at f_sc itself is the frame's mean chroma, which the
      picture's own colour can cancel;
    * PAL / PAL-M: the U part of the burst at f_sc (4.43361875 / 3.57561149 MHz) and
      f_sc +- f_H, and the V part, switched in sign every line, at f_sc +- f_H / 2;
      one of each must show;
    * SECAM: no burst, but FM subcarriers resting at 4.40625 MHz (D'r) and 4.25 MHz
      (D'b), each on every other line, so lines at +- f_H / 2 of both must show.

    Each line is looked for within CHROMA_TOL_HZ (a crystal's error); a system counts
    with the weakest line it needs, so a single line -- a luminance harmonic of an
    off-standard line rate landing on a subcarrier -- is not enough. NTSC and PAL-M
    subcarriers lie f_H / 4 apart, where the other system has no line."""
    row = x[int(np.argmax([r.size for r in x]))] if x.ndim == 2 else x
    n = int(min(row.size - 1, CHROMA_MAX_S * sample_rate))
    if n < CHROMA_MIN_S * sample_rate:
        return None
    row = row[: n + 1]
    z = row[1:] * np.conj(row[:-1])
    d = np.angle(z).astype(np.float32)
    d -= d.mean()
    nfft = 1 << int(np.ceil(np.log2(n)))
    spec = np.fft.rfft(d * np.hanning(n).astype(np.float32), nfft)
    pw = spec.real * spec.real + spec.imag * spec.imag
    bin_hz = sample_rate / nfft
    tol = max(1, int(round(CHROMA_TOL_HZ / bin_hz)))
    half = int(round(CHROMA_FLOOR_HZ / bin_hz))
    fh = 1.0 / period

    def tone(f: float, centre: float) -> float:
        i, c = int(round(f / bin_hz)), int(round(centre / bin_hz))
        floor = np.median(pw[c - half: c + half + 1]) + 1e-30
        return float(pw[i - tol: i + tol + 1].max() / floor)

    out = {}
    for name, f in CHROMA_HZ.items():
        u = sorted(tone(f + k * fh, f) for k in (-1, 0, 1))
        # NTSC: two of its three burst lines; PAL(-M): one of them and a V-switch line
        out[name] = u[1] if name == "NTSC" else min(u[2], max(tone(f + k * fh, f) for k in (-0.5, 0.5)))
    out["SECAM"] = min(max(tone(f + k * fh, f) for k in (-0.5, 0.5)) for f in SECAM_REST_HZ)
    return out


def colour_standard(x: np.ndarray, sample_rate: float, period: float, system: Optional[str]):
    """(colour standard or None, reason): the system whose chroma lines stand out
    (:func:`chroma_evidence`), named only when it matches the line system and no
    other system's lines stand out too."""
    if sample_rate < CHROMA_MIN_RATE:
        return None, (f"colour system (PAL, NTSC, SECAM, PAL-M) cannot be told at {sample_rate / 1e6:g} MS/s: "
                      f"the chroma at 3.6-4.4 MHz needs {CHROMA_MIN_RATE / 1e6:g} MS/s or more")
    if system is None:
        return None, "colour system not looked for: off-standard line rate"
    ev = chroma_evidence(x, sample_rate, period)
    if ev is None:
        return None, (f"colour system cannot be told: no capture holds {CHROMA_MIN_S * 1e3:g} ms "
                      "in one piece (the chroma lines need many lines)")
    a, b = COLOUR_SYSTEMS[system]
    if ev[a] < ev[b]:
        a, b = b, a
    if ev[a] >= CHROMA_Z and ev[b] < max(CHROMA_Z_OTHER, ev[a] / CHROMA_DOMINANCE):
        return a, f"chroma names {a} (its subcarrier lines stand {ev[a]:.0f}x above the floor, {b}'s {ev[b]:.0f}x)"
    if ev[a] < CHROMA_Z:
        return None, (f"no {a} or {b} colour subcarrier found (black-and-white, or the FM signal is not all in the "
                      f"window): {system} only")
    return None, f"colour system unclear (both {a} and {b} subcarrier lines): {system} only"


def envelope_kurtosis(x: np.ndarray, sample_rate: float) -> float:
    """Median, over the strong chunks of KURTOSIS_CHUNK_S, of E[p^2]/E[p]^2 of the
    in-window power p.

    Why: an FM sender has a constant envelope (a slice of one swells and fades with
    its frequency, a few times the mean at most); a switching supply's edges are
    amplitude spikes one sample long, broadband, once or twice a line, so its power is
    mostly noise with rare huge values. Per chunk, so a sender switching on and off
    (or a supply in burst mode) is judged while on."""
    x = x - x.mean(axis=1, keepdims=True)
    p = x.real * x.real + x.imag * x.imag
    n = p.shape[1] // max(1, int(round(p.shape[1] / max(16.0, KURTOSIS_CHUNK_S * sample_rate))))
    m = p.shape[1] // n * n
    p = p[:, :m].reshape(-1, n).astype(np.float64)
    mean = p.mean(axis=1)
    m2 = np.einsum("ij,ij->i", p, p) / n
    k = m2 / (mean * mean + 1e-30)
    strong = mean >= 0.5 * np.max(mean)
    return float(np.median(k[strong])) if strong.any() else 0.0


def field_structure(x: np.ndarray, sample_rate: float, period: float) -> Optional[float]:
    """How strongly a vertical interval recurs every field (margin over every other
    lag, in robust standard deviations); None when the
    longest capture row holds fewer than FIELD_MIN_LINES lines.

    Why: composite video has broad and equalising pulses at half-line spacing for a few
    lines every 312.5 (625/50) or 262.5 (525/60) lines; a supply repeats the same edge
    every period. Per line, the feature's similarity to itself half a line later is
    measured (high in the vertical interval); that per-line series, high-passed over
    FIELD_HP_LINES lines, is correlated with itself one field later and compared with
    its correlation at other lags in 100-420 lines."""
    row = x[int(np.argmax([r.size for r in x]))] if x.ndim == 2 else x
    row = row[: int(FIELD_MAX_S * sample_rate)]
    nlines = int(row.size / (period * sample_rate)) - 1
    if nlines < FIELD_MIN_LINES:
        return None
    field = 312.5 if period >= STANDARD_RANGES_S["PAL"][0] else 262.5
    dec = int(max(1, sample_rate // FEATURE_RATE))
    fr = sample_rate / dec
    lags = np.arange(100, min(nlines - 100, 420))
    near = np.abs(lags - field) < 1
    others = np.abs(lags - field) > 6
    width = int(BURST_WINDOW_S * fr)
    best = -np.inf
    for z in (lag_product(row[None], dec), power_envelope(row[None], dec)):
        w = equalize_bursts(z, width)[0]
        h0 = int(round(0.5 * period * fr))
        h = np.real(w[h0:] * np.conj(w[:-h0]))
        e = _power(w)[h0:]
        nl = int(h.size / (period * fr))
        edges = np.round(np.arange(nl + 1) * period * fr).astype(np.int64)
        ch = np.concatenate([[0.0], np.cumsum(h, dtype=np.float64)])
        ce = np.concatenate([[0.0], np.cumsum(e, dtype=np.float64)])
        v = (ch[edges[1:]] - ch[edges[:-1]]) / (ce[edges[1:]] - ce[edges[:-1]] + 1e-12)
        r = v - np.convolve(v, np.ones(FIELD_HP_LINES) / FIELD_HP_LINES, mode="same")
        ok = lags < r.size - 10
        if not (near & ok).any():
            continue
        L = lags[ok]
        energy = float(np.dot(r, r)) / r.size + 1e-12
        spec = np.fft.rfft(r, 2 * r.size)
        acf = np.fft.irfft(spec.real * spec.real + spec.imag * spec.imag)[: r.size]
        cc = acf[L] / (r.size - L) / energy
        med = np.median(cc[others[ok]])
        sd = 1.4826 * np.median(np.abs(cc[others[ok]] - med)) + 1e-9
        # against the largest other lag, not the typical one: a supply gated in bursts at
        # a divisor of the field rate correlates at the field lag too, but as much at
        # its own period's other multiples
        best = max(best, float((cc[near[ok]].max() - cc[others[ok]].max()) / sd))
    return None if best == -np.inf else best

