"""Wideband impulsive noise: a switching power supply, an LED driver or a dimmer.

A train of short, randomly phased spikes at the switching rate (with jitter), each a
Gaussian-windowed ring at a random frequency within ``bandwidth_hz``, optionally gated
by the mains (on for part of every half cycle, as rectifier-fed supplies and dimmers
are). Switching rates near 15.6 kHz make a hard negative for line-rate detectors.
``power_dbm`` is the mean power while the gate is open.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Tuple

import numpy as np

from sweeper.sim import dsp
from sweeper.sim.emitters.base import SimEmitter, param

BLOCK = 4096  # impulses per random block


@dataclass(eq=False)
class NoiseBurst(SimEmitter):
    """Impulsive wideband noise (see module docs)."""

    SPARSE: ClassVar[bool] = True

    kind: ClassVar[str] = "noise_burst"

    rate_hz: float = param(65e3, "impulses per second (the switching frequency)", lo=100.0, hi=2e6, unit="kHz")
    jitter: float = param(0.05, "timing jitter, fraction of the period (rms)", lo=0.0, hi=0.5)
    bandwidth_hz: float = param(10e6, "spread of the spikes' energy", lo=0.2e6, hi=40e6, unit="MHz")
    gate_hz: float = param(100.0, "gating rate (twice the mains; 0 = always on)", lo=0.0, hi=1000.0)
    gate_duty: float = param(0.4, "fraction of each gate period that is on", lo=0.05, hi=1.0)

    def _setup(self) -> None:
        r = dsp.rng_for(self.seed, 120)
        self._gate_ph = r.uniform(0, 1)
        self._sigma = 1.0 / (np.pi * self.bandwidth_hz / 2)  # spike duration
        self._ring = 0.35 * self.bandwidth_hz

    def span_hz(self) -> Tuple[float, float]:
        half = self._ring + 3.0 / (2 * np.pi * self._sigma) + 0.1e6
        return self.freq_hz - half, self.freq_hz + half

    def _gate(self, t: np.ndarray) -> np.ndarray:
        if self.gate_hz <= 0:
            return np.ones(t.shape, bool)
        return np.mod(t * self.gate_hz + self._gate_ph, 1.0) < self.gate_duty

    def _impulses(self, b: int):
        r = dsp.rng_for(self.seed, 121, b)
        k = b * BLOCK + np.arange(BLOCK)
        t = (k + self.jitter * r.standard_normal(BLOCK)) / self.rate_hz
        a = r.rayleigh(1.0 / math.sqrt(2), BLOCK)  # E[a^2] = 1
        ph = r.uniform(0, 2 * np.pi, BLOCK)
        fr = r.uniform(-self._ring, self._ring, BLOCK)
        return t, a, ph, fr

    def _synth(self, fs_in: float, i_start: int, count: int, offset: float):
        t_a, t_b = i_start / fs_in, (i_start + count) / fs_in
        L = int(math.ceil(4 * self._sigma * fs_in)) + 1
        b0 = int(math.floor((t_a * self.rate_hz - 2) / BLOCK))
        b1 = int(math.floor((t_b * self.rate_hz + 2) / BLOCK))
        ts, As, Ps, Fs = [], [], [], []
        for b in range(b0, b1 + 1):
            t, a, ph, fr = self._cached(("imp", b), lambda b=b: self._impulses(b), size=8)
            sel = (t > t_a - 4 * self._sigma) & (t < t_b + 4 * self._sigma) & self._gate(t)
            ts.append(t[sel]), As.append(a[sel]), Ps.append(ph[sel]), Fs.append(fr[sel])
        t = np.concatenate(ts)
        if t.size == 0:
            return None
        a, ph, fr = np.concatenate(As), np.concatenate(Ps), np.concatenate(Fs)
        # each spike evaluated on the L samples around it
        c = np.round(t * fs_in).astype(np.int64)
        j = c[:, None] + np.arange(-L, L + 1)[None, :]
        tau = j / fs_in - t[:, None]
        env = np.exp(-0.5 * (tau / self._sigma) ** 2)
        scale = math.sqrt(self.rate_hz * self._sigma * math.sqrt(np.pi))  # mean power 1 while on
        val = (a / scale)[:, None] * env * np.exp(1j * (ph[:, None] + 2 * np.pi * fr[:, None] * tau))
        x = dsp.scatter(j - i_start, val, count)
        x *= np.float32(self._amp())
        return dsp.mix(x, offset, fs_in, i_start)
