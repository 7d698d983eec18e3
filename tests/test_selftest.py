"""The self-test, run for real on this machine (no dongle, adapter, I2C or GPIO here)."""
import glob
import io
import json
import os
import socket
import struct
import subprocess
import sys
import threading

import pytest

from sweeper import selftest
from sweeper.config import default_config, parse_config
from sweeper.device import display, pins
from sweeper.device.battery import BATTERY_CHECK as BATTERY
from sweeper.device.display import DISPLAY_CHECK as DISPLAY
from sweeper.device.pins import GPIO_CHECK as GPIO
from sweeper.device.led import LED_CHECK as LEDS
from sweeper.probe import Check
from sweeper.rf.sources import factory as rf_factory
from sweeper.rf.sources import rtlsdr_local
from sweeper.rf.sources.rtlsdr_local import SDR_CHECK as SDR
from sweeper.selftest import CONFIG, exit_code, format_report, run_selftest
from sweeper.venue import history, mqtt
from sweeper.venue.history import HISTORY_CHECK as HISTORY
from sweeper.venue.mqtt import MQTT_CHECK as MQTT
from sweeper.device.netpolicy import NETWORK_CHECK as NETWORK
from sweeper.assembly import LAN_CHECK as LAN
from sweeper.wifi import factory as wifi_factory
from sweeper.wifi import monitor
from sweeper.wifi.factory import WIFI_CHECK as WIFI
from sweeper.wifi.monitor import CAPS_CHECK as CAPS
from sweeper.wifi.monitor import IW_CHECK as IW
from sweeper.wifi.monitor import missing_caps, parse_capeff
from sweeper.wifi.oui import VENDORS_CHECK as VENDORS

ALL = [CONFIG, SDR, WIFI, IW, CAPS, VENDORS, LAN, DISPLAY, BATTERY, GPIO, LEDS, HISTORY, MQTT, NETWORK]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# each subsystem's own probe, as the self-test runs it
def check_sdr(cfg):
    return rf_factory.probe(cfg.rf)


def check_wifi(cfg):
    return wifi_factory.probe(cfg.wifi)


def check_display(cfg):
    return display.probe(cfg.display)


def check_history(cfg):
    return history.probe(cfg)


def check_mqtt(cfg):
    return next(fn() for name, fn in selftest.probes(cfg) if name == MQTT)


check_capabilities = monitor.probe_capabilities


def _dongles() -> int:
    try:
        from rtlsdr.librtlsdr import librtlsdr
    except Exception:  # noqa: BLE001 (no library: no dongle)
        return 0
    return int(librtlsdr.rtlsdr_get_device_count())


BARE = not (os.path.exists("/dev/i2c-1") or glob.glob("/dev/gpiochip*")
            or glob.glob("/sys/class/net/*/phy80211") or _dongles())
bare_machine = pytest.mark.skipif(not BARE, reason="this machine has radio, I2C or GPIO hardware")


@pytest.fixture
def no_mock_gpio(monkeypatch):
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)


def by_name(checks):
    return {c.name: c for c in checks}


