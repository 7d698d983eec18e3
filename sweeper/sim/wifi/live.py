"""The traffic simulator as a live, tunable frame source (demo, CI, trying the sweeper
without an adapter).

:class:`SimulatedWifiSource` plays a :class:`~sweeper.sim.wifi.room.WifiScene` on a
simulated clock. Each :meth:`~SimulatedWifiSource.read_batch` advances the clock by its
``timeout`` (sleeping that long when ``realtime``) and returns what a sniffer tuned to the
current channel captured meanwhile. Every device keeps running while the sniffer listens
elsewhere, so hopping away and back shows a stream that went on, not one that paused.
"""
from __future__ import annotations

import time
from typing import Optional, Union

import numpy as np

from sweeper.errors import HardwareError
from sweeper.sim.wifi.room import WifiScene, load_wifi_scene
from sweeper.wifi.channels import channel_to_mhz
from sweeper.wifi.source import LINKTYPE_IEEE802_11_RADIOTAP, FrameSource, RawBatch


class SimulatedWifiSource(FrameSource):
    """A simulated monitor-mode adapter in a :class:`WifiScene` (or a scene file path).

    ``seed`` fixes the traffic; ``realtime`` paces reads to the wall clock; ``linktype``
    and ``snaplen`` shape the records like a capture; ``start_channel`` is the initial
    channel (default: the busiest channel of the scene); ``duration_s`` ends the stream
    (``None`` once the simulated clock passes it).
    """

    def __init__(self, scene: Union[WifiScene, str], *, seed: int = 0, realtime: bool = False,
                 linktype: int = LINKTYPE_IEEE802_11_RADIOTAP, snaplen: Optional[int] = 256,
                 start_channel: Optional[int] = None, duration_s: Optional[float] = None):
        if isinstance(scene, str):
            scene = load_wifi_scene(scene)
        self.scene = scene
        self.linktype = int(linktype)
        self.snaplen = snaplen
        self.realtime = bool(realtime)
        self.duration_s = duration_s
        self.name = f"simulated Wi-Fi ({scene.name})"
        self.simulated = True
        self._rng = np.random.default_rng(seed)
        self._run = scene.build()
        self._t = 0.0
        self._wall0: Optional[float] = None
        self._closed = False
        if start_channel is None:
            chans = [d.channel for d in scene.devices]
            start_channel = max(set(chans), key=chans.count) if chans else 1
        self._channel = 0
        self.set_channel(int(start_channel))

    @property
    def can_tune(self) -> bool:
        return True

    @property
    def channel(self) -> int:
        return self._channel

    @property
    def clock(self) -> float:
        """The simulated time (seconds since the scene started)."""
        return self._t

    def set_channel(self, channel: int) -> None:
        try:
            channel_to_mhz(int(channel))
        except ValueError:
            raise HardwareError(f"cannot tune the simulated adapter to channel {channel}: "
                                f"not a 2.4 or 5 GHz Wi-Fi channel") from None
        self._channel = int(channel)

    def set_stimulus(self, timeline) -> None:
        """What the simulated room looks like when (in this source's clock): its cameras
        that see the room react (a confirmation's LED or prompts); None: nothing."""
        for d in self._run.devices:
            d.stimulus = timeline

    def unplug(self) -> None:
        """Simulate pulling the adapter out: every later read fails as a real one would."""
        self._unplugged = True

    def read_batch(self, timeout: float = 0.25) -> Optional[RawBatch]:
        if getattr(self, "_unplugged", False):
            raise HardwareError("the Wi-Fi adapter was unplugged (simulated)")
        if self._closed:
            return None
        t0 = self._t
        if self.duration_s is not None and t0 >= self.duration_s - 1e-12:
            return None
        dt = max(0.0, float(timeout))
        if self.duration_s is not None:
            dt = min(dt, self.duration_s - t0)
        if dt <= 0:
            return RawBatch.empty(self.linktype, self._channel)
        t1 = t0 + dt
        if self.realtime:
            if self._wall0 is None:
                self._wall0 = time.monotonic() - t0
            wait = self._wall0 + t1 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        ev = self._run.step(t0, t1, self._rng)
        self._t = t1
        heard = self._run.hear(ev, self._channel, self._rng)
        return self._run.render(heard, self.linktype, self.snaplen, self._rng, self._channel)

    def close(self) -> None:
        self._closed = True
