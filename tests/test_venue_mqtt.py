"""Fleet reporting against a real mosquitto on loopback: what a subscriber or Home Assistant sees."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from mosquitto import MOSQUITTO, Broker, Subscriber

from sweeper.errors import ConfigError
from sweeper.venue.mqtt import (
    FleetPublisher,
    MqttSettings,
    Outbox,
    discovery_messages,
    settings_from_config,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
needs_broker = pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto broker not installed "
                                  "(apt-get install mosquitto)")

DEV = "sweeper-3fa9c2"
ENTITIES = {("sensor", "verdict"), ("sensor", "last_sweep"), ("sensor", "findings"),
            ("sensor", "room"), ("sensor", "status"), ("binary_sensor", "camera"),
            ("binary_sensor", "rf"), ("binary_sensor", "wifi")}


def record(rid=17, verdict="CAMERA"):
    """A sweep record as the history module makes it, with the odd values detectors produce."""
    return {
        "id": rid, "started_at": "2026-11-25T13:00:02Z", "finished_at": "2026-11-25T13:00:44Z",
        "room": "Room 101", "device_id": DEV, "trigger": "button", "simulated": False,
        "verdict": verdict, "raw_verdict": verdict, "elapsed_s": np.float32(41.25),
        "hardware": {"RF": "ok", "Wi-Fi": "no monitor-mode adapter"}, "problems": {},
        "findings": [{"type": "analog_video", "freq_hz": np.float64(5.8e9), "snr_db": float("nan"),
                      "verdict": "camera", "score": np.int64(7), "reasons": ("sync", "line rate"),
                      "baseline": {"status": "new"}}],
        "changes": [], "counts": {"findings": 1, "new": 5, "changed": 1, "known": 30},
        "spectra": [{"band": "2.4 GHz", "snr_db": np.array([3.1, np.nan])}],
    }


def strict_json(payload):
    def no_nan(token):
        raise AssertionError(f"invalid JSON constant {token}")
    return json.loads(payload, parse_constant=no_nan)


def eventually(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


@pytest.fixture
def brokers(tmp_path):
    """Make brokers (not started); all are stopped after the publishers close."""
    made = []

    def make(**kw):
        made.append(Broker(str(tmp_path), **kw))
        return made[-1]
    yield make
    for b in made:
        b.stop()


@pytest.fixture
def broker(brokers):
    return brokers().start()


@pytest.fixture
def make_pub(tmp_path):
    made = []

    def make(b, device_id=DEV, outbox=None, **kw):
        log = []
        settings = MqttSettings(host="127.0.0.1", port=b.port, **kw)
        pub = FleetPublisher(settings, device_id, "Lobby sweeper",
                             outbox or str(tmp_path / "history.sqlite"), sw_version="0.1.0",
                             log=log.append)
        pub.log_lines = log
        made.append(pub)
        return pub
    yield make
    for pub in made:
        pub.close()


@pytest.fixture
def subs():
    made = []

    def make(*a, **kw):
        made.append(Subscriber(*a, **kw))
        return made[-1]
    yield make
    for s in made:
        s.close()


def last_json(sub, topic):
    msgs = sub.on(topic)
    return strict_json(msgs[-1].payload) if msgs else None


# What each entity's value_template must yield (HA: "None" = unknown), for a state message.
def expected_ha_states(state):
    last, hw = state.get("last_sweep"), state.get("hardware") or {}

    def conn(name):
        return "None" if name not in hw else "ON" if hw[name] == "ok" else "OFF"
    return {
        "verdict": last["verdict"] if last else "None",
        "last_sweep": last["finished_at"] if last else "None",
        "findings": str(last["findings"]) if last else "None",
        "room": state.get("room") or "None",
        "status": state["status"],
        "camera": ("ON" if last["verdict"] == "CAMERA" else "OFF") if last else "None",
        "rf": conn("RF"), "wifi": conn("Wi-Fi"),
    }


@needs_broker
def test_discovery_state_and_sweep_as_home_assistant_sees_them(broker, make_pub, subs):
    live = subs(broker, ["homeassistant/#", "sweeper/#"])
    pub = make_pub(broker)
    configs = {f"homeassistant/{c}/{DEV}/{o}/config" for c, o in ENTITIES}
    assert live.wait(lambda s: configs <= {m.topic for m in s.messages}), live.messages

    ha = subs(broker, ["homeassistant/#"])  # Home Assistant starting later gets retained configs
    assert ha.wait(lambda s: configs <= {m.topic for m in s.messages})
    by_object = {}
    for m in ha.messages:
        assert m.retain, m.topic
        cfg = strict_json(m.payload)
        component, _, object_id = m.topic.split("/")[1:4]
        assert cfg["unique_id"] == f"{DEV}_{object_id}"
        assert cfg["state_topic"] == f"sweeper/{DEV}/state"
        assert cfg["availability_topic"] == f"sweeper/{DEV}/availability"
        assert (cfg["payload_available"], cfg["payload_not_available"]) == ("online", "offline")
        assert cfg["device"] == {"identifiers": [DEV], "name": "Lobby sweeper", "model": "Sweeper",
                                 "manufacturer": "Sweeper project", "sw_version": "0.1.0"}
        assert cfg["name"] and cfg["value_template"]
        by_object[object_id] = (component, cfg)
    assert by_object["last_sweep"][1]["device_class"] == "timestamp"
    assert by_object["findings"][1]["state_class"] == "measurement"
    assert by_object["camera"][1]["device_class"] == "safety"
    assert by_object["rf"][1]["device_class"] == by_object["wifi"][1]["device_class"] == "connectivity"
    assert by_object["verdict"][1]["json_attributes_topic"] == f"sweeper/{DEV}/state"
    assert "last_sweep.verdict" in by_object["verdict"][1]["value_template"]
    assert "last_sweep.finished_at" in by_object["last_sweep"][1]["value_template"]
    assert "last_sweep.findings" in by_object["findings"][1]["value_template"]
    assert "'Wi-Fi'" in by_object["wifi"][1]["value_template"]

    state_topic = f"sweeper/{DEV}/state"
    pub.publish_status({"status": "ready", "room": "Room 101",
                        "hardware": {"RF": "ok", "Wi-Fi": "no monitor-mode adapter"}})
    assert live.wait(lambda s: last_json(s, state_topic) is not None)
    assert last_json(live, state_topic) == {
        "status": "ready", "room": "Room 101", "last_sweep": None,
        "hardware": {"RF": "ok", "Wi-Fi": "no monitor-mode adapter"}}

    pub.publish_sweep(record())
    sweep_topic = f"sweeper/{DEV}/sweep"
    assert live.wait(lambda s: s.on(sweep_topic) and (last_json(s, state_topic) or {}).get("last_sweep"))
    sent = strict_json(live.on(sweep_topic)[0].payload)
    assert live.on(sweep_topic)[0].retain is False
    assert "spectra" not in sent
    assert sent["id"] == 17 and sent["device_id"] == DEV and sent["elapsed_s"] == 41.25
    assert sent["findings"][0]["snr_db"] is None and sent["findings"][0]["score"] == 7
    assert sent["findings"][0]["reasons"] == ["sync", "line rate"]
    assert set(sent) == set(record()) - {"spectra"}

    state = last_json(live, state_topic)
    assert state["last_sweep"] == {"id": 17, "finished_at": "2026-11-25T13:00:44Z",
                                   "verdict": "CAMERA", "room": "Room 101", "findings": 1,
                                   "new": 5, "changed": 1, "not_covered": []}
    assert expected_ha_states(state) == {
        "verdict": "CAMERA", "last_sweep": "2026-11-25T13:00:44Z", "findings": "1",
        "room": "Room 101", "status": "ready", "camera": "ON", "rf": "ON", "wifi": "OFF"}
    assert pub.wait_idle(5) and pub.pending == 0

    ha2 = subs(broker, [state_topic])  # the state is retained, latest only
    assert ha2.wait(lambda s: s.on(state_topic))
    assert ha2.on(state_topic)[0].retain and last_json(ha2, state_topic) == state


def render_like_home_assistant(template, payload):
    """Render a discovery template as HA does: value_json, the tojson filter, a sandbox."""
    jinja2 = pytest.importorskip("jinja2.sandbox", reason="jinja2 not installed: templates "
                                 "are only checked by the path test above")
    env = jinja2.ImmutableSandboxedEnvironment()
    return env.from_string(template).render(value_json=json.loads(payload), value=payload).strip()


@pytest.mark.parametrize("state", [
    {"status": "ready", "room": "", "hardware": {}, "last_sweep": None},
    {"status": "sweeping", "room": "Room 7", "hardware": {"RF": "ok", "Wi-Fi": "ok"},
     "last_sweep": {"id": 3, "finished_at": "2026-11-25T13:00:44Z", "verdict": "SUSPECT",
                    "room": "Room 7", "findings": 2, "new": 0, "changed": 2}},
])
def test_discovery_templates_render_with_jinja(state):
    configs = {t.split("/")[3]: strict_json(p)
               for t, p in discovery_messages(MqttSettings(), DEV, "Lobby sweeper")}
    payload = json.dumps(state)
    got = {o: render_like_home_assistant(c["value_template"], payload) for o, c in configs.items()}
    assert got == expected_ha_states(state)
    for o, c in configs.items():
        if "json_attributes_template" in c:
            attrs = json.loads(render_like_home_assistant(c["json_attributes_template"], payload))
            assert isinstance(attrs, dict), o


@needs_broker
def test_availability_online_then_offline_after_clean_close(broker, make_pub, subs):
    topic = f"sweeper/{DEV}/availability"
    pub = make_pub(broker)
    assert eventually(lambda: pub.connected)
    late = subs(broker, [topic])
    assert late.wait_payload(topic, b"online") and late.on(topic)[0].retain
    pub.close()
    assert late.wait_payload(topic, b"offline")
    again = subs(broker, [topic])
    assert again.wait(lambda s: s.on(topic))
    assert [m.payload for m in again.on(topic)] == [b"offline"] and again.on(topic)[0].retain


@needs_broker
def test_last_will_offline_when_the_device_dies(broker, subs, tmp_path):
    topic = "sweeper/dev-kill/availability"
    sub = subs(broker, [topic])
    script = ("import sys, time\n"
              "from sweeper.venue.mqtt import FleetPublisher, MqttSettings\n"
              "p = FleetPublisher(MqttSettings(host='127.0.0.1', port=int(sys.argv[1]), keepalive_s=2),"
              " 'dev-kill', 'Kill', sys.argv[2])\n"
              "while not p.connected: time.sleep(0.05)\n"
              "print('connected', flush=True)\n"
              "time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(broker.port), str(tmp_path / "k.db")],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "connected"
        assert sub.wait_payload(topic, b"online")
        proc.send_signal(signal.SIGKILL)
        t0 = time.monotonic()
        assert sub.wait_payload(topic, b"offline", timeout=8), broker.log()
        assert time.monotonic() - t0 < 8
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def sweep_ids(sub, topic):
    ids = []
    for m in sub.on(topic):
        rid = strict_json(m.payload)["id"]
        if rid not in ids:  # at-least-once: receivers dedupe on id
            ids.append(rid)
    return ids


@needs_broker
def test_results_wait_in_the_outbox_while_the_broker_is_down(brokers, make_pub, subs):
    # Broker persistence only keeps the test subscriber's session across the restart, so it
    # cannot miss what the publisher sends first; the publisher's results come from its outbox.
    b = brokers(persistence=True).start()
    topic = f"sweeper/{DEV}/sweep"
    sub = subs(b, [topic], client_id="fleet-dashboard", clean=False)
    pub = make_pub(b)
    assert eventually(lambda: pub.connected)
    b.stop()
    assert eventually(lambda: not pub.connected)
    for rid in (1, 2, 3):
        pub.publish_sweep(record(rid))
    assert pub.pending == 3 and sub.on(topic) == []
    b.start()
    assert sub.wait(lambda s: len(sweep_ids(s, topic)) >= 3, timeout=20), b.log()
    assert sweep_ids(sub, topic) == [1, 2, 3]
    assert pub.wait_idle(10) and pub.pending == 0
    assert any("unreachable" in line or "lost the connection" in line for line in pub.log_lines)


def kick(b, client_id):
    """Drop a client's connection: the broker hands its client id to a newcomer."""
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    c.connect(b.host, b.port)
    c.loop_start()
    assert eventually(c.is_connected, 5)
    c.disconnect()
    c.loop_stop()