@bare_machine
def test_real_selftest_reports_each_missing_piece_with_its_fix(no_mock_gpio):
    checks = run_selftest(default_config())
    assert [c.name for c in checks] == ALL
    assert all(isinstance(c, Check) for c in checks)
    got = by_name(checks)
    for c in checks:
        print(f"{c.name}: {c.status}: {c.detail} | fix: {c.fix}")
    sdr = got[SDR]
    assert not sdr.ok
    if "librtlsdr cannot be loaded" in sdr.detail:
        assert "apt install librtlsdr0" in sdr.fix
    else:
        assert "no RTL-SDR dongle" in sdr.detail
        assert "plug the dongle in" in sdr.fix and "blacklist dvb_usb_rtl28xxu" in sdr.fix
    assert not got[WIFI].ok and got[WIFI].detail == "no wireless adapter"
    assert "monitor mode" in got[WIFI].fix and "mt7612u" in got[WIFI].fix
    assert "built-in Wi-Fi (brcmfmac) cannot" in got[WIFI].fix
    assert not got[DISPLAY].ok and "/dev/i2c-1 not found" in got[DISPLAY].detail
    assert "dtparam=i2c_arm=on" in got[DISPLAY].fix and "i2cdetect -y 1" in got[DISPLAY].fix
    assert not got[GPIO].ok and "no /dev/gpiochip*" in got[GPIO].detail
    assert "python3-lgpio" in got[GPIO].fix and "group gpio" in got[GPIO].fix
    assert got[LEDS].ok and "none fitted" in got[LEDS].detail  # optional, and off by default
    assert got[BATTERY].ok and got[BATTERY].detail.startswith("not used (battery.enabled: false)")
    # installed here (the install scripts pull them in)
    assert got[VENDORS].ok and os.path.isfile(got[VENDORS].detail)
    assert got[IW].ok and "iw" in got[IW].detail
    assert got[CONFIG].ok
    with open("/proc/self/status") as f:  # root in CI has both; an ordinary user neither
        assert got[CAPS].ok == (not missing_caps(parse_capeff(f.read())))
    assert all(c.fix for c in checks if not c.ok)
    assert exit_code(checks) == 3


