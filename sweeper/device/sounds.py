"""Sounds (and, in quiet mode, vibration) that tell the verdict without looking.

Each event has its own rhythm, so an active buzzer (one pitch) and a vibration motor
tell them apart as well as a passive piezo (which also gets rising tones):

    start    one short blip
    clear    two short blips, rising
    suspect  three medium beeps
    camera   a long, fast, urgent pattern ending in a long tone
    countdown  one tick a second before a prompted change (confirmation)
    cue      one long tone: change the room now (lights off/on, wave, keep still)

Patterns play on a background thread and return at once; a new sound replaces the one
playing. ``proximity(level)`` is the locate-mode ticker (a Geiger counter): it keeps
running and reads the latest level each tick, so calling it several times a second
changes the rate without restarting anything.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Callable, Optional, Sequence, Tuple

from sweeper.device.pins import open_pin
from sweeper.errors import HardwareError

#: (tone in Hz, 0 for silence; seconds)
Step = Tuple[float, float]

#: piezo buzzers are loudest around 2-4 kHz
BUZZER_PATTERNS = {
    "start": [(2700, 0.06)],
    "clear": [(2000, 0.07), (0, 0.07), (3000, 0.07)],
    "incomplete": [(1500, 0.25), (0, 0.12), (1000, 0.35)],
    "suspect": [(2500, 0.18), (0, 0.14), (2500, 0.18), (0, 0.14), (2500, 0.18)],
    "camera": [(3500, 0.1), (0, 0.05), (2500, 0.1), (0, 0.05)] * 5 + [(3500, 0.8)],
    "countdown": [(2000, 0.05)],
    "cue": [(3000, 0.35)],
}
#: a motor needs longer pulses to be felt; same rhythms, stretched
VIBRATION_PATTERNS = {
    "start": [(1, 0.15)],
    "clear": [(1, 0.12), (0, 0.15), (1, 0.12)],
    "incomplete": [(1, 0.5), (0, 0.2), (1, 0.5)],
    "suspect": [(1, 0.3), (0, 0.2), (1, 0.3), (0, 0.2), (1, 0.3)],
    "camera": [(1, 0.15), (0, 0.1)] * 5 + [(1, 1.0)],
    "countdown": [(1, 0.1)],
    "cue": [(1, 0.45)],
}

#: locate ticker: seconds between ticks at level 0+ and at level 1 (log scale in between)
TICK_SLOWEST_S = 1.2
TICK_FASTEST_S = 0.1
#: how often the ticker looks at a new level while waiting for its next tick
TICK_POLL_S = 0.02


def tick_period(level: float) -> float:
    """Seconds between locate ticks: a log scale, so every step closer is heard."""
    return TICK_SLOWEST_S * (TICK_FASTEST_S / TICK_SLOWEST_S) ** level


def tick_on_time(level: float) -> float:
    """Tick length; at level 1 a tick fills 70% of its period (near-continuous)."""
    return 0.04 + 0.03 * level


def _clamp(level) -> float:
    try:
        level = float(level)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(level) else min(1.0, max(0.0, level))


# --------------------------------------------------------------------------- outputs


class _OnOff:
    """A buzzer that sounds by itself, or a vibration motor: on or off, one 'tone'."""

    def __init__(self, device):
        self.device = device

    def on(self, tone_hz: float) -> None:
        self.device.on()

    def off(self) -> None:
        self.device.off()

    def close(self) -> None:
        self.device.close()


class _Piezo:
    """A passive piezo: a square wave (50% duty) at the step's pitch."""

    def __init__(self, device):
        self.device = device

    def on(self, tone_hz: float) -> None:
        self.device.frequency = tone_hz
        self.device.value = 0.5

    def off(self) -> None:
        self.device.value = 0

    def close(self) -> None:
        self.device.close()


# --------------------------------------------------------------------------- player


