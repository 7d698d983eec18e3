"""Narrowband carriers: a spur, a cordless phone or walkie-talkie, a key fob, a sensor.

CW, AM or narrow FM with programme audio, or OOK/FSK data packets (a key fob or a
433/868 MHz sensor), all with oscillator phase noise (random walk, Lorentzian line)
and slow frequency drift. Synthesised on a coarse clock (8-16x the occupied
bandwidth) per 0.1 s segment and interpolated (see ``_coarse``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Tuple

import numpy as np

from sweeper.sim import dsp
from sweeper.sim.emitters._coarse import AudioSource, CoarseEmitter, SlowDrift, bridge, integrate, wiener_phase
from sweeper.sim.emitters.base import param


@dataclass(eq=False)
class Carrier(CoarseEmitter):
    """A narrowband emitter: CW, AM, NFM, OOK or FSK. For OOK, ``power_dbm`` is the
    keyed-on carrier; for AM it is the mean over the modulation."""

    kind: ClassVar[str] = "carrier"

    modulation: str = param("cw", "cw (a spur/beacon), am, nfm (voice), ook or fsk (data packets)",
                            choices=("cw", "am", "nfm", "ook", "fsk"))
    audio: str = param("speech", "programme for am/nfm", choices=("tone", "speech", "music", "silence"))
    tone_hz: float = param(1000.0, "audio tone frequency when audio is 'tone'", lo=50.0, hi=10e3)
    deviation_hz: float = param(2.5e3, "nfm peak deviation, or fsk shift either side", lo=100.0, hi=100e3, unit="kHz")
    am_depth: float = param(0.6, "AM modulation depth", lo=0.0, hi=1.0)
    bit_rate: float = param(2000.0, "ook/fsk bit rate (bit/s)", lo=100.0, hi=100e3)
    packet_bits: int = param(64, "ook/fsk bits per packet", lo=8, hi=4096)
    repeats: int = param(4, "ook/fsk packet repetitions per transmission", lo=1, hi=20)
    burst_period_s: float = param(1.0, "ook/fsk: one transmission every this many seconds (0 = continuous data)",
                                  lo=0.0, hi=3600.0)
    linewidth_hz: float = param(20.0, "phase-noise linewidth (random-walk phase)", lo=0.0, hi=50e3)
    drift_hz: float = param(300.0, "slow frequency wander amplitude", lo=0.0, hi=1e6, unit="kHz")
    drift_period_s: float = param(30.0, "period of the slow wander", lo=0.5, hi=3600.0)

    def _setup(self) -> None:
        rng = dsp.rng_for(self.seed, 31)
        self._audio_src = AudioSource(self.audio, rng, self.tone_hz)
        self._drift = SlowDrift(self.drift_hz, self.drift_period_s, rng)
        m = self.modulation
        if m == "cw":
            bw = 4 * max(self.linewidth_hz, 100.0)
        elif m == "am":
            bw = 8e3
        elif m == "nfm":
            bw = 2 * (self.deviation_hz + 3.5e3)
        else:
            bw = 2 * (self.deviation_hz if m == "fsk" else 0) + 4 * self.bit_rate
        self._fc = max(16e3, 8 * bw)
        self._bw = bw
        if m in ("ook", "fsk") and self.burst_period_s > 0:
            dur = self.repeats * (self.packet_bits + 12) / self.bit_rate
            self._check("burst_period_s", dur < self.burst_period_s,
                        f"a transmission lasts {dur:.3g} s: the period must be longer")

    def span_hz(self) -> Tuple[float, float]:
        half = self._fc / 2 + self.drift_hz
        return self.freq_hz - half, self.freq_hz + half

    def _coarse_rate(self) -> float:
        return self._fc

    def _drift_fn(self):
        return self._drift if self._drift else None

    # ---- data packets -----------------------------------------------------------
    def _data(self, t: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """(on 0..1, symbol -1/+1) for OOK/FSK at times t."""
        br = self.bit_rate
        on = np.zeros_like(t)
        sym = np.zeros_like(t)
        P = self.burst_period_s
        if P <= 0:  # continuous data
            b = np.floor(t * br).astype(np.int64)
            blk = b // 4096
            for k in np.unique(blk):
                bits = dsp.rng_for(self.seed, 32, int(k)).integers(0, 2, 4096) * 2 - 1
                sel = blk == k
                sym[sel] = bits[b[sel] - k * 4096]
            on[:] = 1
        else:
            nbits = self.packet_bits + 12  # + gap
            dur = self.repeats * nbits / br
            k0 = int(math.floor((t[0] - dur) / P)) - 1
            for k in range(k0, int(math.floor(t[-1] / P)) + 1):
                r = dsp.rng_for(self.seed, 33, k)
                start = k * P + r.uniform(0, 0.2) * (P - dur)
                sel = (t >= start) & (t < start + dur)
                if not np.any(sel):
                    continue
                bits = np.concatenate([np.ones(8), r.integers(0, 2, self.packet_bits - 8)]) * 2 - 1
                u = (t[sel] - start) * br
                rep_pos = np.mod(u, nbits)
                bi = np.floor(rep_pos).astype(np.int64)
                in_pkt = bi < self.packet_bits
                b = np.where(in_pkt, bits[np.minimum(bi, self.packet_bits - 1)], -1)
                if self.modulation == "ook":  # PWM: '1' = 3/4 on, '0' = 1/4 on
                    fracb = rep_pos - bi
                    onv = in_pkt & (fracb < np.where(b > 0, 0.75, 0.25))
                    on[sel] = onv
                else:
                    on[sel] = 1.0
                    sym[sel] = b
        return on, sym

    def _segment(self, seg: int, t: np.ndarray, fc: float):
        n = t.size - 1
        rng = dsp.rng_for(self.seed, 34, seg)
        phase = wiener_phase(rng, n + 1, fc, self.linewidth_hz)
        amp = None
        m = self.modulation
        if m == "am":
            a = self._audio_src.wave(t)
            amp = (1 + self.am_depth * a) / math.sqrt(1 + self.am_depth ** 2 * 0.25)
        elif m == "nfm":
            phase = phase + integrate(self.deviation_hz * self._audio_src.wave(t), fc)
        elif m in ("ook", "fsk"):
            on, sym = self._data(t)
            # smooth the keying over ~1/8 bit (a real transmitter's rise time)
            k = max(1, int(fc / self.bit_rate / 8))
            ker = np.ones(k) / k
            if m == "ook":
                amp = np.convolve(on, ker, mode="same")  # power_dbm is the keyed-on carrier
            else:
                amp = np.convolve(on, ker, mode="same")
                phase = phase + integrate(self.deviation_hz * np.convolve(sym, ker, mode="same"), fc)
        return (None if amp is None else amp.astype(np.float32)), bridge(phase)
