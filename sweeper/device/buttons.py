"""Two buttons, six commands: what a press means depends on how long it is held.

    SELECT tap                       -> "select"   (start / stop a sweep, back)
    SELECT held for long_press_s     -> "locate"   (fires while still held; the signal
                                                    meter on the ready screen)
    SELECT held for shutdown_press_s -> "shutdown" (fires once while still held; the
                                                    "locate" before it is expected; the
                                                    daemon asks before powering off)
    NEXT tap                         -> "next"     (fires on release)
    NEXT held for long_press_s       -> "confirm"  (is it watching this room? fires while
                                                    still held; no "next" on release)
    SELECT and NEXT together         -> "quiet"    (fires as the second goes down; no tap
                                                    on either release, no hold)

The chord is for quiet mode because it cannot happen by accident in a pocket and needs
no look at the screen: the thumb finds both buttons.

Holds are timed with timers started on the press (not from gpiozero's polling hold
thread) so "locate" and "shutdown" fire at their exact configured times while the
finger is still down: the user feels the device react, and knows when to let go.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable, List, Optional

from sweeper.device.pins import open_pin
from sweeper.errors import HardwareError

log = logging.getLogger(__name__)

#: contacts chatter for a few milliseconds; 50 ms is far below a deliberate tap
BOUNCE_S = 0.05


def _open_button(pin: int, name: str, key: str, pin_factory):
    from gpiozero import Button

    return open_pin(lambda p, **kw: Button(p, pull_up=True, bounce_time=BOUNCE_S, **kw),
                    pin, f"{name} button", f"buttons.{key}", pin_factory)


class Controls:
    """Turns presses on the SELECT and NEXT buttons into events for ``on_event``.

    ``on_event`` runs on the GPIO library's callback thread or a timer thread, so it
    should return quickly (the daemon puts the event on its queue).
    """

    def __init__(self, cfg, on_event: Callable[[str], None], pin_factory=None):
        self.cfg = cfg
        self.on_event = on_event
        self._lock = threading.Lock()
        self._press = 0            # counts SELECT presses; a timer only acts on its own press
        self._held: List[str] = []  # hold events already fired in the current press
        self._down = False
        self._timers: List[threading.Timer] = []
        self._next_press = 0          # the same for NEXT
        self._next_down = False
        self._next_held = False
        self._next_timer: Optional[threading.Timer] = None
        self.select = _open_button(cfg.select_pin, "SELECT", "select_pin", pin_factory)
        try:
            self.next = _open_button(cfg.next_pin, "NEXT", "next_pin", pin_factory)
        except HardwareError:
            self.select.close()
            raise
        self.select.when_pressed = self._select_pressed
        self.select.when_released = self._select_released
        self.next.when_pressed = self._next_pressed
        self.next.when_released = self._next_released

    def _emit(self, event: str) -> None:
        try:
            self.on_event(event)
        except Exception:  # a failing handler must not kill the GPIO callback thread
            log.exception("button event %r handler failed", event)

    def _chord(self) -> bool:
        """Called with the lock held as a button goes down: if the other one is down too,
        this press and the other's become the quiet chord (no taps, no holds)."""
        if not (self._down and self._next_down):
            return False
        self._cancel_timers()
        self._cancel_next_timer()
        self._held = ["quiet"]  # the releases are not taps
        self._next_held = True
        return True

    def _select_pressed(self) -> None:
        with self._lock:
            self._cancel_timers()
            self._press += 1
            self._held = []
            self._down = True
            chord = self._chord()
            if not chord:
                self._start_select_timers()
        if chord:
            self._emit("quiet")

    def _start_select_timers(self) -> None:
        for delay, event in ((self.cfg.long_press_s, "locate"), (self.cfg.shutdown_press_s, "shutdown")):
            timer = threading.Timer(delay, self._select_held, args=(self._press, event))
            timer.daemon = True
            timer.name = f"sweeper-button-{event}"
            self._timers.append(timer)
            timer.start()

    def _select_held(self, press: int, event: str) -> None:
        with self._lock:
            if press != self._press or not self._down:
                return  # released (or pressed again) before the hold time
            self._held.append(event)
        self._emit(event)

    def _select_released(self) -> None:
        with self._lock:
            if not self._down:
                return  # a release without its press (held while starting up)
            self._down = False
            self._cancel_timers()
            tap = not self._held
            self._press += 1  # any timer still running now belongs to a finished press
        if tap:
            self._emit("select")

    def _next_pressed(self) -> None:
        with self._lock:
            self._cancel_next_timer()
            self._next_press += 1
            self._next_down = True
            self._next_held = False
            chord = self._chord()
            if not chord:
                timer = threading.Timer(self.cfg.long_press_s, self._next_hold, args=(self._next_press,))
                timer.daemon = True
                timer.name = "sweeper-button-confirm"
                self._next_timer = timer
                timer.start()
        if chord:
            self._emit("quiet")

    def _next_hold(self, press: int) -> None:
        with self._lock:
            if press != self._next_press or not self._next_down:
                return
            self._next_held = True
        self._emit("confirm")

    def _next_released(self) -> None:
        with self._lock:
            if not self._next_down:
                return
            self._next_down = False
            self._cancel_next_timer()
            tap = not self._next_held
            self._next_press += 1
        if tap:
            self._emit("next")

    def _cancel_next_timer(self) -> None:
        if self._next_timer is not None:
            self._next_timer.cancel()
            self._next_timer = None

    def _cancel_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers = []

    def close(self) -> None:
        """Stop listening and release the pins."""
        with self._lock:
            self._cancel_timers()
            self._press += 1
            self._down = False
            self._cancel_next_timer()
            self._next_press += 1
            self._next_down = False
        for button in (self.select, self.next):
            try:
                button.close()
            except Exception:  # closing is best effort
                pass
