"""The battery level: the fuel gauge's register arithmetic (datasheet units), a cell that
drains and comes loose, the self-test's line, the device plumbing, and the Home Assistant
battery sensor on a real mosquitto."""
import dataclasses
import json

import pytest
from mosquitto import MOSQUITTO, Broker, Subscriber

from sweeper import selftest
from sweeper.config import ConfigError, default_config, parse_config
from sweeper.device import battery as bat
from sweeper.device.battery import (BATTERY_CHECK, CRATE, SOC, VCELL, VERSION, FuelGauge, GaugeMissing,
                                    SimulatedCell, decode, encode, open_gauge, probe)

needs_broker = pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto broker not installed "
                                  "(apt-get install mosquitto)")


def battery_cfg(**kw):
    return dataclasses.replace(default_config().battery, enabled=True, **kw)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


# ----------------------------------------------------------------------------- the registers


def test_max17048_registers_in_datasheet_units():
    # VCELL 78.125 uV/LSB: 0xCB20 = 52000 LSB = 4.0625 V; SOC 1/256 %: 0x4980 = 73 + 128/256 %
    r = decode("max17048", 0xCB20, 0x4980, 0x0030)
    assert r.volts == pytest.approx(4.0625) and r.percent == pytest.approx(73.5)
    # CRATE 0.208 %/h per LSB, signed: +48 LSB charging, -48 LSB (0xFFD0) discharging
    assert r.rate_pct_per_hour == pytest.approx(9.984) and r.charging is True
    down = decode("max17048", 0xC350, 0x1900, 0xFFD0)
    assert down.volts == pytest.approx(3.90625) and down.percent == 25.0
    assert down.rate_pct_per_hour == pytest.approx(-9.984) and down.charging is False
    # a cell at rest reads a couple of LSBs either side of zero: not charging
    assert decode("max17048", 0xC350, 0x1900, 0x0002).charging is False
    assert decode("max17048", 0xC350, 0x1900, 0xFFFE).charging is False


def test_max17043_has_a_12_bit_voltage_and_cannot_tell_charging():
    # VCELL: the top 12 bits, 1.25 mV/LSB: 3128 LSB (0xC38, register 0xC380) = 3.91 V
    r = decode("max17043", 0xC380, 0x4900)
    assert r.volts == pytest.approx(3.91) and r.percent == 73.0
    assert r.charging is None and r.rate_pct_per_hour is None


def test_a_full_cell_over_100_percent_reads_100_and_the_words_are_the_selftests():
    full = decode("max17048", 0xD700, 0x6580, 0x0000)  # ModelGauge may say 101.5 %
    assert full.percent == 100.0 and full.volts == pytest.approx(4.3)
    assert decode("max17048", 0xC350, 0x4900, 0x0100).text() == "73%, 3.91 V, charging"
    assert decode("max17048", 0xC350, 0x4900, 0xFF00).to_json() == {"percent": 73, "volts": 3.91,
                                                                    "charging": False}
    with pytest.raises(ValueError):
        decode("max9999", 0, 0)


@pytest.mark.parametrize("kind,volts_lsb", [("max17048", 78.125e-6), ("max17043", 1.25e-3)])
def test_the_simulators_registers_decode_to_what_was_set(kind, volts_lsb):
    for percent, volts in ((0.0, 3.3), (15.5, 3.62), (73.0, 3.91), (100.0, 4.2)):
        words = encode(kind, percent, volts, -12.0)
        r = decode(kind, words[VCELL], words[SOC], words.get(CRATE))
        assert r.percent == pytest.approx(percent, abs=1 / 256)
        assert r.volts == pytest.approx(volts, abs=volts_lsb)
    assert (encode("max17048", 50, 3.8)[VERSION] & 0xFFF0) == 0x0010


# ----------------------------------------------------------------------------- the gauge


