"""Shared machinery for emitters whose complex envelope is smooth on a modest clock.

A narrowband carrier, an FM broadcast station or a magnetron's swept line all have a
phase that moves slowly compared with the receiver's sample rate. They are computed
per fixed-length segment on a "coarse" clock (amplitude and unwrapped phase), then
linearly interpolated onto the internal sample grid and multiplied by the carrier
ramp. Each segment's phase starts and ends at exactly 0 (a Brownian-bridge /
mean-removal, i.e. AC coupling with the segment as time constant), so segments are
independent and consecutive blocks join without a phase step.

Also: :class:`SlowDrift` (analytic slow frequency wander) and :class:`AudioSource`
(tones, speech-like and music-like programme as functions of absolute time).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Optional, Tuple

import numpy as np

from sweeper.sim import dsp
from sweeper.sim.emitters.base import SimEmitter


class SlowDrift:
    """Carrier wander f(t) = A (0.7 sin(w t + p1) + 0.3 sin(2.7 w t + p2)), with its
    exact phase integral, so it can be evaluated at any absolute time."""

    def __init__(self, amp_hz: float, period_s: float, rng: np.random.Generator):
        self.A = float(amp_hz)
        self.P = float(period_s)
        self.p = rng.uniform(0, 2 * np.pi, 2)

    def __bool__(self) -> bool:
        return self.A > 0

    def __call__(self, t: np.ndarray):
        A, P = self.A, self.P
        w1, w2 = 2 * np.pi / P, 2 * np.pi * 2.7 / P
        f = A * (0.7 * np.sin(w1 * t + self.p[0]) + 0.3 * np.sin(w2 * t + self.p[1]))
        ph = -A * P * (0.7 * np.cos(w1 * t + self.p[0]) + (0.3 / 2.7) * np.cos(w2 * t + self.p[1]))
        return ph, f


class AudioSource:
    """Programme audio in [-1, 1] as a function of absolute time: a test tone,
    speech-like (voiced harmonics, syllables and pauses), music-like (chords that
    change every ~0.5 s) or silence."""

    def __init__(self, kind: str, rng: np.random.Generator, tone_hz: float = 1000.0):
        self.kind = kind
        self.tone_hz = tone_hz
        self.f0 = rng.uniform(90, 240)
        self.ph = rng.uniform(0, 2 * np.pi, 16)
        self.syl = rng.uniform(3.0, 5.5)
        self.notes = 110.0 * 2 ** (rng.integers(0, 36, (8, 4)) / 12.0)
        self.chord_s = rng.uniform(0.3, 0.8)

    def wave(self, t: np.ndarray) -> np.ndarray:
        k = self.kind
        if k == "silence":
            return np.zeros_like(t)
        if k == "tone":
            return np.sin(2 * np.pi * self.tone_hz * t + self.ph[0])
        if k == "speech":
            # f0 with a slow intonation wobble (phase of the fundamental, integrated)
            ph0 = 2 * np.pi * self.f0 * t - self.f0 * 0.08 / 0.7 * np.cos(2 * np.pi * 0.7 * t + self.ph[1])
            x = np.zeros_like(t)
            for h in range(1, 9):
                formant = np.exp(-((h * self.f0 - 500) / 400) ** 2) + 0.5 * np.exp(-((h * self.f0 - 1500) / 600) ** 2)
                x += (0.3 / h + formant) * np.sin(h * ph0 + self.ph[h])
            env = np.clip(np.sin(2 * np.pi * self.syl * t + self.ph[9]), 0, 1) ** 0.7
            pause = np.clip(2.5 * np.sin(2 * np.pi * 0.23 * t + self.ph[10]) + 1.2, 0, 1)
            return 0.6 * x * env * pause / 2.0
        # music: a chord per slot, with a soft attack/decay
        slot = np.floor(t / self.chord_s).astype(np.int64)
        u = t / self.chord_s - slot
        env = (1 - np.exp(-u * 20)) * np.exp(-u * 1.5)
        x = np.zeros_like(t)
        for i in range(4):
            f = self.notes[slot % 8, i]
            x += np.sin(2 * np.pi * f * t + self.ph[i])
        return 0.22 * x * env


@dataclass(eq=False)
class CoarseEmitter(SimEmitter):
    """Base for emitters defined per segment on a coarse clock (see module docs)."""

    SEGMENT_S: ClassVar[float] = 0.1

    def _segment_s(self) -> float:
        return self.SEGMENT_S

    def _coarse_rate(self) -> float:
        raise NotImplementedError

    def _segment_t0(self) -> float:
        """Segments start at t0 + k*T (e.g. aligned with the mains cycle)."""
        return 0.0

    def _segment(self, seg: int, t: np.ndarray, fc: float) -> Tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        """(amplitude or None for constant 1, phase or None for 0) at the coarse instants
        ``t`` (float64, spacing 1/fc, both segment ends included). All-zero amplitude
        means off."""
        raise NotImplementedError

    def _drift_fn(self):
        return None

    def _coarse(self, seg: int):
        fc = self._coarse_rate()
        T = self._segment_s()
        n = int(round(T * fc))
        t = self._segment_t0() + seg * T + np.arange(n + 1) * (T / n)
        return self._cached(("seg", seg), lambda: self._segment(seg, t, n / T), size=6)

    def _synth(self, fs_in: float, i_start: int, count: int, offset: float) -> Optional[np.ndarray]:
        T = self._segment_s()
        fc = int(round(T * self._coarse_rate())) / T
        i_end = i_start + count
        phase = np.zeros(count, np.float32)
        amp = None
        any_on = False
        g0 = self._segment_t0()
        for seg in range(int(math.floor((i_start / fs_in - g0) / T)), int(math.floor(((i_end - 1) / fs_in - g0) / T)) + 1):
            s0 = (g0 + seg * T) * fs_in
            i0 = max(i_start, int(math.ceil(s0 - 1e-7)))
            i1 = min(i_end, int(math.ceil((g0 + (seg + 1) * T) * fs_in - 1e-7)))
            if i1 <= i0:
                continue
            a, p = self._coarse(seg)
            if a is not None and not np.any(a):
                if amp is None:
                    amp = np.ones(count, np.float32)
                amp[i0 - i_start: i1 - i_start] = 0
                continue
            any_on = True
            u = (np.arange(i0, i1, dtype=np.float64) - s0) * (fc / fs_in)
            k = np.clip(u.astype(np.int64), 0, (p if p is not None else a).size - 2)
            w = u - k
            sl = slice(i0 - i_start, i1 - i_start)
            if p is not None:
                phase[sl] = p[k] + (p[k + 1] - p[k]) * w
            if a is not None:
                if amp is None:
                    amp = np.ones(count, np.float32)
                amp[sl] = a[k] + (a[k + 1] - a[k]) * w
        if not any_on:
            return None
        phase += dsp.carrier_phase(offset, fs_in, i_start, count, self._drift_fn() or None)
        x = dsp.expj(phase, self._amp())
        if amp is not None:
            x *= amp
        return x


def bridge(phase: np.ndarray) -> np.ndarray:
    """Remove the straight line through the end points so the track starts and ends at 0."""
    n = phase.size - 1
    return phase - phase[0] - (phase[-1] - phase[0]) * (np.arange(n + 1) / max(n, 1))


def integrate(freq_hz: np.ndarray, fc: float) -> np.ndarray:
    """Phase (rad) from instantaneous frequency samples, trapezoidal, starting at 0."""
    p = np.zeros(freq_hz.size)
    p[1:] = np.cumsum(0.5 * (freq_hz[1:] + freq_hz[:-1])) * (2 * np.pi / fc)
    return p


def wiener_phase(rng: np.random.Generator, n: int, fc: float, linewidth_hz: float) -> np.ndarray:
    """Random-walk oscillator phase (Lorentzian line of the given 3 dB linewidth)."""
    if linewidth_hz <= 0:
        return np.zeros(n)
    steps = rng.standard_normal(n) * math.sqrt(2 * np.pi * linewidth_hz / fc)
    steps[0] = 0
    return np.cumsum(steps)
