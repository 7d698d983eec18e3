"""Switching power supply near the TV line rate: a hard negative for video detectors.

Every switching edge shocks the supply's parasitic LC circuits into a short damped
ringing, which the wiring radiates: an impulse a few tens of nanoseconds long, so its
energy spreads over many MHz and reaches a receiver wherever it is tuned. The edges
repeat at the switching rate. CRT-era flyback stages and some LED drivers are locked
to the line rate itself (15,625 Hz or 15,734.264 Hz, stable); free-running converters
sit anywhere near it, often with frequency dither (spread spectrum, triangular or
wandering) to pass EMC tests. Both edges of each period can ring (the second one at
``duty`` of the period and ``second_edge_db`` weaker), edge amplitudes vary, edges
jitter, and at light load the converter runs in bursts.

What it lacks, by construction: any field structure (the same impulse every period)
and any constant-envelope frequency modulation (each edge is an amplitude spike whose
ringing frequency is set by the circuit, not by a picture).

Each impulse is ``a * u * exp(1 - u) * exp(j (phi + 2 pi f_r tau))`` with ``u =
tau / decay``: an alpha-function envelope whose spectrum falls as 1/f^2 beyond
1 / (2 pi decay). ``power_dbm`` is the mean power while switching (outside bursts-off).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Tuple

import numpy as np

from sweeper.sim import dsp
from sweeper.sim.emitters.base import SimEmitter, param

#: switching periods per block of random edge parameters
BLOCK = 2048
#: envelope evaluated out to this many decay times (e^-9 of the peak amplitude)
TAIL = 10.0
#: declared span: the ringing spread plus this many envelope corner frequencies
SPAN_CORNERS = 6.0


def _tri_integral(u: np.ndarray) -> np.ndarray:
    """Integral from 0 of a zero-mean unit triangle wave of period 1 (periodic: the
    dither changes the phase of the edges, never their long-run rate)."""
    v = np.mod(u, 1.0)
    return np.where(v < 0.5, 2 * v * v - v, 3 * (v - 0.5) - 2 * (v * v - 0.25))


def _tri(u: np.ndarray) -> np.ndarray:
    v = np.mod(u, 1.0)
    return np.where(v < 0.5, 4 * v - 1, 3 - 4 * v)


@dataclass(eq=False)
class SwitchingSupply(SimEmitter):
    """Impulsive, line-rate switching edges (see module docs)."""

    kind: ClassVar[str] = "switching_supply"
    SPARSE: ClassVar[bool] = True

    rate_hz: float = param(15625.0, "switching frequency (15.625 or 15.734264 kHz when line-locked)",
                           lo=1e3, hi=500e3, unit="kHz")
    dither: float = param(0.0, "peak frequency dither, fraction of the switching frequency (0 = none)",
                          lo=0.0, hi=0.2)
    dither_hz: float = param(1000.0, "dither modulation rate", lo=1.0, hi=20e3)
    dither_shape: str = param("triangle", "dither waveform", choices=("triangle", "random"))
    jitter_ns: float = param(5.0, "edge timing jitter (rms)", lo=0.0, hi=5000.0)
    edges: int = param(1, "edges that ring per period (1 or 2)", lo=1, hi=2)
    duty: float = param(0.5, "where the second edge falls, fraction of the period", lo=0.05, hi=0.95)
    second_edge_db: float = param(-3.0, "second edge's amplitude relative to the first", lo=-30.0, hi=0.0)
    amp_spread_db: float = param(1.0, "edge-to-edge amplitude variation (rms, dB)", lo=0.0, hi=10.0)
    bandwidth_hz: float = param(20e6, "spread of the ringing frequencies about freq", lo=0.0, hi=60e6,
                                unit="MHz")
    ring_spread: float = param(0.2, "how much the ringing frequency varies from edge to edge (0 = one "
                               "resonance, 1 = anywhere in bandwidth)", lo=0.0, hi=1.0)
    decay_ns: float = param(60.0, "decay time of each ring", lo=30.0, hi=2000.0)
    burst_hz: float = param(0.0, "burst-mode repetition rate at light load (0 = switches continuously)",
                            lo=0.0, hi=5000.0)
    burst_duty: float = param(0.5, "fraction of each burst period that switches", lo=0.05, hi=1.0)

    def _setup(self) -> None:
        self._check("edges", self.edges in (1, 2), "1 or 2")
        r = dsp.rng_for(self.seed, 130)
        self._ring0 = r.uniform(-0.5, 0.5) * self.bandwidth_hz  # the main resonance
        self._dph = r.uniform(0, 1, 3)
        self._dmix = r.uniform(0.5, 1.5, 3)  # "random" dither: 3 incommensurate tones
        self._burst_ph = r.uniform(0, 1)
        self._tau = self.decay_ns * 1e-9
        g2 = 10 ** (self.second_edge_db / 10) if self.edges == 2 else 0.0
        # energy of one unit impulse: e^2 * tau / 4 (alpha function squared)
        e1 = math.e ** 2 * self._tau / 4.0
        self._scale = 1.0 / math.sqrt(self.rate_hz * (1.0 + g2) * e1)
        self._g2 = math.sqrt(g2)

    def span_hz(self) -> Tuple[float, float]:
        ring = abs(self._ring0) + 0.5 * self.ring_spread * self.bandwidth_hz
        half = ring + SPAN_CORNERS / (2 * np.pi * self._tau) + 0.1e6
        return self.freq_hz - half, self.freq_hz + half

    # ---- timing -------------------------------------------------------------------
    def _cycles(self, t: np.ndarray) -> np.ndarray:
        """Switching phase in periods at times t (float64): rate * t plus the dither's
        bounded phase excursion."""
        if self.dither <= 0:
            return self.rate_hz * t
        k = self.rate_hz * self.dither
        if self.dither_shape == "triangle":
            return self.rate_hz * t + k / self.dither_hz * _tri_integral(self.dither_hz * t + self._dph[0])
        out = self.rate_hz * t
        norm = 1.0 / np.sqrt(np.sum(self._dmix ** 2) / 2)  # unit rms, peak about 1.5
        for m, p in zip(self._dmix, self._dph):
            w = 2 * np.pi * self.dither_hz * m
            out = out - k * norm / 1.5 / w * np.cos(w * t + 2 * np.pi * p)
        return out

    def _freq(self, t: np.ndarray) -> np.ndarray:
        if self.dither <= 0:
            return np.full(t.shape, self.rate_hz)
        k = self.rate_hz * self.dither
        if self.dither_shape == "triangle":
            return self.rate_hz + k * _tri(self.dither_hz * t + self._dph[0])
        out = np.full(t.shape, self.rate_hz)
        norm = 1.0 / np.sqrt(np.sum(self._dmix ** 2) / 2)
        for m, p in zip(self._dmix, self._dph):
            w = 2 * np.pi * self.dither_hz * m
            out = out + k * norm / 1.5 * np.sin(w * t + 2 * np.pi * p)
        return out

    def _edge_times(self, k: np.ndarray) -> np.ndarray:
        """Times at which the switching phase reaches ``k`` periods (Newton steps from
        the undithered guess; the phase is smooth and monotonic)."""
        t = k / self.rate_hz
        if self.dither > 0:
            for _ in range(6):
                t = t - (self._cycles(t) - k) / self._freq(t)
        return t

    def _block(self, b: int):
        """Edges of periods b*BLOCK .. (b+1)*BLOCK-1: (times, amplitudes, phases, ring Hz)."""
        r = dsp.rng_for(self.seed, 131, b)
        k = (b * BLOCK + np.arange(BLOCK)).astype(np.float64)
        sig = self.amp_spread_db / 20 * math.log(10)
        amp = np.exp(sig * r.standard_normal(BLOCK) - sig * sig)  # E[a^2] = 1
        ring = self._ring0 + self.ring_spread * self.bandwidth_hz * r.uniform(-0.5, 0.5, BLOCK)
        ts, As, Rs = [self._edge_times(k)], [amp], [ring]
        if self.edges == 2:
            ts.append(self._edge_times(k + self.duty))
            As.append(self._g2 * amp * np.exp(0.5 * sig * r.standard_normal(BLOCK)))
            Rs.append(self._ring0 + self.ring_spread * self.bandwidth_hz * r.uniform(-0.5, 0.5, BLOCK))
        t = np.concatenate(ts)
        n = t.size
        t = t + self.jitter_ns * 1e-9 * r.standard_normal(n)
        return t, np.concatenate(As), r.uniform(0, 2 * np.pi, n), np.concatenate(Rs)

    def _on(self, t: np.ndarray) -> np.ndarray:
        if self.burst_hz <= 0 or self.burst_duty >= 1:
            return np.ones(t.shape, bool)
        return np.mod(t * self.burst_hz + self._burst_ph, 1.0) < self.burst_duty

    # ---- synthesis ----------------------------------------------------------------
    def _synth(self, fs_in: float, i_start: int, count: int, offset: float):
        t_a, t_b = i_start / fs_in, (i_start + count) / fs_in
        reach = TAIL * self._tau
        slack = 0.5 + self.dither * self.rate_hz / self.dither_hz + 1e-5 * self.jitter_ns * self.rate_hz
        b0 = int(math.floor((self.rate_hz * (t_a - reach) - slack - 2) / BLOCK))
        b1 = int(math.floor((self.rate_hz * t_b + slack + 2) / BLOCK))
        parts = []
        for b in range(b0, b1 + 1):
            t, a, ph, fr = self._cached(("edges", b), lambda b=b: self._block(b), size=8)
            sel = (t > t_a - reach) & (t < t_b) & self._on(t)
            if sel.any():
                parts.append((t[sel], a[sel], ph[sel], fr[sel]))
        if not parts:
            return None
        t, a, ph, fr = (np.concatenate(p) for p in zip(*parts))
        L = int(math.ceil(reach * fs_in)) + 1
        j = np.ceil(t * fs_in - 1e-9).astype(np.int64)[:, None] + np.arange(L)[None, :]
        tau = j / fs_in - t[:, None]
        u = tau / self._tau
        env = u * np.exp(1.0 - u)
        val = (a * self._scale)[:, None] * env * np.exp(1j * (ph[:, None] + 2 * np.pi * fr[:, None] * tau))
        x = dsp.scatter(j - i_start, val, count)
        x *= np.float32(self._amp())
        return dsp.mix(x, offset, fs_in, i_start)