def test_a_simulated_cell_drains_slowly_and_can_be_set():
    clock = Clock()
    cell = SimulatedCell(percent=80, drain_pct_per_hour=60, clock=clock)
    gauge = FuelGauge(battery_cfg(), cell)
    first = gauge.read()
    assert first.percent == pytest.approx(80, abs=0.01) and first.charging is False
    assert first.volts == pytest.approx(bat.lipo_volts(80), abs=1e-3)
    clock.now += 30 * 60  # half an hour of sweeping
    assert gauge.read().percent == pytest.approx(50, abs=0.01)
    cell.set(percent=12, volts=3.58)
    low = gauge.read()
    assert (round(low.percent), round(low.volts, 2)) == (12, 3.58) and gauge.is_low(low)
    cell.set(charging=True)
    clock.now += 15 * 60
    up = gauge.read()
    assert up.charging is True and up.percent == pytest.approx(22, abs=0.01) and not gauge.is_low(up)
    clock.now += 100 * 3600
    assert gauge.read().percent == 100.0


def test_a_loose_wire_gives_no_reading_reported_once_and_the_gauge_carries_on():
    cell = SimulatedCell(percent=64)
    lines = []
    gauge = FuelGauge(battery_cfg(), cell, log=lines.append)
    assert round(gauge.read().percent) == 64 and lines == []
    cell.disconnect()
    assert [gauge.read() for _ in range(5)] == [None] * 5
    assert len(lines) == 1
    assert "MAX17048 at 0x36 on /dev/i2c-1 does not answer" in lines[0].replace("(", "").replace(")", "")
    assert "i2cdetect -y 1" in lines[0] and "battery.enabled: false" in lines[0]
    cell.reconnect()
    assert round(gauge.read().percent) == 64
    assert len(lines) == 2 and "answers again" in lines[1]
    gauge.close()
    assert gauge.read() is None  # closed: nothing to read, still no exception


def test_a_gauge_at_another_address_is_not_read():
    gauge = FuelGauge(battery_cfg(i2c_address=0x37), SimulatedCell(address=0x36))
    assert gauge.read() is None and gauge.failed


def test_no_i2c_bus_is_one_line_with_the_fix_and_never_a_simulator():
    with pytest.raises(GaugeMissing) as e:
        open_gauge(battery_cfg(i2c_port=19))
    assert "/dev/i2c-19 not found" in str(e.value) and "dtparam=i2c_arm=on" in str(e.value)
    assert "battery.enabled: false" in str(e.value) and "\n" not in str(e.value)
    assert open_gauge(battery_cfg(), simulate=True).simulated


# ----------------------------------------------------------------------------- self-test


def test_selftest_line_for_the_gauge():
    assert probe(default_config().battery).ok
    assert probe(default_config().battery).detail.startswith("not used (battery.enabled: false)")

    cell = SimulatedCell(percent=73)
    cell.set(percent=73, volts=3.91)
    check = probe(battery_cfg(), bus=cell)
    assert check.name == BATTERY_CHECK and check.ok
    assert check.detail == "MAX17048 at 0x36 on /dev/i2c-1: 73%, 3.91 V"

    cell.disconnect()
    check = probe(battery_cfg(), bus=cell)
    assert not check.ok and check.detail.startswith("nothing answers at 0x36 on /dev/i2c-1")
    assert "i2cdetect -y 1" in check.fix and "LiPo is plugged into it" in check.fix

    # a MAX17043 where a MAX17048 is configured: its version register says so
    check = probe(battery_cfg(), bus=SimulatedCell(kind="max17043"))
    assert not check.ok and "not a MAX17048" in check.detail and "battery.kind" in check.fix
    assert probe(battery_cfg(kind="max17043"), bus=SimulatedCell(kind="max17043")).ok


def test_selftest_reports_a_configured_gauge_without_a_bus():
    cfg = dataclasses.replace(default_config(), battery=battery_cfg(i2c_port=19))
    check = next(fn() for name, fn in selftest.probes(cfg) if name == BATTERY_CHECK)
    assert not check.ok and check.detail.startswith("/dev/i2c-19 not found")
    assert "dtparam=i2c_arm=on" in check.fix


# ----------------------------------------------------------------------------- config


