"""Labelled detection cases built from the simulator, shared by tests and benchmarks.

A case is one receiver window: an emitter drawn with wide random parameters
(:func:`sweeper.sim.variety.random_emitter`), placed at a chosen offset from the tuned
centre, scaled to a chosen *in-window* SNR (signal power inside the window over the
thermal noise inside the window), plus the RTL-SDR front end (noise, gain, DC spike,
8-bit quantisation). Positives are analog video; negatives are every hard negative kind.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sweeper.rf.convert import cu8_to_complex64
from sweeper.sim.frontend import RtlFrontEnd
from sweeper.sim.emitters import EMITTERS
from sweeper.sim.variety import random_params

NEGATIVE_KINDS = ["wifi", "bluetooth", "microwave", "carrier", "fm_broadcast", "ofdm_broadcast",
                  "cofdm_video", "gsm", "noise", "switching_supply"]
#: where each negative kind lives, so its band knowledge is realistic (Hz)
HOME_HZ = {"wifi": 2.437e9, "bluetooth": 2.44e9, "microwave": 2.455e9, "carrier": 433.92e6,
           "fm_broadcast": 98.1e6, "ofdm_broadcast": 806e6, "cofdm_video": 2.42e9, "gsm": 902.4e6,
           "noise": 1.2e9, "analog_video": 2.432e9, "switching_supply": 400e6}


@dataclass
class Case:
    kind: str
    samples: np.ndarray  # complex64, what the sweeper gets from the dongle
    sample_rate: float
    center_hz: float
    snr_db: float
    offset_hz: float
    emitter: object = None


def thermal_noise_dbm(sample_rate: float, noise_figure_db: float = 6.0) -> float:
    return -174.0 + noise_figure_db + 10 * np.log10(sample_rate)


def make_case(kind: str, rng: np.random.Generator, snr_db: float, offset_hz: float,
              sample_rate: float = 2.4e6, seconds: float = 0.05, **fixed) -> Case:
    """One labelled window. ``offset_hz`` is the emitter's centre minus the tuned centre;
    ``fixed`` pins emitter parameters (e.g. ``standard="NTSC"``), the rest are random."""
    f0 = HOME_HZ[kind]
    center = f0 - offset_hz
    n = int(seconds * sample_rate)
    t0 = float(rng.uniform(0, 10))
    emitter = None
    if kind == "noise":
        signal = np.zeros(n, np.complex64)
        power_dbm = -200.0
    else:
        params = random_params(kind, rng)
        params.update(fixed, freq_hz=f0, power_dbm=0.0, seed=int(rng.integers(1 << 31)))
        emitter = EMITTERS[kind](**params)
        probe = emitter.render(center, sample_rate, t0, n)
        in_window_mw = float(np.mean(np.abs(probe) ** 2))
        if in_window_mw <= 0:
            raise ValueError(f"{kind} at offset {offset_hz / 1e6:+.1f} MHz leaves nothing in the window")
        target_dbm = thermal_noise_dbm(sample_rate) + snr_db
        gain = np.sqrt(10 ** (target_dbm / 10) / in_window_mw)
        signal = (probe * gain).astype(np.complex64)
        power_dbm = target_dbm
    fe = RtlFrontEnd(gain_db=None, seed=int(rng.integers(1 << 31)))
    raw = fe.to_cu8(signal, sample_rate)
    c = Case(kind, cu8_to_complex64(raw), sample_rate, center, snr_db, offset_hz, emitter)
    c.power_dbm = power_dbm
    c.t0 = t0
    return c
