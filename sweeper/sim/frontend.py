"""The simulated RTL-SDR front end: what an R820T dongle does to the antenna signal.

Input: the scene's complex baseband in sqrt(mW) at the antenna. Output: the cu8 bytes
the dongle would deliver. In order:

1. thermal noise, -174 dBm/Hz + noise figure over the sample rate;
2. gain: the ADC's full scale (|I + jQ| = 1 after cu8 conversion, 0 dBFS = mean
   |x|^2 of 1) is reached by an input of ``FULL_SCALE_DBM - gain_db`` (-25 dBm at
   0 dB gain, -74.6 dBm at the top gain of 49.6 dB). With a 6 dB noise figure at
   2.4 MS/s the thermal floor (-104 dBm) then sits near -30 dBFS (about 4 LSB rms) at
   full gain, as on a real dongle with the antenna connected;
3. IQ imbalance (gain and phase error of the Q branch: an image at -f);
4. the DC offset (LO leakage: the spike at the centre), in full-scale units;
5. a little ADC noise and 8-bit quantisation with clipping at full scale
   (:func:`sweeper.rf.convert.complex64_to_cu8`).

Automatic gain picks, from the R820T's gain list, the largest gain that puts the total
rms at or below -15 dBFS (``target_dbfs``). Tuning error (``ppm``) is applied by whoever
renders the scene, through :meth:`RtlFrontEnd.actual_center`.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from sweeper.rf.convert import complex64_to_cu8

#: the R820T's manual gain steps (dB), as librtlsdr reports them
R820T_GAINS_DB = (0.0, 0.9, 1.4, 2.7, 3.7, 7.7, 8.7, 12.5, 14.4, 15.7, 16.6, 19.7, 20.7, 22.9, 25.4, 28.0, 29.7,
                  32.8, 33.8, 36.4, 37.2, 38.6, 40.2, 42.1, 43.4, 43.9, 44.5, 48.0, 49.6)
#: input power (dBm) that reaches ADC full scale at 0 dB gain
FULL_SCALE_DBM = -25.0
KT_DBM_HZ = -174.0


class RtlFrontEnd:
    """R820T + RTL2832U model (see module docs). ``gain_db=None`` is automatic gain;
    ``iq_gain_imbalance`` is a fraction (0.02 = Q branch 2% hotter)."""

    def __init__(self, gain_db: Optional[float] = None, noise_figure_db: float = 6.0,
                 dc_offset: complex = 0.012 - 0.008j, iq_gain_imbalance: float = 0.02, iq_phase_deg: float = 1.5,
                 ppm: float = 0.0, seed: int = 0, adc_noise_lsb: float = 0.35, target_dbfs: float = -15.0):
        self.gain_db = gain_db
        self.noise_figure_db = float(noise_figure_db)
        self.dc_offset = complex(dc_offset)
        self.iq_gain_imbalance = float(iq_gain_imbalance)
        self.iq_phase_deg = float(iq_phase_deg)
        self.ppm = float(ppm)
        self.adc_noise_lsb = float(adc_noise_lsb)
        self.target_dbfs = float(target_dbfs)
        self.last_gain_db: Optional[float] = None
        self._rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 7])))

    def actual_center(self, center_hz: float) -> float:
        """Where the tuner really is for a requested centre (crystal error)."""
        return center_hz * (1.0 + self.ppm * 1e-6)

    def noise_mw(self, sample_rate: float) -> float:
        """Thermal noise power over the sample rate (mW)."""
        return 10 ** ((KT_DBM_HZ + self.noise_figure_db) / 10) * sample_rate

    @staticmethod
    def full_scale_dbm(gain_db: float) -> float:
        """Input power (dBm) that reaches 0 dBFS at this gain."""
        return FULL_SCALE_DBM - gain_db

    def auto_gain(self, total_mw: float) -> float:
        """Largest list gain that keeps the total rms at or below ``target_dbfs``."""
        p_dbm = 10 * math.log10(max(total_mw, 1e-30))
        want = self.target_dbfs - p_dbm + FULL_SCALE_DBM
        ok = [g for g in R820T_GAINS_DB if g <= want]
        return ok[-1] if ok else R820T_GAINS_DB[0]

    def to_adc(self, x_sqrt_mw: np.ndarray, sample_rate: float, gain_db: Optional[float] = None) -> np.ndarray:
        """Everything but quantisation: complex64 in full-scale units."""
        x = np.asarray(x_sqrt_mw, np.complex64)
        n = x.size
        sn = math.sqrt(self.noise_mw(sample_rate) / 2)
        noise = self._rng.standard_normal(2 * n, np.float32).view(np.complex64)
        y = x + noise * np.float32(sn)
        g = self.gain_db if gain_db is None else gain_db
        if g is None:
            g = self.auto_gain(float(np.mean(np.abs(y) ** 2)) if n else self.noise_mw(sample_rate))
        self.last_gain_db = float(g)
        y *= np.float32(10 ** (-(FULL_SCALE_DBM - g) / 20))
        if self.iq_gain_imbalance or self.iq_phase_deg:
            ph = math.radians(self.iq_phase_deg)
            q = (1 + self.iq_gain_imbalance) * (y.imag * np.float32(math.cos(ph)) + y.real * np.float32(math.sin(ph)))
            y.imag = q
        y += np.complex64(self.dc_offset)
        if self.adc_noise_lsb > 0:
            y += self._rng.standard_normal(2 * n, np.float32).view(np.complex64) * np.float32(self.adc_noise_lsb / 127.5)
        return y

    def to_cu8(self, x_sqrt_mw: np.ndarray, sample_rate: float, gain_db: Optional[float] = None) -> np.ndarray:
        """The dongle's bytes (uint8, interleaved I/Q, 2n) for the antenna signal."""
        return complex64_to_cu8(self.to_adc(x_sqrt_mw, sample_rate, gain_db))
