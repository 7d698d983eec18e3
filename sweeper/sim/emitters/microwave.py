"""A microwave oven's magnetron, as heard from the next room.

A transformer oven's half-wave voltage doubler lets the magnetron conduct only while
the mains voltage is high in one half of each cycle (``conduction`` of the cycle,
typically 35-50%), so the emission switches on and off at the mains rate. While on,
the frequency follows the anode current (frequency pushing): it chirps up and back
down over ``sweep_hz`` (10-30 MHz) around 2.45-2.46 GHz, with strong FM noise, and the
turn-on/turn-off instants (low anode current) are broadband and noisy. An inverter
oven instead runs nearly continuously with a ripple at twice the mains frequency.

``power_dbm`` is the mean power while the magnetron is on. Segments are mains
cycles (see ``_coarse``); the broadband noise is added at the output rate with the
power spectral density the full noise band implies.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Tuple

import numpy as np

from sweeper.sim import dsp
from sweeper.sim.emitters._coarse import CoarseEmitter, bridge, integrate
from sweeper.sim.emitters.base import param


@dataclass(eq=False)
class Microwave(CoarseEmitter):
    """A magnetron oven (see module docs)."""

    SPARSE: ClassVar[bool] = True

    kind: ClassVar[str] = "microwave"

    mains_hz: float = param(50.0, "mains frequency (50 or 60)", lo=45.0, hi=65.0)
    sweep_hz: float = param(20e6, "frequency swing over one on-period", lo=2e6, hi=40e6, unit="MHz")
    conduction: float = param(0.45, "fraction of each mains cycle the magnetron conducts", lo=0.2, hi=0.5)
    fm_noise_hz: float = param(0.8e6, "rms FM noise of the magnetron", lo=0.0, hi=5e6, unit="MHz")
    noise_db: float = param(-25.0, "broadband noise (whole noise band) relative to the line", lo=-60.0, hi=0.0)
    noise_bw_hz: float = param(40e6, "width of the broadband noise", lo=1e6, hi=100e6, unit="MHz")
    inverter: bool = param(False, "inverter oven: near-continuous, ripple at 2x mains")

    def _setup(self) -> None:
        r = dsp.rng_for(self.seed, 80)
        self._t0 = r.uniform(0, 1 / self.mains_hz)
        self._vth = math.cos(math.pi * self.conduction)

    def span_hz(self) -> Tuple[float, float]:
        half = max(self.sweep_hz / 2 + 4 * self.fm_noise_hz + 2e6, self.noise_bw_hz / 2)
        return self.freq_hz - half, self.freq_hz + half

    def _half_span(self) -> float:  # the swept line; the noise is added at the output rate
        return self.sweep_hz / 2 + 4 * self.fm_noise_hz + 2e6

    def _segment_s(self) -> float:
        return 1.0 / self.mains_hz

    def _segment_t0(self) -> float:
        return self._t0

    def _coarse_rate(self) -> float:
        return 2e6

    def _drive(self, t: np.ndarray) -> np.ndarray:
        """Anode current 0..1 at times t (0 = off)."""
        th = 2 * np.pi * self.mains_hz * (t - self._t0) - np.pi / 2  # segments start at the voltage minimum
        v = np.sin(th)
        if self.inverter:
            return 0.55 + 0.45 * np.abs(v)
        return np.clip((v - self._vth) / (1 - self._vth), 0.0, 1.0)

    def _segment(self, seg: int, t: np.ndarray, fc: float):
        r = dsp.rng_for(self.seed, 81, seg)
        u = self._drive(t)
        on = u > 0
        if not np.any(on):
            return np.zeros(t.size, np.float32), None
        amp = np.where(on, np.sqrt(np.clip(u, 0, 1)) ** 0.5, 0.0)
        norm = math.sqrt(np.mean(amp[on] ** 2))
        amp = amp / norm
        # frequency pushing: low at turn-on/off, highest at peak current, plus noise
        f = self.sweep_hz * (u ** 0.7 - 0.5) + r.normal(0, 0.5e6)
        if self.fm_noise_hz > 0:
            k = max(1, int(fc / 250e3))
            w = np.convolve(r.standard_normal(t.size + k), np.ones(k) / k, mode="valid")[: t.size]
            w *= self.fm_noise_hz / (w.std() + 1e-12)
            edge = 1 + 3 * np.exp(-u / 0.08)  # unstable at low anode current
            f = f + w * edge
        return amp.astype(np.float32), bridge(integrate(np.where(on, f, 0.0), fc))

    def render(self, center_hz: float, sample_rate: float, t0: float, n: int) -> np.ndarray:
        lo, hi = self.span_hz()
        fs = float(sample_rate)
        out = super().render(center_hz, sample_rate, t0, n)
        if self.noise_db <= -59 or hi <= center_hz - fs / 2 or lo >= center_hz + fs / 2:
            return out
        # broadband noise inside the window (white within the noise band), gated
        nlo, nhi = self.freq_hz - self.noise_bw_hz / 2, self.freq_hz + self.noise_bw_hz / 2
        overlap = max(0.0, min(nhi, center_hz + 0.5 * fs) - max(nlo, center_hz - 0.5 * fs))
        if overlap <= 0:
            return out
        m0 = int(round(t0 * fs))
        t = (m0 + np.arange(n)) / fs
        u = self._drive(t)
        gate = np.where(u > 0, 0.6 + 2.5 * np.exp(-u / 0.05), 0.0).astype(np.float32)
        p = 10 ** ((self.power_dbm + self.noise_db) / 10) * overlap / self.noise_bw_hz
        r = dsp.rng_for(self.seed, 82, m0, int(fs))
        w = (r.standard_normal(n, np.float32) + 1j * r.standard_normal(n, np.float32)).astype(np.complex64)
        w *= np.float32(math.sqrt(p / 2)) * gate
        out += w
        return out
