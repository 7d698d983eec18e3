"""The simulated device driven from a keyboard (issue 18): `sweeper run --simulate
--terminal` draws each screen under its name and keys press the buttons on its mock pins."""
import fcntl
import io
import os
import pty
import re
import select
import subprocess
import sys
import termios
import time

from conftest import ROOT
from device_harness import Running, quick_config
from sweeper.device.app import RecordingDisplay, build_device
from sweeper.device.display import Display, frame_to_text
from sweeper.device.keys import HOLD_MARGIN_S, Keyboard, presses, read_keys


def test_keys_from_a_pipe_are_every_character_of_each_line():
    assert list(read_keys(io.StringIO("s\n  S n\n\nq\n"))) == ["s", "S", "n", "q"]


def test_keys_press_the_buttons_on_the_mock_pins(pins):
    cfg = quick_config()
    dev = build_device(cfg, simulate=True, pin_factory=pins)
    out = io.StringIO()
    quit_asked = []
    with Running(dev, cfg) as run:
        keyboard = Keyboard(cfg.buttons, pins, io.StringIO(), out, lambda: quit_asked.append(True))
        select_pin, next_pin = run.pin(cfg.buttons.select_pin), run.pin(cfg.buttons.next_pin)
        select_pin.clear_states()
        next_pin.clear_states()
        for key in "bSx":
            keyboard.handle(key)
        keyboard.presser.wait()
        selects, nexts = list(select_pin.states[1:]), list(next_pin.states[1:])
        assert keyboard.handle("q") is False and quit_asked
        keyboard.close()
    # b: both pins low, then high; then S: SELECT alone, held past the long press
    assert [s.state for s in selects] == [False, True, False, True]
    assert [s.state for s in nexts] == [False, True]
    assert selects[3].timestamp >= cfg.buttons.long_press_s
    said = out.getvalue()
    assert "> b: both buttons" in said and "> S: SELECT held" in said and "'x' presses nothing" in said


def test_every_key_is_in_the_readme_and_the_help():
    readme = open(os.path.join(ROOT, "README.md")).read()
    cfg = quick_config()
    for key in [*presses(cfg.buttons), "q", "h"]:
        assert re.search(rf"\| `{re.escape(key)}` \|", readme), f"README's key table lacks {key}"
    assert readme.count(f"+ {HOLD_MARGIN_S:g} s |") == 3
    screen = Display.dummy()
    screen.boot("0")
    art = frame_to_text(screen.image).splitlines()
    flat_readme = " ".join(readme.split())
    assert f"{len(art[0])} columns by {len(art)} rows with its border" in flat_readme
    assert f"at least every {RecordingDisplay.FRAME_EVERY_S:g} s while they last" in flat_readme
    help_text = subprocess.run([sys.executable, "-m", "sweeper", "run", "--help"], capture_output=True,
                               text=True, cwd=ROOT).stdout
    flat = " ".join(help_text.split())
    for key in [*presses(cfg.buttons), "q", "h"]:
        assert f" {key} " in flat


class Terminal:
    """`sweeper` on a pseudo-terminal: type keys, wait for what it draws."""

    def __init__(self, *args):
        self.master, self.slave = pty.openpty()
        self.before = termios.tcgetattr(self.slave)
        # its own session with this terminal as its controlling one: Ctrl-C is a SIGINT
        self.proc = subprocess.Popen([sys.executable, "-m", "sweeper", *args], stdin=self.slave,
                                     stdout=self.slave, stderr=self.slave, cwd=ROOT, start_new_session=True,
                                     preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        self.seen = ""

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            assert time.monotonic() < deadline, f"no {text!r} on the terminal; it shows:\n{self.seen[-3000:]}"
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:
                    pass

    def close(self) -> int:
        rc = self.proc.wait(timeout=30)
        self.wait_for("", 0)
        after = termios.tcgetattr(self.slave)
        os.close(self.master)
        os.close(self.slave)
        self.restored = after[3] == self.before[3]  # the local modes: echo and line editing back
        return rc


def test_keys_on_a_terminal_sweep_and_locate_then_quit(tmp_path):
    conf = tmp_path / "sweeper.yaml"
    conf.write_text(f"history:\n  path: {tmp_path / 'h.db'}\nrf:\n  enabled: false\n"
                    "wifi:\n  channels: [1, 6, 11]\n  duration_s: 4\n")
    term = Terminal("--config", str(conf), "run", "--simulate", "--terminal")
    try:
        term.wait_for("[ready]")
        term.type("s")  # SELECT: sweep
        term.wait_for("[result]")
        term.type("S")  # SELECT held: locate the camera found
        term.wait_for("[locate]")
        term.type("q")
    except BaseException:
        term.proc.kill()
        raise
    assert term.close() == 0
    assert term.restored
    frames = [line for line in term.seen.splitlines() if line.startswith(("|", "+"))]
    assert frames and all(len(line.rstrip("\r")) <= 80 for line in frames)
    assert "> s: SELECT tap" in term.seen and "> S: SELECT held" in term.seen


def test_ctrl_c_puts_the_terminal_back(tmp_path):
    conf = tmp_path / "sweeper.yaml"
    conf.write_text(f"history:\n  path: {tmp_path / 'h.db'}\nrf:\n  enabled: false\n")
    term = Terminal("--config", str(conf), "run", "--simulate", "--terminal")
    try:
        term.wait_for("[ready]")
        assert not termios.tcgetattr(term.slave)[3] & termios.ECHO  # keys are read as typed, not echoed
        term.type("\x03")
        term.wait_for("interrupted")
    except BaseException:
        term.proc.kill()
        raise
    assert term.close() == 130
    assert term.restored