@needs_broker
def test_results_in_flight_when_the_connection_drops_arrive_in_order(broker, make_pub, subs):
    topic = f"sweeper/{DEV}/sweep"
    sub = subs(broker, [topic])
    pub = make_pub(broker)
    assert eventually(lambda: pub.connected)
    for rid in range(1, 31):
        pub.publish_sweep({"id": rid, "device_id": DEV, "verdict": "CLEAR"})
    kick(broker, f"sweeper-{DEV}")
    for rid in range(31, 61):
        pub.publish_sweep({"id": rid, "device_id": DEV, "verdict": "CLEAR"})
    assert eventually(lambda: pub.connected, 10)
    kick(broker, f"sweeper-{DEV}")
    assert pub.wait_idle(15), (pub.pending, pub.log_lines)
    assert sub.wait(lambda s: len(sweep_ids(s, topic)) >= 60)
    assert sweep_ids(sub, topic) == list(range(1, 61))
    assert any("lost the connection" in line for line in pub.log_lines)


@needs_broker
def test_unsent_results_survive_a_restart_of_the_sweeper(tmp_path, brokers, make_pub, subs):
    b = brokers()  # not started: the broker is down
    outbox = str(tmp_path / "history.sqlite")
    first = make_pub(b, outbox=outbox)
    first.publish_sweep(record(1))
    first.publish_sweep(record(2, verdict="CLEAR"))
    assert first.pending == 2 and not first.connected
    first.close()
    b.start()
    topic = f"sweeper/{DEV}/sweep"
    sub = subs(b, [topic])
    second = make_pub(b, outbox=outbox)
    assert sub.wait(lambda s: len(sweep_ids(s, topic)) >= 2), b.log()
    assert sweep_ids(sub, topic) == [1, 2]
    assert strict_json(sub.on(topic)[-1].payload)["verdict"] == "CLEAR"
    assert second.wait_idle(5) and second.pending == 0


