"""Venues end to end: the device records its sweeps, a room's baseline turns its own
emitters friendly, staff read history and reports, timers ask for sweeps of a room."""
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from device_harness import Running, quick_config
from sweeper.device.app import build_device
from sweeper.device.control import ControlServer
from sweeper.venue.history import HistoryStore
from sweeper.venue.recorder import Venue

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAMERA_MAC = "24:0a:c4:5b:19:e2"  # the built-in room's Wi-Fi camera


def venue_config(tmp_path, **venue):
    cfg = quick_config()
    return dataclasses.replace(cfg, history=dataclasses.replace(cfg.history, path=str(tmp_path / "history.db")),
                               venue=dataclasses.replace(cfg.venue, **venue))


def sweep(cfg, pins, camera: bool):
    """One sweep through the device (button press), recorded by a fresh Venue."""
    venue = Venue.open(cfg, simulated=True)
    dev = build_device(cfg, simulate=True, camera=camera, pin_factory=pins, venue=venue)
    with Running(dev, cfg) as run:
        run.press(cfg.buttons.select_pin)
        run.wait_state("result")
        return dev.daemon.outcome


def test_a_baseline_makes_the_rooms_own_emitters_friendly_and_the_camera_stand_out(tmp_path, pins):
    cfg = venue_config(tmp_path, room="Room 101")
    clear = sweep(cfg, pins, camera=False)
    assert clear.verdict == "CLEAR" and clear.record["id"] == 1 and clear.record["counts"]["known"] == 0
    with HistoryStore(cfg.history.path) as store:
        added, refused = store.baseline_from_sweep(1)
    assert len(added) == clear.record["counts"]["new"] and refused == []

    found = sweep(cfg, pins, camera=True)
    assert found.verdict == "CAMERA"
    assert {f.kind for f in found.findings} == {"analog_video", "wifi_camera"}
    # news either way: a new transmitter, or one on a friendly carrier's frequency that changed
    assert all(f.baseline["status"] in ("new", "changed") for f in found.findings)
    assert all(f.baseline["note"] is None or "camera" in f.baseline["note"] for f in found.findings)
    counts = found.record["counts"]
    # the room's own emitters are known; the camera's two faces are news, plus little else
    assert counts["known"] >= 0.8 * len(added) and counts["new"] + counts["changed"] <= 6, counts

    with HistoryStore(cfg.history.path) as store:  # the venue's own camera, after checking
        store.baseline_from_sweep(found.record["id"], accept_findings=True, name="lobby camera")
    again = sweep(cfg, pins, camera=True)
    assert again.verdict == "CLEAR" and again.record["raw_verdict"] == "CAMERA"
    assert all(f.baseline["status"] == "known" for f in again.findings)
    assert {f.baseline["label"] for f in again.findings} == {"lobby camera"}

    with HistoryStore(cfg.history.path) as store:
        records = store.sweeps()
    assert [r["verdict"] for r in records] == ["CLEAR", "CAMERA", "CLEAR"]
    assert all(r["room"] == "Room 101" and r["trigger"] == "button" and r["simulated"] for r in records)
    wifi_camera = next(f for f in records[0]["findings"] if f["type"] == "wifi_camera")
    assert wifi_camera["baseline"]["count"] == 2  # heard in the two camera sweeps


def test_history_trouble_never_stops_the_device(tmp_path, pins):
    cfg = venue_config(tmp_path, room="Room 9")
    os.makedirs(cfg.history.path)  # a folder where the file should be: it cannot be opened
    warnings = []
    venue = Venue.open(cfg, simulated=True, warn=warnings.append)
    assert venue.store is None and "not be recorded" in warnings[0]
    dev = build_device(cfg, simulate=True, camera=True, pin_factory=pins, venue=venue)
    with Running(dev, cfg) as run:
        run.press(cfg.buttons.select_pin)
        run.wait_state("result")
    assert dev.daemon.outcome.verdict == "CAMERA" and dev.daemon.outcome.record["id"] is None


