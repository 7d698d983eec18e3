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
