"""Open the IQ source the configuration asks for.

``auto`` means the local dongle: without one, opening fails with a message naming the
missing part and the fix. The simulator is used only when asked for (``source:
simulator``, ``--scene``, ``demo``, ``run --simulate``): a sweep of a simulated room
that holds a camera must never pass for a sweep of this one.
"""
from __future__ import annotations

from typing import Optional

from sweeper.errors import HardwareError
from sweeper.rf.sources.base import IQSource


def open_simulator(scene_path: Optional[str] = None, realtime: bool = False) -> IQSource:
    from sweeper.sim.scene import default_scene, load_scene
    from sweeper.rf.sources.simulated import SimulatedSource

    scene = load_scene(scene_path) if scene_path else default_scene()
    return SimulatedSource(scene, realtime=realtime)


def open_source(rf) -> IQSource:
    """The source ``rf`` (the config's ``rf`` section) asks for: HardwareError when its
    hardware is missing, never a silent simulator."""
    if rf.source == "simulator":
        return open_simulator(rf.simulator.scene, rf.simulator.realtime)
    if rf.source == "rtl_tcp":
        from sweeper.rf.sources.rtltcp import RtlTcpSource

        return RtlTcpSource(rf.rtl_tcp.host, rf.rtl_tcp.port, timeout=rf.rtl_tcp.timeout_s)
    from sweeper.rf.sources.rtlsdr_local import RtlSdrSource

    return RtlSdrSource(device_index=rf.rtlsdr.device_index, serial=rf.rtlsdr.serial,
                        ppm=rf.rtlsdr.ppm, bias_tee=rf.rtlsdr.bias_tee)


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
