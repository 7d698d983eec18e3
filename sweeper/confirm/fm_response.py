"""An analog FM video camera's response to the room, from IQ samples.

An analog camera frequency-modulates its carrier with composite video: the
instantaneous frequency *is* the luminance (sync tips at one end, peak white at the
other), so what the camera sees shows in the frequencies its carrier visits. Lights off
make the picture dark: the luminance histogram collapses towards black. With a
DC-coupled sender the carrier's frequencies move towards the black end; with an
AC-coupled one (the frame mean removed) they gather around the carrier while the sync
tips move away from them. An LED flashed near the lens brightens the picture and
spreads it the other way. Either way the *shape* of the frequency distribution moves:
its spread, its tails relative to its median, its mean, and the share of it that falls
in the receiver's window (a 2.4 MS/s dongle sees only a slice of a 3-13 MHz wide FM
video signal, so the in-window power itself follows the picture).

Mechanism, per :data:`BLOCK_S` block (one PAL field; 5/6 of an NTSC frame's two fields)
of the IQ:

1. the passband: the carrier's video band (``offset_hz`` +- :data:`VIDEO_HALF_BW_HZ`)
   within the window; when the window is wider, its centre is shifted to 0 Hz and the
   rest low-passed away (other emitters in a wide window), otherwise nothing is done
   (shifting a fully occupied window would only wrap the spectrum);
2. FM discrimination: the angle of x[n] conj(x[n-1]) is the instantaneous frequency,
   counted from the carrier;
3. a power-weighted histogram of it (:data:`HIST_BINS` bins: noise, where the carrier has
   left the window, weighs little) gives the ``median frequency`` and its percentiles:
   ``frequency spread`` (90th - 10th), ``low tail`` (2nd - median: the sync tips of a
   normal sender, the picture's black end of an inverted one) and ``high tail``
   (98th - median); ``mean frequency`` is the power-weighted mean (the angle of the
   block's lag-1 autocorrelation, which does not wrap); ``in-window power`` (log).

Blocks are averaged per bin (:data:`BIN_S`). ``heard``: the bin's blocks show the
line structure of video: a 50 Hz-resolution spectrum of x[n] conj(x[n-1]) (which
carries both the carrier's frequency and its in-window envelope) has lines at the
harmonics of the PAL or NTSC line rate at least :data:`HEARD_LINE_RATIO` times its
median. A noise floor is no use here: FM video, with its chroma and audio sidebands,
fills a 2.4 MHz window as flatly as noise does (a spectral floor estimate lands within
2-6 dB of the total power at 30 dB SNR), while thermal noise, broadcast FM, carriers
and bursty data have no line rate. The carrier's shape features are left out (NaN)
in bins where it was not heard.

The dongle's gain must stay fixed for the recording (its AGC off), or ``in-window power``
follows the gain instead of the picture. Samples are processed in chunks of about :data:`CHUNK_SAMPLES` (never a float64 copy of
the whole recording): 10 s at 2.4 MS/s is 24 M samples, the device has 512 MB; ``iq`` may be a ``numpy.memmap`` of the recording. Measured:
26 MB of working memory besides the IQ (tracemalloc peak), 5-8 s for 10 s of 2.4 MS/s
IQ on the 2-core development machine.

Measured (``bench/confirm_fm.py``, December 2026; cases from tests/confirm_fm_suite.py:
2.4 MS/s through the simulated RTL front end, in-window SNR 5-30 dB, the carrier up to
1.5 MHz off the centre, i.e. outside the window; PAL/NTSC, AC- and DC-coupled, normal
and inverted, scene/flat/dark/noisy pictures; ``lockin.confirm`` unchanged):

=====================================  ======================  ===================
test set (seeds 500000+, test ranges)  LED, 10 s of IQ         lights, 15 s of IQ
=====================================  ======================  ===================
cameras that see the room              67/67 yes               20/20 yes
  SNR 5-10 / 10-20 / 20-30 dB          17/17, 30/30, 20/20     6/6, 7/7, 7/7
  weak responders (strong auto-gain)   10/13 yes               3/4 yes
cameras that do not see the room       0/50 yes (25 LED, 25 lights; all no_response)
carrier, FM broadcast, switching       0/42 yes (6 of each; 29 unknown: no line
supply, Bluetooth, noise bursts,       structure, 13 no_response; smallest p of
microwave oven, Wi-Fi                  any negative 0.05)
a camera on for 2-4 s of the 10        6/6 unknown
=====================================  ======================  ===================

Calibration set (seeds 0+, narrower ranges: dwells, offsets within 0.8 MHz, SNR 5-20
dB): LED 16/16 yes (weak 1/2), lights 3/3, 0/19 negatives yes, absent 3/3 unknown.
Every camera hit also when its carrier was outside the window (15/15) and at SNR
under 7 dB (7/7). The winning feature varies (in-window power 37, frequency spread 19,
low tail 15, mean frequency 13, median frequency 8, high tail 8 of 100 hits), which is
why all are kept. Lights need 15 s: with 1-2 s dwells a 10 s schedule has too few
changes for the surrogates to reach lockin.P_YES even for a perfect response.
"""
from __future__ import annotations

