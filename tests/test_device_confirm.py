"""Is it watching this room? The device side of issue 16: the confirmation LEDs on mock
pins, their self-test line, the screens, and the result kept with the finding in the
history, the reports and the fleet's MQTT messages."""
import csv
import io
import json

import numpy as np
import pytest
from mosquitto import MOSQUITTO

from sweeper import kinds, watching
from sweeper.config import default_config, parse_config
from sweeper.device import led
from sweeper.device.display import Display, NullDisplay
from sweeper.device.led import StimulusLeds
from sweeper.errors import HardwareError
from sweeper.findings import Finding, SweepResult
from sweeper.venue import report
from sweeper.venue.history import HistoryStore
from sweeper.venue.recorder import Venue

EXAMPLE = next(iter(kinds.REGISTRY.values())).example
YES = {"watching": "yes", "stimulus_p": 0.0005, "stimulus_delay_s": 0.4,
       "reasons": ["its traffic: its bytes rose when the room was lit or moving, 0.4 s later (r = 0.71)",
                   "p = 0.0005: no more than 0.05% of 1999 schedules it could not have seen matched it as well"],
       "mode": "led", "duration_s": 20.0, "confirmed_at": "2026-12-05T10:00:00Z"}
NO = {"watching": "no_response", "stimulus_p": 0.41, "stimulus_delay_s": None,
      "reasons": ["heard for 100% of 20 s and 9 changes of the room, its traffic did not follow them",
                  "this is not proof it is elsewhere: a camera facing a wall, covered, or at a fixed "
                  "bitrate may not react"], "mode": "lights", "duration_s": 20.0,
      "confirmed_at": "2026-12-05T10:01:00Z"}


def confirm_cfg(text):
    return parse_config(text).confirm


# --------------------------------------------------------------------------- the LEDs


def test_the_leds_switch_on_their_mock_pins(pins):
    leds = StimulusLeds(confirm_cfg("confirm:\n  led_pin: 23\n  ir_led_pin: 25\n"))
    try:
        assert leds.fitted("led") and leds.fitted("ir_led")
        assert pins.pin(23).state == 0 and pins.pin(25).state == 0  # off until told
        leds.set("led", True)
        assert pins.pin(23).state == 1 and pins.pin(25).state == 0 and leds.is_on("led")
        leds.set("ir_led", True)
        leds.off()
        assert pins.pin(23).state == 0 and pins.pin(25).state == 0
    finally:
        leds.close()
    again = StimulusLeds(confirm_cfg("confirm:\n  led_pin: 23\n"))  # the pins were let go
    assert not again.fitted("ir_led")
    again.set("ir_led", True)  # not fitted: nothing to switch, no error
    again.close()


def test_a_busy_led_pin_is_a_hardware_error_naming_the_key(pins):
    from gpiozero import DigitalOutputDevice

    held = DigitalOutputDevice(25)
    try:
        with pytest.raises(HardwareError, match=r"GPIO25 for the IR confirmation LED.*confirm\.ir_led_pin"):
            StimulusLeds(confirm_cfg("confirm:\n  led_pin: 23\n  ir_led_pin: 25\n"))
        StimulusLeds(confirm_cfg("confirm:\n  led_pin: 23\n")).close()  # the white one was let go
    finally:
        held.close()


def test_selftest_line(pins, monkeypatch):
    assert led.probe(default_config()).ok and "none fitted" in led.probe(default_config()).detail
    cfg = parse_config("confirm:\n  led_pin: 23\n")
    check = led.probe(cfg)
    assert check.ok and "white confirmation LED on GPIO23" in check.detail

    def broken(c):
        raise HardwareError("cannot use GPIO23 for the white confirmation LED (BadPinFactory: no backend)")

    check = led.probe(cfg, opener=broken)
    assert not check.ok and "configured but not usable" in check.detail
    assert "MOSFET" in check.fix and "null" in check.fix

    def busy(c):
        raise HardwareError("cannot use GPIO23 for the white confirmation LED (GPIOPinInUse: pin GPIO23 is "
                            "already in use)")

    assert led.probe(cfg, opener=busy).ok  # the running daemon holds it