@bare_machine
def test_command_prints_the_table_and_exits_3(tmp_path, no_mock_gpio):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("device_name: bench\n")
    out = io.StringIO()
    assert selftest.main(str(cfg), out=out) == 3
    text = out.getvalue()
    print(text)
    assert text.splitlines()[0].split() == ["CHECK", "STATUS", "DETAIL"]
    for name in ALL:
        assert name in text
    assert str(cfg) in text
    assert text.count("MISSING") >= 4 and "fix: " in text
    assert "NOT READY: no radio" in text
    # and as a program, with JSON for scripts
    proc = subprocess.run([sys.executable, "-m", "sweeper.selftest", str(cfg)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 3, proc.stderr
    out = io.StringIO()
    assert selftest.main(str(cfg), as_json=True, out=out) == 3
    data = json.loads(out.getvalue())
    assert data["exit_code"] == 3 and [c["name"] for c in data["checks"]] == ALL
    assert {c["status"] for c in data["checks"]} == {"OK", "MISSING"}
    assert data["checks"][0]["detail"] == f"{cfg} loaded"


def test_broken_config_is_a_finding_not_a_crash(tmp_path):
    bad = tmp_path / "config.yaml"
    bad.write_text("rf:\n  sample_rate: 5\n")
    out = io.StringIO()
    assert selftest.main(str(bad), out=out) == 2
    text = out.getvalue()
    assert f"{bad}:2" in text and "sample_rate" in text  # FILE:LINE: key
    assert "config file is broken" in text
    for name in ALL:  # the rest still ran, on the defaults
        assert name in text


def _serve_once(payload: bytes):
    """A one-shot TCP server that sends ``payload`` like rtl_tcp's greeting; returns its port."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        conn.sendall(payload)
        conn.close()
        srv.close()

    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname()[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_rtl_tcp_source_checks_the_server():
    port = _serve_once(b"RTL0" + struct.pack(">II", 5, 29))
    cfg = parse_config(f"rf:\n  source: rtl_tcp\n  rtl_tcp: {{host: 127.0.0.1, port: {port}}}\n")
    check = check_sdr(cfg)
    assert check.ok and "127.0.0.1" in check.detail and "R820T" in check.detail
    assert exit_code([check]) == 0

    port = _serve_once(b"HTTP/1.0 200 OK\r\n")
    cfg = parse_config(f"rf:\n  source: rtl_tcp\n  rtl_tcp: {{host: 127.0.0.1, port: {port}}}\n")
    check = check_sdr(cfg)
    assert not check.ok and "is not rtl_tcp" in check.detail

    cfg = parse_config(f"rf:\n  source: rtl_tcp\n  rtl_tcp: {{port: {_free_port()}}}\n")
    check = check_sdr(cfg)
    assert not check.ok and "no rtl_tcp server" in check.detail and "rtl_tcp -a" in check.fix


def test_configured_away_paths_are_missing():
    cfg = parse_config("rf: {source: simulator}\nwifi: {enabled: false}\ndisplay: {enabled: false}\n")
    assert not check_sdr(cfg).ok and "simulated" in check_sdr(cfg).detail
    assert not check_wifi(cfg).ok and "wifi.enabled" in check_wifi(cfg).fix
    assert check_display(cfg).ok  # a device without a display is fine


def test_named_wifi_interface_that_is_not_there():
    cfg = parse_config("wifi: {interface: wlan9}\n")
    check = check_wifi(cfg)
    assert not check.ok and "wlan9" in check.detail and "iw dev" in check.fix


def test_mock_pin_factory_is_reported(monkeypatch):
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    check = pins.probe()
    assert not check.ok and "unset GPIOZERO_PIN_FACTORY" in check.fix


def test_a_failing_check_never_raises(monkeypatch, no_mock_gpio):
    def boom(*_a, **_k):
        raise RuntimeError("boom")

    import sweeper.wifi.monitor
    monkeypatch.setattr(sweeper.wifi.monitor, "find_adapters", boom)
    monkeypatch.setattr(rtlsdr_local, "_import_rtlsdr", boom)
    monkeypatch.setattr(pins, "probe", lambda: 1 / 0)
    checks = run_selftest(default_config())
    got = by_name(checks)
    assert [c.name for c in checks] == ALL
    assert not got[WIFI].ok and "RuntimeError: boom" in got[WIFI].detail
    assert not got[SDR].ok and "RuntimeError: boom" in got[SDR].detail
    assert not got[GPIO].ok and "ZeroDivisionError" in got[GPIO].detail
    assert "MISSING" in format_report(checks)


@pytest.mark.parametrize("capeff, missing", [
    ("000001ffffffffff", []),  # root, full set
    ("0000003fffffffff", []),  # older kernels' full set
    ("0000000000003000", []),  # the service: exactly CAP_NET_ADMIN and CAP_NET_RAW
    ("0000000000001000", ["CAP_NET_RAW"]),
    ("0000000000002000", ["CAP_NET_ADMIN"]),
    ("0000000000000000", ["CAP_NET_ADMIN", "CAP_NET_RAW"]),  # an ordinary user
    ("00000000a80425fb", ["CAP_NET_ADMIN"]),  # Docker's default set: NET_RAW but no NET_ADMIN
])
def test_capability_parsing(capeff, missing):
    status = f"Name:\tpython3\nCapInh:\t0000000000000000\nCapPrm:\t{capeff}\nCapEff:\t{capeff}\n"
    assert parse_capeff(status) == int(capeff, 16)
    assert missing_caps(parse_capeff(status)) == missing


def test_capability_parsing_oddities():
    assert parse_capeff("Name:\tx\n") is None
    assert parse_capeff("CapEff:\tnot-hex\n") is None
    with open("/proc/self/status") as f:
        assert isinstance(parse_capeff(f.read()), int)


def test_capability_check_reads_a_status_file(tmp_path):
    none = tmp_path / "none"
    none.write_text("CapEff:\t0000000000000000\n")
    check = check_capabilities(str(none))
    assert not check.ok and "CAP_NET_ADMIN and CAP_NET_RAW" in check.detail
    assert "sudo sweeper selftest" in check.fix and "AmbientCapabilities" in check.fix
    service = tmp_path / "service"
    service.write_text("CapEff:\t0000000000003000\n")
    assert check_capabilities(str(service)).ok


def test_exit_code_needs_one_detection_path():
    def ok(name):
        return Check(name, True, "here", detects={SDR: "RF sweep", WIFI: "Wi-Fi sweep"}.get(name))

    def missing(name):
        return Check(name, False, "gone", "fix it")

    others = [ok(CONFIG), ok(IW), ok(CAPS), missing(DISPLAY), missing(GPIO)]
    assert exit_code(others + [ok(SDR), missing(WIFI)]) == 0
    assert exit_code(others + [missing(SDR), ok(WIFI)]) == 0
    assert exit_code(others + [missing(SDR), missing(WIFI)]) == 3
    broken = [missing(CONFIG)] + others[1:] + [ok(SDR), ok(WIFI)]
    assert exit_code(broken) == 2
    report = format_report(others + [ok(SDR), missing(WIFI)])
    assert "READY: RF sweep; missing:" in report and "fix: fix it" in report


class FakeBus:
    """smbus2.SMBus stand-in: this machine has no I2C bus (no i2c-stub module either)."""

    answers = set()

    def __init__(self, port):
        self.port, self.closed = port, False

    def write_quick(self, address):
        if address not in self.answers:
            raise OSError(121, "Remote I/O error")  # EREMOTEIO: nobody acked

    def close(self):
        self.closed = True


@pytest.fixture
def fake_i2c(monkeypatch):
    import smbus2
    real_exists = os.path.exists
    monkeypatch.setattr(os.path, "exists", lambda p: p == "/dev/i2c-1" or real_exists(p))
    monkeypatch.setattr(smbus2, "SMBus", FakeBus)
    return FakeBus


def test_display_probe_without_initialising_the_panel(fake_i2c):
    fake_i2c.answers = {0x3C}
    check = check_display(default_config())
    assert check.ok and check.detail == "ssd1306 128x64 answers at 0x3C on /dev/i2c-1"
    fake_i2c.answers = {0x3D}  # panel strapped to the other address
    check = check_display(default_config())
    assert not check.ok and "nothing answers at 0x3C" in check.detail
    assert "i2cdetect -y 1" in check.fix and "display.i2c_address" in check.fix


def test_display_permission_problem(monkeypatch, fake_i2c):
    import smbus2

    def denied(port):
        raise PermissionError(13, "Permission denied", f"/dev/i2c-{port}")

    monkeypatch.setattr(smbus2, "SMBus", denied)
    check = check_display(default_config())
    assert not check.ok and "group i2c" in check.fix


def test_history_check_says_where_sweeps_go_and_if_it_can_write(tmp_path):
    cfg = parse_config(f"history:\n  path: {tmp_path / 'h' / 'history.db'}\n")
    check = check_history(cfg)
    assert check.ok and "will be created" in check.detail
    from sweeper.venue.history import HistoryStore

    with HistoryStore(str(tmp_path / "h" / "history.db")):
        pass
    check = check_history(cfg)
    assert check.ok and "0 sweeps" in check.detail
    (tmp_path / "h" / "history.db").write_bytes(b"garbage" * 1000)
    check = check_history(cfg)
    assert not check.ok and "cannot be read" in check.detail and "sweeper user" in check.fix
    assert check_history(parse_config("history:\n  enabled: false\n")).ok


def test_mqtt_check_logs_in_like_the_daemon(tmp_path):
    mosquitto = pytest.importorskip("mosquitto")
    if mosquitto.MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (./dev test installs it)")
    assert check_mqtt(default_config()).ok  # disabled
    closed = mosquitto.free_port()
    check = check_mqtt(parse_config(f"mqtt:\n  enabled: true\n  host: 127.0.0.1\n  port: {closed}\n"))
    assert not check.ok and "no MQTT broker" in check.detail and "mqtt.host" in check.fix
    pw = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(pw), "fleet", "s3cret"], check=True, capture_output=True)
    broker = mosquitto.Broker(str(tmp_path), extra=[f"password_file {pw}"], anonymous=False).start()
    try:
        base = f"mqtt:\n  enabled: true\n  host: 127.0.0.1\n  port: {broker.port}\n  username: fleet\n"
        good = check_mqtt(parse_config(base + "  password: s3cret\n"))
        assert good.ok and "logged in" in good.detail and "fleet" in good.detail
        bad = check_mqtt(parse_config(base + "  password: wrong\n"))
        assert not bad.ok and "refused the login" in bad.detail and "mqtt.password" in bad.fix
    finally:
        broker.stop()



def test_a_wired_mirror_port_is_checked_as_the_wifi_path():
    check = check_wifi(parse_config("wifi: {source: wired, interface: lo}\n"))
    assert check.ok and check.detail.startswith("wired port lo") and check.detects
    check = check_wifi(parse_config("wifi: {source: wired, interface: eth9}\n"))
    assert not check.ok and "'eth9'" in check.detail and "ip link" in check.fix
