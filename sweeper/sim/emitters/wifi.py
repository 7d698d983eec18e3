"""Wi-Fi: an access point and its stations (802.11g/n/ac OFDM, optionally 802.11b beacons).

Every PPDU has the legacy preamble (L-STF: ten 0.8 us repetitions, L-LTF: 1.6 us guard +
two 3.2 us symbols, L-SIG), then for n/ac an HT/VHT part (SIG, STF, LTF), then data
symbols: 64-point IFFT (128 at 40 MHz), 0.8 us cyclic prefix (0.4 us short GI),
52 (legacy) / 56 (HT20) / 114 (HT40) subcarriers with BPSK..64-QAM (256-QAM for ac)
and pilots. Beacons go out every 102.4 ms (802.11b DSSS at 1 Mbit/s, Barker-spread, or
OFDM at 6 Mbit/s). A busy network adds data frames of random length (TCP ACKs to
5 ms aggregates) each answered after SIFS (16 us) by an ACK/BlockAck from the peer,
with DIFS + backoff or longer idle gaps, to the requested duty cycle. Each burst goes
through a short random indoor channel and a PA model (spectral-regrowth shoulders).

``freq_hz`` is the channel centre (YAML may give ``channel`` instead: 1-14 at
2.4 GHz, 32-177 at 5 GHz); ``power_dbm`` is the access point's burst power.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, List, Tuple

import numpy as np

from sweeper.sim import dsp
from sweeper.sim.emitters import _ofdm
from sweeper.sim.emitters.base import Burst, BurstEmitter, ParamError, param

BEACON = 0.1024
SIFS = 16e-6

_S = np.sqrt(13 / 6) * np.array([0, 0, 1 + 1j, 0, 0, 0, -1 - 1j, 0, 0, 0, 1 + 1j, 0, 0, 0, -1 - 1j, 0, 0, 0, -1 - 1j, 0,
                                 0, 0, 1 + 1j, 0, 0, 0, 0, 0, 0, 0, -1 - 1j, 0, 0, 0, -1 - 1j, 0, 0, 0, 1 + 1j, 0, 0, 0,
                                 1 + 1j, 0, 0, 0, 1 + 1j, 0, 0, 0, 1 + 1j, 0, 0])
_L = np.array([1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1, 0, 1, -1, -1, 1,
               1, -1, 1, -1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, 1, -1, 1, -1, 1, 1, 1, 1], complex)
_K26 = np.arange(-26, 27)
_BARKER = np.array([1, -1, 1, 1, -1, 1, 1, 1, -1, -1, -1], np.float32)
_ORDERS = {"bpsk": 2, "qpsk": 4, "16qam": 16, "64qam": 64, "256qam": 256}


def channel_freq_hz(ch: int) -> float:
    """802.11 channel number -> centre frequency."""
    if 1 <= ch <= 13:
        return (2407 + 5 * ch) * 1e6
    if ch == 14:
        return 2484e6
    if 32 <= ch <= 177:
        return (5000 + 5 * ch) * 1e6
    raise ValueError(ch)


@dataclass(eq=False)
class Wifi(BurstEmitter):
    """An 802.11 access point with its traffic (see module docs)."""

    kind: ClassVar[str] = "wifi"
    EPOCH_S: ClassVar[float] = BEACON

    load: str = param("busy", "idle (beacons only) or busy (data to the given duty cycle)", choices=("idle", "busy"))
    duty: float = param(0.4, "busy: fraction of time on air", lo=0.02, hi=0.9)
    standard: str = param("n", "802.11 OFDM flavour (g: 52 subcarriers; n/ac: 56, or 114 at 40 MHz)",
                          choices=("g", "n", "ac"))
    bandwidth_hz: float = param(20e6, "channel width: 20 or 40 MHz (40 needs n/ac)", lo=20e6, hi=40e6, unit="MHz")
    mcs: str = param("mixed", "data constellation", choices=("mixed", "bpsk", "qpsk", "16qam", "64qam", "256qam"))
    short_gi: bool = param(False, "0.4 us guard interval for data (n/ac)")
    dsss_beacons: bool = param(False, "beacons as 802.11b DSSS at 1 Mbit/s (22 MHz wide, ~2 ms)")
    pa_backoff_db: float = param(8.0, "PA saturation above rms (30 = perfectly linear)", lo=2.0, hi=30.0)
    delay_spread_ns: float = param(40.0, "indoor channel rms delay spread (0 = none)", lo=0.0, hi=500.0)
    peer_db: float = param(-8.0, "stations' (and their ACKs') level relative to the AP", lo=-40.0, hi=10.0)
    cfo_hz: float = param(20e3, "the AP's carrier offset", lo=-200e3, hi=200e3, unit="kHz")

    @classmethod
    def _pre_params(cls, params):
        if "channel" in params:
            ch = params.pop("channel")
            if any(k in params for k in ("freq_mhz", "freq_hz", "freq_khz", "freq_ghz")):
                raise ParamError("channel", "give either channel or freq_mhz, not both")
            if isinstance(ch, bool) or not isinstance(ch, int):
                raise ParamError("channel", f"must be a whole number (1-14 or 32-177), not {ch!r}")
            try:
                params["freq_hz"] = channel_freq_hz(ch)
            except ValueError:
                raise ParamError("channel", f"no Wi-Fi channel {ch}: 1-14 (2.4 GHz) or 32-177 (5 GHz)") from None
        return params

    def _setup(self) -> None:
        self._check("bandwidth_mhz", self.bandwidth_hz in (20e6, 40e6), "must be 20 or 40")
        self._check("bandwidth_mhz", self.bandwidth_hz == 20e6 or self.standard != "g", "40 MHz needs standard n or ac")
        self._check("mcs", self.mcs != "256qam" or self.standard == "ac", "256qam needs standard ac")
        self._base = self.bandwidth_hz  # base sample rate (one FFT bin = 312.5 kHz)
        self._N = 64 if self.bandwidth_hz == 20e6 else 128
        r = dsp.rng_for(self.seed, 90)
        self._peer_cfo = r.uniform(-50e3, 50e3)
        if self._N == 128:
            k = np.r_[-58:-1, 2:59]
            self._pilots = np.array([-53, -25, -11, 11, 25, 53])
        elif self.standard == "g":
            k = np.r_[-26:0, 1:27]
            self._pilots = np.array([-21, -7, 7, 21])
        else:
            k = np.r_[-28:0, 1:29]
            self._pilots = np.array([-21, -7, 7, 21])
        self._k = k
        self._data_k = np.setdiff1d(k, self._pilots)

    def span_hz(self) -> Tuple[float, float]:
        half = self.bandwidth_hz * (0.75 if self.pa_backoff_db < 20 else 0.6)
        if self.dsss_beacons:
            half = max(half, 16.5e6)
        return self.freq_hz - half, self.freq_hz + half

    def _synth_rate(self, min_rate: float, fs: float) -> float:
        return self._base * max(1, math.ceil(min_rate / self._base))

    # ---- schedule -----------------------------------------------------------------------
    def _epoch(self, e: int) -> List[Burst]:
        r = dsp.rng_for(self.seed, 91, e)
        t = e * BEACON + r.uniform(0, 300e-6)
        end = (e + 1) * BEACON - 200e-6
        hb = self._half_span()
        out: List[Burst] = []
        if self.dsss_beacons:
            nbytes = int(r.integers(120, 300))
            bits = 144 + 48 + 8 * nbytes
            out.append(Burst(t, bits * 1e-6, 0.0, 0.0, 16.5e6, (92, e, 0), {"type": "dsss", "bits": bits}))
        else:
            nbytes = int(r.integers(150, 350))
            nsym = int(math.ceil((22 + 8 * nbytes) / 24))
            out.append(Burst(t, 20e-6 + 4e-6 * nsym, 0.0, 0.0, hb, (92, e, 0),
                             {"type": "ofdm", "nsym": nsym, "order": 2, "ht": False, "gi": 16}))
        t = out[-1].end
        if self.load == "idle":
            return out
        d = self.duty
        n = 1
        while True:
            # data frame: a mixture of short (ACK-ish) and long (aggregates) durations
            if r.random() < 0.3:
                dur = r.uniform(40e-6, 200e-6)
            else:
                dur = min(5.4e-3, r.exponential(1.2e-3) + 150e-6)
            mean_on = 0.3 * 120e-6 + 0.7 * 1.35e-3 + SIFS + 44e-6
            gap = 34e-6 + 9e-6 * int(r.integers(0, 16)) + r.exponential(max(1e-6, mean_on * (1 - d) / d))
            start = t + gap
            if start + dur + SIFS + 60e-6 > end:
                break
            uplink = r.random() < 0.35
            order = (2, 4, 16, 64, 256 if self.standard == "ac" else 64)[int(r.integers(0, 5))] \
                if self.mcs == "mixed" else _ORDERS[self.mcs]
            ht = self.standard != "g"
            pre = 36e-6 if ht else 20e-6
            gi = 8 if (self.short_gi and ht) else 16
            nsym = max(1, int((dur - pre) / (3.2e-6 + gi / 20e6)))
            dur = pre + nsym * (3.2e-6 + gi / 20e6)
            out.append(Burst(start, dur, 0.0, self.peer_db if uplink else 0.0, hb, (93, e, n),
                             {"type": "ofdm", "nsym": nsym, "order": order, "ht": ht, "gi": gi, "peer": uplink}))
            ack_start = start + dur + SIFS
            out.append(Burst(ack_start, 44e-6, 0.0, 0.0 if uplink else self.peer_db, hb, (93, e, n + 1),
                             {"type": "ofdm", "nsym": 6, "order": 4, "ht": False, "gi": 16, "peer": not uplink}))
            t = ack_start + 44e-6
            n += 2
        return out

    # ---- waveforms ----------------------------------------------------------------------
    def _legacy_time(self, X52: np.ndarray, K: int) -> np.ndarray:
        """20 MHz legacy symbols (values on -26..26; 1-D or rows) at N*K points;
        duplicated with a 90 degree rotation of the upper half at 40 MHz."""
        n_syn = self._N * K
        X = np.atleast_2d(X52)
        if self._N == 64:
            x = _ofdm.to_time(X, _K26, n_syn)
        else:
            x = _ofdm.to_time(np.concatenate([X, X * 1j], axis=1), np.concatenate([_K26 - 32, _K26 + 32]), n_syn)
        return x if np.ndim(X52) == 2 else x[0]

    def _preamble(self, K: int) -> np.ndarray:
        """L-STF (10 x 0.8 us) + L-LTF (1.6 us guard + 2 x 3.2 us), each at unit power."""
        N = self._N * K
        g = K * (self._N // 64)
        stf = self._legacy_time(_S, K)
        stf = np.tile(stf, 3)[: 160 * g]
        ltf1 = self._legacy_time(_L, K)
        ltf = np.concatenate([ltf1[N - 32 * g:], ltf1, ltf1])
        stf /= np.sqrt(np.mean(np.abs(stf) ** 2))
        ltf /= np.sqrt(np.mean(np.abs(ltf) ** 2))
        return np.concatenate([stf, ltf]).astype(np.complex64)

    def _ofdm_burst(self, b: Burst, fs: float) -> np.ndarray:
        K = int(round(fs / self._base))
        N = self._N * K
        g = K * (self._N // 64)  # samples per 50 ns at this rate
        r = dsp.rng_for(self.seed, *b.key)
        inf = b.info
        parts = [self._cached(("pre", K), lambda: self._preamble(K), size=2)]
        nsig = 1 + (3 if inf["ht"] else 0)  # L-SIG (+ HT-SIG x2, HT-STF); HT-LTF below
        sig = (r.integers(0, 2, (nsig, 53)) * 2 - 1).astype(np.complex64)
        sig[:, 26] = 0
        sig_t = self._legacy_time(sig, K)
        cp16 = 16 * g
        cps = [cp16] * nsig
        # data (+ HT-LTF) symbols on the full subcarrier set
        nd = inf["nsym"] + (1 if inf["ht"] else 0)
        X = np.zeros((nd, self._k.size), np.complex64)
        kd = np.searchsorted(self._k, self._data_k)
        kp = np.searchsorted(self._k, self._pilots)
        X[:, kd] = _ofdm.qam(r, (nd, kd.size), inf["order"])
        X[:, kp] = (r.integers(0, 2, (nd, 1)) * 2 - 1)  # pilots (polarity per symbol)
        if inf["ht"]:
            X[0] = r.integers(0, 2, self._k.size) * 2 - 1  # HT-LTF
        data_t = _ofdm.to_time(X, self._k, N)
        gi = inf["gi"] * g
        cps_d = [cp16] * (1 if inf["ht"] else 0) + [gi] * inf["nsym"]
        total = sum(p.size for p in parts) + sum(c + N for c in cps) + sum(c + N for c in cps_d)
        out = np.zeros(total + 2 * g, np.complex64)
        pos = 0
        for p in parts:
            out[pos: pos + p.size] = p
            pos += p.size
        w = 2 * g  # 100 ns transitions
        starts = np.cumsum([pos] + [c + N for c in cps])[:-1]
        _ofdm.assemble(sig_t, cps, starts, w, out, 0)
        pos = int(starts[-1] + cps[-1] + N)
        starts = np.cumsum([pos] + [c + N for c in cps_d])[:-1]
        _ofdm.assemble(data_t, cps_d, starts, w, out, 0)
        out = out[:total]
        out *= dsp.raised_ramp(np.arange(total) / fs, total / fs, 100e-9)
        if self.delay_spread_ns > 0:
            h = _ofdm.multipath(dsp.rng_for(self.seed, 94, int(inf.get("peer", False))), fs, self.delay_spread_ns * 1e-9)
            out = np.convolve(out, h)[:total].astype(np.complex64)
        out = _ofdm.rapp(out, self.pa_backoff_db)
        return out

    def _dsss_burst(self, b: Burst, fs: float) -> np.ndarray:
        r = dsp.rng_for(self.seed, *b.key)
        bits = r.integers(0, 2, b.info["bits"])
        sym = np.cumprod(np.where(bits > 0, -1.0, 1.0)).astype(np.float32)  # DBPSK
        chips = (sym[:, None] * _BARKER[None, :]).reshape(-1)
        n = int(round(b.dur * fs))
        u = np.arange(n) / fs * 11e6
        c0 = np.floor(u).astype(np.int64)
        x = np.zeros(n, np.float32)
        for d in range(-2, 3):
            c = c0 + d
            ok = (c >= 0) & (c < chips.size)
            x += np.where(ok, chips[np.clip(c, 0, chips.size - 1)], 0) * np.exp(-((u - c - 0.5) / 0.45) ** 2)
        x = x.astype(np.complex64)
        x /= np.float32(np.sqrt(np.mean(np.abs(x) ** 2)) + 1e-20)
        return x * dsp.raised_ramp(np.arange(n) / fs, n / fs, 1e-6)

    def _synth(self, fs_in: float, i_start: int, count: int, offset: float):
        out = None
        amp = self._amp()
        for b in self.wanted_bursts(fs_in, i_start, count, offset):
            x = self._cached(("burst", fs_in) + b.key, lambda b=b: (
                self._dsss_burst(b, fs_in) if b.info["type"] == "dsss" else self._ofdm_burst(b, fs_in)), size=6)
            s = int(round(b.start * fs_in))
            i0, i1 = max(i_start, s), min(i_start + count, s + x.size)
            if i1 <= i0:
                continue
            seg = x[i0 - s: i1 - s] * np.float32(amp * 10 ** (b.power_db / 20))
            cfo = self._peer_cfo if b.info.get("peer") else self.cfo_hz
            seg *= dsp.expj(dsp.ramp_phase(offset + b.freq + cfo, fs_in, i0, i1 - i0))
            if out is None:
                out = np.zeros(count, np.complex64)
            out[i0 - i_start: i1 - i_start] += seg
        return out
