"""Buzzer, vibration motor and buttons on gpiozero's mock pins."""
import time

import pytest
from gpiozero import Device, DigitalOutputDevice
from gpiozero.pins.mock import MockFactory, MockPWMPin

from sweeper.config import ButtonsConfig, BuzzerConfig
from sweeper.device import sounds
from sweeper.device.buttons import Controls
from sweeper.device.sounds import Annunciator
from sweeper.errors import HardwareError

SOUNDS = ("start", "clear", "incomplete", "suspect", "camera")
PULSES = {"start": 1, "clear": 2, "incomplete": 2, "suspect": 3, "camera": 11}


@pytest.fixture
def pins():
    previous = Device.pin_factory
    Device.pin_factory = MockFactory(pin_class=MockPWMPin)
    yield Device.pin_factory
    Device.pin_factory.reset()
    Device.pin_factory = previous


@pytest.fixture
def closing():
    """Closes what a test opened, even when it fails (so pins are free for the next)."""
    opened = []
    yield lambda thing: opened.append(thing) or thing
    for thing in reversed(opened):
        thing.close()


def wait_until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def pulses(pin):
    """On-times (s) of each pulse in a pin's history, from the recorded state changes."""
    durations, on_since, t = [], None, 0.0
    for change in pin.states[1:]:
        t += change.timestamp
        if change.state and on_since is None:
            on_since = t
        elif not change.state and on_since is not None:
            durations.append(t - on_since)
            on_since = None
    return durations


def play_all(annunciators, name):
    for pin, ann in annunciators:
        pin.clear_states()
        getattr(ann, name)()
    for _, ann in annunciators:
        assert wait_until(lambda: not ann.busy)


# --------------------------------------------------------------------------- sounds


def test_each_sound_has_its_own_rhythm_on_active_and_passive_buzzers(pins, closing):
    active = closing(Annunciator(BuzzerConfig(kind="active", pin=18)))
    passive = closing(Annunciator(BuzzerConfig(kind="passive", pin=19)))
    both = [(pins.pin(18), active), (pins.pin(19), passive)]
    signatures = {}
    for name in SOUNDS:
        play_all(both, name)  # both buzzers at once keeps the test short
        for pin, ann in both:
            on = pulses(pin)
            assert len(on) == PULSES[name], (ann.cfg.kind, name, pin.states)
            assert not pin.state  # silent afterwards
            signatures[(ann.cfg.kind, name)] = (len(on), round(max(on), 1))
        if name == "clear":
            pins.pin(18).assert_states_and_times([(0, 0), (0, 1), (0.07, 0), (0.07, 1), (0.07, 0)])
            assert pins.pin(19).frequency == 3000  # ends on the higher tone
        if name == "camera":
            assert max(pulses(pins.pin(18))) > 0.6  # ends in a long tone
    for kind in ("active", "passive"):
        assert len({signatures[(kind, n)] for n in SOUNDS}) == len(SOUNDS)
    # a piezo gets a square wave, not DC (which would be silent)
    assert {s.state for s in pins.pin(19).states} <= {0.0, 0.5}


def test_sounds_return_at_once_and_a_new_one_replaces_the_old(pins, closing):
    ann = closing(Annunciator(BuzzerConfig(kind="active")))
    t0 = time.monotonic()
    ann.camera()
    assert time.monotonic() - t0 < 0.1 and ann.busy
    ann.start()
    assert wait_until(lambda: not ann.busy, timeout=1.0)
    ann.camera()
    ann.off()
    assert not ann.busy and not pins.pin(18).state


def test_quiet_mode_vibrates_and_never_sounds(pins, closing):
    ann = closing(Annunciator(BuzzerConfig(kind="passive", pin=18, vibration_pin=23), quiet=True))
    buzzer, motor = pins.pin(18), pins.pin(23)
    buzzer.clear_states()
    play_all([(motor, ann)], "suspect")
    assert len(pulses(motor)) == 3 and min(pulses(motor)) >= 0.25  # long enough to feel
    play_all([(motor, ann)], "start")
    assert len(pulses(motor)) == 1
    ann.proximity(1.0)
    time.sleep(0.3)
    ann.off()
    assert len(buzzer.states) == 1  # the buzzer pin never moved
    # switched back at runtime: the buzzer sounds, the motor rests
    ann.quiet = False
    play_all([(motor, ann)], "start")
    assert pulses(motor) == [] and len(pulses(buzzer)) == 1


def test_quiet_without_a_motor_is_silent(pins, closing):
    ann = closing(Annunciator(BuzzerConfig(kind="active"), quiet=False))
    ann.quiet = True
    pin = pins.pin(18)
    pin.clear_states()
    ann.camera()
    ann.proximity(1.0)
    time.sleep(0.2)
    assert len(pin.states) == 1 and not ann.busy


def count_ticks(ann, pin, level, seconds=0.6, calls_per_s=20):
    """Feed a level the way locate mode does (many calls a second); count the ticks."""
    pin.clear_states()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ann.proximity(level)
        time.sleep(1 / calls_per_s)
    ann.off()
    return len(pulses(pin))


def test_proximity_ticks_faster_when_closer(pins, closing):
    ann = closing(Annunciator(BuzzerConfig(kind="passive")))
    pin = pins.pin(18)
    silent = count_ticks(ann, pin, 0.0)
    far = count_ticks(ann, pin, 0.1)
    near = count_ticks(ann, pin, 1.0)
    assert silent == 0
    assert far == 1  # repeated calls do not restart the ticker (that would tick each call)
    assert near >= 4
    assert sounds.tick_period(0.0) > sounds.tick_period(0.5) > sounds.tick_period(1.0)
    # near-continuous at 1
    assert sounds.tick_on_time(1.0) / sounds.tick_period(1.0) >= 0.6