def write_config(tmp_path, extra=""):
    path = tmp_path / "config.yaml"
    path.write_text(f"""
history:
  path: {tmp_path / 'history.db'}
venue:
  room: Lobby
  device_id: test-unit-1
rf:
  bands: [2.4GHz]
wifi:
  channels: [1, 6, 11]
  duration_s: 6
{extra}""")
    return str(path)


def test_staff_commands_history_baseline_report(tmp_path, cli):
    conf = write_config(tmp_path)
    rc, out, err = cli("--config", conf, "run", "--once", "--simulate", "--clear", "--room", "Room 7", "--json")
    assert rc == 0, err
    first = json.loads(out)
    assert first["room"] == "Room 7" and first["history_id"] == 1 and first["verdict"] == "CLEAR"
    rc, out, err = cli("--config", conf, "baseline", "record", "--room", "Room 7")
    assert rc == 0 and f"{first['counts']['new']} emitters from sweep 1" in out, out + err
    rc, out, _ = cli("--config", conf, "baseline", "add", "--room", "Room 7", "--mac", "AA:BB:CC:DD:EE:01",
                     "--name", "manager's laptop")
    assert rc == 0
    rc, out, _ = cli("--config", conf, "baseline", "list", "--room", "Room 7", "--json")
    listed = json.loads(out)
    assert any(s["key"] == "wifi:aa:bb:cc:dd:ee:01" and s["name"] == "manager's laptop" for s in listed)
    rc, out, err = cli("--config", conf, "run", "--once", "--simulate", "--room", "Room 7")
    assert rc == 0 and out.strip().endswith("SIMULATED CAMERA (in the simulated room, not this one)") and "NEW" in out

    rc, out, _ = cli("--config", conf, "history")
    lines = out.splitlines()
    assert len(lines) == 3 and "Room 7" in lines[1] and "CAMERA" in lines[1] and "CLEAR" in lines[2]
    rc, out, _ = cli("--config", conf, "history", "--show", "2")
    assert "Findings:" in out and "CAMERA   analog video 2432" in out
    assert "NEW     CAMERA   Wi-Fi Espressif Inc. 24:0a:c4:5b:19:e2" in out
    rc, out, _ = cli("--config", conf, "history", "--csv")
    assert out.splitlines()[0].startswith("id,started_at") and len(out.splitlines()) == 3

    html = tmp_path / "report.html"
    rc, _, err = cli("--config", conf, "report", "--room", "Room 7", "-o", str(html))
    assert rc == 0, err
    text = html.read_text()
    assert "Room 7" in text and "<svg" in text and CAMERA_MAC in text
    rc, out, _ = cli("--config", conf, "report", "--format", "csv", "--since", "1d")
    assert out.count("\n2,") >= 2  # the camera sweep's findings rows
    rc, out, _ = cli("--config", conf, "report", "--format", "json", "--until", "2000-01-01")
    assert json.loads(out)["sweeps"] == []
    rc, out, _ = cli("--config", conf, "report", "--format", "csv", "--until", "2000-01-01")
    assert out.splitlines() == [out.splitlines()[0]] and out.startswith("sweep_id,")  # the header alone

    rc, _, err = cli("--config", conf, "history", "--since", "yesterday-ish")
    assert rc == 2 and "not a time" in err
    rc, _, err = cli("--config", conf, "history", "--show", "99")
    assert rc == 2 and "no sweep 99" in err
    rc, _, err = cli("--config", conf, "baseline", "remove", "--room", "Room 7")
    assert rc == 2 and "--all" in err
    rc, out, _ = cli("--config", conf, "baseline", "remove", "--room", "Room 7", "--all")
    assert rc == 0 and "removed" in out


