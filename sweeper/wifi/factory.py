"""Open the Wi-Fi frame source the configuration asks for.

``auto`` means a monitor-capable adapter: without one, opening fails with a message
naming the missing part and the fix. The traffic simulator is used only when asked for
(``source: simulator``, ``--scene``, ``demo``, ``run --simulate``).
"""
from __future__ import annotations

from typing import Optional

from sweeper.errors import HardwareError


def open_adapter(interface: str = "auto", snaplen: int = 256):
    """A live capture on a monitor-mode interface (HardwareError says what is wrong)."""
    from sweeper.wifi.capture import AfPacketSource
    from sweeper.wifi.monitor import MonitorInterface

    mon = MonitorInterface(interface).open()
    src = AfPacketSource(mon.name, snaplen=snaplen, monitor=mon)
    src.name = f"Wi-Fi adapter {mon.describe()}"
    return src


def open_wired(interface: str, snaplen: int = 256):
    """Frames from an Ethernet port cabled to a switch's mirror port: no monitor mode, no
    hopping (HardwareError if it cannot be opened)."""
    from sweeper.wifi.capture import AfPacketSource

    if interface in ("", "auto"):
        raise HardwareError("wifi.source is wired but wifi.interface names no port; set it, e.g. eth0")
    source = AfPacketSource(interface, snaplen=snaplen)
    source.name = f"wired port {interface}"
    return source


def open_wifi_simulator(scene_path: Optional[str] = None, camera: bool = True, realtime: bool = False,
                        seed: int = 0, snaplen: int = 256):
    """The traffic simulator playing a scene's ``wifi:`` section (default: the built-in room)."""
    from sweeper.sim.wifi.live import SimulatedWifiSource
    from sweeper.sim.wifi.room import default_wifi_scene, load_wifi_scene

    scene = load_wifi_scene(scene_path) if scene_path else default_wifi_scene(camera=camera)
    src = SimulatedWifiSource(scene, seed=seed, realtime=realtime, snaplen=snaplen)
    src.name = f"simulated Wi-Fi ({'scene ' + scene_path if scene_path else 'built-in room'})"
    return src


def open_wifi_source(wifi_cfg):
    """The source ``wifi.source`` asks for: HardwareError when its hardware is missing,
    never a silent simulator."""
    if wifi_cfg.source == "simulator":
        return open_wifi_simulator(wifi_cfg.simulator.scene, realtime=wifi_cfg.simulator.realtime,
                                   snaplen=wifi_cfg.snaplen)
    if wifi_cfg.source == "wired":
        return open_wired(wifi_cfg.interface, wifi_cfg.snaplen)
    return open_adapter(wifi_cfg.interface, wifi_cfg.snaplen)


WIFI_CHECK = "Wi-Fi adapter"
ADAPTER_FIX = ("plug in a USB Wi-Fi adapter whose driver does monitor mode (mt76 family: mt7612u, "
               "mt7921au; or rt2800usb); the Raspberry Pi's built-in Wi-Fi (brcmfmac) cannot")


def probe(w):
    """Self-test of the Wi-Fi path the config asks for (``w`` is its ``wifi`` section):
    an adapter whose driver does monitor mode, or the wired port. Nothing is taken over."""
    from sweeper.probe import Check
    from sweeper.wifi.monitor import find_adapters

    if not w.enabled:
        return Check(WIFI_CHECK, False, "wifi.enabled is false: no Wi-Fi sweep", "set wifi.enabled: true")
    if w.source == "simulator":
        return Check(WIFI_CHECK, False, "wifi.source is simulator: Wi-Fi sweeps are simulated",
                     "set wifi.source: auto to use an adapter")
    if w.source == "wired":
        return _probe_wired(w.interface)
    try:
        adapters = find_adapters()
    except HardwareError as exc:
        return Check(WIFI_CHECK, False, f"cannot list Wi-Fi adapters: {exc}", str(exc))
    seen = ", ".join(f"{a.name} ({a.driver}{', monitor mode' if a.supports_monitor else ', no monitor mode'})"
                     for a in adapters)
    if w.interface != "auto":
        adapters = [a for a in adapters if a.name == w.interface]
        if not adapters:
            return Check(WIFI_CHECK, False, f"wifi.interface {w.interface} is not a wireless interface "
                         f"here (found: {seen or 'none'})",
                         "plug the adapter in, or set wifi.interface to a name from `iw dev` (or auto)")
    if any(a.supports_monitor for a in adapters):
        return Check(WIFI_CHECK, True, seen, detects="Wi-Fi sweep")
    return Check(WIFI_CHECK, False, seen or "no wireless adapter", ADAPTER_FIX)


def _probe_wired(interface: str):
    import os

    from sweeper.probe import Check

    node = f"/sys/class/net/{interface}"
    if interface in ("", "auto") or not os.path.isdir(node):
        return Check(WIFI_CHECK, False, f"wifi.source is wired but there is no network port {interface!r}",
                     "set wifi.interface to the port cabled to the mirror port (see `ip link`)")
    try:
        with open(f"{node}/operstate") as f:
            state = f.read().strip()
    except OSError:
        state = "unknown"
    if state == "down":
        return Check(WIFI_CHECK, False, f"wired port {interface} is down",
                     f"cable it to the switch's mirror port and `ip link set {interface} up`")
    return Check(WIFI_CHECK, True, f"wired port {interface} ({state})", detects="Wi-Fi sweep (wired)")