import math
from typing import Tuple

import numpy as np

from sweeper.confirm.lockin import Response
from sweeper.confirm.stimulus import bin_edges

#: response bins: 5 PAL fields, fine enough for an LED flashing every 0.3-1 s
BIN_S = 0.1
#: statistics block: one PAL field (the picture changes at most once per field)
BLOCK_S = 0.02
#: half-width of an FM video signal's band around its carrier: up to 6.5 MHz peak
#: deviation plus the luma bandwidth
VIDEO_HALF_BW_HZ = 7.5e6
#: histogram bins of the instantaneous frequency over the passband
HIST_BINS = 128
#: a block is heard when its line-rate harmonics stand this far over its spectrum's median
HEARD_LINE_RATIO = 8.0
#: line-rate harmonics looked at, and the line rates (PAL/SECAM, NTSC/PAL-M); a camera's
#: crystal error (+-150 ppm) moves the 8th harmonic by under 20 Hz, within a bin
LINE_HARMONICS = 8
LINE_RATES_HZ = (15625.0, 4.5e6 / 286)
#: samples per processing chunk (a whole number of blocks)
CHUNK_SAMPLES = 1 << 19
#: low-pass taps per (sample rate / passband width)
FILTER_TAPS_PER_RATIO = 16
NAMES = ("in-window power", "mean frequency", "median frequency", "frequency spread", "low tail", "high tail")
#: the per-bin features that describe the carrier's frequencies (left out where it is not heard)
SHAPE = (1, 2, 3, 4, 5)


def passband(sample_rate: float, offset_hz: float) -> Tuple[float, float, bool]:
    """(centre, half-width, filter?) of the part of the window the carrier's video uses."""
    edge = 0.5 * sample_rate
    lo = max(-edge, offset_hz - VIDEO_HALF_BW_HZ)
    hi = min(edge, offset_hz + VIDEO_HALF_BW_HZ)
    if hi <= lo:  # the carrier's band misses the window: whatever of it leaks in
        return 0.0, edge, False
    if hi - lo >= 0.9 * sample_rate:
        return 0.0, edge, False
    return 0.5 * (lo + hi), 0.5 * (hi - lo), True


def _lowpass(half_width: float, sample_rate: float) -> np.ndarray:
    """A Hann-windowed sinc low-pass (complex64 taps are not needed: real, symmetric)."""
    ratio = sample_rate / (2 * half_width)
    n = int(min(255, max(15, FILTER_TAPS_PER_RATIO * ratio))) | 1
    k = np.arange(n) - n // 2
    h = np.sinc(2 * half_width / sample_rate * k) * np.hanning(n + 2)[1:-1]
    return (h / h.sum()).astype(np.float32)


def _percentiles(hist: np.ndarray, qs) -> np.ndarray:
    """Percentiles (in bin units, 0..bins) of each row of a weighted histogram."""
    c = np.cumsum(hist, axis=1)
    tot = c[:, -1:]
    c = c / np.where(tot > 0, tot, 1.0)
    out = np.empty((hist.shape[0], len(qs)))
    idx = np.arange(hist.shape[1] + 1, dtype=float)
    for j, q in enumerate(qs):  # a handful of percentiles
        k = np.clip(np.sum(c < q, axis=1), 0, hist.shape[1] - 1)
        prev = np.where(k > 0, c[np.arange(len(k)), k - 1], 0.0)
        here = c[np.arange(len(k)), k]
        frac = np.where(here > prev, (q - prev) / np.maximum(here - prev, 1e-30), 0.5)
        out[:, j] = idx[k] + np.clip(frac, 0.0, 1.0)
    return out