def test_battery_config():
    b = default_config().battery
    assert (b.enabled, b.kind, b.i2c_port, b.i2c_address, b.low_percent) == (False, "max17048", 1, 0x36, 15)
    cfg = parse_config("battery:\n  enabled: true\n  kind: max17043\n  low_percent: 20\n")
    assert cfg.battery.enabled and cfg.battery.kind == "max17043" and cfg.battery.low_percent == 20
    with pytest.raises(ConfigError, match=r"<config>:3: battery.i2c_address: 0x3C is the display's address"):
        parse_config("battery:\n  enabled: true\n  i2c_address: 0x3C\n")
    with pytest.raises(ConfigError, match="battery.kind"):
        parse_config("battery:\n  kind: ina219\n")
    with pytest.raises(ConfigError, match="GPIO2 is the battery gauge's I2C bus"):
        parse_config("display:\n  enabled: false\nbattery:\n  enabled: true\nconfirm:\n  led_pin: 2\n")


# ----------------------------------------------------------------------------- the device


def test_the_device_opens_the_gauge_only_when_enabled(pins):
    from sweeper.device.app import build_device

    dev = build_device(default_config(), simulate=True, pin_factory=pins)
    try:
        assert dev.battery is None and dev.daemon.battery is None
    finally:
        dev.close()
    cfg = dataclasses.replace(default_config(), battery=battery_cfg())
    dev = build_device(cfg, simulate=True, pin_factory=pins)
    try:
        assert dev.daemon.battery is dev.battery and dev.battery.simulated
        dev.battery.cell.set(percent=9, volts=3.55)  # how a test drives the simulated level
        low = dev.daemon.battery.read()
        assert (round(low.percent), round(low.volts, 2), low.charging) == (9, 3.55, False) and dev.battery.is_low(low)
    finally:
        dev.close()


def test_a_real_device_without_the_bus_says_so_and_has_no_battery(pins):
    from sweeper.device.app import build_device
    from sweeper.device.display import Display

    warnings = []
    cfg = dataclasses.replace(default_config(), battery=battery_cfg(i2c_port=19))
    dev = build_device(cfg, pin_factory=pins, display=Display.dummy(), warn=warnings.append)
    try:
        assert dev.battery is None and dev.daemon.battery is None
        assert [w for w in warnings if w.startswith("battery gauge: /dev/i2c-19 not found")]
    finally:
        dev.close()


# ----------------------------------------------------------------------------- MQTT


@pytest.fixture
def broker(tmp_path):
    b = Broker(str(tmp_path)).start()
    yield b
    b.stop()


def _json(msg):
    return json.loads(msg.payload) if msg.payload else None


@needs_broker
def test_home_assistant_gets_a_battery_sensor_only_with_a_gauge(broker, tmp_path):
    from sweeper.venue.mqtt import FleetPublisher, MqttSettings

    dev_id = "sweeper-batt01"
    config_topic = f"homeassistant/sensor/{dev_id}/battery/config"
    state_topic = f"sweeper/{dev_id}/state"
    sub = Subscriber(broker, ["homeassistant/#", "sweeper/#"])
    cell = SimulatedCell(percent=73)
    cell.set(percent=73, volts=3.91)
    gauge = FuelGauge(battery_cfg(), cell)
    pub = FleetPublisher(MqttSettings(host="127.0.0.1", port=broker.port), dev_id, "Pocket sweeper",
                         str(tmp_path / "outbox.db"))
    try:
        pub.publish_status({"status": "ready", "room": "", "hardware": {}})
        assert sub.wait(lambda s: s.on(state_topic) and s.on(f"homeassistant/sensor/{dev_id}/verdict/config"))
        assert not sub.on(config_topic) and "battery" not in _json(sub.on(state_topic)[-1])

        pub.watch_battery(gauge.read, every_s=0.05)
        assert sub.wait(lambda s: s.on(config_topic))
        sensor = _json(sub.on(config_topic)[-1])
        assert (sensor["device_class"], sensor["unit_of_measurement"]) == ("battery", "%")
        assert sensor["state_topic"] == state_topic
        late = Subscriber(broker, [config_topic])  # Home Assistant starting later: retained
        try:
            assert late.wait(lambda s: s.on(config_topic)) and late.on(config_topic)[0].retain
        finally:
            late.close()

        def battery(s):
            msgs = s.on(state_topic)
            return _json(msgs[-1]).get("battery", "absent") if msgs else "absent"

        assert sub.wait(lambda s: battery(s) == {"percent": 73, "volts": 3.91, "charging": False})
        cell.set(percent=14.6, volts=3.61)
        assert sub.wait(lambda s: battery(s) == {"percent": 15, "volts": 3.61, "charging": False})
        cell.disconnect()  # a loose wire: the level is unknown, the device carries on
        assert sub.wait(lambda s: battery(s) is None)
        assert _json(sub.on(state_topic)[-1])["status"] == "ready"
    finally:
        pub.close()
        sub.close()


