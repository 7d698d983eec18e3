"""The handheld as a person in a restroom uses it (issue 18): discreet by choice, a
power-off that a nervous hold cannot trigger, locate that leads, and a signal meter.
Driven through gpiozero's mock pins; the screens are read from luma's dummy panel."""
import dataclasses
import threading
import time

import numpy as np
import pytest

from sweeper.device.app import build_device

from device_harness import Running, quick_config

VIBRATION_PIN = 22


def rf_only(**rf):
    """The simulated room's RF half only: a sweep in a second or two."""
    cfg = quick_config()
    cfg = dataclasses.replace(cfg, wifi=dataclasses.replace(cfg.wifi, enabled=False),
                              rf=dataclasses.replace(cfg.rf, **rf) if rf else cfg.rf,
                              buzzer=dataclasses.replace(cfg.buzzer, vibration_pin=VIBRATION_PIN))
    return cfg


def changes(dev, pin):
    return len(dev.pin_factory.pin(pin).states)


def press_both(run, cfg):
    """The quiet chord: the thumb lands on SELECT a moment before NEXT."""
    select, nxt = run.pin(cfg.buttons.select_pin), run.pin(cfg.buttons.next_pin)
    select.drive_low()
    time.sleep(0.05)
    nxt.drive_low()
    time.sleep(0.15)
    nxt.drive_high()
    select.drive_high()
    time.sleep(0.1)


def panel_is_dark(dev):
    shown = dev.display.device.image  # what luma's dummy panel was last sent
    return shown is None or not np.asarray(shown.convert("1")).any()


def test_quiet_chord_silences_dims_and_blanks_the_verdict_until_a_press(pins):
    cfg = rf_only()
    dev = build_device(cfg, simulate=True, pin_factory=pins)
    b = cfg.buttons
    with Running(dev, cfg) as run:
        assert not dev.display.dimmed and "QUIET" not in dev.display.text
        press_both(run, cfg)
        run.wait_until(lambda: dev.daemon.quiet, "quiet mode")
        assert dev.daemon.state == "ready"  # the chord is neither a sweep nor a hold
        assert dev.display.dimmed and "QUIET" in dev.display.text
        buzzer, motor = changes(dev, cfg.buzzer.pin), changes(dev, VIBRATION_PIN)
        run.press(b.select_pin)
        run.wait_state("result")
        assert dev.daemon.outcome.verdict == "CAMERA"
        run.wait_until(lambda: changes(dev, VIBRATION_PIN) > motor + 6, "the camera pattern on the motor")
        time.sleep(0.3)
        assert changes(dev, cfg.buzzer.pin) == buzzer  # not one sound
        assert dev.display.asleep and panel_is_dark(dev)  # nothing on the panel for others to see
        run.press(b.next_pin)  # the first press only wakes the panel
        run.wait_until(lambda: not panel_is_dark(dev), "the verdict shown")
        assert dev.daemon.state == "result" and dev.display.screen == "result"
        assert "CAMERA" in dev.display.text
        press_both(run, cfg)
        run.wait_until(lambda: not dev.daemon.quiet, "quiet mode off")
        assert not dev.display.dimmed
        run.wait_until(lambda: changes(dev, cfg.buzzer.pin) > buzzer, "a blip: sound is back")


def test_run_quiet_starts_quiet(pins):
    cfg = rf_only()
    cfg = dataclasses.replace(cfg, output=dataclasses.replace(cfg.output, quiet=True))
    dev = build_device(cfg, simulate=True, pin_factory=pins)
    with Running(dev, cfg):
        assert dev.daemon.quiet and dev.display.dimmed and "QUIET" in dev.display.text


def test_a_long_hold_asks_before_powering_off(pins):
    cfg = rf_only()
    calls = []
    dev = build_device(cfg, simulate=True, pin_factory=pins, shutdown=lambda: calls.append("poweroff"))
    b = cfg.buttons
    with Running(dev, cfg) as run:
        run.press(b.select_pin, hold_s=b.shutdown_press_s + 0.3)  # a nervous hold
        run.wait_screen("poweroff", timeout=5)
        assert "POWER OFF?" in dev.display.text and "NEXT: power off" in dev.display.text
        assert calls == [] and dev.daemon.state == "poweroff"
        run.press(b.select_pin)  # no
        run.wait_screen("ready", timeout=5)
        assert calls == []
        run.press(b.select_pin, hold_s=b.shutdown_press_s + 0.3)
        run.wait_screen("poweroff", timeout=5)
        run.press(b.next_pin)  # yes
        run.wait_state("shutdown", timeout=10)
        assert calls == ["poweroff"] and "Shutting down" in dev.display.text


