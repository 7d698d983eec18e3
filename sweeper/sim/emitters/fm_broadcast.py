"""A wideband FM broadcast station (88-108 MHz style).

The multiplex (MPX) baseband: mono L+R, the 19 kHz pilot, L-R on a 38 kHz DSB-SC
subcarrier locked to the pilot, and RDS (1187.5 bit/s differential biphase BPSK on
57 kHz); audio pre-emphasised (50 us Europe, 75 us Americas); the total deviation is
+-75 kHz at full modulation. Built on a 1.024 MHz coarse clock per 0.1 s segment
(see ``_coarse``): the MPX is exact there and the FM phase is interpolated.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Tuple

import numpy as np

from sweeper.sim import dsp
from sweeper.sim.emitters._coarse import AudioSource, CoarseEmitter, SlowDrift, bridge, integrate
from sweeper.sim.emitters.base import param

PILOT = 19e3


@dataclass(eq=False)
class FmBroadcast(CoarseEmitter):
    """Broadcast FM with stereo pilot, L-R subcarrier and RDS."""

    kind: ClassVar[str] = "fm_broadcast"

    programme: str = param("music", "what the station plays", choices=("music", "speech", "tone", "silence"))
    stereo: bool = param(True, "pilot + 38 kHz L-R subcarrier")
    rds: bool = param(True, "57 kHz RDS data")
    deviation_hz: float = param(75e3, "peak deviation at full modulation", lo=10e3, hi=150e3, unit="kHz")
    loudness: float = param(0.8, "programme level (1 = hits full deviation)", lo=0.0, hi=1.5)
    preemphasis_us: float = param(50.0, "audio pre-emphasis time constant (50 Europe, 75 Americas, 0 none)",
                                  lo=0.0, hi=100.0)
    drift_hz: float = param(20.0, "slow frequency wander amplitude", lo=0.0, hi=10e3)

    def _setup(self) -> None:
        rng = dsp.rng_for(self.seed, 41)
        self._L = AudioSource(self.programme, rng)
        self._R = AudioSource(self.programme, rng)
        self._pilot_ph = rng.uniform(0, 2 * np.pi)
        self._drift = SlowDrift(self.drift_hz, 60.0, rng)

    def span_hz(self) -> Tuple[float, float]:
        half = self.deviation_hz * max(1.0, self.loudness) + 60e3 + 40e3
        return self.freq_hz - half, self.freq_hz + half

    def _coarse_rate(self) -> float:
        return 1.024e6

    def _drift_fn(self):
        return self._drift if self._drift else None

    def _rds(self, t: np.ndarray) -> np.ndarray:
        """Biphase-coded RDS baseband (+-1, cosine-shaped) at times t."""
        br = 1187.5
        b = np.floor(t * br).astype(np.int64)
        out = np.empty_like(t)
        blk = b // 1024
        for k in np.unique(blk):
            bits = dsp.rng_for(self.seed, 42, int(k)).integers(0, 2, 1025) * 2 - 1
            sel = blk == k
            idx = b[sel] - k * 1024
            u = t[sel] * br - b[sel]
            out[sel] = bits[idx] * np.sin(2 * np.pi * u)  # one biphase symbol per bit
        return out

    def _segment(self, seg: int, t: np.ndarray, fc: float):
        L = self._L.wave(t)
        R = self._R.wave(t + 0.013) if self.stereo else L
        if self.preemphasis_us > 0:
            tau = self.preemphasis_us * 1e-6
            L = L + tau * np.gradient(L) * fc
            R = R + tau * np.gradient(R) * fc
        L *= self.loudness / 2.2
        R *= self.loudness / 2.2
        wp = 2 * np.pi * PILOT * t + self._pilot_ph
        if self.stereo:
            mpx = 0.9 * (0.5 * (L + R) + 0.5 * (L - R) * np.cos(2 * wp)) + 0.09 * np.sin(wp)
        else:
            mpx = 0.9 * 0.5 * (L + R)
        if self.rds:
            mpx += 0.04 * self._rds(t) * np.sin(3 * wp)
        np.clip(mpx, -1.1, 1.1, out=mpx)  # the station's composite clipper
        return None, bridge(integrate(self.deviation_hz * mpx, fc))
