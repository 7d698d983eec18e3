"""Long simulated recordings for `sweeper analyze`: a room's emitters for a minute or
more, and a camera that transmits for a while at some time in it. Shared by the tests
and the benchmarks.

What is simulated: an RTL-SDR at 2.4 MS/s parked at 2433 MHz next to the built-in room's
2432 MHz PAL camera, with the usual 2.4 GHz neighbours in its window: a busy Wi-Fi
access point on channel 4 (covering the whole window, on air 35% of the time), a
phone's classic Bluetooth hopping through it, a microwave oven next door (the emitters
of the built-in room, sweeper/data/scene_room.yaml, that reach this window) and a
narrowband FM carrier. Each is the scene simulator's emitter
(sweeper/sim/emitters), scaled to an in-window SNR over the thermal noise; the
simulated dongle (sweeper/sim/frontend.py) adds fresh thermal noise to every second,
the DC spike, IQ imbalance and 8-bit quantisation at a fixed gain (its ADC noise, 0.35
LSB beside the 2 LSB of thermal noise, is left out: that halves the time to write a
file).

How it stays cheap (the simulator renders a wide FM video signal at about half real
time, a busy Wi-Fi channel slower): the camera is rendered once, for its burst only,
and added at its start time; the other emitters are rendered once for a short stretch
each (0.2-3.7 s, each its own length, so their mix repeats only after hours) and
repeated for the length of the file. So the neighbours' signals repeat while the noise
does not: over a minute the detector meets each stretch of them many times, each time
with other noise.
"""
from __future__ import annotations

import numpy as np

from sweeper.sim.emitters import EMITTERS
from sweeper.sim.frontend import RtlFrontEnd

RATE = 2.4e6
CENTER_HZ = 2433e6
CAMERA_HZ = 2432e6
#: the dongle's gain: the thermal floor sits at -35 dBFS (about 2 LSB rms)
GAIN_DB = 43.9
#: (kind, seconds rendered and repeated, in-window SNR dB, parameters)
NEIGHBOURS = [
    ("wifi", 1.1, 20.0, dict(freq_hz=2427e6, load="busy", duty=0.35, standard="n")),
    ("bluetooth", 3.7, 15.0, dict(freq_hz=2441e6, mode="br", load=0.5, packet="dh5")),
    ("microwave", 0.2, 8.0, dict(freq_hz=2450e6, mains_hz=50.0)),
    ("carrier", 1.7, 15.0, dict(freq_hz=2433.6e6, modulation="nfm", audio="speech", deviation_hz=2.5e3)),
]
CAMERA = dict(freq_hz=CAMERA_HZ, standard="PAL", picture="scene", deviation_hz=4e6, subcarriers_hz=(6.5e6,))
CAMERA_SNR_DB = 12.0


def thermal_noise_mw(rate: float = RATE, noise_figure_db: float = 6.0) -> float:
    return 10 ** ((-174.0 + noise_figure_db) / 10) * rate


def _scaled(kind: str, params: dict, seconds: float, snr_db: float, seed: int, t0: float = 0.0) -> np.ndarray:
    e = EMITTERS[kind](**params, power_dbm=0.0, seed=seed)
    x = e.render(CENTER_HZ, RATE, t0, int(round(seconds * RATE)))
    mean = float(np.mean(np.abs(x) ** 2))
    if mean <= 0:
        return x
    return (x * np.float32(np.sqrt(thermal_noise_mw() * 10 ** (snr_db / 10) / mean))).astype(np.complex64)


class Background:
    """The neighbours, rendered once (see the module docs)."""

    def __init__(self, seed: int = 1):
        self.parts = [_scaled(kind, params, length, snr, seed + i)
                      for i, (kind, length, snr, params) in enumerate(NEIGHBOURS)]

    def block(self, start: int, n: int) -> np.ndarray:
        """Samples start..start+n of the repeated neighbours (complex64, sqrt(mW))."""
        out = np.zeros(n, np.complex64)
        for part in self.parts:
            done = 0
            while done < n:
                a = (start + done) % part.size
                take = min(n - done, part.size - a)
                out[done: done + take] += part[a: a + take]
                done += take
        return out


def camera_burst(seconds: float = 2.0, seed: int = 7) -> np.ndarray:
    """The camera's signal for ``seconds`` (complex64, sqrt(mW), in-window SNR CAMERA_SNR_DB)."""
    return _scaled("analog_video", CAMERA, seconds, CAMERA_SNR_DB, seed, t0=3.0)


def write_recording(path, seconds: float, background: Background, bursts=(), seed: int = 3) -> None:
    """``seconds`` of cu8 at RATE: the background, each camera burst (samples, start
    second) of ``bursts``, and the dongle's noise (fresh every second) and quantisation."""
    fe = RtlFrontEnd(gain_db=GAIN_DB, seed=seed, adc_noise_lsb=0.0)
    total = int(round(seconds * RATE))
    step = int(RATE)
    with open(path, "wb") as f:
        for start in range(0, total, step):
            n = min(step, total - start)
            x = background.block(start, n)
            for burst, on_s in bursts:
                b0 = int(round(on_s * RATE))
                a, b = max(start, b0), min(start + n, b0 + burst.size)
                if a < b:
                    x[a - start: b - start] += burst[a - b0: b - b0]
            f.write(fe.to_cu8(x, RATE).tobytes())