def test_privacy_hashes_macs_in_history_and_reports(tmp_path, cli):
    conf = write_config(tmp_path, "privacy:\n  hash_macs: true\n  salt: hotel-aurora-2026-secret\n")
    rc, out, err = cli("--config", conf, "run", "--once", "--simulate", "--json")
    assert rc == 0, err
    assert CAMERA_MAC in out  # the device's own screen and output still name it, to find it
    with HistoryStore(str(tmp_path / "history.db")) as store:
        rec = store.sweeps()[0]
        stored = json.dumps(rec) + json.dumps(store.observations(rec["id"])) + json.dumps(store.sightings("Lobby"))
    assert CAMERA_MAC not in stored and "anon:" in stored
    for args in (["history", "--json"], ["report"], ["report", "--format", "csv"]):
        rc, out, _ = cli("--config", conf, *args)
        assert rc == 0 and "anon:" in out and CAMERA_MAC not in out, args
        assert "e0:28:6d:4a:7a:3f" not in out  # the access point (a bssid) too


@pytest.fixture
def daemon(tmp_path):
    """`sweeper run --simulate` as the service runs it, in its own runtime folder."""
    conf = write_config(tmp_path)
    env = dict(os.environ, RUNTIME_DIRECTORY=str(tmp_path / "run"))
    proc = subprocess.Popen([sys.executable, "-m", "sweeper", "--config", conf, "run", "--simulate"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sock = tmp_path / "run" / "control.sock"
    deadline = time.monotonic() + 60
    while not sock.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "slow"
        time.sleep(0.1)
    yield proc, conf, env, tmp_path
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def wait_for_sweeps(path, n, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        if os.path.exists(path):
            with HistoryStore(path) as store:
                records = store.sweeps()
            if len(records) >= n:
                return records
        assert time.monotonic() < deadline, f"waited for {n} sweeps"
        time.sleep(0.5)


def test_timers_ask_the_running_daemon_for_labelled_sweeps(daemon):
    proc, conf, env, tmp = daemon
    sock = str(tmp / "run" / "control.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:  # hostile requests: dropped
        for junk in (b"\xff\xfe", b"{}", b'{"sweep": {"room": "' + b"x" * 200 + b'"}}', b"[" * 5000):
            s.sendto(junk, sock)
    rc = subprocess.run([sys.executable, "-m", "sweeper", "--config", conf, "trigger", "--room", "Room 12"],
                        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert rc.returncode == 0, rc.stderr
    records = wait_for_sweeps(str(tmp / "history.db"), 1)
    assert records[0]["room"] == "Room 12" and records[0]["trigger"] == "timer"
    proc.send_signal(signal.SIGUSR1)  # the plain hourly timer: the configured room
    records = wait_for_sweeps(str(tmp / "history.db"), 2)
    assert records[0]["room"] == "Lobby" and records[0]["trigger"] == "timer"
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    _, err = proc.communicate()
    assert err.count("control socket: dropped") == 1  # a flood is one line a minute, not one each
    assert not os.path.exists(sock)  # cleaned up


def test_trigger_without_a_daemon_says_so(tmp_path):
    env = dict(os.environ, RUNTIME_DIRECTORY=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "sweeper", "trigger", "--room", "Room 1"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3 and "not running" in proc.stderr


def test_control_requests_are_parsed_strictly():
    parse = ControlServer.parse
    assert parse(b'{"sweep": {"room": "Room 1"}}') == {"room": "Room 1", "trigger": "timer"}
    assert parse(b'{"sweep": {}}') == {"trigger": "timer"}
    assert parse(b'{"sweep": {"trigger": "remote", "room": ""}}') == {"room": "", "trigger": "remote"}
    for bad in (b'{"sweep": {"room": "a\\nb"}}', b'{"sweep": {"room": 5}}', b'{"sweep": 1}', b"null",
                b'{"sweep": {"room": "' + b"r" * 65 + b'"}}', b"x" * 2000):
        assert parse(bad) is None, bad


def test_a_sweep_reaches_the_fleet_broker_with_hashed_macs(tmp_path):
    mosquitto = pytest.importorskip("mosquitto")  # tests/mosquitto.py: real brokers on loopback
    if mosquitto.MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (./dev test installs it)")
    broker = mosquitto.Broker(str(tmp_path)).start()
    sub = mosquitto.Subscriber(broker, ["sweeper/#", "homeassistant/#"])
    try:
        conf = write_config(tmp_path, f"""privacy:
  hash_macs: true
  salt: hotel-aurora-2026-secret
mqtt:
  enabled: true
  host: 127.0.0.1
  port: {broker.port}
""")
        proc = subprocess.run([sys.executable, "-m", "sweeper", "--config", conf, "run", "--once", "--simulate"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert sub.wait(lambda s: s.on("sweeper/test-unit-1/sweep"), 10)
        record = json.loads(sub.on("sweeper/test-unit-1/sweep")[0].payload)
        assert record["room"] == "Lobby" and record["verdict"] == "CAMERA" and record["id"] == 1
        text = json.dumps(record)
        assert CAMERA_MAC not in text and "anon:" in text and "spectra" not in record
        assert sub.wait(lambda s: s.on("sweeper/test-unit-1/availability")
                        and s.on("sweeper/test-unit-1/availability")[-1].payload == b"offline", 10)
        state = json.loads(sub.on("sweeper/test-unit-1/state")[-1].payload)
        assert state["last_sweep"]["verdict"] == "CAMERA" and state["hardware"] == {"RF": "ok", "Wi-Fi": "ok", "LAN": "disabled in the configuration"}
        camera = json.loads(sub.on("homeassistant/binary_sensor/test-unit-1/camera/config")[-1].payload)
        assert camera["device"]["name"] == "test-unit-1"  # device_name left at its default: the id names it
    finally:
        sub.close()
        broker.stop()


def test_a_handheld_picks_the_room_with_next(tmp_path, pins):
    cfg = venue_config(tmp_path, room="Room 101", rooms=("Room 102", "2F east restroom"))
    venue = Venue.open(cfg, simulated=True)
    dev = build_device(cfg, simulate=True, camera=False, pin_factory=pins, venue=venue)
    with Running(dev, cfg) as run:
        assert dev.display.room == "Room 101"
        run.press(cfg.buttons.next_pin)
        deadline = time.monotonic() + 5
        while dev.display.room != "Room 102":
            assert time.monotonic() < deadline, dev.display.room
            time.sleep(0.05)
        run.press(cfg.buttons.select_pin)
        run.wait_state("result")
        assert dev.daemon.outcome.room == "Room 102" and dev.daemon.outcome.verdict == "CLEAR"
        run.press(cfg.buttons.next_pin)  # no findings: back to the ready screen, to pick the next room
        run.wait_state("ready", 5)
        run.press(cfg.buttons.next_pin)
        deadline = time.monotonic() + 5
        while dev.display.room != "2F east restroom":
            assert time.monotonic() < deadline, dev.display.room
            time.sleep(0.05)
    with HistoryStore(cfg.history.path) as store:
        assert [r["room"] for r in store.sweeps()] == ["Room 102"]


def test_a_broken_fleet_setting_leaves_the_device_sweeping(tmp_path):
    cfg = venue_config(tmp_path, room="Room 3")
    cfg = dataclasses.replace(cfg, mqtt=dataclasses.replace(cfg.mqtt, enabled=True, tls=True,
                                                            ca_file=str(tmp_path / "missing-ca.pem")))
    warnings = []
    venue = Venue.open(cfg, simulated=True, warn=warnings.append)
    try:
        assert venue.publisher is None and venue.store is not None
        assert "fleet reporting is off" in warnings[0] and "missing-ca.pem" in warnings[0]
    finally:
        venue.close()


def test_the_control_socket_refuses_a_folder_others_can_write(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    from sweeper.errors import HardwareError

    with pytest.raises(HardwareError, match="anyone"):
        ControlServer(str(shared / "control.sock"), lambda *a: None)
