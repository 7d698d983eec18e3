"""Choose the Wi-Fi frame source from the configuration, degrading gracefully.

``auto`` uses a monitor-capable adapter when one is plugged in and otherwise the traffic
simulator, with a warning that says what is missing and how to fix it, so a sweeper
without its adapter still runs (and says so) instead of failing.
"""
from __future__ import annotations

from typing import Callable, Optional

from sweeper.errors import HardwareError


def open_adapter(interface: str = "auto", snaplen: int = 256):
    """A live capture on a monitor-mode interface (HardwareError says what is wrong)."""
    from sweeper.wifi.capture import AfPacketSource
    from sweeper.wifi.monitor import MonitorInterface

    mon = MonitorInterface(interface).open()
    src = AfPacketSource(mon.name, snaplen=snaplen, monitor=mon)
    src.name = f"Wi-Fi adapter {mon.describe()}"
    return src


def open_wifi_simulator(scene_path: Optional[str] = None, camera: bool = True, realtime: bool = False,
                        seed: int = 0, snaplen: int = 256):
    """The traffic simulator playing a scene's ``wifi:`` section (default: the built-in room)."""
    from sweeper.sim.wifi.live import SimulatedWifiSource
    from sweeper.sim.wifi.room import default_wifi_scene, load_wifi_scene

    scene = load_wifi_scene(scene_path) if scene_path else default_wifi_scene(camera=camera)
    src = SimulatedWifiSource(scene, seed=seed, realtime=realtime, snaplen=snaplen)
    src.name = f"simulated Wi-Fi ({'scene ' + scene_path if scene_path else 'built-in room'})"
    return src


def open_wifi_source(wifi_cfg, warn: Callable[[str], None]):
    """The source ``wifi.source`` asks for; ``auto`` falls back to the simulator."""
    if wifi_cfg.source == "simulator":
        return open_wifi_simulator(wifi_cfg.simulator.scene, realtime=wifi_cfg.simulator.realtime,
                                   snaplen=wifi_cfg.snaplen)
    try:
        return open_adapter(wifi_cfg.interface, wifi_cfg.snaplen)
    except HardwareError as exc:
        if wifi_cfg.source == "adapter":
            raise
        warn(f"{exc}; sweeping the simulated room instead")
        return open_wifi_simulator(wifi_cfg.simulator.scene, realtime=wifi_cfg.simulator.realtime,
                                   snaplen=wifi_cfg.snaplen)