@pytest.mark.parametrize("text, problem", [
    ("confirm:\n  led_pin: 17\n", "already buttons.select_pin"),
    ("confirm:\n  ir_led_pin: 18\n", "already buzzer.pin"),
    ("confirm:\n  led_pin: 2\n", "I2C"),
    ("confirm:\n  led_pin: 23\n  ir_led_pin: 23\n", "different pins"),
    ("confirm:\n  mode: ir_led\n", "needs confirm.ir_led_pin"),
    ("confirm:\n  duration_s: 40\n", "out of range"),
])
def test_config_rules(text, problem):
    from sweeper.errors import ConfigError

    with pytest.raises(ConfigError, match=problem):
        parse_config(text)


def test_auto_mode_uses_what_is_fitted():
    assert default_config().confirm.stimulus() == "lights"
    assert confirm_cfg("confirm:\n  led_pin: 23\n").stimulus() == "led"
    assert confirm_cfg("confirm:\n  ir_led_pin: 25\n").stimulus() == "ir_led"
    assert confirm_cfg("confirm:\n  mode: wave\n  led_pin: 23\n").stimulus() == "wave"


# --------------------------------------------------------------------------- the screens


def lit(display):
    return np.array(display.image.convert("1"), dtype=bool)


def test_the_verdict_screens_differ_and_an_alarm_is_inverted():
    d = Display.dummy()
    frames = {}
    for w in ("yes", "no_response", "unknown"):
        d.confirmed(EXAMPLE, w, "a reason")
        assert d.screen == "confirmed"
        frames[w] = lit(d)
    assert frames["yes"][:30].mean() > 0.6  # WATCHING THIS ROOM: a white block, like CAMERA
    assert frames["no_response"][:30].mean() < 0.4 and frames["unknown"][:30].mean() < 0.4
    assert (frames["no_response"] != frames["unknown"]).any()
    d.confirmed(EXAMPLE, "no_response", "another reason")
    assert (lit(d)[36:50] != frames["no_response"][36:50]).any() and (lit(d)[:35] == frames["no_response"][:35]).all()
    d.close()


def test_the_confirm_screen_shows_prompt_countdown_and_bar():
    d = Display.dummy()
    d.confirm(EXAMPLE, 12.0, "Lights OFF now", 0.0)
    base = lit(d)
    d.confirm(EXAMPLE, 12.0, "Lights OFF now", 0.8)
    assert (lit(d)[50:] != base[50:]).any() and (lit(d)[:50] == base[:50]).all()  # only the bar moved
    d.confirm(EXAMPLE, 3.0, "Lights OFF now", 0.0)
    assert (lit(d)[:13] != base[:13]).any() and (lit(d)[13:] == base[13:]).all()  # only the seconds
    d.confirm(EXAMPLE, 12.0, "Lights ON in 2", 0.0)
    assert (lit(d)[13:37] != base[13:37]).any()
    d.confirm(EXAMPLE, 12.0, "Wave at the walls, slowly, all of them", 0.0)  # wraps, never spills
    assert not lit(d)[:, -1][14:37].any()
    d.close()
    n = NullDisplay()
    n.confirm(EXAMPLE, 1, "x", 0.5)
    assert n.screen == "confirm"
    n.confirmed(EXAMPLE, "yes", "x")
    assert n.screen == "confirmed"


def test_words():
    assert watching.short_reason(YES) == "p=0.0005, 0.4s later"
    assert watching.short_reason(NO) == "not proof it is elsewhere"
    unsure = {"watching": "unknown", "reasons": ["the transmitter was heard in 40% of the time; at least 70% is needed"]}
    assert watching.short_reason(unsure) == "camera not heard enough"
    assert watching.summary(NO).startswith("no response (not proof it is elsewhere); stimulus: the room's lights")
    assert watching.of({"confirmation": {"watching": "maybe"}}) is None
    assert watching.of(Finding.from_json(dict(EXAMPLE, confirmation=YES)))["stimulus_p"] == 0.0005


