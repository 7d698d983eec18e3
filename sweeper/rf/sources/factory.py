"""Open the IQ source the configuration asks for.

``auto`` prefers a local dongle and falls back to the simulator with a warning, so a
sweeper with its dongle unplugged still starts and says what is missing.
"""
from __future__ import annotations

from typing import Callable, Optional

from sweeper.errors import HardwareError
from sweeper.rf.sources.base import IQSource


def open_simulator(scene_path: Optional[str] = None, realtime: bool = False) -> IQSource:
    from sweeper.sim.scene import default_scene, load_scene
    from sweeper.rf.sources.simulated import SimulatedSource

    scene = load_scene(scene_path) if scene_path else default_scene()
    return SimulatedSource(scene, realtime=realtime)


def open_source(rf, warn: Callable[[str], None] = lambda msg: None) -> IQSource:
    """``rf`` is the config's ``rf`` section."""
    kind = rf.source
    if kind in ("rtlsdr", "auto"):
        try:
            from sweeper.rf.sources.rtlsdr_local import RtlSdrSource

            return RtlSdrSource(device_index=rf.rtlsdr.device_index, serial=rf.rtlsdr.serial,
                                ppm=rf.rtlsdr.ppm, bias_tee=rf.rtlsdr.bias_tee)
        except HardwareError as exc:
            if kind == "rtlsdr":
                raise
            warn(f"{exc} -- using the simulated room instead")
    if kind == "rtl_tcp":
        from sweeper.rf.sources.rtltcp import RtlTcpSource

        return RtlTcpSource(rf.rtl_tcp.host, rf.rtl_tcp.port, timeout=rf.rtl_tcp.timeout_s)
    return open_simulator(rf.simulator.scene, rf.simulator.realtime)


def probe(rf):
    """Self-test of the RF path the config asks for (``rf`` is its ``rf`` section)."""
    from sweeper.probe import Check
    from sweeper.rf.sources import rtlsdr_local, rtltcp

    if not rf.enabled:
        return Check(rtlsdr_local.SDR_CHECK, False, "rf.enabled is false: no RF sweep", "set rf.enabled: true")
    if rf.source == "simulator":
        return Check(rtlsdr_local.SDR_CHECK, False, "rf.source is simulator: RF sweeps are simulated",
                     "set rf.source: auto to use the dongle")
    if rf.source == "rtl_tcp":
        return rtltcp.probe(rf.rtl_tcp.host, rf.rtl_tcp.port, min(rf.rtl_tcp.timeout_s, 3.0))
    return rtlsdr_local.probe(rf.rtlsdr.device_index, rf.rtlsdr.serial)