class _Player:
    """One background job at a time; starting a job stops the previous one first."""

    def __init__(self):
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._stop = threading.Event()
        self.kind: Optional[str] = None

    def start(self, kind: str, job: Callable[[threading.Event], None]) -> None:
        with self._lock:
            self._halt_locked()
            self._stop = threading.Event()
            self.kind = kind
            self._thread = threading.Thread(target=job, args=(self._stop,), daemon=True,
                                            name=f"sweeper-sound-{kind}")
            self._thread.start()

    def running(self, kind: str) -> bool:
        with self._lock:
            return self.kind == kind and self._thread is not None and self._thread.is_alive()

    def busy(self) -> bool:
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    def halt(self) -> None:
        with self._lock:
            self._halt_locked()

    def _halt_locked(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self._thread = None
        self.kind = None


# --------------------------------------------------------------------------- annunciator


class Annunciator:
    """The buzzer (active or passive) and the optional vibration motor.

    ``quiet`` can be switched at any time: quiet means no sound at all, and the vibration
    motor (when ``cfg.vibration_pin`` is set) plays the patterns instead. With the buzzer
    disabled the motor is used as well. Pin problems raise :class:`HardwareError`.
    """

    def __init__(self, cfg, quiet: bool = False, pin_factory=None):
        from gpiozero import Buzzer, DigitalOutputDevice, PWMOutputDevice

        self.cfg = cfg
        self.buzzer = None
        self.vibration = None
        self._player = _Player()
        self._level = 0.0
        self._quiet = bool(quiet)
        try:
            if cfg.enabled:
                if cfg.kind == "active":
                    self.buzzer = _OnOff(open_pin(
                        lambda pin, **kw: Buzzer(pin, initial_value=False, **kw),
                        cfg.pin, "buzzer", "buzzer.pin", pin_factory))
                else:
                    self.buzzer = _Piezo(open_pin(
                        lambda pin, **kw: PWMOutputDevice(pin, initial_value=0, frequency=2700, **kw),
                        cfg.pin, "buzzer", "buzzer.pin", pin_factory))
            if cfg.vibration_pin is not None:
                self.vibration = _OnOff(open_pin(
                    lambda pin, **kw: DigitalOutputDevice(pin, initial_value=False, **kw),
                    cfg.vibration_pin, "vibration motor", "buzzer.vibration_pin", pin_factory))
        except HardwareError:
            self.close()
            raise

    @property
    def quiet(self) -> bool:
        return self._quiet

    @quiet.setter
    def quiet(self, value: bool) -> None:
        """Switching mode silences whatever is playing on the other output."""
        value = bool(value)
        if value != self._quiet:
            self._player.halt()
            self._quiet = value

    @property
    def busy(self) -> bool:
        """True while a pattern or the locate ticker is running (e.g. to let the camera
        alarm finish before shutting down)."""
        return self._player.busy()

    def _output(self):
        """Where patterns go now: the buzzer, or the motor when quiet (or no buzzer)."""
        if self._quiet or self.buzzer is None:
            return self.vibration
        return self.buzzer

    # ----------------------------------------------------------------- patterns

    def start(self) -> None:
        """A sweep started."""
        self._play("start")

    def clear(self) -> None:
        """The sweep found nothing."""
        self._play("clear")

    def incomplete(self) -> None:
        """Nothing found, but the sweep could not hear everything it was set to: not a CLEAR."""
        self._play("incomplete")

    def suspect(self) -> None:
        """Something looks like a camera."""
        self._play("suspect")

    def camera(self) -> None:
        """A camera was found."""
        self._play("camera")

    def countdown(self) -> None:
        """A confirmation's prompted change comes in a second or two."""
        self._play("countdown")

    def cue(self) -> None:
        """A confirmation's prompted change: do it now."""
        self._play("cue")

    def _play(self, name: str) -> None:
        output = self._output()
        if output is None:
            self._player.halt()
            return
        steps = (VIBRATION_PATTERNS if output is self.vibration else BUZZER_PATTERNS)[name]
        self._player.start(name, lambda stop: _run_steps(output, steps, stop))

    # ----------------------------------------------------------------- locate

    def proximity(self, level: float) -> None:
        """Locate mode: ticks faster (and, on a piezo, higher) as ``level`` goes 0 -> 1;
        0 is silent. Call it whenever a new reading comes in."""
        self._level = _clamp(level)
        output = self._output()
        if output is None:
            return
        if not self._player.running("proximity"):
            self._player.start("proximity", lambda stop: self._tick(output, stop))

    def _tick(self, output, stop: threading.Event) -> None:
        try:
            last_tick = None
            while not stop.is_set():
                level = self._level
                now = time.monotonic()
                if level > 0 and (last_tick is None or now - last_tick >= tick_period(level)):
                    last_tick = now
                    output.on(2000 + 2000 * level)
                    if stop.wait(tick_on_time(level)):
                        break
                    output.off()
                    continue
                stop.wait(TICK_POLL_S)
        finally:
            output.off()

    # ----------------------------------------------------------------- power

    def off(self) -> None:
        """Silence now (ends a pattern or the locate ticker)."""
        self._player.halt()
        for output in (self.buzzer, self.vibration):
            if output is not None:
                output.off()

    def close(self) -> None:
        """Silence and release the pins."""
        self._player.halt()
        for output in (self.buzzer, self.vibration):
            if output is not None:
                try:
                    output.off()
                    output.close()
                except Exception:  # closing is best effort
                    pass
        self.buzzer = self.vibration = None


def _run_steps(output, steps: Sequence[Step], stop: threading.Event) -> None:
    try:
        for tone, seconds in steps:
            if tone:
                output.on(tone)
            else:
                output.off()
            if stop.wait(seconds):
                break
    finally:
        output.off()