# --------------------------------------------------------------------------- history, reports, MQTT


def _recorded(tmp_path, publisher=None):
    cfg = default_config()
    store = HistoryStore(str(tmp_path / "h.db"))
    venue = Venue(cfg, store=store, publisher=publisher)
    wifi = [k for k in kinds.REGISTRY.values() if k.example is not EXAMPLE][0].example
    findings = [Finding.from_json(EXAMPLE), Finding.from_json(wifi)]
    result = SweepResult("CAMERA", findings, reports={}, heard={"rf_emitters": 3, "wifi_devices": 5})
    record = venue.record(result, "Room 7", "button", {"RF": "ok"}, 1.7e9 - 30, 1.7e9)
    return venue, store, record, result


def test_a_confirmation_is_kept_with_its_finding(tmp_path, capsys):
    venue, store, record, result = _recorded(tmp_path)
    try:
        second = result.findings[1]
        confirmed = Finding.from_json(dict(second.to_json(), confirmation=NO))
        message = venue.confirm(record, 1, confirmed)
        assert message["watching"] == "no_response" and message["sweep_id"] == record["id"]
        assert message["finding"]["confirmation"] == NO and message["finding_index"] == 1
        stored = store.sweep(record["id"])
        assert "confirmation" not in stored["findings"][0]
        assert stored["findings"][1]["confirmation"] == NO
        assert record["findings"][1]["confirmation"] == NO
        # the same finding again (a second try): the newer result replaces the older
        venue.confirm(record, 1, Finding.from_json(dict(second.to_json(), confirmation=YES)))
        assert store.sweep(record["id"])["findings"][1]["confirmation"]["watching"] == "yes"
        # found by its key when the index is off
        first = Finding.from_json(dict(result.findings[0].to_json(), confirmation=NO))
        store.confirm(record["id"], 5, first.baseline["key"], NO)
        assert store.sweep(record["id"])["findings"][0]["confirmation"] == NO
    finally:
        store.close()


def test_history_show_and_the_reports_carry_it(tmp_path, capsys):
    from sweeper.cli import main

    venue, store, record, result = _recorded(tmp_path)
    venue.confirm(record, 0, Finding.from_json(dict(result.findings[0].to_json(), confirmation=YES)))
    venue.confirm(record, 1, Finding.from_json(dict(result.findings[1].to_json(), confirmation=NO)))
    records = store.sweeps()
    store.close()
    conf = tmp_path / "sweeper.yaml"
    conf.write_text(f"history:\n  path: {tmp_path / 'h.db'}\n")
    capsys.readouterr()
    assert main(["--config", str(conf), "history", "--show", str(record["id"])]) == 0
    out = capsys.readouterr().out
    assert "is it watching this room? watching this room (p=0.0005, 0.4s later); stimulus: the white LED" in out
    assert "is it watching this room? no response (not proof it is elsewhere); stimulus: the room's lights" in out
    assert "this is not proof it is elsewhere: a camera facing a wall" in out
    html = report.render_html(records, {"title": "Room 7", "generated_at": "2026-12-05T00:00:00Z"})
    assert html.count('class="watching w-yes"') == 1 and html.count('class="watching w-no"') == 1
    assert "Is it watching this room? <strong>watching this room (p=0.0005" in html
    rows = list(csv.DictReader(io.StringIO(report.findings_csv(records))))
    assert [r["watching"] for r in rows if r["row_kind"] == "finding"] == ["yes", "no_response"]
    assert rows[0]["stimulus_p"] == "0.0005" and rows[0]["stimulus_delay_s"] == "0.4"
    assert rows[1]["confirmation"].startswith("no response (not proof it is elsewhere)")
    doc = json.loads(report.records_json(records, {}))
    assert doc["sweeps"][0]["findings"][0]["confirmation"] == YES


@pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto broker not installed (apt-get install mosquitto)")
def test_the_fleet_gets_a_confirmation_message(tmp_path):
    from mosquitto import Broker, Subscriber
    from test_contracts import same_shape, stored

    from sweeper.venue.mqtt import FleetPublisher, MqttSettings

    broker = Broker(str(tmp_path)).start()
    live = Subscriber(broker, ["sweeper/#"])
    publisher = FleetPublisher(MqttSettings(host="127.0.0.1", port=broker.port), "sweeper-test", "Room 7 sweeper",
                               str(tmp_path / "outbox.db"))
    try:
        venue, store, record, result = _recorded(tmp_path, publisher)
        venue.confirm(record, 1, Finding.from_json(dict(result.findings[1].to_json(), confirmation=NO)))
        assert live.wait(lambda s: any(m.topic == "sweeper/sweeper-test/confirmation" for m in s.messages), timeout=20)
        message = json.loads(next(m.payload for m in live.messages if m.topic.endswith("/confirmation")))
        assert message["watching"] == "no_response" and message["finding"]["confirmation"]["mode"] == "lights"
        assert message["sweep_id"] == record["id"] and message["device_id"] == venue.device_id
        # the contract (tests/data/contracts/confirmation.json); the finding has its kind's
        # shape (pinned by the sweep contracts), and the confirmation it carries
        example = stored("confirmation")
        assert same_shape(dict(example, finding=None), message) == []
        assert same_shape(example["finding"]["confirmation"], message["finding"]["confirmation"]) == []
        assert same_shape(stored("history_show")["findings"][0]["confirmation"], example["finding"]["confirmation"]) == []
        assert Finding.from_json(message["finding"]).to_json() == message["finding"]
        store.close()
    finally:
        publisher.close()
        live.close()
        broker.stop()


# --------------------------------------------------------------------------- prompts


def test_prompts_count_down_to_each_prompted_change():
    from sweeper.confirm import live
    from sweeper.device import confirming

    plan = live.make_plan("lights", np.random.default_rng(3), 20.0)
    bounds = list(plan.schedule.boundaries())
    change = next(b for a, b in zip(bounds, bounds[1:]) if b - a > 2.3)  # after a long dwell
    coming = plan.prompt_at(change + 1e-3)
    assert coming in ("Lights OFF now", "Lights ON now")
    assert confirming.prompt_at(plan, "lights", change - 1.2) == (f"{coming[:-4]} in 2", 2)  # "Lights ON in 2"
    assert confirming.prompt_at(plan, "lights", change - 0.4)[1] == 1
    assert confirming.prompt_at(plan, "lights", change + 0.01) == (coming, None)  # now: the plan's own
    assert confirming.prompt_at(plan, "lights", change + 0.9) == (coming, None)  # for a second
    led = live.make_plan("led", np.random.default_rng(3), 15.0)
    assert confirming.prompt_at(led, "led", 1.0) == ("LED flashing", None)  # nothing to count down
    assert confirming.prompt_at(led, "ir_led", 1.0) == ("IR LED flashing", None)


def test_an_led_that_is_not_there_falls_back_to_prompts():
    from sweeper.device import confirming

    said = []
    mode, plan = confirming.plan_for(confirm_cfg("confirm:\n  led_pin: 23\n"), None, np.random.default_rng(1),
                                     said.append)
    assert mode == "lights" and plan.mode == "lights" and "not available" in said[0]
    mode, plan = confirming.plan_for(confirm_cfg("confirm:\n  mode: wave\n  duration_s: 12\n"), None, None)
    assert mode == "wave" and plan.duration_s == 12.0


def test_a_failing_led_stops_the_confirmation_with_its_fix(pins):
    """The stimulator lets the LED's error through (the confirmation ends with it: a
    verdict without the LED would mislead), and switching off never raises."""
    from sweeper.device import confirming

    class Broken:
        def fitted(self, which):
            return True

        def set(self, which, on):
            raise HardwareError("the white confirmation LED failed (x): check its wiring")

    s = confirming.Stimulator(Broken(), "led", None)
    with pytest.raises(HardwareError, match="check its wiring"):
        s.set("flash")
    s.off()
