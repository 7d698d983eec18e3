"""Bluetooth: a classic BR piconet (phone + headset) or BLE advertising / a BLE link.

Classic BR: GFSK (BT = 0.5, h ~ 0.28-0.35) at 1 Msym/s, hopping over 79 x 1 MHz
channels 2402-2480 MHz once per 625 us slot (1600 hops/s); the master transmits in even
slots, the slave answers in odd ones; DH1/DH3/DH5 packets last 366/1622/2870 us
(1/3/5 slots, one channel per packet); idle links still poll.
BLE advertising: advertising events every ``adv_interval_s`` plus a random 0-10 ms
delay, each sending one ~80-376 us packet on 2402, 2426 and 2480 MHz in turn.
BLE connection: every ``conn_interval_s`` a connection event on the next data channel
(hop increment), master packet, 150 us gap, slave packet, repeated with traffic.
BLE uses h = 0.5, BT = 0.5, 1 or 2 Msym/s.

``freq_hz`` is the centre of the 2.4 GHz band (2441 MHz): channels are placed
relative to it, so the band moves with it (and with a downconverter).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, List, Tuple

import numpy as np

from sweeper.sim import dsp
from sweeper.sim.emitters.base import Burst, BurstEmitter, param

SLOT = 625e-6
BAND_CENTRE = 2441e6
_BR_LEN = {"dh1": (1, 366), "dh3": (3, 1622), "dh5": (5, 2870)}
_BLE_ADV_CH = (2402e6, 2426e6, 2480e6)


def _ble_data_freq(ch: int) -> float:
    return 2404e6 + 2e6 * ch if ch <= 10 else 2428e6 + 2e6 * (ch - 11)


@dataclass(eq=False)
class Bluetooth(BurstEmitter):
    """A Bluetooth device pair or BLE beacon (see module docs)."""

    kind: ClassVar[str] = "bluetooth"

    mode: str = param("br", "br (classic piconet), ble_adv (advertising) or ble_conn (BLE link)",
                      choices=("br", "ble_adv", "ble_conn"))
    load: float = param(0.5, "traffic: fraction of slot pairs / events carrying data", lo=0.0, hi=1.0)
    packet: str = param("mixed", "classic packet length", choices=("dh1", "dh3", "dh5", "mixed"))
    mod_index: float = param(0.0, "modulation index (0 = standard: 0.32 BR, 0.5 BLE)", lo=0.0, hi=1.0)
    ble_phy: str = param("1M", "BLE symbol rate", choices=("1M", "2M"))
    adv_interval_s: float = param(0.1, "BLE advertising interval", lo=0.02, hi=10.24)
    conn_interval_s: float = param(0.03, "BLE connection interval", lo=0.0075, hi=4.0)
    afh_channels: int = param(79, "classic: channels in the adaptive hopping set", lo=20, hi=79)
    peer_db: float = param(-6.0, "the other device's level relative to power_dbm", lo=-40.0, hi=10.0)
    cfo_hz: float = param(15e3, "this device's carrier frequency offset", lo=-150e3, hi=150e3, unit="kHz")

    def _setup(self) -> None:
        r = dsp.rng_for(self.seed, 60)
        self._h = self.mod_index or (0.32 if self.mode == "br" else 0.5)
        self._rate = 1e6 if self.mode == "br" or self.ble_phy == "1M" else 2e6
        chans = np.arange(79)
        if self.afh_channels < 79:  # leave out a contiguous chunk (a Wi-Fi channel) + a few
            start = int(r.integers(0, 79 - (79 - self.afh_channels)))
            chans = np.delete(chans, np.arange(start, start + 79 - self.afh_channels))
        self._chans = chans
        self._peer_cfo = r.uniform(-40e3, 40e3)
        self._hop = int(r.integers(5, 17))

    def span_hz(self) -> Tuple[float, float]:
        off = self.freq_hz - BAND_CENTRE
        return 2400e6 + off, 2482e6 + off

    def _min_rate(self, offset: float, fs: float) -> float:
        hb = 1.5e6 if self._rate > 1e6 else 1.0e6
        return fs + 2 * hb + 0.05 * fs

    def _epoch_s(self) -> float:
        if self.mode == "ble_adv":
            return max(0.1, 4 * self.adv_interval_s)
        return 0.1

    def _pkt(self, start, dur_us, f_abs, power_db, key, cfo):
        hb = 1.5e6 if self._rate > 1e6 else 1.0e6
        return Burst(start, dur_us * 1e-6, f_abs - BAND_CENTRE, power_db, hb, key,
                     {"cfo": cfo, "nsym": int(dur_us * 1e-6 * self._rate) + 1})

    def _epoch(self, e: int) -> List[Burst]:
        E = self._epoch_s()
        r = dsp.rng_for(self.seed, 61, e)
        out: List[Burst] = []
        t_end = (e + 1) * E
        if self.mode == "br":
            n0 = int(math.ceil(e * E / SLOT))
            n1 = int(math.floor(t_end / SLOT))
            chans = self._chans[r.integers(0, self._chans.size, n1 - n0 + 6)]
            n = n0 + (n0 % 2)
            poll = int(r.integers(8, 64)) * 2  # idle links poll every few ms
            while n < n1:
                busy = r.random() < self.load
                if not busy and n % poll != 0:
                    n += 2
                    continue
                if busy:
                    kind = self.packet if self.packet != "mixed" else ("dh1", "dh3", "dh5")[int(r.integers(0, 3))]
                    slots, us = _BR_LEN[kind]
                else:
                    slots, us = 1, 126  # POLL
                if n + slots + 1 > n1:
                    break
                out.append(self._pkt(n * SLOT + 1e-6, us, 2402e6 + chans[n - n0] * 1e6, 0.0, (62, e, n), self.cfo_hz))
                m = n + slots  # the slave answers in the next slot
                rs = r.random() < self.load * 0.3
                us_s = 366 if rs else 126
                out.append(self._pkt(m * SLOT + 1e-6, us_s, 2402e6 + chans[m - n0] * 1e6, self.peer_db, (63, e, m),
                                     self._peer_cfo))
                n = m + 1 + ((m + 1) % 2)
        elif self.mode == "ble_adv":
            I = self.adv_interval_s
            for k in range(int(math.ceil(e * E / I)), int(math.floor(t_end / I)) + 1):
                rk = dsp.rng_for(self.seed, 64, k)
                t = k * I + rk.uniform(0, 0.01)
                nbytes = int(rk.integers(12, 40))
                us = (nbytes + 10) * 8 / (self._rate / 1e6)
                for i, f in enumerate(_BLE_ADV_CH):
                    if t + us * 1e-6 >= t_end:
                        break
                    out.append(self._pkt(t, us, f, 0.0, (65, k, i), self.cfo_hz))
                    t += us * 1e-6 + rk.uniform(150e-6, 600e-6)
        else:  # ble_conn
            I = self.conn_interval_s
            for k in range(int(math.ceil(e * E / I)), int(math.floor(t_end / I)) + 1):
                rk = dsp.rng_for(self.seed, 66, k)
                ch = (k * self._hop) % 37
                f = _ble_data_freq(ch)
                t = k * I
                pairs = 1 + (int(rk.integers(1, 6)) if rk.random() < self.load else 0)
                for p in range(pairs):
                    for side in (0, 1):
                        nbytes = int(rk.integers(2, 40)) if p < pairs - 1 or side else 2
                        us = (nbytes + 10) * 8 / (self._rate / 1e6)
                        if t + us * 1e-6 >= min(t_end, (k + 1) * I):
                            break
                        out.append(self._pkt(t, us, f, self.peer_db if side else 0.0, (67, k, p, side),
                                             self._peer_cfo if side else self.cfo_hz))
                        t += us * 1e-6 + 150e-6
        return out

    def _cpm(self, b):
        return b.info["nsym"], self._h, 0.5, self._rate, b.info["cfo"], 3e-6

    def _synth(self, fs_in: float, i_start: int, count: int, offset: float):
        return self._synth_cpm(fs_in, i_start, count, offset)
