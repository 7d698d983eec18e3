"""Real mosquitto brokers on loopback for tests, and a subscriber that records messages."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable

import paho.mqtt.client as mqtt

MOSQUITTO = shutil.which("mosquitto") or next(
    (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.path.exists(p)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """One mosquitto process from a temp config; ``extra`` lines go under the listener."""

    def __init__(self, workdir: str, extra: Iterable[str] = (), anonymous: bool = True,
                 persistence: bool = False, port: int | None = None):
        self.workdir, self.port, self.host = workdir, port or free_port(), "127.0.0.1"
        self.log_path = os.path.join(workdir, f"mosquitto-{self.port}.log")
        self.conf_path = os.path.join(workdir, f"mosquitto-{self.port}.conf")
        lines = [f"listener {self.port} 127.0.0.1", *extra,
                 f"allow_anonymous {'true' if anonymous else 'false'}",
                 f"persistence {'true' if persistence else 'false'}",
                 f"log_dest file {self.log_path}", "log_type all"]
        if persistence:
            lines.append(f"persistence_location {workdir}/")
        if os.geteuid() == 0:
            lines.append("user root")  # else it drops to "mosquitto", who cannot read tmp files
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> Broker:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf_path],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.proc.stderr.read().decode()} {self.log()}")
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port}: {self.log()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


class Subscriber:
    """A plain paho client recording (topic, payload, retain) for the given filters."""

    def __init__(self, broker: Broker, topics: list[str], client_id: str = "",
                 clean: bool = True, auth: tuple | None = None, ca_certs: str | None = None):
        self.messages: list[mqtt.MQTTMessage] = []
        self._cond = threading.Condition()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=clean)
        if ca_certs:
            self.client.tls_set(ca_certs=ca_certs)
        if auth:
            self.client.username_pw_set(*auth)
        self.client.reconnect_delay_set(1, 1)

        def on_connect(client, userdata, flags, reason, properties):
            client.subscribe([(t, 1) for t in topics])

        def on_subscribe(client, userdata, mid, reason_codes, properties):
            self.subscribed.set()

        def on_message(client, userdata, msg):
            with self._cond:
                self.messages.append(msg)
                self._cond.notify_all()

        self.client.on_connect = on_connect
        self.client.on_message = on_message
        self.client.on_subscribe = on_subscribe
        self.client.connect(broker.host, broker.port, keepalive=10)
        self.client.loop_start()
        if not self.subscribed.wait(10):
            raise RuntimeError(f"test subscriber could not subscribe: {broker.log()}")

    def on(self, topic: str) -> list[mqtt.MQTTMessage]:
        with self._cond:
            return [m for m in self.messages if m.topic == topic]

    def wait(self, pred: Callable[[Subscriber], bool], timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: pred(self), timeout)

    def wait_payload(self, topic: str, payload: bytes, timeout: float = 10.0) -> bool:
        return self.wait(lambda s: any(m.payload == payload for m in s.on(topic)), timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
