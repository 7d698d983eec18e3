"""Assembling the device from the configuration: real parts, or simulated ones.

``sweeper run`` uses the real parts and degrades per part: no panel means no display
(logged), no buzzer pin means silence, no dongle or adapter means that half of the
sweep is missing and the ready screen says so. ``sweeper run --simulate`` builds the same
device from the simulators, gpiozero's mock pins and luma's dummy display: the product
with no hardware, for demos and tests.
"""
from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass
from typing import Callable, List, Optional

from sweeper import __version__
from sweeper.device.daemon import Daemon, Hardware
from sweeper.errors import HardwareError


@dataclass
class Device:
    daemon: Daemon
    hardware: Hardware
    display: object
    sound: object
    controls: Optional[object]
    pin_factory: Optional[object] = None
    venue: Optional[object] = None

    def close(self) -> None:
        for part in (self.controls, self.sound):
            if part is not None:
                part.close()
        self.display.close()
        self.hardware.close()
        if self.venue is not None:
            self.venue.close()


def real_rf_opener(cfg) -> Optional[Callable]:
    """The configured dongle (local or rtl_tcp); the device never falls back to a simulator."""
    rf = cfg.rf
    if not rf.enabled:
        return None
    if rf.source == "simulator":
        return lambda: _rf_simulator(rf.simulator.scene)
    if rf.source == "rtl_tcp":
        def open_tcp():
            from sweeper.sources.rtltcp import RtlTcpSource
            return RtlTcpSource(rf.rtl_tcp.host, rf.rtl_tcp.port, timeout=rf.rtl_tcp.timeout_s)
        return open_tcp

    def open_local():
        from sweeper.sources.rtlsdr_local import RtlSdrSource
        return RtlSdrSource(device_index=rf.rtlsdr.device_index, serial=rf.rtlsdr.serial,
                            ppm=rf.rtlsdr.ppm, bias_tee=rf.rtlsdr.bias_tee)
    return open_local


def real_wifi_opener(cfg) -> Optional[Callable]:
    w = cfg.wifi
    if not w.enabled:
        return None
    if w.source == "simulator":
        return lambda: _wifi_simulator(w.simulator.scene, True, w.snaplen)

    def open_adapter():
        from sweeper.wifi.factory import open_adapter as _open
        return _open(w.interface, w.snaplen)
    return open_adapter


def _rf_simulator(scene: Optional[str], camera: bool = True):
    from sweeper.sources.factory import open_simulator

    if scene is None and not camera:
        from sweeper.sim.scene import clear_scene
        from sweeper.sources.simulated import SimulatedSource
        return SimulatedSource(clear_scene())
    return open_simulator(scene)


def _wifi_simulator(scene: Optional[str], camera: bool, snaplen: int):
    from sweeper.wifi.factory import open_wifi_simulator
    return open_wifi_simulator(scene, camera=camera, snaplen=snaplen)


def build_device(cfg, simulate: bool = False, camera: bool = True, scene: Optional[str] = None,
                 warn: Callable[[str], None] = lambda msg: None, pin_factory=None,
                 shutdown: Optional[Callable[[], None]] = None, notify=None, venue=None) -> Device:
    """Every part of the device; ``simulate`` swaps in simulated radios, mock pins and a
    dummy display. Parts that fail to open are reported through ``warn`` and left out."""
    from sweeper.device.buttons import Controls
    from sweeper.device.display import Display, NullDisplay, open_display
    from sweeper.device.sounds import Annunciator

    if simulate and pin_factory is None:
        from gpiozero.pins.mock import MockFactory, MockPWMPin
        pin_factory = MockFactory(pin_class=MockPWMPin)

    if simulate:
        rf_open = (lambda: _rf_simulator(scene, camera)) if cfg.rf.enabled else None
        wifi_open = (lambda: _wifi_simulator(scene, camera, cfg.wifi.snaplen)) if cfg.wifi.enabled else None
        hardware = Hardware(rf_open, wifi_open)
        display = Display.dummy(cfg.display.width, cfg.display.height)
    else:
        hardware = Hardware(real_rf_opener(cfg), real_wifi_opener(cfg))
        display = NullDisplay()
        if cfg.display.enabled:
            try:
                display = open_display(cfg.display)
            except HardwareError as exc:
                warn(str(exc))

    sound = _optional(lambda: Annunciator(cfg.buzzer, quiet=cfg.output.quiet, pin_factory=pin_factory),
                      cfg.buzzer.enabled, warn) or _Silent()
    daemon = Daemon(cfg, hardware, display, sound, shutdown=shutdown or poweroff, notify=notify,
                    version=__version__, venue=venue, log=warn)
    controls = _optional(lambda: Controls(cfg.buttons, daemon.post, pin_factory=pin_factory),
                         cfg.buttons.enabled, warn)
    return Device(daemon, hardware, display, sound, controls, pin_factory, venue)


def _optional(make, enabled: bool, warn):
    if not enabled:
        return None
    try:
        return make()
    except HardwareError as exc:
        warn(str(exc))
        return None


class RecordingDisplay:
    """Wraps a display and saves every screen it shows as a numbered PNG (``--png-dir``)
    and/or prints it as text art (``--terminal``; progress screens only every 10%)."""

    SCREENS = ("boot", "ready", "sweeping", "result", "finding", "locate", "error")

    def __init__(self, display, directory: Optional[str] = None, terminal=None):
        import os

        if directory:
            os.makedirs(directory, exist_ok=True)
        self._display = display
        self._dir = directory
        self._terminal = terminal
        self._last_tenth = None
        self.saved: List[str] = []

    def __getattr__(self, name):
        attr = getattr(self._display, name)
        if name not in self.SCREENS:
            return attr

        def show(*args, **kwargs):
            attr(*args, **kwargs)
            if name in ("sweeping", "locate"):  # frequent: keep every tenth of the way
                tenth = (name, int(float(args[0] if name == "sweeping" else args[1]) * 10))
                if tenth == self._last_tenth:
                    return
                self._last_tenth = tenth
            if self._dir:
                import os

                path = os.path.join(self._dir, f"{len(self.saved):04d}_{name}.png")
                self._display.save_png(path)
                self.saved.append(path)
            if self._terminal is not None and self._display.image is not None:
                from sweeper.device.display import frame_to_text

                self._terminal.write(frame_to_text(self._display.image) + "\n")
                self._terminal.flush()
        return show


class _Silent:
    """Stands in for a buzzer that is disabled or missing."""

    quiet = True

    def __getattr__(self, name):
        return lambda *a, **k: None


def poweroff() -> None:
    """The long press: a clean shutdown (systemd/50-sweeper-poweroff.rules allows it)."""
    subprocess.run(["systemctl", "poweroff"], check=False, timeout=30)


def install_signals(daemon: Daemon) -> List:
    """SIGUSR1 (the sweep timer) starts a sweep; SIGTERM/SIGINT stop the daemon."""
    previous = [signal.signal(signal.SIGUSR1, lambda *_: daemon.post("sweep")),
                signal.signal(signal.SIGTERM, lambda *_: daemon.quit())]
    return previous
