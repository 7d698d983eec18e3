"""Fleet reporting over MQTT, with Home Assistant discovery.

Several sweepers in a building report to one broker. A sweep result must not be lost
because the broker or the Wi-Fi was down when the sweep finished, so each result goes
into a SQLite *outbox* first (store-and-forward) and leaves it only when the broker has
acknowledged it (QoS 1 PUBACK). Anything unacknowledged is sent again after a reconnect
or a restart: delivery is at-least-once, and receivers dedupe on the record's ``id`` and
``device_id``. Device state (status, hardware, last sweep) is a single retained JSON
message: only the latest matters, so it is not queued but republished on each connect.
Home Assistant finds the device through retained discovery configs; a last will marks
it unavailable when the device dies without saying goodbye. A device with a fuel gauge
(``battery.enabled``) adds ``battery`` to its state and a Home Assistant battery sensor.

Topics (``base`` = settings.base_topic)::

    {base}/{device_id}/availability   "online" / "offline", retained (offline is the will)
    {base}/{device_id}/state          retained JSON, see FleetPublisher.publish_status
    {base}/{device_id}/sweep          one JSON sweep record per sweep, not retained
    {base}/{device_id}/confirmation   one JSON message per confirmation ("is it watching
                                      this room?"), not retained, queued like sweeps
    {base}/{device_id}/room/{room_id}/state   retained JSON per room: that room's latest
                                      sweep (see room_state); room_id from room_object_id
    {discovery_prefix}/{component}/{device_id}/{object_id}/config   retained discovery

Each room gets its own "Camera in ROOM" binary sensor (the rooms of ``venue.room`` and
``venue.rooms`` and every room swept), beside the device's own entities: a venue sees
which room the last camera was found in, and a room's alarm stays on after the device
has moved on to sweep the next room.

Why one module of over 400 lines: the publisher, its durable outbox and the Home
Assistant discovery messages are one protocol client whose reconnect and ordering rules
span all three; the self-test logs in with the same client settings.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import paho.mqtt.client as mqtt

from sweeper.errors import ConfigError
from sweeper.venue.jsonable import plain

MAX_IN_FLIGHT = 20  # unacknowledged sweep messages at once: enough to drain fast, no flood
BATTERY_EVERY_S = 60.0  # a look at the fuel gauge for the fleet: a LiPo loses about 1 % a minute
Log = Callable[[str], None]


@dataclass(frozen=True)
class MqttSettings:
    """Broker connection and topic layout (built by the config system)."""

    host: str = "localhost"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    client_id: str | None = None  # None: "sweeper-" + device_id
    keepalive_s: int = 60
    qos: int = 1
    base_topic: str = "sweeper"
    discovery: bool = True
    discovery_prefix: str = "homeassistant"
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    tls_insecure: bool = False
    outbox_max: int = 5000


def settings_from_config(cfg: Any) -> MqttSettings:
    """MqttSettings from the config's ``mqtt`` section (same field names; extras ignored)."""
    return MqttSettings(**{f.name: getattr(cfg, f.name) for f in fields(MqttSettings)
                           if hasattr(cfg, f.name)})


