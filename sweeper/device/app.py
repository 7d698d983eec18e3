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
import time
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

from sweeper import __version__
from sweeper.assembly import Part, device_parts
from sweeper.device.daemon import Daemon
from sweeper.device.sweeping import Hardware
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
    leds: Optional[object] = None  # the confirmation LEDs, when fitted
    battery: Optional[object] = None  # the fuel gauge (sweeper.device.battery.FuelGauge), when enabled

    def close(self) -> None:
        for part in (self.controls, self.sound, self.leds):
            if part is not None:
                part.close()
        self.display.close()
        self.hardware.close()
        if self.venue is not None:
            self.venue.close()
        if self.battery is not None:  # after the venue: its publisher reads the gauge until closed
            self.battery.close()


def build_device(cfg, simulate: bool = False, camera: bool = True, scene: Optional[str] = None,
                 warn: Callable[[str], None] = lambda msg: None, pin_factory=None,
                 shutdown: Optional[Callable[[], None]] = None, notify=None, venue=None,
                 extra_parts: Sequence[Part] = (), png_dir: Optional[str] = None, screens_to=None,
                 display=None, hardware: Optional[Hardware] = None, progress_to=None) -> Device:
    """Every part of the device; ``simulate`` swaps in simulated radios, mock pins and a
    dummy display. Parts that fail to open are reported through ``warn`` and left out.
    ``extra_parts``: more detectors (sweeper.assembly.Part) beside the RF and Wi-Fi ones.
    ``png_dir`` / ``screens_to``: save every screen as a PNG / draw it as text on that
    stream (:class:`RecordingDisplay`). ``display``: the panel to draw on (default: the
    configured one, or a dummy when simulating), like ``pin_factory`` for the pins.
    ``hardware``: the detector parts' hardware, already probed (default: built here).
    ``progress_to``: a terminal to keep one line of the sweep's progress on
    (:class:`ProgressLine`, ``run --once``)."""
    from sweeper.device.buttons import Controls
    from sweeper.device.display import Display, NullDisplay, open_display
    from sweeper.device.sounds import Annunciator

    if simulate and pin_factory is None:
        from gpiozero.pins.mock import MockFactory, MockPWMPin
        pin_factory = MockFactory(pin_class=MockPWMPin)

    if hardware is None:
        hardware = Hardware(list(device_parts(cfg, simulate, camera, scene, pin_factory)) + list(extra_parts))
    if display is not None:
        pass
    elif simulate:
        display = Display.dummy(cfg.display.width, cfg.display.height)
    else:
        display = NullDisplay()
        if cfg.display.enabled:
            try:
                display = open_display(cfg.display)
            except HardwareError as exc:
                warn(str(exc))
    if png_dir or screens_to is not None:
        display = RecordingDisplay(display, png_dir, screens_to)
    if progress_to is not None:
        display = ProgressLine(display, progress_to)

    sound = _optional(lambda: Annunciator(cfg.buzzer, quiet=cfg.output.quiet, pin_factory=pin_factory),
                      cfg.buzzer.enabled, warn) or _Silent()
    from sweeper.device.led import StimulusLeds

    leds = _optional(lambda: StimulusLeds(cfg.confirm, pin_factory=pin_factory),
                     cfg.confirm.led_pin is not None or cfg.confirm.ir_led_pin is not None, warn)
    from sweeper.device.battery import open_gauge

    # simulated only with the rest of the device (--simulate), like the pins and panel
    battery = _optional(lambda: open_gauge(cfg.battery, simulate=simulate, log=warn), cfg.battery.enabled, warn)
    if battery is not None and venue is not None:
        venue.watch_battery(battery)  # the fleet gets the level (MQTT, Home Assistant)
    daemon = Daemon(cfg, hardware, display, sound, shutdown=shutdown or poweroff, notify=notify,
                    version=__version__, venue=venue, log=warn, leds=leds, battery=battery)
    controls = _optional(lambda: Controls(cfg.buttons, daemon.post, pin_factory=pin_factory),
                         cfg.buttons.enabled, warn)
    return Device(daemon, hardware, display, sound, controls, pin_factory, venue, leds, battery)


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
    and/or prints it as text art under its name, e.g. ``[locate]`` (``--terminal``). The
    frequent screens (sweeping, locate, confirm) are kept every tenth of the way (every
    second left of a confirmation), and at least every FRAME_EVERY_S while they last."""

    #: the longest a frequent screen waits to be kept again: a slow tenth still shows moving
    FRAME_EVERY_S = 2.0

    SCREENS = ("boot", "ready", "sweeping", "result", "finding", "locate", "meter", "confirm", "confirmed",
               "poweroff", "error")
    #: screens redrawn several times a second -> what changes enough to keep a frame: a
    #: tenth of the way (progress, the locate or meter bar), a second (a countdown)
    FREQUENT = {
        "sweeping": lambda a, k: int(float(a[0]) * 10),
        "locate": lambda a, k: _tenth_of_level(a, k),
        "meter": lambda a, k: _tenth_of_level(a, k),
        "confirm": lambda a, k: int(float(a[1])),
        "poweroff": lambda a, k: int(float(a[0])),
    }

    def __init__(self, display, directory: Optional[str] = None, terminal=None):
        import os

        if directory:
            os.makedirs(directory, exist_ok=True)
        self._display = display
        self._dir = directory
        self._terminal = terminal
        self._last_tenth = None
        self._last_kept = 0.0
        self.saved: List[str] = []

    def __getattr__(self, name):
        attr = getattr(self._display, name)
        if name not in self.SCREENS:
            return attr

        def show(*args, **kwargs):
            attr(*args, **kwargs)
            if name in self.FREQUENT:  # frequent: keep every tenth of the way
                tenth = (name, self.FREQUENT[name](args, kwargs))
                if tenth == self._last_tenth and time.monotonic() - self._last_kept < self.FRAME_EVERY_S:
                    return
                self._last_tenth = tenth
                self._last_kept = time.monotonic()
            if self._dir:
                import os

                path = os.path.join(self._dir, f"{len(self.saved):04d}_{name}.png")
                self._display.save_png(path)
                self.saved.append(path)
            if self._terminal is not None and self._display.image is not None:
                from sweeper.device.display import frame_to_text

                self._terminal.write(f"[{name}]\n{frame_to_text(self._display.image)}\n")
                self._terminal.flush()
        return show


def _tenth_of_level(args, kwargs) -> int:
    """The locate or meter bar's level (their third argument), in tenths."""
    return int(float(args[2] if len(args) > 2 else kwargs.get("level", 0.0)) * 10)


class ProgressLine:
    """Wraps a display and keeps the sweep's progress on one updating line of a terminal
    (``sweeping 43%  2.4GHz 2432 MHz``), left as the last figure when another screen follows."""

    def __init__(self, display, terminal):
        self._display = display
        self._terminal = terminal
        self._shown = False

    def __getattr__(self, name):
        attr = getattr(self._display, name)
        if name not in RecordingDisplay.SCREENS:
            return attr

        def show(*args, **kwargs):
            attr(*args, **kwargs)
            if name == "sweeping":
                fraction, label = args[0], args[1] if len(args) > 1 else kwargs.get("label", "")
                from sweeper.errors import terminal_safe

                self._terminal.write(f"\rsweeping {float(fraction):4.0%}  {terminal_safe(str(label))}\x1b[K")
                self._shown = True
            elif self._shown:
                self._terminal.write("\n")
                self._shown = False
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