def test_proximity_reacts_to_a_rising_level_without_waiting_a_slow_period(pins, closing):
    ann = closing(Annunciator(BuzzerConfig(kind="active")))
    pin = pins.pin(18)
    ann.proximity(0.05)  # ticks now, next tick in ~1 s
    time.sleep(0.15)
    pin.clear_states()
    ann.proximity(1.0)
    time.sleep(0.25)
    ann.off()
    assert len(pulses(pin)) >= 1


def test_pin_in_use_is_a_hardware_error_naming_the_pin(pins, closing):
    closing(DigitalOutputDevice(18))
    with pytest.raises(HardwareError, match="GPIO18.*buzzer"):
        Annunciator(BuzzerConfig(pin=18))
    closing(DigitalOutputDevice(24))
    with pytest.raises(HardwareError, match="GPIO24.*vibration motor"):
        Annunciator(BuzzerConfig(pin=19, vibration_pin=24))
    # the buzzer opened before the motor failed was released again
    closing(DigitalOutputDevice(19))


def test_disabled_buzzer_uses_the_motor(pins, closing):
    ann = closing(Annunciator(BuzzerConfig(enabled=False, vibration_pin=23)))
    assert ann.buzzer is None
    play_all([(pins.pin(23), ann)], "clear")
    assert len(pulses(pins.pin(23))) == 2


# --------------------------------------------------------------------------- buttons

FAST = ButtonsConfig(select_pin=17, next_pin=27, long_press_s=0.3, shutdown_press_s=1.0)


@pytest.fixture
def controls(pins):
    events = []
    c = Controls(FAST, events.append)
    yield c, events, pins.pin(17), pins.pin(27)
    c.close()


def test_short_press_is_select(controls):
    c, events, select, _ = controls
    assert c.select.pin.bounce == pytest.approx(0.05)
    select.drive_low()
    time.sleep(0.05)
    assert events == []  # a press could still become a hold
    select.drive_high()
    assert events == ["select"]
    time.sleep(0.35)  # the cancelled hold timer stays quiet
    assert events == ["select"]


def test_hold_is_locate_while_still_held(controls):
    _, events, select, _ = controls
    select.drive_low()
    assert wait_until(lambda: events == ["locate"], timeout=1.0)
    assert not select.state  # still held
    time.sleep(0.1)
    select.drive_high()
    time.sleep(0.05)
    assert events == ["locate"]  # no select on release


def test_very_long_hold_is_shutdown_once(controls):
    _, events, select, _ = controls
    t0 = time.monotonic()
    select.drive_low()
    assert wait_until(lambda: "shutdown" in events, timeout=2.0)
    assert 0.9 <= time.monotonic() - t0 < 1.5
    time.sleep(0.2)
    select.drive_high()
    assert events == ["locate", "shutdown"]


def test_next_and_a_sequence_of_presses(controls):
    _, events, select, nxt = controls
    nxt.drive_low()
    nxt.drive_high()
    select.drive_low()
    select.drive_high()
    select.drive_low()
    assert wait_until(lambda: events[-1:] == ["locate"], timeout=1.0)
    select.drive_high()
    nxt.drive_low()
    nxt.drive_high()
    assert events == ["next", "select", "locate", "next"]


@pytest.mark.parametrize("first", ["select", "next"])
def test_both_buttons_together_are_quiet_and_nothing_else(controls, first):
    """The chord, whichever button lands first: one "quiet", no tap, no hold (held past
    the locate and shutdown times)."""
    _, events, select, nxt = controls
    a, b = (select, nxt) if first == "select" else (nxt, select)
    a.drive_low()
    time.sleep(0.1)
    b.drive_low()
    assert events == ["quiet"]
    time.sleep(1.2)  # past both hold times
    a.drive_high()
    b.drive_high()
    time.sleep(0.05)
    assert events == ["quiet"]
    select.drive_low()  # and the buttons work as before afterwards
    select.drive_high()
    assert events == ["quiet", "select"]


def test_a_failing_handler_does_not_stop_the_buttons(pins):
    seen = []

    def handler(event):
        seen.append(event)
        raise RuntimeError("handler bug")

    c = Controls(FAST, handler)
    try:
        for _ in range(2):
            pins.pin(27).drive_low()
            pins.pin(27).drive_high()
        assert seen == ["next", "next"]
    finally:
        c.close()


def test_close_releases_the_pins_and_stops_events(pins):
    events = []
    c = Controls(FAST, events.append)
    pins.pin(17).drive_low()
    c.close()
    time.sleep(0.35)
    assert events == []
    c2 = Controls(FAST, events.append)  # the pins are free again
    c2.close()


def test_button_pin_in_use_is_a_hardware_error(pins):
    held = DigitalOutputDevice(27)
    try:
        with pytest.raises(HardwareError, match="GPIO27 for the NEXT button"):
            Controls(FAST, lambda e: None)
        Controls(FAST.__class__(select_pin=17, next_pin=22), lambda e: None).close()
    finally:
        held.close()


def test_holding_next_is_confirm_while_still_held(controls):
    _, events, _, nxt = controls
    nxt.drive_low()
    assert wait_until(lambda: events == ["confirm"], timeout=1.0)
    assert not nxt.state  # still held
    nxt.drive_high()
    time.sleep(0.05)
    assert events == ["confirm"]  # no next on release
    nxt.drive_low()
    nxt.drive_high()
    time.sleep(0.35)  # a tap: next, and its cancelled hold timer stays quiet
    assert events == ["confirm", "next"]
