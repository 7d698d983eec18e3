"""GSM: a phone in a call (uplink bursts) or a base station's BCCH carrier (downlink).

GMSK (BT = 0.3, h = 0.5) at 270.833 ksym/s. A TDMA frame is 4.615 ms = 8 timeslots of
577 us; a normal burst is 148 bits (~546 us) with power ramps. A phone in a call sends
one burst per frame in its timeslot, except the idle frame of each 26-frame
multiframe (and, with DTX, most frames while the user is silent); it may hop over a
set of 200 kHz channels frame by frame. A BCCH carrier transmits in every timeslot.
The hard negative for the 900 MHz band: bursty, narrow, and periodic at 216.7 Hz.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, List, Tuple

import numpy as np

from sweeper.sim import dsp
from sweeper.sim.emitters.base import Burst, BurstEmitter, param

SYM = 1625e3 / 6  # 270.833 ksym/s
SLOT = 576.923e-6
FRAME = 8 * SLOT
MULTI = 26 * FRAME


@dataclass(eq=False)
class Gsm(BurstEmitter):
    """GSM uplink (a phone) or downlink BCCH carrier."""

    kind: ClassVar[str] = "gsm"
    EPOCH_S: ClassVar[float] = MULTI

    link: str = param("uplink", "uplink (a phone in a call) or downlink (a base station BCCH carrier)",
                      choices=("uplink", "downlink"))
    timeslot: int = param(2, "the phone's timeslot (0-7)", lo=0, hi=7)
    dtx: bool = param(False, "discontinuous transmission (silent user: few bursts)")
    hop_channels: int = param(1, "frequency hopping over this many 200 kHz channels (1 = no hopping)", lo=1,
                              hi=16)
    cfo_hz: float = param(50.0, "carrier frequency offset", lo=-5e3, hi=5e3)

    def _setup(self) -> None:
        r = dsp.rng_for(self.seed, 70)
        n = self.hop_channels
        self._hopset = (np.sort(r.choice(np.arange(-12, 13), n, replace=False)) * 200e3) if n > 1 else np.zeros(1)
        self._talk = r.uniform(0.3, 0.7)

    def span_hz(self) -> Tuple[float, float]:
        lo = self.freq_hz + self._hopset.min() - 300e3
        hi = self.freq_hz + self._hopset.max() + 300e3
        return lo, hi

    def _min_rate(self, offset: float, fs: float) -> float:
        return fs + 0.6e6 + 0.05 * fs

    def _epoch(self, e: int) -> List[Burst]:
        r = dsp.rng_for(self.seed, 71, e)
        out = []
        t0 = e * MULTI
        slots = range(8) if self.link == "downlink" else (self.timeslot,)
        talking = True
        for f in range(26):
            if self.link == "uplink":
                if f == 25:
                    continue  # idle frame
                if f % 4 == 0:
                    talking = r.random() < self._talk
                if self.dtx and not talking and f not in (12, 0, 8):
                    continue  # DTX: SACCH + SID frames only
            fo = self._hopset[int(r.integers(0, self._hopset.size))] if self._hopset.size > 1 else 0.0
            for ts in slots:
                start = t0 + f * FRAME + ts * SLOT + 3e-6
                out.append(Burst(start, 148.0 / SYM + 16e-6, fo, 0.0, 150e3, (72, e, f, ts), {}))
        return out

    def _cpm(self, b):
        return 152, 0.5, 0.3, SYM, self.cfo_hz, 10e-6

    def _synth(self, fs_in: float, i_start: int, count: int, offset: float):
        return self._synth_cpm(fs_in, i_start, count, offset)
