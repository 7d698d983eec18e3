"""Issue 16's device acceptance, through the daemon as a user drives it: gpiozero's mock
pins (buttons, buzzer, the confirmation LED), luma's dummy display, a real history, and
the simulated Wi-Fi room as the radio. The room holds a hidden camera that sees it and a
neighbour's camera that does not; holding NEXT on a finding runs the confirmation.

The simulated adapter runs on its own clock, as fast as it can (a 10 s confirmation
takes a few seconds), except in the LED timing test, which paces it to the wall clock so
the LED pin's changes can be timed against the plan."""
import dataclasses
import io
import time

import numpy as np
import pytest
import yaml

from sweeper.device.app import build_device
from sweeper.device.display import Display
from sweeper.venue import report
from sweeper.venue.history import HistoryStore
from sweeper.venue.recorder import Venue

from device_harness import Running, quick_config

ROOM_CAMERA = "24:0a:c4:5b:19:e2"  # scene_room.yaml's hidden camera: it sees the room
NEIGHBOUR_CAMERA = "7c:dd:90:3a:51:0c"  # added here, next door: it does not
READ_S = 0.25  # the Wi-Fi confirmer's reads: the plan's changes are made at this step


class SpyDisplay(Display):
    """The dummy panel, remembering what each confirm screen said."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prompts = []
        self.verdicts = []

    def confirm(self, finding, seconds_left, prompt, strength, heard=True):
        self.prompts.append((seconds_left, prompt, strength, heard))
        super().confirm(finding, seconds_left, prompt, strength, heard)

    def confirmed(self, finding, watching, reason):
        self.verdicts.append((finding.address, watching, reason))
        super().confirmed(finding, watching, reason)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """The demo room plus a neighbour's camera on the neighbour's network."""
    from importlib import resources

    text = (resources.files("sweeper") / "data" / "scene_room.yaml").read_text()
    doc = yaml.safe_load(text)
    doc["wifi"]["devices"].append({
        "kind": "camera", "name": "neighbour's camera", "ap": "neighbour's router", "mac": NEIGHBOUR_CAMERA,
        "rssi_dbm": -60,
        "params": {"mode": "infra", "delivery": "live", "codec": "h264", "bitrate_bps": 1500000, "fps": 15,
                   "gop_s": 2, "rc": "vbr", "transport": "tcp", "start_s": 0, "stop_s": -1, "sees_room": False}})
    path = tmp_path_factory.mktemp("scene") / "scene_confirm.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def device(pins, tmp_path, scene, mode="led", quiet=False, duration_s=None, seed=1):
    cfg = quick_config()
    confirm = dataclasses.replace(cfg.confirm, mode=mode, led_pin=23, duration_s=duration_s)
    cfg = dataclasses.replace(cfg, rf=dataclasses.replace(cfg.rf, enabled=False), confirm=confirm,
                              history=dataclasses.replace(cfg.history, path=str(tmp_path / "h.db")),
                              output=dataclasses.replace(cfg.output, quiet=quiet),
                              buzzer=dataclasses.replace(cfg.buzzer, vibration_pin=22))
    store = HistoryStore(str(tmp_path / "h.db"))
    venue = Venue(cfg, store=store)
    display = SpyDisplay(Display.dummy().device, name="spy display")
    dev = build_device(cfg, simulate=True, scene=scene, pin_factory=pins, venue=venue, display=display)
    dev.daemon.rng = np.random.default_rng(seed)  # the plans: the same in every run of the test
    return cfg, dev, store


def sweep(run, dev, cfg):
    run.press(cfg.buttons.select_pin)
    run.wait_state("sweeping", timeout=10)
    run.wait_state("result", timeout=120)
    out = dev.daemon.outcome
    macs = [f.address for f in out.findings]
    assert ROOM_CAMERA in macs and NEIGHBOUR_CAMERA in macs, macs
    return out


def confirm(run, dev, cfg, mac, timeout=60):
    """NEXT to the finding with this MAC, hold NEXT, wait for the verdict."""
    out = dev.daemon.outcome
    if dev.display.asleep:  # quiet mode: the verdict waits on a blank panel for a press
        run.press(cfg.buttons.next_pin)
        run.wait_until(lambda: not dev.display.asleep, "the panel to wake")
    run.press(cfg.buttons.next_pin)
    run.wait_screen("finding")
    while out.findings[dev.daemon.index].address != mac:
        before = dev.daemon.index
        run.press(cfg.buttons.next_pin)
        run.wait_until(lambda: dev.daemon.index != before, "the next finding")
    run.press(cfg.buttons.next_pin, hold_s=cfg.buttons.long_press_s + 0.3)
    run.wait_until(lambda: dev.daemon.state in ("confirm", "confirmed"), "the confirmation to start")
    run.wait_state("confirmed", timeout=timeout)
    run.wait_screen("confirmed", timeout=5)  # drawn just after the state changes
    return dev.daemon.outcome.findings[dev.daemon.index]


def led_changes(pin):
    """(seconds since the first change, on) for every change of a mock pin."""
    t, out = 0.0, []
    for s in pin.states[1:]:
        t += s.timestamp
        out.append((t, bool(s.state)))
    return out


def test_the_camera_in_the_room_is_watching_and_the_neighbours_is_not(pins, tmp_path, scene):
    """The verdict screens, the LED driven by the plan, history and the report."""
    cfg, dev, store = device(pins, tmp_path, scene, duration_s=30.0)  # the longest: the surest
    try:
        with Running(dev, cfg) as run:
            out = sweep(run, dev, cfg)
            led = pins.pin(23)
            assert not led.state  # off until a confirmation
            mine = confirm(run, dev, cfg, ROOM_CAMERA)
            plan = dev.daemon._confirm["plan"]
            assert mine.get("confirmation")["watching"] == "yes", mine.get("confirmation")
            assert dev.display.screen == "confirmed"
            assert dev.display.verdicts[-1][:2] == (ROOM_CAMERA, "yes")
            # the LED followed the plan: one change per change of the plan, on for "flash"
            changes = led_changes(led)
            # (a change in the radio's last read, 0.25 s before the end, is not made: it is over)
            bounds = [b for b in plan.schedule.boundaries() if 0 < b < plan.duration_s - READ_S]
            flips = [plan.state_at(b + 1e-6) == "flash" for b in bounds]
            assert len(flips) >= 8 and flips == [i % 2 == 0 for i in range(len(flips))]
            made = [on for _, on in changes]
            assert made[:len(flips)] == flips and len(made) - len(flips) <= 2 and made[-1] is False
            assert not led.state
            assert dev.display.prompts and all(p[1] == "LED flashing" for p in dev.display.prompts)
            assert any(p[2] > 0 for p in dev.display.prompts)  # the live response bar moved
            run.press(cfg.buttons.select_pin)  # back
            run.wait_state("finding")
            theirs = confirm(run, dev, cfg, NEIGHBOUR_CAMERA)
            assert theirs.get("confirmation")["watching"] == "no_response", theirs.get("confirmation")
            assert dev.display.verdicts[-1][:2] == (NEIGHBOUR_CAMERA, "no_response")
            assert dev.display.verdicts[-1][2] == "not proof it is elsewhere"
            run.press(cfg.buttons.select_pin)
            run.wait_state("finding")
            stored = store.sweep(out.record["id"])
    finally:
        store.close()
    by_mac = {f.get("mac"): f for f in stored["findings"]}
    assert by_mac[ROOM_CAMERA]["confirmation"]["watching"] == "yes"
    assert by_mac[ROOM_CAMERA]["confirmation"]["stimulus_p"] <= 0.002
    assert by_mac[ROOM_CAMERA]["confirmation"]["mode"] == "led"
    assert by_mac[NEIGHBOUR_CAMERA]["confirmation"]["watching"] == "no_response"
    html = report.render_html([stored], {"title": "Room", "generated_at": "2026-12-05T00:00:00Z"})
    assert html.count('class="watching w-yes"') == 1 and html.count('class="watching w-no"') == 1
    csv_text = report.findings_csv([stored])
    assert ",yes," in csv_text and ",no_response," in csv_text


def test_the_led_pin_keeps_the_plans_time(pins, tmp_path, scene):
    """Paced to the wall clock: each change of the LED pin comes at its change of the
    plan (within the radio's 0.25 s reads), so the pin shows the plan's pseudo-random
    on/off sequence, timing and all."""
    cfg, dev, store = device(pins, tmp_path, scene)
    try:
        with Running(dev, cfg) as run:
            sweep(run, dev, cfg)
            dev.hardware.sources["Wi-Fi"].realtime = True
            confirm(run, dev, cfg, ROOM_CAMERA, timeout=40)
            plan = dev.daemon._confirm["plan"]
    finally:
        store.close()
    changes = led_changes(pins.pin(23))
    bounds = [b for b in plan.schedule.boundaries() if 0 < b < plan.duration_s - READ_S]
    assert len(changes) >= len(bounds) >= 8
    first_on = next(b for b in bounds if plan.state_at(b + 1e-6) == "flash")
    offset = changes[0][0] - first_on
    for (t, on), b in zip(changes, bounds[bounds.index(first_on):]):
        assert on == (plan.state_at(b + 1e-6) == "flash")
        assert -0.1 < (t - offset) - b < 0.45, (t - offset, b)
    # and at every time away from a change, the pin equals plan.state_at
    for t in np.arange(first_on, plan.duration_s - 0.5, 0.05):
        if min(abs(t - b) for b in bounds) < 0.5:
            continue
        done = [on for w, on in changes if w - offset <= t]
        assert done and done[-1] == (plan.state_at(t) == "flash"), t


def test_prompts_and_countdown_in_lights_mode_quietly(pins, tmp_path, scene):
    """"Lights OFF now" / "Lights ON now" with a countdown before each change; in quiet
    mode the buzzer never sounds (the vibration motor ticks instead) and the LED stays off."""
    cfg, dev, store = device(pins, tmp_path, scene, mode="lights", quiet=True, duration_s=10.0)
    try:
        with Running(dev, cfg) as run:
            sweep(run, dev, cfg)
            buzzer = len(pins.pin(cfg.buzzer.pin).states)
            motor = len(pins.pin(22).states)
            confirm(run, dev, cfg, ROOM_CAMERA)
            assert len(pins.pin(cfg.buzzer.pin).states) == buzzer  # quiet: no sound at all
            assert len(pins.pin(22).states) > motor + 4  # countdown ticks and cues, felt
            assert len(pins.pin(23).states) <= 1  # the LED is not used for prompts
    finally:
        store.close()
    prompts = [p[1] for p in dev.display.prompts]
    assert "Lights OFF now" in prompts or any(p.startswith("Lights OFF in ") for p in prompts)
    assert any(p.startswith("Lights ON in ") or p.startswith("Lights OFF in ") for p in prompts), prompts
    seconds = [p[0] for p in dev.display.prompts]
    assert seconds == sorted(seconds, reverse=True) and seconds[0] <= 10.0  # counts down


def test_an_adapter_pulled_mid_confirmation_says_so(pins, tmp_path, scene):
    cfg, dev, store = device(pins, tmp_path, scene)
    try:
        with Running(dev, cfg) as run:
            sweep(run, dev, cfg)
            src = dev.hardware.sources["Wi-Fi"]
            src.realtime = True  # time to pull it
            run.press(cfg.buttons.next_pin, hold_s=cfg.buttons.long_press_s + 0.3)
            run.wait_state("confirm", timeout=5)
            time.sleep(1.0)
            src.unplug()
            run.wait_state("result", timeout=10)
            run.wait_screen("error", timeout=5)
            assert not pins.pin(23).state  # the LED is left off
    finally:
        store.close()


def test_a_kind_that_cannot_be_confirmed_reads_unsure(pins, tmp_path):
    """A finding whose kind has no confirmer (here one nobody registered) gets UNSURE at
    once, and nothing is stored for it."""
    from sweeper.assembly import Part

    class Scanner:
        name = "test scanner"

        def close(self):
            pass

    class OddPart(Part):
        name, key, heard_key = "ODD", "odd", "odd_things"

        def __init__(self):
            super().__init__(Scanner)

        def sweep(self, cfg, source, stop_event, progress):
            progress(1.0, "odd")
            return {"verdict": "CAMERA", "findings": [{"type": "odd_camera_under_test", "verdict": "camera",
                                                        "score": 0.9, "reasons": ["odd"], "address": "x"}]}

    cfg = quick_config()
    cfg = dataclasses.replace(cfg, rf=dataclasses.replace(cfg.rf, enabled=False),
                              wifi=dataclasses.replace(cfg.wifi, enabled=False))
    display = SpyDisplay(Display.dummy().device, name="spy display")
    dev = build_device(cfg, simulate=True, pin_factory=pins, extra_parts=[OddPart()], display=display)
    with Running(dev, cfg) as run:
        run.press(cfg.buttons.select_pin)
        run.wait_state("result", timeout=30)
        run.press(cfg.buttons.next_pin, hold_s=cfg.buttons.long_press_s + 0.3)  # from the result screen
        run.wait_state("confirmed", timeout=5)
        run.wait_screen("confirmed", timeout=5)
        assert display.verdicts[-1][1:] == ("unknown", "cannot confirm this one")
        assert dev.daemon.outcome.findings[0].get("confirmation") is None
        run.press(cfg.buttons.select_pin)
        run.wait_state("finding")