class Outbox:
    """A persistent, thread-safe FIFO of messages waiting for a broker acknowledgement."""

    def __init__(self, path: str, max_rows: int = 5000, log: Log = lambda msg: None):
        self.path, self.max_rows, self._log = path, max(1, int(max_rows)), log
        self.dropped = 0
        self._dropping = False
        self._lock = threading.Lock()
        try:
            if os.path.dirname(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("CREATE TABLE IF NOT EXISTS mqtt_outbox (id INTEGER PRIMARY KEY "
                             "AUTOINCREMENT, topic TEXT, payload BLOB, qos INT, retain INT, "
                             "created_at REAL)")
        except (OSError, sqlite3.Error) as e:
            raise ConfigError(f"cannot open the MQTT outbox database {path}: {e}") from e

    def put(self, topic: str, payload: bytes, qos: int, retain: bool) -> int:
        """Append a message; when full, drop the oldest. Returns the new row id."""
        with self._lock:
            cur = self._db.execute("INSERT INTO mqtt_outbox (topic, payload, qos, retain, "
                                   "created_at) VALUES (?, ?, ?, ?, ?)",
                                   (topic, bytes(payload), int(qos), int(bool(retain)), time.time()))
            new_id = int(cur.lastrowid)
            excess = self._count() - self.max_rows
            if excess > 0:
                self._db.execute("DELETE FROM mqtt_outbox WHERE id IN (SELECT id FROM mqtt_outbox "
                                 "ORDER BY id LIMIT ?)", (excess,))
                self.dropped += excess
                if not self._dropping:
                    self._log(f"MQTT outbox {self.path} is full ({self.max_rows} messages): "
                              "dropping the oldest unsent sweep results")
            self._dropping = excess > 0
            return new_id

    def pending(self, limit: int, after_id: int = 0) -> list[tuple[int, str, bytes, int, bool]]:
        """Up to ``limit`` waiting messages with id > after_id, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT id, topic, payload, qos, retain FROM mqtt_outbox "
                                    "WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit))
            return [(i, t, bytes(p), q, bool(r)) for i, t, p, q, r in rows.fetchall()]

    def ack(self, msg_id: int) -> None:
        """The broker has the message: forget it."""
        with self._lock:
            self._db.execute("DELETE FROM mqtt_outbox WHERE id = ?", (msg_id,))
            self._dropping = False

    def _count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM mqtt_outbox").fetchone()[0])

    def __len__(self) -> int:
        with self._lock:
            return self._count()

    def close(self) -> None:
        with self._lock:
            self._db.close()


def to_json(obj: Any) -> bytes:
    """Compact, always-valid JSON (never NaN) for anything a record may hold."""
    return json.dumps(plain(obj), separators=(",", ":"), allow_nan=False).encode()


def last_sweep_summary(record: dict[str, Any]) -> dict[str, Any]:
    """The ``last_sweep`` part of the state message, from a sweep record."""
    counts = record.get("counts") or {}
    return {"id": record.get("id"), "finished_at": record.get("finished_at"),
            "verdict": record.get("verdict"), "room": record.get("room", ""),
            "findings": counts.get("findings", len(record.get("findings") or [])),
            "new": counts.get("new", 0), "changed": counts.get("changed", 0),
            "not_covered": list(record.get("gaps") or [])}  # why a verdict is INCOMPLETE


_LAST = "value_json.last_sweep"


def _hw_template(name: str) -> str:
    h = f"value_json.hardware['{name}']"
    return (f"{{% if value_json.hardware and '{name}' in value_json.hardware %}}"
            f"{{{{ 'ON' if {h} == 'ok' else 'OFF' }}}}{{% else %}}None{{% endif %}}")


# (component, object_id, name, extra config). Templates render "None" (HA: unknown) before
# the first sweep. The camera binary sensor is ON only for a CAMERA verdict: SUSPECT is
# shown by the verdict sensor but does not raise a safety alarm.
ENTITIES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("sensor", "verdict", "Verdict", {
        "icon": "mdi:cctv",
        "value_template": f"{{{{ {_LAST}.verdict if {_LAST} else None }}}}",
        "json_attributes_template": f"{{{{ ({_LAST} or {{}}) | tojson }}}}"}),
    ("sensor", "last_sweep", "Last sweep", {
        "device_class": "timestamp",
        "value_template": f"{{{{ {_LAST}.finished_at if {_LAST} else None }}}}"}),
    ("sensor", "findings", "Findings", {
        "icon": "mdi:alert-circle-outline", "state_class": "measurement",
        "value_template": f"{{{{ {_LAST}.findings if {_LAST} else None }}}}"}),
    ("sensor", "room", "Room", {
        "icon": "mdi:door", "value_template": "{{ value_json.room if value_json.room else None }}"}),
    ("sensor", "status", "Status", {
        "icon": "mdi:radar", "value_template": "{{ value_json.status }}"}),
    ("binary_sensor", "camera", "Camera found", {
        "device_class": "safety", "payload_on": "ON", "payload_off": "OFF",
        "value_template": (f"{{% if not {_LAST} %}}None{{% elif {_LAST}.verdict == 'CAMERA' %}}"
                           "ON{% else %}OFF{% endif %}"),
        "json_attributes_template": f"{{{{ ({_LAST} or {{}}) | tojson }}}}"}),
    ("binary_sensor", "rf", "RF receiver", {
        "device_class": "connectivity", "entity_category": "diagnostic",
        "payload_on": "ON", "payload_off": "OFF", "value_template": _hw_template("RF"),
        "json_attributes_template": "{{ {'status': (value_json.hardware or {}).get('RF')} | tojson }}"}),
    ("binary_sensor", "wifi", "Wi-Fi monitor", {
        "device_class": "connectivity", "entity_category": "diagnostic",
        "payload_on": "ON", "payload_off": "OFF", "value_template": _hw_template("Wi-Fi"),
        "json_attributes_template": "{{ {'status': (value_json.hardware or {}).get('Wi-Fi')} | tojson }}"}),
]


#: announced only by a device with a fuel gauge (FleetPublisher.watch_battery): the state's
#: ``battery`` is {"percent", "volts", "charging"}, or null while the gauge does not answer
BATTERY_ENTITY: tuple[str, str, str, dict[str, Any]] = ("sensor", "battery", "Battery", {
    "device_class": "battery", "unit_of_measurement": "%", "state_class": "measurement",
    "entity_category": "diagnostic",
    "value_template": "{{ value_json.battery.percent if value_json.battery else None }}",
    "json_attributes_template": "{{ (value_json.battery or {}) | tojson }}"})


# The per-room camera sensor (one per room; its state topic is the room's own).
ROOM_ENTITY: tuple[str, str, dict[str, Any]] = ("binary_sensor", "Camera in {room}", {
    "device_class": "safety", "payload_on": "ON", "payload_off": "OFF",
    "value_template": ("{% if not value_json.verdict %}None{% elif value_json.verdict == 'CAMERA' %}"
                       "ON{% else %}OFF{% endif %}"),
    "json_attributes_template": "{{ value_json | tojson }}"})


def room_object_id(room: str) -> str:
    """A room's id in topics and entity ids: its label in letters, digits and _, and 6 hex
    digits of a hash of the label, so "Room 101" and "room-101" stay two rooms."""
    slug = "".join(c if c.isascii() and c.isalnum() else "_" for c in room.lower()).strip("_")[:40]
    return f"camera_{slug}_{hashlib.sha256(room.encode()).hexdigest()[:6]}".replace("__", "_")


def room_state(room: str, latest: dict[str, Any] | None) -> dict[str, Any]:
    """A room's retained state: its latest sweep's summary (last_sweep_summary), or no
    verdict (Home Assistant: unknown) before its first sweep."""
    keys = ("id", "finished_at", "verdict", "findings", "new", "changed", "not_covered")
    return {"room": room, **{k: (latest or {}).get(k) for k in keys}}


def _device(device_id: str, device_name: str, sw_version: str) -> dict[str, Any]:
    device = {"identifiers": [device_id], "name": device_name, "model": "Sweeper",
              "manufacturer": "Sweeper project"}
    if sw_version:
        device["sw_version"] = sw_version
    return device


def room_discovery(settings: MqttSettings, device_id: str, device_name: str, room: str,
                   sw_version: str = "") -> tuple[str, bytes]:
    """The discovery config of one room's camera sensor: (topic, JSON payload)."""
    root = f"{settings.base_topic}/{device_id}"
    component, name, extra = ROOM_ENTITY
    object_id = room_object_id(room)
    state = f"{root}/room/{object_id}/state"
    config = {"name": name.format(room=room), "unique_id": f"{device_id}_{object_id}",
              "state_topic": state, "json_attributes_topic": state,
              "availability_topic": f"{root}/availability", "payload_available": "online",
              "payload_not_available": "offline", **extra,
              "device": _device(device_id, device_name, sw_version)}
    return f"{settings.discovery_prefix}/{component}/{device_id}/{object_id}/config", to_json(config)


def discovery_messages(settings: MqttSettings, device_id: str, device_name: str,
                       sw_version: str = "", battery: bool = False) -> list[tuple[str, bytes]]:
    """Home Assistant discovery configs: (topic, JSON payload) for every entity of the
    device, the battery sensor when it has a fuel gauge (each room's camera sensor:
    room_discovery)."""
    root = f"{settings.base_topic}/{device_id}"
    device = _device(device_id, device_name, sw_version)
    out = []
    for component, object_id, name, extra in ENTITIES + ([BATTERY_ENTITY] if battery else []):
        config = {"name": name, "unique_id": f"{device_id}_{object_id}",
                  "state_topic": f"{root}/state", "availability_topic": f"{root}/availability",
                  "payload_available": "online", "payload_not_available": "offline", **extra,
                  "device": device}
        if "json_attributes_template" in extra:
            config["json_attributes_topic"] = f"{root}/state"
        topic = f"{settings.discovery_prefix}/{component}/{device_id}/{object_id}/config"
        out.append((topic, to_json(config)))
    return out


def _check_readable(kind: str, path: str | None) -> None:
    if path is not None and not (os.path.isfile(path) and os.access(path, os.R_OK)):
        raise ConfigError(f"MQTT TLS {kind} file {path} is missing or unreadable "
                          f"(mqtt.{kind}_file in the config)")


def make_client(settings: MqttSettings, client_id: str) -> mqtt.Client:
    """A paho client logged in as the settings say (TLS, user); ConfigError for TLS files
    that cannot be read or are not PEM. The publisher and the self-test both use it."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    if settings.tls:
        for kind in ("ca", "cert", "key"):
            _check_readable(kind, getattr(settings, f"{kind}_file"))
        if settings.key_file and not settings.cert_file:
            raise ConfigError("MQTT TLS key_file is set without cert_file")
        try:
            client.tls_set(ca_certs=settings.ca_file, certfile=settings.cert_file,
                           keyfile=settings.key_file)
        except (ssl.SSLError, OSError) as e:
            names = ", ".join(p for p in (settings.ca_file, settings.cert_file,
                                          settings.key_file) if p)
            raise ConfigError(f"MQTT TLS files ({names}) are not valid PEM: {e}") from e
        if settings.tls_insecure:
            client.tls_insecure_set(True)
    if settings.username is not None:
        client.username_pw_set(settings.username, settings.password)
    return client


MQTT_CHECK = "MQTT broker"


def probe(settings: MqttSettings, timeout: float = 5.0):
    """Self-test: log in to the fleet broker the way the daemon will, under a client id
    of its own so the daemon's session is not kicked off."""
    from sweeper.probe import Check

    where = f"{settings.host}:{settings.port}"
    try:
        client = make_client(settings, f"sweeper-selftest-{os.getpid()}")
    except ConfigError as exc:
        return Check(MQTT_CHECK, False, str(exc), "check the file named, its path and its permissions")
    answered, result = threading.Event(), {}

    def on_connect(c, userdata, flags, reason, properties):
        result["reason"] = reason
        answered.set()
    client.on_connect = on_connect
    try:
        client.connect(settings.host, settings.port, keepalive=10)
        client.loop_start()
        answered.wait(timeout)
    except (OSError, ValueError) as exc:  # refused, unreachable, TLS handshake
        return Check(MQTT_CHECK, False, f"no MQTT broker at {where} ({exc})",
                     "check mqtt.host, mqtt.port and the network; results wait in the outbox meanwhile")
    finally:
        client.loop_stop()
        client.disconnect()
    reason = result.get("reason")
    if reason is None:
        return Check(MQTT_CHECK, False, f"{where} accepted a connection but did not answer as MQTT in {timeout:g} s",
                     "is mqtt.port the broker's MQTT port (1883, or 8883 with TLS)?")
    if reason.is_failure:
        return Check(MQTT_CHECK, False, f"{where} refused the login: {reason}",
                     "check mqtt.username and mqtt.password, and the broker's ACL")
    return Check(MQTT_CHECK, True, f"logged in to {where}" + (" over TLS" if settings.tls else "")
                 + (f" as {settings.username}" if settings.username else ""))


class FleetPublisher:
    """Publishes sweep results and device state to the fleet broker; see the module doc."""

    def __init__(self, settings: MqttSettings, device_id: str, device_name: str,
                 outbox_path: str, sw_version: str = "", log: Log = lambda msg: None):
        self.settings, self.device_id, self.device_name = settings, device_id, device_name
        self.sw_version, self._log = sw_version, log
        self.where = f"{settings.host}:{settings.port}"
        root = f"{settings.base_topic}/{device_id}"
        self.availability_topic = f"{root}/availability"
        self.state_topic = f"{root}/state"
        self.sweep_topic = f"{root}/sweep"
        self.confirmation_topic = f"{root}/confirmation"
        self._state: dict[str, Any] | None = None
        self._state_sent: bytes | None = None
        self._rooms: dict[str, dict[str, Any] | None] = {}  # room -> its latest sweep's summary
        self._rooms_sent: dict[str, bytes] = {}  # room -> the retained state sent on this connection
        self._connected = False
        self._gen = 0  # connection generation: paho re-sends older in-flight messages itself
        self._problem: str | None = None  # last connection problem logged, to log it once
        self._inflight: list[tuple[int, mqtt.MQTTMessageInfo, int]] = []  # (outbox id, info, gen)
        self._acked_mids: set = set()
        self._last_sent = 0
        self._lock = threading.Lock()  # state, flags; never held while calling paho
        self._state_lock = threading.Lock()  # never taken in on_publish (paho holds its lock)
        self._idle = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._closed = False
        self._battery_read: Callable[[], Any] | None = None  # the fuel gauge's read(), when watched
        self._battery_every, self._battery_due = BATTERY_EVERY_S, 0.0

        client = make_client(settings, settings.client_id or f"sweeper-{device_id}")
        client.will_set(self.availability_topic, "offline", qos=1, retain=True)
        client.reconnect_delay_set(1, 30)
        client.suppress_exceptions = True
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        self._client = client

        self.outbox = Outbox(outbox_path, settings.outbox_max, log)
        self._sender = threading.Thread(target=self._run, name="mqtt-outbox", daemon=True)
        self._sender.start()
        client.connect_async(settings.host, settings.port, keepalive=settings.keepalive_s)
        client.loop_start()

    # -- public ---------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def pending(self) -> int:
        """Sweep messages not yet acknowledged by the broker."""
        return len(self.outbox)

    @property
    def dropped(self) -> int:
        return self.outbox.dropped

    def publish_sweep(self, record: dict[str, Any]) -> int:
        """Queue a sweep record (without spectra) durably, then send it; returns its outbox id."""
        body = {k: v for k, v in record.items() if k != "spectra"}
        msg_id = self.outbox.put(self.sweep_topic, to_json(body), self.settings.qos, False)
        self._wake.set()
        with self._lock:
            state = dict(self._state or {"status": "ready", "room": record.get("room", ""),
                                         "hardware": record.get("hardware") or {}})
            state["last_sweep"] = last_sweep_summary(record)
            self._state = state
        self._send_state()
        if record.get("room"):
            self.publish_rooms({record["room"]: state["last_sweep"]})
        return msg_id

    def publish_rooms(self, latest: dict[str, dict[str, Any] | None]) -> None:
        """Declare rooms, each with its latest sweep's summary (last_sweep_summary) or None
        before its first: each gets its camera sensor (retained discovery) and its retained
        state. A None never replaces a room's known sweep. Sent now when connected and on
        every connect; not queued."""
        with self._lock:
            for room, summary in latest.items():
                if room and (summary is not None or room not in self._rooms):
                    self._rooms[room] = summary
        self._send_rooms()

    def publish_confirmation(self, message: dict[str, Any]) -> int:
        """Queue a confirmation durably, then send it: ``{"sweep_id", "device_id", "room",
        "finding_index", "finding" (with its "confirmation"), "watching", "stimulus_p",
        "stimulus_delay_s", "reasons", "mode", "duration_s", "confirmed_at"}``; returns
        its outbox id. Receivers dedupe on sweep_id, finding_index and confirmed_at."""
        msg_id = self.outbox.put(self.confirmation_topic, to_json(message), self.settings.qos, False)
        self._wake.set()
        return msg_id

    def publish_status(self, status: dict[str, Any]) -> None:
        """Update the retained state: ``{"status", "room", "hardware", "last_sweep"}`` (and
        ``battery``, see :meth:`watch_battery`).

        Keys not given keep their value (last_sweep is kept unless given, e.g. from history
        at start-up). Sent now when connected and on every connect; not queued.
        """
        with self._lock:
            state = dict(self._state or {"status": "ready", "room": "", "hardware": {},
                                         "last_sweep": None})
            state.update(status)
            self._state = state
        self._send_state()

    def watch_battery(self, read: Callable[[], Any], every_s: float = BATTERY_EVERY_S) -> None:
        """Announce Home Assistant's battery sensor and keep the state's ``battery`` up to
        date: ``read()`` (a fuel gauge's) every ``every_s``, from the sender thread; it
        gives a reading with ``to_json()``, or None when the gauge does not answer."""
        self._battery_every, self._battery_due = every_s, 0.0
        self._battery_read = read
        if self._connected and self.settings.discovery:
            topic, payload = discovery_messages(self.settings, self.device_id, self.device_name,
                                                self.sw_version, battery=True)[-1]
            self._client.publish(topic, payload, qos=1, retain=True)
        self._wake.set()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued sweep message is acknowledged; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: len(self.outbox) == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Say "offline" (retained), disconnect cleanly, stop the threads. Unsent results stay
        in the outbox for the next start."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._wake.set()
        self._sender.join(timeout)
        if self._connected:
            info = self._client.publish(self.availability_topic, "offline", qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        self._client.disconnect()
        self._client.loop_stop()
        self.outbox.close()

    # -- paho callbacks (paho's network thread) -------------------------------------------

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                    properties: Any) -> None:
        if reason.is_failure:
            self._connected = False
            if reason.value in (4, 5, 134, 135):  # bad user name or password / not authorised
                self._report(f"MQTT broker {self.where} refused the login for user "
                             f"{self.settings.username or '(anonymous)'}: not authorised; retrying")
            else:
                self._report(f"MQTT broker {self.where} refused the connection: {reason}; retrying")
            return
        with self._lock:
            self._gen += 1
            self._state_sent = None
            self._connected = True
        if self._problem is not None or self._gen == 1:
            self._log(f"connected to MQTT broker {self.where}")
        self._problem = None
        client.publish(self.availability_topic, "online", qos=1, retain=True)
        if self.settings.discovery:
            for topic, payload in discovery_messages(self.settings, self.device_id, self.device_name,
                                                     self.sw_version, battery=self._battery_read is not None):
                client.publish(topic, payload, qos=1, retain=True)
        with self._lock:
            self._rooms_sent = {}
        self._send_state()
        self._send_rooms()
        self._wake.set()

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self._report(f"MQTT broker {self.where} is unreachable; results wait in the outbox "
                     "and are sent when it is back")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                       properties: Any) -> None:
        was, self._connected = self._connected, False
        if was and not self._closed:
            self._report(f"lost the connection to MQTT broker {self.where} ({reason}); retrying")

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any,
                    properties: Any) -> None:
        with self._lock:
            self._acked_mids.add(mid)
        self._wake.set()

    def _report(self, problem: str) -> None:
        if problem != self._problem:
            self._problem = problem
            self._log(problem)

    # -- sending --------------------------------------------------------------------------

    def _send_state(self) -> None:
        # QoS 0: a lost state message is replaced on the next connect, and a QoS 1 copy
        # re-sent by paho after a reconnect could overwrite a newer retained state.
        # _state_lock keeps two threads from sending states in the wrong order.
        with self._state_lock:
            with self._lock:
                if not self._connected or self._state is None:
                    return
                payload = to_json(self._state)
                if payload == self._state_sent:
                    return
                self._state_sent = payload
            self._client.publish(self.state_topic, payload, qos=0, retain=True)

    def _send_rooms(self) -> None:
        """Each room's discovery config (the first time on this connection) and its state
        (when it changed), retained; QoS 0 for the states, as for the device's state."""
        with self._state_lock:
            with self._lock:
                if not self._connected:
                    return
                states = {room: to_json(room_state(room, summary)) for room, summary in self._rooms.items()}
                due = [(room, payload) for room, payload in states.items() if self._rooms_sent.get(room) != payload]
                new = [room for room, _ in due if room not in self._rooms_sent]
                self._rooms_sent.update(due)
            if self.settings.discovery:
                for room in new:
                    topic, payload = room_discovery(self.settings, self.device_id, self.device_name, room,
                                                    self.sw_version)
                    self._client.publish(topic, payload, qos=1, retain=True)
            for room, payload in due:
                self._client.publish(f"{self.settings.base_topic}/{self.device_id}/room/{room_object_id(room)}/state",
                                     payload, qos=0, retain=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(min(10.0, self._battery_every) if self._battery_read else 10.0)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self._service()
                self._battery_level()
            except Exception as e:  # noqa: BLE001 -- keep the sender alive; the outbox still holds everything
                self._report(f"MQTT outbox error: {e}")

    def _battery_level(self) -> None:
        """The fuel gauge's level into the retained state, when due (sent only if it changed)."""
        if self._battery_read is None or time.monotonic() < self._battery_due:
            return
        self._battery_due = time.monotonic() + self._battery_every
        reading = self._battery_read()
        self.publish_status({"battery": reading.to_json() if reading is not None else None})

    def _service(self) -> None:
        """Forget acknowledged messages, then send more, in order, up to MAX_IN_FLIGHT."""
        with self._lock:
            acked, self._acked_mids = self._acked_mids, set()
            connected, gen = self._connected, self._gen
        still = []
        for oid, info, g in self._inflight:
            if info.mid in acked:  # (info.is_published() raises once a send found no connection)
                self.outbox.ack(oid)
            else:
                still.append((oid, info, g))
        self._inflight = still
        with self._idle:
            self._idle.notify_all()
        # Messages from an earlier connection are re-sent by paho after the reconnect; wait
        # for them so that newer results do not overtake them.
        if not connected or any(g < gen for _, _, g in self._inflight):
            return
        room = MAX_IN_FLIGHT - len(self._inflight)
        rows = self.outbox.pending(room, self._last_sent) if room > 0 else []
        for oid, topic, payload, qos, retain in rows:
            info = self._client.publish(topic, payload, qos=qos, retain=retain)
            if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
                break  # not queued by paho (NO_CONN ones are kept and sent on reconnect)
            self._inflight.append((oid, info, gen))
            self._last_sent = oid