def test_the_battery_sensors_template_renders_like_home_assistant():
    jinja2 = pytest.importorskip("jinja2.sandbox")
    from sweeper.venue.mqtt import MqttSettings, discovery_messages

    without = {t for t, _ in discovery_messages(MqttSettings(), "d", "D")}
    configs = dict(discovery_messages(MqttSettings(), "d", "D", battery=True))
    assert set(configs) - without == {"homeassistant/sensor/d/battery/config"}
    sensor = json.loads(configs["homeassistant/sensor/d/battery/config"])
    env = jinja2.ImmutableSandboxedEnvironment()

    def render(template, state):
        return env.from_string(template).render(value_json=state).strip()

    state = {"status": "ready", "battery": {"percent": 73, "volts": 3.91, "charging": True}}
    assert render(sensor["value_template"], state) == "73"
    assert json.loads(render(sensor["json_attributes_template"], state)) == state["battery"]
    assert render(sensor["value_template"], {"status": "ready", "battery": None}) == "None"
    assert render(sensor["value_template"], {"status": "ready"}) == "None"


@needs_broker
def test_the_device_sends_its_level_to_the_fleet(broker, tmp_path, pins):
    from sweeper.device.app import build_device
    from sweeper.venue.recorder import Venue

    cfg = default_config()
    cfg = dataclasses.replace(
        cfg, battery=battery_cfg(),
        history=dataclasses.replace(cfg.history, path=str(tmp_path / "history.db")),
        venue=dataclasses.replace(cfg.venue, device_id="pocket-1"),
        mqtt=dataclasses.replace(cfg.mqtt, enabled=True, host="127.0.0.1", port=broker.port))
    sub = Subscriber(broker, ["homeassistant/sensor/pocket-1/battery/config", "sweeper/pocket-1/state"])
    venue = Venue.open(cfg, simulated=True)
    dev = build_device(cfg, simulate=True, pin_factory=pins, venue=venue)
    try:
        assert sub.wait(lambda s: s.on("homeassistant/sensor/pocket-1/battery/config"))
        assert sub.wait(lambda s: any((_json(m) or {}).get("battery") for m in s.on("sweeper/pocket-1/state")))
        sent = next(_json(m)["battery"] for m in sub.on("sweeper/pocket-1/state") if (_json(m) or {}).get("battery"))
        assert set(sent) == {"percent", "volts", "charging"}
        assert abs(sent["percent"] - dev.battery.read().percent) <= 1  # the simulated cell drains 75 %/h
    finally:
        dev.close()  # closes the venue too
        sub.close()


# ----------------------------------------------------------------------------- docs


def test_the_readme_says_what_the_code_does():
    import os
    import re

    from sweeper.venue.mqtt import BATTERY_EVERY_S

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "README.md")) as f:
        text = f.read()
    section = text[text.index("### Battery level"):text.index("### Is it watching this room?")]
    example = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    cfg = parse_config(example, "README.md")
    b = default_config().battery
    assert cfg.battery.enabled and cfg.battery.low_percent == b.low_percent
    assert f"i2c_address {b.i2c_address:#04x}" in example and f"i2c_port {b.i2c_port}" in example
    assert f"low_percent: {b.low_percent:g}" in example
    assert f"`battery.low_percent` ({b.low_percent:g})" in text
    assert BATTERY_EVERY_S == 60 and "read every minute" in text
    cell = SimulatedCell(percent=73)
    cell.set(percent=73, volts=3.91)
    assert f'"battery gauge: {probe(battery_cfg(), bus=cell).detail}"' in " ".join(section.split())