def walk(source, gains_db, step_s=0.1):
    """The simulated user walks: the dongle hears every emitter ``gain`` dB louder."""
    def go():
        for g in gains_db:
            source.path_gain_db = float(g)
            time.sleep(step_s)
    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t


def bar_and_peak(dev):
    """Read the locate/meter bar off the frame: the filled width (row 56) and the x of
    the peak-hold notch above the bar (row 46)."""
    frame = np.asarray(dev.display.image.convert("1"))
    notch = np.flatnonzero(frame[46])
    return int(frame[56, 2:126].sum()), (float(notch.mean()) if notch.size else None)


def lead_screens(dev, seconds):
    """The locate/meter screens' words over ``seconds``."""
    seen = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        seen.append(dev.display.text)
        time.sleep(0.05)
    return seen


def test_locate_leads_closer_then_farther_with_a_peak_mark(pins):
    cfg = rf_only()
    dev = build_device(cfg, simulate=True, pin_factory=pins)
    b = cfg.buttons
    with Running(dev, cfg) as run:
        run.press(b.select_pin)
        run.wait_state("result")
        source = dev.hardware.sources["RF"]
        before = changes(dev, cfg.buzzer.pin)
        run.press(b.select_pin, hold_s=b.long_press_s + 0.2)
        run.wait_state("locate")
        time.sleep(1.0)  # the first readings set the scale
        header = dev.display.text.splitlines()[:2]
        assert header == ["LOCATE", "SELECT: back"]
        start_fill, _ = bar_and_peak(dev)
        walk(source, np.linspace(0, 18, 30))  # 3 s towards it
        closer = lead_screens(dev, 3.2)
        assert any("\u25b2 closer" in s for s in closer), closer[-1]
        top_fill, top_peak = bar_and_peak(dev)
        assert top_fill > start_fill + 35  # the bar moved a long way, wherever it started
        walk(source, np.linspace(18, 0, 30)).join()  # and away again
        farther = lead_screens(dev, 1.0)
        assert any("\u25bc farther" in s for s in farther), farther[-1]
        fill, peak_x = bar_and_peak(dev)
        assert fill < top_fill - 20 and peak_x is not None and peak_x > 2 + fill + 15  # the peak stays
        assert changes(dev, cfg.buzzer.pin) > before + 10  # the ticker followed
        run.press(b.select_pin)
        run.wait_state("finding")


def test_signal_meter_walks_the_bands_from_the_ready_screen(pins):
    cfg = rf_only(bands=("2.4GHz", "900MHz"))
    dev = build_device(cfg, simulate=True, pin_factory=pins)
    b = cfg.buttons
    with Running(dev, cfg) as run:
        run.press(b.select_pin, hold_s=b.long_press_s + 0.2)
        run.wait_state("meter")
        run.wait_until(lambda: "dBFS" in dev.display.text, "a reading", timeout=5)
        lines = dev.display.text.splitlines()
        assert lines[:3] == ["METER", "SELECT: back", "2.4GHz"]
        walk(dev.hardware.sources["RF"], np.linspace(0, 20, 25))
        screens = lead_screens(dev, 3.0)
        assert any("\u25b2 closer" in s for s in screens), screens[-1]
        run.press(b.next_pin)
        run.wait_until(lambda: dev.display.text.splitlines()[2:3] == ["900MHz"], "the next band")
        run.press(b.select_pin)
        run.wait_state("ready")


@pytest.mark.parametrize("event", ["select", "next"])
def test_an_idle_panel_blanks_and_the_waking_press_does_nothing_else(pins, event):
    cfg = rf_only()
    cfg = dataclasses.replace(cfg, display=dataclasses.replace(cfg.display, sleep_after_s=1.0))
    dev = build_device(cfg, simulate=True, pin_factory=pins)
    with Running(dev, cfg) as run:
        run.wait_until(lambda: dev.display.asleep and panel_is_dark(dev), "the panel blank", timeout=5)
        run.press(getattr(cfg.buttons, f"{event}_pin"))
        run.wait_until(lambda: not panel_is_dark(dev), "the panel back")
        assert dev.daemon.state == "ready"  # SELECT did not start a sweep


def test_battery_level_on_the_ready_screen_and_low_warning(pins):
    cfg = rf_only()
    cfg = dataclasses.replace(cfg, battery=dataclasses.replace(cfg.battery, enabled=True))
    dev = build_device(cfg, simulate=True, pin_factory=pins)
    dev.battery.cell.set(percent=73, volts=3.91, charging=False)
    with Running(dev, cfg) as run:
        assert "73%" in dev.display.text.splitlines()
        dev.battery.cell.set(percent=9, volts=3.55, charging=False)
        run.wait_until(lambda: "LOW 9%" in dev.display.text.splitlines(), "the low warning", timeout=12)