@needs_broker
def test_login_with_a_password(tmp_path, brokers, make_pub, subs):
    pw = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(pw), "sweeper", "s3cret"], check=True,
                   capture_output=True)
    b = brokers(extra=[f"password_file {pw}"], anonymous=False).start()
    sub = subs(b, ["sweeper/+/sweep"], auth=("sweeper", "s3cret"))
    good = make_pub(b, device_id="good", outbox=str(tmp_path / "good.db"),
                    username="sweeper", password="s3cret")
    good.publish_sweep(record(5))
    assert sub.wait(lambda s: s.on("sweeper/good/sweep")), b.log()
    assert good.wait_idle(5)

    bad = make_pub(b, device_id="bad", outbox=str(tmp_path / "bad.db"),
                   username="sweeper", password="wrong")
    bad.publish_sweep(record(6))
    # Wait for the broker to refuse at least two attempts: the refusal is logged once.
    assert eventually(lambda: b.log().count("disconnected, not authorised") >= 2,
                      timeout=15), b.log()
    refusals = [line for line in bad.log_lines if "refused the login" in line]
    assert refusals == [(f"MQTT broker 127.0.0.1:{b.port} refused the login for user "
                         "sweeper: not authorised; retrying")]
    assert not bad.connected and bad.pending == 1 and sub.on("sweeper/bad/sweep") == []


