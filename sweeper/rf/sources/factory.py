"""Open the IQ source the configuration asks for.

``auto`` means the local dongle: without one, opening fails with a message naming the
missing part and the fix. The simulator is used only when asked for (``source:
simulator``, ``--scene``, ``demo``, ``run --simulate``): a sweep of a simulated room
that holds a camera must never pass for a sweep of this one. A device with two receive
paths (``rf.receivers``: two dongles; ``rf.switch``: one dongle behind an RF switch)
opens as one :class:`sweeper.rf.sources.paths.PathSource`, real or simulated alike.
"""
from __future__ import annotations

from typing import Iterable, Optional

from sweeper.errors import HardwareError
from sweeper.rf.sources.base import IQSource

SWITCH_CHECK = "RF switch (GPIO)"


def open_simulator(scene_path: Optional[str] = None, realtime: bool = False) -> IQSource:
    from sweeper.sim.scene import default_scene, load_scene
    from sweeper.rf.sources.simulated import SimulatedSource

    scene = load_scene(scene_path) if scene_path else default_scene()
    return SimulatedSource(scene, realtime=realtime)


def has_paths(rf) -> bool:
    """Whether ``rf`` configures two receive paths (two dongles or an RF switch)."""
    return bool(rf.receivers) or rf.switch.pin is not None


def open_source(rf, pin_factory=None) -> IQSource:
    """The source ``rf`` (the config's ``rf`` section) asks for: HardwareError when its
    hardware is missing, never a silent simulator. ``pin_factory``: the RF switch's pins
    (gpiozero's default when None)."""
    if rf.source == "simulator":
        if has_paths(rf):
            return open_simulated_paths(rf, rf.simulator.scene, pin_factory=pin_factory,
                                        realtime=rf.simulator.realtime)
        return open_simulator(rf.simulator.scene, rf.simulator.realtime)
    if rf.source == "rtl_tcp":
        from sweeper.rf.sources.rtltcp import RtlTcpSource

        return RtlTcpSource(rf.rtl_tcp.host, rf.rtl_tcp.port, timeout=rf.rtl_tcp.timeout_s)
    if has_paths(rf):
        return open_paths(rf, pin_factory)
    return _open_dongle(rf)


def _open_dongle(rf, serial: Optional[str] = None, bias_tee: Optional[bool] = None):
    from sweeper.rf.sources.rtlsdr_local import RtlSdrSource

    return RtlSdrSource(device_index=rf.rtlsdr.device_index, serial=serial or rf.rtlsdr.serial,
                        ppm=rf.rtlsdr.ppm, bias_tee=rf.rtlsdr.bias_tee if bias_tee is None else bias_tee)


def open_switch(rf, pin_factory=None, initial: Optional[bool] = False):
    """The RF switch's control output, low (its rest position) until a sweep moves it
    (``initial=None``: left as it is, for the self-test)."""
    from gpiozero import DigitalOutputDevice

    from sweeper.device.pins import open_pin

    return open_pin(lambda pin, pin_factory: DigitalOutputDevice(pin, initial_value=initial, pin_factory=pin_factory),
                    rf.switch.pin, "RF switch", "rf.switch.pin", pin_factory)


def open_paths(rf, pin_factory=None) -> IQSource:
    """The real receive paths: each of rf.receivers by its serial (the bias tee, when
    set, only on the dongles behind a converter), or the one dongle and the switch."""
    from sweeper.rf.paths import paths_from_config
    from sweeper.rf.sources.paths import PathSource

    paths = paths_from_config(rf)
    if rf.receivers:
        return PathSource(paths, lambda p: _open_dongle(rf, p.serial, rf.rtlsdr.bias_tee and p.front_end != "direct"))
    dongle = _open_dongle(rf)
    try:
        switch = open_switch(rf, pin_factory)
    except HardwareError:
        dongle.close()
        raise
    return PathSource(paths, lambda p: dongle, switch, rf.switch.settle_s)


def open_simulated_paths(rf, scene_path: Optional[str] = None, camera: bool = True, pin_factory=None,
                         unplugged: Iterable[str] = (), realtime: bool = False) -> IQSource:
    """The simulated room heard through the configured receive paths: a simulated dongle
    per receiver, its converter fixed (``unplugged``: serials left out, as if not
    plugged in; a set stays the caller's, who may empty it to plug them back in), or
    one simulated dongle whose converter follows the real gpiozero switch output on
    ``pin_factory``'s pin (a mock pin of its own when None; low: rf.switch.low, high:
    rf.switch.high)."""
    from sweeper.rf.bands import Downconverter, MHZ
    from sweeper.rf.paths import paths_from_config
    from sweeper.rf.sources.paths import PathSource
    from sweeper.rf.sources.simulated import SimulatedSource
    from sweeper.sim.scene import clear_scene, default_scene, load_scene

    scene = load_scene(scene_path) if scene_path else default_scene() if camera else clear_scene()
    unplugged = unplugged if isinstance(unplugged, set) else set(unplugged)  # a set: the caller may replug

    def converter(front_end):
        c = rf.downconverters.get(front_end) if front_end != "direct" else None
        return None if c is None else Downconverter(c.lo_mhz * MHZ, c.injection)

    paths = paths_from_config(rf)
    if rf.receivers:
        def open_dongle(path):
            if path.serial in unplugged:
                raise HardwareError(f"no RTL-SDR dongle with serial {path.serial!r} (simulated: unplugged)")
            src = SimulatedSource(scene, realtime=realtime, seed=paths.index(path))
            src.follow(lambda: converter(path.front_end))
            return src
        return PathSource(paths, open_dongle)
    src = SimulatedSource(scene, realtime=realtime)
    if pin_factory is None:  # a simulated switch sits on a mock pin, as simulated buttons do
        from gpiozero.pins.mock import MockFactory
        pin_factory = MockFactory()
    switch = open_switch(rf, pin_factory)
    src.follow(lambda: converter(rf.switch.high if switch.value else rf.switch.low))
    return PathSource(paths, lambda p: src, switch, rf.switch.settle_s)


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


def probes(rf, pin_factory=None) -> list:
    """The self-test's checks of each configured receive path: ``(name, probe)`` pairs.
    Two dongles: one check per dongle, by its serial; a switch: the dongle and the
    switch's pin (opened and released); otherwise the one dongle or server."""
    from sweeper.rf.sources import rtlsdr_local

    if not (rf.enabled and rf.source in ("auto", "rtlsdr") and has_paths(rf)):
        return [(rtlsdr_local.SDR_CHECK, lambda: probe(rf))]
    if rf.receivers:
        return [(rtlsdr_local.receiver_check_name(r.serial, r.front_end),
                 lambda r=r: rtlsdr_local.probe_serial(r.serial, r.front_end)) for r in rf.receivers]
    return [(rtlsdr_local.SDR_CHECK, lambda: probe(rf)), (SWITCH_CHECK, lambda: probe_switch(rf, pin_factory))]


def probe_switch(rf, pin_factory=None):
    """Self-test of the RF switch: its pin opens as an output (then is released, low)."""
    from sweeper.probe import Check

    try:
        switch = open_switch(rf, pin_factory, initial=None)
    except HardwareError as exc:
        return Check(SWITCH_CHECK, False, str(exc).split(": check")[0],
                     "check rf.switch.pin, that no other program (or the running daemon) uses it, and "
                     "the GPIO library (python3-lgpio)")
    switch.close()
    return Check(SWITCH_CHECK, True, f"GPIO{rf.switch.pin} opens: low = {rf.switch.low}, high = {rf.switch.high}",
                 detects="RF sweep")

