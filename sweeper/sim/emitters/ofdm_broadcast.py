"""OFDM broadcast/cellular: an LTE cell (downlink), an LTE phone (SC-FDMA uplink) or a
DVB-T multiplex.

LTE: 15 kHz subcarriers, 12 per resource block (6/15/25/50/75/100 RBs for
1.4/3/5/10/15/20 MHz), 0.5 ms slots of 7 symbols (normal CP: 5.2 us then 4.7 us) or 6
(extended CP: 16.7 us). Downlink: continuous, cell reference signals every 6th
subcarrier in symbols 0 and 4 of each slot, PSS/SSS in the central 62 subcarriers in
subframes 0 and 5, a control region at the start of every 1 ms subframe, and data on
a random ``load`` share of the RBs per subframe (so spectrum and envelope breathe).
Uplink: a phone sends 1 ms subframes with probability ``duty``: a contiguous RB
allocation, DFT-spread (SC-FDMA) data, a reference symbol in the middle of each slot,
the +7.5 kHz half-subcarrier shift, slot hopping; otherwise occasionally control at
the band edges.
DVB-T: 2k or 8k mode (1705 / 6817 carriers), 5-8 MHz channels (elementary period
7/64 us at 8 MHz), guard 1/4..1/32, QPSK/16/64-QAM with boosted scattered pilots
(every 12th carrier, shifting by 3 each symbol) and continual pilots.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Tuple

import numpy as np

from sweeper.sim import dsp
from sweeper.sim.emitters import _ofdm
from sweeper.sim.emitters.base import SimEmitter, param

LTE_RB = {1.4e6: 6, 3e6: 15, 5e6: 25, 10e6: 50, 15e6: 75, 20e6: 100}
DVBT_USED = {1024: 853, 2048: 1705, 4096: 3409, 8192: 6817}
_ORDERS = {"qpsk": 4, "16qam": 16, "64qam": 64, "256qam": 256}


class OfdmStream(SimEmitter):
    """Continuous (or subframe-gated) OFDM built period by period on a native clock
    N_syn * spacing (N_syn >= the standard's FFT size, chosen per render)."""

    def _spacing(self) -> float:
        raise NotImplementedError

    def _grain(self) -> int:
        """N_syn must be a multiple of this (so every prefix is a whole number of samples)."""
        return 64

    def _n_min(self) -> int:
        raise NotImplementedError

    def _period(self, N: int):
        """(period length, cps per symbol, symbol starts within the period) at size N."""
        raise NotImplementedError

    def _period_symbols(self, p: int):
        """(X (nsym, len(k)) subcarrier values, k indices, active mask (nsym,)) for period p."""
        raise NotImplementedError

    def _shift_hz(self) -> float:
        return 0.0

    def _synth_rate(self, min_rate: float, fs: float) -> float:
        g = self._grain()
        n = max(self._n_min(), int(math.ceil(min_rate / self._spacing())))
        n = -(-n // g) * g
        return n * self._spacing()

    def _synth(self, fs_in: float, i_start: int, count: int, offset: float):
        N = int(round(fs_in / self._spacing()))
        P, cps, starts = self._cached(("tl", N), lambda: self._period(N), size=4)
        w = max(2, N // 64)
        out = np.zeros(count, np.complex64)
        any_on = False
        p0 = (i_start - w - P) // P
        p1 = (i_start + count) // P
        for p in range(p0, p1 + 1):
            X, k, act = self._cached(("per", p), lambda p=p: self._period_symbols(p), size=8)
            if not np.any(act):
                continue
            sym = _ofdm.to_time(X[act], k, N)
            _ofdm.assemble(sym, cps[act], p * P + starts[act], w, out, i_start)
            any_on = True
        if not any_on:
            return None
        out *= np.float32(self._amp())
        return dsp.mix(out, offset + self._shift_hz(), fs_in, i_start)


def dvbt_period_symbols(seed: int, key: int, p: int, n_fft: int, order: int, cont: np.ndarray):
    """Four DVB-T-like symbols (one scattered-pilot cycle): data, boosted pilots."""
    K = DVBT_USED[n_fft]
    k = np.arange(K) - K // 2
    r = dsp.rng_for(seed, key, p)
    X = _ofdm.qam(r, (4, K), order)
    idx = np.arange(K)
    for l in range(4):
        sp = (idx % 12) == (3 * l)
        X[l, sp] = (4 / 3) * (r.integers(0, 2, int(sp.sum())) * 2 - 1)
        X[l, cont] = (4 / 3) * (1 - 2 * ((cont * 7 + 3) % 2))
    return X, k, np.ones(4, bool)


def dvbt_norm(n_fft: int) -> float:
    """rms |X| of a DVB-T-like symbol (pilots boosted 4/3), for power calibration."""
    frac_p = 1 / 12 + 0.026
    return math.sqrt((1 - frac_p) + frac_p * 16 / 9)


def continual_pilots(n_fft: int, seed: int = 12345) -> np.ndarray:
    """A fixed pseudo-random ~2.6% of the carriers (DVB-T's continual pilot share)."""
    K = DVBT_USED[n_fft]
    r = dsp.rng_for(seed, n_fft)
    return np.sort(r.choice(K, int(0.026 * K), replace=False))


@dataclass(eq=False)
class OfdmBroadcast(OfdmStream):
    """An LTE cell, an LTE phone, or a DVB-T transmitter (see module docs)."""

    kind: ClassVar[str] = "ofdm_broadcast"
    SPARSE: ClassVar[bool] = True  # the uplink is bursty

    standard: str = param("lte_dl", "lte_dl (a cell), lte_ul (a phone, bursty SC-FDMA) or dvbt",
                          choices=("lte_dl", "lte_ul", "dvbt"))
    bandwidth_hz: float = param(10e6, "channel: LTE 1.4/3/5/10/15/20 MHz, DVB-T 5-8 MHz", lo=1.4e6, hi=20e6,
                                unit="MHz")
    cp: str = param("normal", "LTE cyclic prefix", choices=("normal", "extended"))
    fft: int = param(8192, "DVB-T FFT size (2048 = 2k, 8192 = 8k)", lo=2048, hi=8192)
    guard: float = param(0.25, "DVB-T guard interval fraction (1/4, 1/8, 1/16, 1/32)", lo=1 / 32, hi=0.25)
    modulation: str = param("64qam", "data constellation", choices=("qpsk", "16qam", "64qam", "256qam"))
    load: float = param(0.6, "LTE downlink: share of resource blocks carrying data", lo=0.0, hi=1.0)
    duty: float = param(0.3, "LTE uplink: share of 1 ms subframes the phone transmits in", lo=0.0, hi=1.0)

    def _setup(self) -> None:
        st = self.standard
        if st.startswith("lte"):
            self._check("bandwidth_mhz", self.bandwidth_hz in LTE_RB, "LTE channels are 1.4, 3, 5, 10, 15 or 20 MHz")
            self._nrb = LTE_RB[self.bandwidth_hz]
            self._check("modulation", self.modulation != "256qam" or st == "lte_dl", "256qam is downlink only")
        else:
            self._check("bandwidth_mhz", 5e6 <= self.bandwidth_hz <= 8e6, "DVB-T channels are 5-8 MHz")
            self._check("fft", self.fft in (2048, 8192), "DVB-T FFT size is 2048 or 8192")
            self._check("guard", any(abs(self.guard - g) < 1e-9 for g in (1 / 4, 1 / 8, 1 / 16, 1 / 32)),
                        "guard is one of 0.25, 0.125, 0.0625, 0.03125")
            self._check("modulation", self.modulation != "256qam", "DVB-T carries QPSK, 16qam or 64qam")
            self._cont = continual_pilots(self.fft)
        self._order = _ORDERS[self.modulation]
        self._norm = 1.0
        if st == "lte_dl":  # long-run mean power = power_dbm
            occ = [np.mean(np.abs(self._period_symbols(p, raw=True)[0]) ** 2) for p in range(20)]
            self._norm = 1.0 / math.sqrt(max(1e-6, float(np.mean(occ))))
        elif st == "dvbt":
            self._norm = 1.0 / dvbt_norm(self.fft)

    def span_hz(self) -> Tuple[float, float]:
        if self.standard.startswith("lte"):
            half = 6 * self._nrb * 15e3 + max(150e3, 0.04 * self.bandwidth_hz)
        else:
            half = DVBT_USED[self.fft] / 2 * self._spacing() + 200e3
        return self.freq_hz - half, self.freq_hz + half

    def _spacing(self) -> float:
        if self.standard.startswith("lte"):
            return 15e3
        return (64e6 / 7) * (self.bandwidth_hz / 8e6) / self.fft

    def _grain(self) -> int:
        return 128 if self.standard.startswith("lte") else 64

    def _n_min(self) -> int:
        if self.standard.startswith("lte"):
            return int(12 * self._nrb * 1.15)
        return int(DVBT_USED[self.fft] * 1.1)

    def _shift_hz(self) -> float:
        return 7.5e3 if self.standard == "lte_ul" else 0.0

    def _period(self, N: int):
        if self.standard.startswith("lte"):  # one 1 ms subframe
            if self.cp == "normal":
                cps = np.array(([160] + [144] * 6) * 2) * N // 2048
            else:
                cps = np.array([512] * 12) * N // 2048
            lens = cps + N
            return int(lens.sum()), cps, np.concatenate([[0], np.cumsum(lens)[:-1]])
        cp = int(round(N * self.guard))
        return 4 * (N + cp), np.full(4, cp), np.arange(4) * (N + cp)

    def _period_symbols(self, p: int, raw: bool = False):
        if self.standard == "dvbt":
            X, k, act = dvbt_period_symbols(self.seed, 100, p, self.fft, self._order, self._cont)
            return (X * np.float32(self._norm)).astype(np.complex64), k, act
        r = dsp.rng_for(self.seed, 101, p)
        nrb = self._nrb
        nsym = 14 if self.cp == "normal" else 12
        per_slot = nsym // 2
        if self.standard == "lte_dl":
            k = np.concatenate([np.arange(-6 * nrb, 0), np.arange(1, 6 * nrb + 1)])
            X = np.zeros((nsym, k.size), np.complex64)
            alloc = np.repeat(r.random(nrb) < self.load, 12)
            X[:, alloc] = _ofdm.qam(r, (nsym, int(alloc.sum())), self._order)
            ctrl = int(r.integers(1, 4))
            X[:ctrl] = _ofdm.qam(r, (ctrl, k.size), 4)
            shift = self.seed % 6
            for s in (0, per_slot - 3, per_slot, 2 * per_slot - 3):  # CRS (port 0)
                sel = (np.arange(k.size) + shift + 3 * (s % per_slot != 0)) % 6 == 0
                X[s, sel] = _ofdm.qam(r, int(sel.sum()), 4)
            if p % 5 == 0:  # PSS/SSS in subframes 0 and 5: last two symbols of the first slot
                mid = np.abs(k) <= 31
                X[per_slot - 1, mid] = np.exp(2j * np.pi * r.random(int(mid.sum())))
                X[per_slot - 2, mid] = r.integers(0, 2, int(mid.sum())) * 2 - 1
            if raw:
                return X, k, np.ones(nsym, bool)
            return (X * np.float32(self._norm)).astype(np.complex64), k, np.ones(nsym, bool)
        # uplink: SC-FDMA
        k = np.arange(-6 * nrb, 6 * nrb)
        X = np.zeros((nsym, k.size), np.complex64)
        act = np.zeros(nsym, bool)
        if r.random() < self.duty:
            n = int(r.choice([m for m in (1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 18, 20, 24, 25, 27, 30, 32, 36, 40,
                                          45, 48, 50, 54, 60, 64, 72, 75, 80, 81, 90, 96, 100) if m <= nrb]))
            for slot in (0, 1):
                s0 = int(r.integers(0, nrb - n + 1))
                sc = np.arange(12 * s0, 12 * (s0 + n))
                for l in range(per_slot):
                    s = slot * per_slot + l
                    if l == per_slot // 2:  # demodulation reference symbol: constant modulus
                        X[s, sc] = np.exp(2j * np.pi * r.random(sc.size))
                    else:
                        d = _ofdm.qam(r, sc.size, self._order)
                        X[s, sc] = np.fft.fft(d) / np.sqrt(sc.size)
                    act[s] = True
            X *= np.float32(math.sqrt(k.size / (12 * n)))
        elif r.random() < 0.15:  # control (PUCCH) at the band edges, hopping between slots
            for slot in (0, 1):
                rb = 0 if (slot + p) % 2 == 0 else nrb - 1
                sc = np.arange(12 * rb, 12 * rb + 12)
                for l in range(per_slot):
                    s = slot * per_slot + l
                    X[s, sc] = np.exp(2j * np.pi * r.random(12))
                    act[s] = True
            X *= np.float32(math.sqrt(k.size / 12))
        return X, k, act
