"""OFDM building blocks shared by Wi-Fi, LTE, DVB-T and COFDM video links.

Symbols are built in the frequency domain on the standard's subcarrier grid,
inverse-FFT'd at an oversampled size (zero padding = band-limited interpolation, so
the internal rate can be whatever the render needs), given their cyclic prefix and a
short raised-cosine transition (WOLA), and overlap-added. Constellations have unit
mean power; data are random (indistinguishable from scrambled, coded payload).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

QAM_ORDERS = (2, 4, 16, 64, 256)


def qam(rng: np.random.Generator, shape, order: int) -> np.ndarray:
    """Random unit-power BPSK/QPSK/16/64/256-QAM symbols."""
    if order == 2:
        return (rng.integers(0, 2, shape) * 2 - 1).astype(np.complex64)
    m = int(round(math.sqrt(order)))
    lv = np.arange(m) * 2 - (m - 1)
    norm = math.sqrt(2 * np.mean(lv.astype(float) ** 2))
    i = lv[rng.integers(0, m, shape)]
    q = lv[rng.integers(0, m, shape)]
    return ((i + 1j * q) / norm).astype(np.complex64)


def to_time(X: np.ndarray, k: np.ndarray, n_syn: int) -> np.ndarray:
    """Subcarrier values X (nsym, len(k)) at subcarrier indices k (negative allowed)
    -> time-domain symbols (nsym, n_syn), scaled so unit-power subcarriers give unit
    mean power over the used band."""
    F = np.zeros((X.shape[0], n_syn), np.complex64)
    F[:, np.mod(k, n_syn)] = X
    x = np.fft.ifft(F, axis=1)
    x *= np.float32(n_syn / math.sqrt(max(1, len(k))))
    return x.astype(np.complex64, copy=False)


def assemble(sym: np.ndarray, cps: Sequence[int], starts: Sequence[int], w: int, out: np.ndarray,
             out_start: int) -> None:
    """Add symbols with their cyclic prefixes into ``out`` (whose index 0 is sample
    ``out_start``): symbol j occupies [starts[j], starts[j] + cps[j] + n) plus a w-sample
    raised-cosine tail overlapping the next symbol's prefix. Runs of equally spaced
    symbols with equal prefixes are done in one vectorised step."""
    nsym, n = sym.shape
    cps = np.asarray(cps, np.int64)
    starts = np.asarray(starts, np.int64)
    ramp = (0.5 - 0.5 * np.cos(np.pi * (np.arange(w) + 0.5) / w)).astype(np.float32) if w > 0 else None
    j = 0
    while j < nsym:
        cp = int(cps[j])
        L = cp + n
        e = j + 1
        while e < nsym and cps[e] == cp and starts[e] - starts[e - 1] == L:
            e += 1
        ext = np.concatenate([sym[j:e, n - cp:], sym[j:e], sym[j:e, :w]], axis=1)
        if w:
            ext[:, :w] *= ramp
            ext[:, L:] *= ramp[::-1]
        m = e - j
        buf = np.zeros((m + 1) * L, np.complex64)
        buf[: m * L] = ext[:, :L].reshape(-1)
        if w:
            buf[L: (m + 1) * L].reshape(m, L)[:, :w] += ext[:, L:]
        buf = buf[: m * L + w]
        a = int(starts[j]) - out_start
        lo, hi = max(0, a), min(out.size, a + buf.size)
        if hi > lo:
            out[lo:hi] += buf[lo - a: hi - a]
        j = e


def rapp(x: np.ndarray, backoff_db: float, p: float = 2.0) -> np.ndarray:
    """Solid-state PA AM/AM compression (Rapp model); saturation ``backoff_db`` above
    the rms level. Makes the spectral-regrowth shoulders real transmitters have."""
    if backoff_db >= 30:
        return x
    rms = float(np.sqrt(np.mean(np.abs(x) ** 2))) + 1e-20
    a_sat = rms * 10 ** (backoff_db / 20)
    r = np.abs(x)
    g = 1.0 / (1.0 + (r / a_sat) ** (2 * p)) ** (1 / (2 * p))
    y = (x * g).astype(np.complex64)
    return y * np.float32(rms / (np.sqrt(np.mean(np.abs(y) ** 2)) + 1e-20))


def multipath(rng: np.random.Generator, fs: float, delay_spread_s: float) -> np.ndarray:
    """A short random indoor channel (exponential power-delay profile), unit energy."""
    if delay_spread_s <= 0:
        return np.ones(1, np.complex64)
    n = max(1, int(4 * delay_spread_s * fs)) + 1
    p = np.exp(-np.arange(n) / (delay_spread_s * fs))
    h = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * np.sqrt(p / 2)
    h[0] += 1.5  # a line-of-sight path
    return (h / np.sqrt(np.sum(np.abs(h) ** 2))).astype(np.complex64)