def _line_bins(fs: float, block: int) -> np.ndarray:
    """(standards, harmonics x 2 signs x 3 neighbours) FFT bins of a block where the
    line-rate harmonics of each standard fall."""
    out = []
    for rate in LINE_RATES_HZ:
        h = np.arange(1, LINE_HARMONICS + 1)
        k = np.round(np.concatenate([h, -h]) * rate * block / fs).astype(np.int64)
        out.append(((k[:, None] + np.array([-1, 0, 1])[None, :]) % block).ravel())
    return np.array(out)


def _line_ratio(prod: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Per row (a block of x[n] conj(x[n-1])): how far its line-rate harmonics stand
    over its spectrum's median (the best standard; each harmonic its strongest of three
    neighbouring bins, a crystal error's worth)."""
    spec = np.abs(np.fft.fft(prod, axis=1)) ** 2
    spec[:, 0] = 0.0  # the mean (DC offset, the carrier's mean frequency)
    floor = np.maximum(np.median(spec, axis=1), 1e-30)
    best = np.zeros(len(prod))
    for sel in bins:  # two standards
        line = spec[:, sel].reshape(len(prod), -1, 3).max(axis=2).mean(axis=1)
        best = np.maximum(best, line / floor)
    return best


def fm_response(iq: np.ndarray, sample_rate: float, offset_hz: float, span: Tuple[float, float],
                bin_s: float = BIN_S) -> Response:
    """The response features of an analog FM video carrier at ``offset_hz`` from the
    tuned centre, in IQ whose first sample is t = 0 on the timeline's clock, over
    ``span`` (seconds). See the module docstring for the mechanism."""
    fs = float(sample_rate)
    edges = bin_edges(span, bin_s)
    nbins = len(edges) - 1
    block = max(64, int(round(BLOCK_S * fs)))
    first = max(0, int(math.floor(edges[0] * fs / block)))
    last = min(len(iq) // block, int(math.ceil(edges[-1] * fs / block)))
    nblocks = max(0, last - first)
    centre, half, filtered = passband(fs, offset_hz)
    taps = _lowpass(half, fs) if filtered else None
    per_chunk = max(1, CHUNK_SAMPLES // block)

    power = np.zeros(nblocks)
    lag1 = np.zeros(nblocks, complex)
    hist = np.zeros((nblocks, HIST_BINS))
    line_ratio = np.zeros(nblocks)
    harmonics = _line_bins(fs, block)
    hz_per_rad = fs / (2 * np.pi)
    for b0 in range(0, nblocks, per_chunk):
        b1 = min(nblocks, b0 + per_chunk)
        s0, s1 = (first + b0) * block, (first + b1) * block
        pad = 0 if taps is None else len(taps) // 2
        lo = max(0, s0 - 1 - pad)
        x = np.asarray(iq[lo: min(len(iq), s1 + pad)], np.complex64)
        if filtered:
            n = np.arange(lo, lo + len(x), dtype=np.float64)
            x = x * np.exp(-2j * np.pi * ((centre / fs * n) % 1.0)).astype(np.complex64)
            x = np.convolve(x, taps, mode="same").astype(np.complex64)
        # x[k] is sample lo + k; this chunk's samples s0..s1 and the one before s0
        cur = x[s0 - lo: s1 - lo]
        prev = x[s0 - lo - 1: s1 - lo - 1] if s0 > lo else np.concatenate([cur[:1], cur[:-1]])
        prod = cur * np.conj(prev)
        nb = b1 - b0
        p = (cur.real * cur.real + cur.imag * cur.imag).reshape(nb, block)
        power[b0:b1] = p.sum(axis=1, dtype=np.float64) / block
        lag1[b0:b1] = prod.reshape(nb, block).sum(axis=1, dtype=np.complex128)
        freq = np.angle(prod)  # rad/sample, float32
        weight = np.abs(prod)
        k = ((freq + np.float32(np.pi)) * np.float32(HIST_BINS / (2 * np.pi))).astype(np.int64)
        np.clip(k, 0, HIST_BINS - 1, out=k)
        k += (np.arange(nb, dtype=np.int64) * HIST_BINS).repeat(block)
        hist[b0:b1] = np.bincount(k, weights=weight, minlength=nb * HIST_BINS).reshape(nb, HIST_BINS)
        del freq, weight, k, p
        line_ratio[b0:b1] = _line_ratio(prod.reshape(nb, block), harmonics)
        del prod

    pct = _percentiles(hist, (0.02, 0.10, 0.50, 0.90, 0.98))
    to_hz = 2 * np.pi / HIST_BINS * hz_per_rad  # histogram bin -> Hz
    pct_hz = (pct - HIST_BINS / 2) * to_hz + (centre - offset_hz)
    mean_hz = np.angle(lag1) * hz_per_rad + (centre - offset_hz)
    block_feat = np.column_stack([
        np.log10(np.maximum(power, 1e-30)),
        mean_hz,
        pct_hz[:, 2],
        pct_hz[:, 3] - pct_hz[:, 1],
        pct_hz[:, 0] - pct_hz[:, 2],
        pct_hz[:, 4] - pct_hz[:, 2],
    ])
    # blocks -> bins (by their centre times)
    t_mid = (first + np.arange(nblocks) + 0.5) * block / fs
    which = np.floor((t_mid - edges[0]) / bin_s).astype(np.int64)
    inside = (which >= 0) & (which < nbins)
    which, block_feat, heard_block = which[inside], block_feat[inside], line_ratio[inside] >= HEARD_LINE_RATIO
    count = np.bincount(which, minlength=nbins)
    features = np.full((nbins, len(NAMES)), np.nan)
    has = count > 0
    for j in range(len(NAMES)):
        features[has, j] = np.bincount(which, weights=block_feat[:, j], minlength=nbins)[has] / count[has]
    heard = has & (2 * np.bincount(which, weights=heard_block, minlength=nbins) >= np.maximum(count, 1))
    features[np.ix_(~heard, list(SHAPE))] = np.nan
    return Response(edges, features, NAMES, heard, what="its FM picture signal")


__all__ = ("fm_response", "BIN_S", "NAMES")


class FmResponseStream:
    """:func:`fm_response` over IQ that arrives in pieces (the device's parked dongle, a
    long recording), one whole bin at a time, so memory stays a bin's worth of samples
    whatever the length. ``add`` takes any number of samples; the response is of the
    whole bins seen so far."""

    def __init__(self, sample_rate: float, offset_hz: float, bin_s: float = BIN_S):
        self.fs, self.offset, self.bin_s = float(sample_rate), float(offset_hz), float(bin_s)
        self.per_bin = int(round(self.bin_s * self.fs))
        self._pending = np.zeros(0, np.complex64)
        self._features: list = []
        self._heard: list = []
        self._names: Tuple[str, ...] = NAMES

    def add(self, iq: np.ndarray) -> None:
        x = np.concatenate([self._pending, np.asarray(iq, np.complex64)]) if self._pending.size else \
            np.asarray(iq, np.complex64)
        whole = (len(x) // self.per_bin) * self.per_bin
        if whole:
            # the bins' own time base: one bin per per_bin samples, whatever the rate's rounding
            r = fm_response(x[:whole], self.per_bin / self.bin_s, self.offset, (0.0, whole / self.per_bin * self.bin_s),
                            self.bin_s)
            self._features.append(r.features)
            self._heard.append(r.heard)
            self._names = r.names
        self._pending = x[whole:].copy()

    @property
    def seconds(self) -> float:
        """Seconds of whole bins so far (what :meth:`response` covers)."""
        return sum(len(h) for h in self._heard) * self.bin_s

    @property
    def seconds_read(self) -> float:
        """Seconds of samples taken so far, whole bins or not (the radio's clock)."""
        return self.seconds + len(self._pending) / self.fs

    def response(self) -> Response:
        n = sum(len(h) for h in self._heard)
        edges = self.bin_s * np.arange(n + 1)
        feats = np.vstack(self._features) if self._features else np.zeros((0, len(self._names)))
        heard = np.concatenate(self._heard) if self._heard else np.zeros(0, bool)
        return Response(edges, feats, self._names, heard, what="its FM picture signal")
