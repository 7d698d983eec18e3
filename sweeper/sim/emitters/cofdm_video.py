"""Digital COFDM video links (DVB-T-like senders at 2.4 / 5.8 GHz or 300-900 MHz).

A continuous OFDM carrier 2-8 MHz wide with 1k/2k/4k/8k FFT, guard 1/4..1/32,
QPSK/16/64-QAM and boosted pilots: what a digital wireless camera or a COFDM drone
link looks like. No line structure: a hard negative for the analog video detector.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Tuple

import numpy as np

from sweeper.sim.emitters.base import param
from sweeper.sim.emitters.ofdm_broadcast import (DVBT_USED, _ORDERS, OfdmStream, continual_pilots,
                                                 dvbt_norm, dvbt_period_symbols)


@dataclass(eq=False)
class CofdmVideo(OfdmStream):
    """A COFDM video link (see module docs)."""

    kind: ClassVar[str] = "cofdm_video"

    bandwidth_hz: float = param(8e6, "occupied channel (2-8 MHz)", lo=1.5e6, hi=8e6, unit="MHz")
    fft: int = param(2048, "FFT size: 1024, 2048, 4096 or 8192", lo=1024, hi=8192)
    guard: float = param(0.125, "guard interval fraction (1/4, 1/8, 1/16, 1/32)", lo=1 / 32, hi=0.25)
    modulation: str = param("qpsk", "constellation", choices=("qpsk", "16qam", "64qam"))

    def _setup(self) -> None:
        self._check("fft", self.fft in DVBT_USED, "FFT size is 1024, 2048, 4096 or 8192")
        self._check("guard", any(abs(self.guard - g) < 1e-9 for g in (1 / 4, 1 / 8, 1 / 16, 1 / 32)),
                    "guard is one of 0.25, 0.125, 0.0625, 0.03125")
        self._cont = continual_pilots(self.fft, 777)
        self._order = _ORDERS[self.modulation]
        self._norm = 1.0 / dvbt_norm(self.fft)

    def _spacing(self) -> float:
        # the occupied width (used carriers) scales like DVB-T's 7.61 MHz in 8 MHz
        return (64e6 / 7) * (self.bandwidth_hz / 8e6) / self.fft

    def _n_min(self) -> int:
        return int(DVBT_USED[self.fft] * 1.1)

    def span_hz(self) -> Tuple[float, float]:
        half = DVBT_USED[self.fft] / 2 * self._spacing() + 0.03 * self.bandwidth_hz + 50e3
        return self.freq_hz - half, self.freq_hz + half

    def _period(self, N: int):
        cp = int(round(N * self.guard))
        return 4 * (N + cp), np.full(4, cp), np.arange(4) * (N + cp)

    def _period_symbols(self, p: int):
        X, k, act = dvbt_period_symbols(self.seed, 110, p, self.fft, self._order, self._cont)
        return (X * np.float32(self._norm)).astype(np.complex64), k, act