def make_certs(d):
    def ssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "2", "-subj", "/CN=Sweeper test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
                "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf")
    return {n: os.path.join(d, n) for n in ("ca.crt", "server.crt", "server.key")}


@needs_broker
def test_tls_with_a_private_ca(tmp_path, brokers, make_pub, subs):
    certs = make_certs(str(tmp_path))
    b = brokers(extra=[f"cafile {certs['ca.crt']}", f"certfile {certs['server.crt']}",
                                     f"keyfile {certs['server.key']}"]).start()
    sub = subs(b, [f"sweeper/{DEV}/sweep"], ca_certs=certs["ca.crt"])
    pub = make_pub(b, tls=True, ca_file=certs["ca.crt"])
    pub.publish_sweep(record(9))
    assert sub.wait(lambda s: s.on(f"sweeper/{DEV}/sweep")), b.log()
    assert strict_json(sub.on(f"sweeper/{DEV}/sweep")[0].payload)["id"] == 9
    assert pub.wait_idle(5)


def test_missing_tls_file_is_a_config_error_naming_it(tmp_path):
    missing = str(tmp_path / "no-such-ca.pem")
    with pytest.raises(ConfigError, match="no-such-ca.pem"):
        FleetPublisher(MqttSettings(tls=True, ca_file=missing), DEV, "x", str(tmp_path / "t.db"))
    with pytest.raises(ConfigError, match="client.key"):
        FleetPublisher(MqttSettings(tls=True, cert_file=__file__, key_file=str(tmp_path / "client.key")),
                       DEV, "x", str(tmp_path / "t.db"))


def test_outbox_keeps_the_newest_when_full(tmp_path):
    path = str(tmp_path / "history.sqlite")
    with sqlite3.connect(path) as db:  # the history module's tables share the file
        db.execute("CREATE TABLE sweeps (id INTEGER PRIMARY KEY, room TEXT)")
        db.execute("INSERT INTO sweeps (room) VALUES ('Room 101')")
    db.close()
    warnings = []
    box = Outbox(path, max_rows=5, log=warnings.append)
    ids = [box.put("t", f"m{i}".encode(), 1, False) for i in range(8)]
    assert len(box) == 5 and box.dropped == 3
    assert [p for _, _, p, _, _ in box.pending(10)] == [b"m3", b"m4", b"m5", b"m6", b"m7"]
    assert len(warnings) == 1 and "full" in warnings[0]
    box.ack(ids[3])
    assert [i for i, *_ in box.pending(10)] == ids[4:]
    box.close()
    again = Outbox(path, max_rows=5)
    assert [p for _, _, p, _, _ in again.pending(2)] == [b"m4", b"m5"]
    again.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT room FROM sweeps").fetchall() == [("Room 101",)]
    db.close()


def test_settings_from_the_config_section():
    from sweeper.config import MqttConfig
    cfg = MqttConfig(enabled=True, host="broker.lan", port=8883, username="u", password="p",
                     tls=True, outbox_max=50)
    s = settings_from_config(cfg)
    assert (s.host, s.port, s.username, s.password, s.tls, s.outbox_max, s.qos) == (
        "broker.lan", 8883, "u", "p", True, 50, 1)
