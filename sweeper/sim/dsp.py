"""Signal-processing building blocks shared by the simulated emitters.

Every emitter is synthesised at some internal rate high enough that none of its own
spectrum folds into the receiver's window, mixed so the window sits at 0 Hz, then
band-limited and decimated here. Two paths:

* the internal rate is an integer multiple M of the output rate: one FFT overlap-save
  low-pass + decimate-by-M (:class:`FftDecimator`), output samples exactly on the
  output grid;
* otherwise (OFDM and DSSS emitters, synthesised on their own sample clock): decimate
  by an integer to 2.5-5x the output rate, then a polyphase windowed-sinc interpolator
  (:class:`FracInterpolator`) picks the output instants.

The filter passes |f| < 0.45 fs_out flat and removes everything at or beyond
fs_out / 2 by at least 80 dB, so nothing outside the window aliases in.

Also here: helpers for deterministic per-segment random numbers and phase ramps whose
precision does not decay with absolute time.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Optional

import numpy as np

TWO_PI = 2.0 * math.pi
PASS_FRAC = 0.45  # flat passband edge, fraction of the output rate
STOP_FRAC = 0.50  # stopband edge (the window edge), fraction of the output rate
ATTEN_DB = 80.0


def kaiser_lowpass(num_taps: int, cutoff: float, atten_db: float = ATTEN_DB) -> np.ndarray:
    """Linear-phase windowed-sinc low-pass, ``cutoff`` in cycles/sample, unity DC gain."""
    beta = 0.1102 * (atten_db - 8.7) if atten_db > 50 else 0.5842 * (atten_db - 21) ** 0.4 + 0.07886 * (atten_db - 21)
    n = np.arange(num_taps) - (num_taps - 1) / 2.0
    h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.kaiser(num_taps, beta)
    return h / h.sum()


class FftDecimator:
    """Low-pass to ``band`` (output-rate fraction of the input rate) and keep every
    ``factor``-th sample, by FFT overlap-save with bin selection.

    ``run(x, n_out)`` takes ``x`` of length ``factor * n_out + 2 * pad``; output k is the
    filtered value at input index ``pad + factor * k`` (zero delay, linear phase).
    """

    def __init__(self, factor: int, band: Optional[float] = None, block_out: int = 4096):
        m = int(factor)
        if m < 1:
            raise ValueError("decimation factor must be >= 1")
        band = 1.0 / m if band is None else float(band)  # fs_out / fs_in
        tw = (STOP_FRAC - PASS_FRAC) * band  # transition width, cycles/sample
        taps = int(math.ceil((ATTEN_DB - 7.95) / (2.285 * TWO_PI * tw))) | 1
        half = taps // 2
        c = -(-half // m)
        L = block_out
        while L - 2 * c < L // 2:
            L *= 2
        N = m * L
        h = kaiser_lowpass(taps, 0.5 * (PASS_FRAC + STOP_FRAC) * band)
        hc = np.zeros(N)
        hc[: half + 1] = h[half:]
        hc[N - half:] = h[:half]
        H = np.fft.fft(hc).real  # zero-phase
        self.sel = np.concatenate([np.arange(L // 2), np.arange(N - L // 2, N)])
        self.Hs = (H[self.sel] / m).astype(np.float32)
        self.m, self.L, self.N, self.c = m, L, N, c
        self.valid = L - 2 * c
        self.pad = c * m

    def run(self, x: np.ndarray, n_out: int, sparse: bool = False) -> np.ndarray:
        """Filter and decimate; ``sparse``: skip the FFTs of all-zero blocks (bursts)."""
        m, N, c, V = self.m, self.N, self.c, self.valid
        nb = -(-n_out // V)
        need = (nb - 1) * V * m + N
        if x.size < need:
            xp = np.zeros(need, np.complex64)
            xp[: x.size] = x
        else:
            xp = x
        blocks = np.lib.stride_tricks.sliding_window_view(xp, N)[:: V * m][:nb]
        live = None
        if sparse:  # cheap check per 256 samples
            G = 256
            ng = xp.size // G
            nzg = np.any(xp[: ng * G].view(np.float32).reshape(ng, 2 * G) != 0, axis=1)
            cs = np.concatenate([[0], np.cumsum(nzg)])
            st = np.arange(nb) * V * m
            live = (cs[np.minimum(ng, -(-(st + N) // G))] - cs[st // G]) > 0
            live |= (st + N) > ng * G  # the unchecked tail
            if live.all():
                live = None
            elif not live.any():
                return np.zeros(n_out, np.complex64)
            else:
                blocks = blocks[live]
        F = np.fft.fft(blocks, axis=1)
        Y = F[:, self.sel]
        del F
        Y *= self.Hs
        z = np.fft.ifft(Y, axis=1)[:, c: c + V]
        if live is None:
            return z.reshape(-1)[:n_out]
        y = np.zeros((nb, V), np.complex64)
        y[live] = z
        return y.reshape(-1)[:n_out]


@lru_cache(maxsize=64)
def decimator(factor: int, band_q: int) -> FftDecimator:
    """Cached :class:`FftDecimator`; ``band_q`` is the band fraction in parts per 1e9."""
    return FftDecimator(factor, band_q / 1e9)


class FracInterpolator:
    """Band-limited interpolation at arbitrary positions (10-tap Kaiser-windowed
    sinc, 4096-phase table). Error < -65 dB for signals within +-0.2 cycles/sample,
    which is what the decimator hands it (it runs at >= 2.5x the output rate)."""

    TAPS = 10
    PHASES = 4096
    BETA = 9.0

    def __init__(self):
        T, P = self.TAPS, self.PHASES
        frac = np.arange(P + 1) / P
        k = np.arange(T) - (T // 2 - 1)  # taps at i0-4 .. i0+5
        d = k[None, :] - frac[:, None]
        x = d / (T / 2 + 0.5)
        win = np.i0(self.BETA * np.sqrt(np.clip(1 - x * x, 0, 1))) / np.i0(self.BETA)
        w = np.sinc(d) * win
        w /= w.sum(axis=1, keepdims=True)
        self.table = w.astype(np.float32)
        self.k = k

    def run(self, x: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """``pos``: positions in units of x's samples (float64); needs x[floor(pos)-4 ..
        floor(pos)+5] to exist."""
        i0 = np.floor(pos).astype(np.int64)
        ph = np.rint((pos - i0) * self.PHASES).astype(np.int64)
        w = self.table[ph]
        xs = x[i0[:, None] + self.k[None, :]]
        return np.einsum("nt,nt->n", xs, w).astype(np.complex64, copy=False)


INTERP = FracInterpolator()


def ramp_phase(freq: float, fs: float, i_start: int, count: int, block: int = 1024) -> np.ndarray:
    """2*pi*freq*t (mod 2*pi, float32) at t = i/fs, i in [i_start, i_start+count).

    Built per 1024-sample block from an exactly wrapped block phase, so it stays
    accurate to ~1e-4 rad at any absolute time."""
    nb = -(-count // block)
    r = freq / fs
    starts = i_start + block * np.arange(nb, dtype=np.int64)
    hi, lo = np.divmod(starts, 1 << 20)
    base = ((r * hi % 1.0) * (1 << 20) % 1.0 + r * lo) % 1.0
    ph = (TWO_PI * base)[:, None].astype(np.float32) + np.float32(TWO_PI * r) * np.arange(block, dtype=np.float32)[None, :]
    return ph.reshape(-1)[:count]


def expj(phase: np.ndarray, amp: float = 1.0) -> np.ndarray:
    """amp * exp(1j * phase) as complex64 (float32 trig, no complex exp)."""
    out = np.empty(phase.shape, np.complex64)
    out.real = np.cos(phase)
    out.imag = np.sin(phase)
    if amp != 1.0:
        out *= np.float32(amp)
    return out


def mix(x: np.ndarray, freq: float, fs: float, i_start: int) -> np.ndarray:
    """Shift ``x`` (samples i_start..) up by ``freq`` Hz, in place when possible."""
    if freq == 0.0:
        return x
    x *= expj(ramp_phase(freq, fs, i_start, x.size))
    return x


def rng_for(seed: int, *keys: int) -> np.random.Generator:
    """A generator that depends only on (seed, keys): the simulator's way to make
    every burst/frame/segment reproducible without replaying history."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, *[int(k) & 0xFFFFFFFFFFFF for k in keys]])))


