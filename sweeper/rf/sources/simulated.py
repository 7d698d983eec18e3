"""The simulator as an IQ source: a scene heard through a simulated R820T dongle.

Samples go through the same path as a real dongle's: the scene is rendered at the
tuner's (ppm-shifted) frequency, the front end adds noise, gain, IQ imbalance and the
DC offset and quantises to cu8, and :func:`cu8_to_complex64` converts them back. A
stream clock advances by n / fs per read, so time-varying emitters (bursts, frames)
carry on across reads and retunes. With a downconverter in line (the scene's, or one
set per band by the sweep engine) the tuner sees the converter's IF.
"""
from __future__ import annotations

import time
from typing import Callable, Optional

import numpy as np

from sweeper.errors import HardwareError
from sweeper.rf.bands import Downconverter
from sweeper.rf.convert import complex64_to_cu8, cu8_to_complex64
from sweeper.sim.frontend import RtlFrontEnd
from sweeper.sim.scene import _SCENE, Scene
from sweeper.rf.sources.base import IQSource, TunerInfo

R820T = TunerInfo("R820T (simulated)", 24e6, 1766e6, 3.2e6)
#: sample rates librtlsdr accepts
RATE_RANGES = ((225_001, 300_000), (900_001, 3_200_000))
#: after a retune the first samples carry a decaying DC step (like a real dongle's
#: settling); long enough that a sweep which forgets to discard would notice
SETTLE_S = 0.5e-3


class SimulatedSource(IQSource):
    """A :class:`Scene` through an :class:`RtlFrontEnd` (see module docs)."""

    def __init__(self, scene: Scene, frontend: Optional[RtlFrontEnd] = None, realtime: bool = False,
                 seed: int = 0, tuner: TunerInfo = R820T):
        self.scene = scene
        self.frontend = frontend or RtlFrontEnd(noise_figure_db=scene.noise_figure_db, seed=seed)
        self.realtime = bool(realtime)
        self._tuner = tuner
        self.name = f"simulated ({scene.name})"
        self.simulated = True
        self._dc = _SCENE
        self._in_line: Optional[Callable[[], Optional[Downconverter]]] = None
        self._center: Optional[float] = None
        self._fs = 2.048e6
        self._gain_req: Optional[float] = None
        self._gain: Optional[float] = None
        self._t = 0.0
        self._since_tune = 0
        self._wall0: Optional[float] = None
        self._closed = False
        #: the simulated user's walk: dB added to every emitter heard (0 = where the
        #: sweep was made; +10 = ten dB closer). Locate and the signal meter follow it.
        self.path_gain_db = 0.0

    @property
    def tuner(self) -> TunerInfo:
        return self._tuner

    @property
    def clock_s(self) -> float:
        """The stream clock: seconds of samples delivered so far."""
        return self._t

    @property
    def gain_db(self) -> Optional[float]:
        """The gain in use (the automatic choice once a block has been read)."""
        return self._gain

    def set_downconverter(self, dc: Optional[Downconverter]) -> None:
        """Put a converter in line (overrides the scene's); ``None`` means none."""
        self._dc = dc

    def follow(self, in_line: Callable[[], Optional[Downconverter]]) -> None:
        """What is in line is decided by the hardware around the dongle, read at every
        block (a simulated RF switch's pin): the sweep's choice no longer counts, so a
        band swept through the wrong path hears the wrong thing, as it would."""
        self._in_line = in_line

    def _downconverter(self):
        if self._in_line is not None:
            return self._in_line()
        return self.scene.downconverter if self._dc is _SCENE else self._dc

    def tune(self, center_hz: float, sample_rate: float, gain_db: Optional[float] = None) -> None:
        if self._closed:
            raise HardwareError("the simulated dongle is closed")
        t = self._tuner
        if not (t.min_hz <= center_hz <= t.max_hz):
            raise HardwareError(f"cannot tune the simulated {t.name} to {center_hz / 1e6:g} MHz: it tunes "
                                f"{t.min_hz / 1e6:g}-{t.max_hz / 1e6:g} MHz (use a downconverter for higher bands)")
        if not any(lo <= sample_rate <= hi for lo, hi in RATE_RANGES):
            raise HardwareError(f"sample rate {sample_rate:g} S/s is not one an RTL-SDR accepts "
                                f"(225001-300000 or 900001-3200000 S/s)")
        self._center = float(center_hz)
        self._fs = float(sample_rate)
        self._gain_req = gain_db
        self._gain = gain_db
        self._since_tune = 0
        self._t = round(self._t * self._fs) / self._fs  # continue on the new sample grid

    @property
    def clock(self) -> float:
        """The simulated time (seconds of samples read since the scene started)."""
        return self._t

    def set_stimulus(self, timeline) -> None:
        """What the simulated room looks like when (in this source's clock): its cameras
        that see the room react (a confirmation's LED or prompts); None: nothing."""
        for e in self.scene.emitters:
            if hasattr(type(e), "stimulus"):
                e.stimulus = timeline

    def unplug(self) -> None:
        """Simulate pulling the dongle out: every later call fails as a real one would."""
        self._unplugged = True

    def read(self, n: int) -> np.ndarray:
        if getattr(self, "_unplugged", False):
            raise HardwareError("the RTL-SDR was unplugged (simulated)")
        if self._center is None:
            raise HardwareError("read() before tune(): tune the simulated dongle first")
        n = int(n)
        fe = self.frontend
        x = self.scene.render(fe.actual_center(self._center), self._fs, self._t, n, self._downconverter())
        if self.path_gain_db:
            x *= np.float32(10 ** (self.path_gain_db / 20))
        adc = fe.to_adc(x, self._fs, self._gain)
        if self._gain is None:
            self._gain = fe.last_gain_db  # automatic gain settles on the first block, then holds
        settle = int(SETTLE_S * self._fs)
        if self._since_tune < settle:
            idx = np.arange(self._since_tune, min(settle, self._since_tune + n))
            adc[: idx.size] += np.float32(0.25) * np.exp(-idx / (settle / 4)).astype(np.float32)
        out = cu8_to_complex64(complex64_to_cu8(adc))
        self._since_tune += n
        self._t += n / self._fs
        if self.realtime:
            now = time.monotonic()
            if self._wall0 is None:
                self._wall0 = now - self._t
            ahead = (self._wall0 + self._t) - now
            if ahead > 0:
                time.sleep(ahead)
            elif ahead < -0.2:
                self._wall0 = now - self._t  # fell behind: do not try to catch up
        return out

    def close(self) -> None:
        self._closed = True


def render_cu8(scene: Scene, frontend: Optional[RtlFrontEnd] = None) -> Callable:
    """A render function for an rtl_tcp server: ``(center_hz, sample_rate, gain_db,
    t0, n) -> uint8`` cu8 bytes. Automatic gain (``gain_db=None``) is chosen on the
    first block after a retune and then held, like a dongle's settled AGC."""
    fe = frontend or RtlFrontEnd(noise_figure_db=scene.noise_figure_db)
    state = {"key": None, "gain": None}

    def render(center_hz: float, sample_rate: float, gain_db: Optional[float], t0: float, n: int) -> np.ndarray:
        x = scene.render(fe.actual_center(center_hz), sample_rate, t0, n)
        if gain_db is None:
            key = (center_hz, sample_rate)
            if state["key"] != key:
                state["key"], state["gain"] = key, None
            g = state["gain"]
            out = fe.to_cu8(x, sample_rate, g)
            if g is None:
                state["gain"] = fe.last_gain_db
            return out
        return fe.to_cu8(x, sample_rate, gain_db)

    return render
