"""The simulated device from a keyboard: each key presses the buttons on the mock pins.

``sweeper run --simulate --terminal`` draws every screen in the terminal and reads keys:
a key drives the SELECT and NEXT pins low and high again (gpiozero's MockFactory), so
the daemon's own button code (buttons.py) turns the press into its event, exactly as a
finger on the device would. A long press is held as long as the device needs to see it.

Keys are read one at a time from a terminal (cbreak mode, restored on exit, also on
Ctrl-C or an error) or line by line from a pipe, each character of a line a key. The
presses run on their own thread, one after the other, so the drawing never waits.
"""
from __future__ import annotations

import os
import queue
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, Optional, TextIO, Tuple

#: how long a tap holds a button: well over the debounce time (buttons.BOUNCE_S), far
#: under a long press
TAP_S = 0.15
#: a hold lasts this much past the time the device needs to see it
HOLD_MARGIN_S = 0.2
#: the pause after a press, before the next one
BETWEEN_S = 0.1


@dataclass(frozen=True)
class Press:
    """Which buttons a key holds down ("select", "next" or both), and for how long."""

    buttons: Tuple[str, ...]
    hold_s: float
    what: str


def presses(buttons_cfg) -> Dict[str, Press]:
    """The keys and their presses, from the configured hold times (``buttons``)."""
    long_s = buttons_cfg.long_press_s + HOLD_MARGIN_S
    off_s = buttons_cfg.shutdown_press_s + HOLD_MARGIN_S
    return {
        "s": Press(("select",), TAP_S, "SELECT tap: sweep / stop / back"),
        "S": Press(("select",), long_s, f"SELECT held {long_s:g} s: locate the finding shown "
                   "(the signal meter on the ready screen)"),
        "n": Press(("next",), TAP_S, "NEXT tap: next finding / next room"),
        "N": Press(("next",), long_s, f"NEXT held {long_s:g} s: is it watching this room? (confirm)"),
        "o": Press(("select",), off_s, f"SELECT held {off_s:g} s: power off? (n: yes, s: no)"),
        "b": Press(("select", "next"), TAP_S, "both buttons together (quiet mode)"),
    }


#: the keys that are not presses
OTHER_KEYS = {"h": "this help (also ?)", "q": "quit the simulation"}
#: the keys in one line (the start of a run, ``sweeper run --help``)
SHORT_HELP = ("s SELECT, S hold SELECT (locate, meter), n NEXT, N hold NEXT (confirm), o hold SELECT (power off?), "
              "b both buttons, q quit, h help")


def help_lines(buttons_cfg) -> list:
    """One line per key, for the help key, ``sweeper run --help`` and the README."""
    return ([f"  {key}  {p.what}" for key, p in presses(buttons_cfg).items()]
            + [f"  {key}  {what}" for key, what in OTHER_KEYS.items()])


class ButtonPresser:
    """Presses the device's buttons on its mock pins, one press at a time, on its own
    thread (a 5 s hold must not stop the screens from being drawn)."""

    def __init__(self, buttons_cfg, pin_factory):
        self._pins = {"select": pin_factory.pin(buttons_cfg.select_pin),
                      "next": pin_factory.pin(buttons_cfg.next_pin)}
        self._presses = presses(buttons_cfg)
        self._queue: "queue.Queue[Optional[Press]]" = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="sweeper-keys-press", daemon=True)
        self._thread.start()

    def press(self, key: str) -> Optional[Press]:
        """Queue the press of ``key``; None when the key presses nothing."""
        press = self._presses.get(key)
        if press is not None:
            self._queue.put(press)
        return press

    def wait(self) -> None:
        """Until every queued press is over."""
        self._queue.join()

    def _work(self) -> None:
        while True:
            press = self._queue.get()
            try:
                if press is None:
                    return
                for name in press.buttons:  # pulled up: pressed is low
                    self._pins[name].drive_low()
                time.sleep(press.hold_s)
                for name in press.buttons:
                    self._pins[name].drive_high()
                time.sleep(BETWEEN_S)
            finally:
                self._queue.task_done()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)


def read_keys(stream: TextIO) -> Iterator[str]:
    """The keys typed on ``stream``: one at a time from a terminal (the caller has put
    it in cbreak mode), every character of each line from a pipe; ends with the input."""
    if stream.isatty():
        fd = stream.fileno()
        while True:
            data = os.read(fd, 64)
            if not data:
                return
            yield from data.decode("utf-8", "replace")
    else:
        for line in stream:
            yield from (key for key in line if not key.isspace())


class cbreak:
    """Context: a terminal reads keys as they are typed, without echo (Ctrl-C still
    interrupts), and is put back as it was on exit, whatever happened; not a terminal:
    nothing to do."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self._saved = None

    def __enter__(self):
        if self.stream.isatty():
            import termios
            import tty

            fd = self.stream.fileno()
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
        return self

    def __exit__(self, *exc):
        if self._saved is not None:
            import termios

            termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None
        return False


class Keyboard:
    """Reads keys from ``keys_in`` on its own thread and acts on them: a press of the
    buttons, the help, or quit (``on_quit``). What each key did is written to ``out``."""

    def __init__(self, buttons_cfg, pin_factory, keys_in: TextIO, out: TextIO, on_quit: Callable[[], None]):
        self.buttons_cfg = buttons_cfg
        self.presser = ButtonPresser(buttons_cfg, pin_factory)
        self.keys_in = keys_in
        self.out = out
        self.on_quit = on_quit
        self._thread = threading.Thread(target=self._read, name="sweeper-keys", daemon=True)

    def start(self) -> "Keyboard":
        self._help()
        self._thread.start()
        return self

    def _help(self) -> None:
        self._say("keys (h: this help again):\n" + "\n".join(help_lines(self.buttons_cfg)))

    def _say(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def _read(self) -> None:
        try:
            for key in read_keys(self.keys_in):
                if not self.handle(key):
                    return
        except (OSError, ValueError):  # the input went away (closed terminal): no more keys
            return

    def handle(self, key: str) -> bool:
        """Act on one key; False once it was quit."""
        if key == "q":
            self._say("> q: quit")
            self.on_quit()
            return False
        if key in ("h", "?"):
            self._help()
            return True
        press = self.presser.press(key)
        if press is not None:
            self._say(f"> {key}: {press.what}")
        elif key.strip():
            self._say(f"> {key!r} presses nothing (h: the keys)")
        return True

    def close(self) -> None:
        self.presser.close()


def run_with_keyboard(dev, buttons_cfg, keys_in: TextIO = sys.stdin, out: TextIO = sys.stderr):
    """Serve the device (``dev.daemon.run()``) while keys from ``keys_in`` press its mock
    buttons; the terminal is put back as it was however the run ends."""
    if dev.controls is None:
        out.write("sweeper: the buttons are off (buttons.enabled: false): keys press nothing\n")
    keyboard = Keyboard(buttons_cfg, dev.pin_factory, keys_in, out, dev.daemon.quit)
    try:
        with cbreak(keys_in):
            keyboard.start()
            return dev.daemon.run()
    finally:
        keyboard.close()