def smooth_step(x: np.ndarray) -> np.ndarray:
    """Raised-cosine step: 0 for x <= -0.5, 1 for x >= 0.5."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x + 0.5, 0.0, 1.0))


@lru_cache(maxsize=16)
def gaussian_phase_pulse(bt: float, sps: int, span: int = 4) -> np.ndarray:
    """Phase response (integral of the Gaussian-filtered rectangular frequency pulse,
    normalised to rise 0 -> 1) sampled at ``sps`` points per symbol over
    [-span, span] symbols: GFSK/GMSK phase = pi * h * sum(a_k * q(t - kT))."""
    sigma = math.sqrt(math.log(2)) / (2 * math.pi * bt)
    t = (np.arange(-span * sps, span * sps + 1) / sps)
    # frequency pulse: rect(T) convolved with a Gaussian (std sigma*T)
    g = np.array([0.5 * (math.erf((x + 0.5) / (math.sqrt(2) * sigma)) - math.erf((x - 0.5) / (math.sqrt(2) * sigma)))
                  for x in t])
    q = np.cumsum(g)
    q = (q - q[0]) / (q[-1] - q[0])
    return q.astype(np.float64)


def cpfsk_phase(symbols: np.ndarray, h: float, bt: float, sps: int) -> np.ndarray:
    """Continuous-phase FSK phase track at ``sps`` samples/symbol for +-1 (or
    multilevel) ``symbols``, Gaussian-shaped (GFSK/GMSK); starts at 0 and includes
    ``4`` symbols of run-in/run-out either side."""
    span = 4
    q = gaussian_phase_pulse(bt, sps, span)
    g = np.diff(q)  # frequency pulse, sums to 1
    n = symbols.size
    up = np.zeros((n + 2 * span) * sps, np.float64)
    up[(span * sps) + np.arange(n) * sps] = symbols
    freq = np.convolve(up, g, mode="full")[: up.size + g.size - 1]
    return np.pi * h * np.cumsum(freq)


def carrier_phase(offset: float, fs: float, i_start: int, count: int, drift=None, block: int = 1024) -> np.ndarray:
    """2*pi*offset*t plus an optional slow drift ``drift(t) -> (phase, freq)``, float32
    wrapped per 1024-sample block (accurate at any absolute time)."""
    if drift is None:
        return ramp_phase(offset, fs, i_start, count, block)
    nb = -(-count // block)
    starts = i_start + block * np.arange(nb, dtype=np.int64)
    r = offset / fs
    hi, lo = np.divmod(starts, 1 << 20)
    base = 2 * np.pi * (((r * hi % 1.0) * (1 << 20) % 1.0 + r * lo) % 1.0)
    dph, dfreq = drift(starts / fs)
    base = np.mod(base + dph, 2 * np.pi)
    slope = 2 * np.pi * (offset + dfreq) / fs
    ph = base[:, None].astype(np.float32) + slope[:, None].astype(np.float32) * np.arange(block, dtype=np.float32)[None, :]
    return ph.reshape(-1)[:count]


def cpm_track(symbols: np.ndarray, h: float, bt: float, sps: int = 8):
    """(time axis in symbols from the start of symbol 0, phase) of a Gaussian-shaped
    CPFSK signal; evaluate at any instant with np.interp (the track is smooth)."""
    ph = cpfsk_phase(np.asarray(symbols, np.float64), h, bt, sps)
    t = (np.arange(ph.size) + 1) / sps - 8 + 0.5
    return t, ph


def raised_ramp(t: np.ndarray, dur: float, ramp: float) -> np.ndarray:
    """Burst envelope: raised-cosine ramps of length ``ramp`` at both ends of [0, dur]
    (t sorted ascending); only the ramp samples are computed."""
    a = ((t >= 0) & (t < dur)).astype(np.float32)
    if ramp <= 0 or t.size == 0:
        return a
    i0 = int(np.searchsorted(t, ramp))
    i1 = int(np.searchsorted(t, dur - ramp))
    if i0 > 0:
        a[:i0] *= smooth_step(t[:i0] / ramp - 0.5)
    if i1 < t.size:
        a[i1:] *= smooth_step((dur - t[i1:]) / ramp - 0.5)
    return a


def scatter(idx: np.ndarray, val: np.ndarray, count: int) -> np.ndarray:
    """Complex values added into ``count`` samples at indices ``idx`` (those outside
    0..count-1 dropped): pulses rendered around their own times, summed where they
    overlap."""
    idx, val = np.ravel(idx), np.ravel(val)
    ok = (idx >= 0) & (idx < count)
    re = np.bincount(idx[ok], val.real[ok], minlength=count)
    im = np.bincount(idx[ok], val.imag[ok], minlength=count)
    return (re + 1j * im).astype(np.complex64)
