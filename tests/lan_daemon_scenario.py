"""The device sweeping the LAN test network, twice, run inside the sweeper's namespace
(``ip netns exec swl-sweeper python tests/lan_daemon_scenario.py WORKDIR``) by
tests/test_lan_daemon.py, which asserts on the JSON this prints.

The daemon is the real one with the real LAN part (RF and Wi-Fi disabled: no simulator
anywhere), mock pins for the buttons, luma's dummy OLED, a real history and a real
mosquitto inside the namespace. Between the sweeps the first sweep's findings are
baselined with ``--accept-findings``, as a venue accepts its own cameras.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from device_harness import Running  # noqa: E402
from gpiozero.pins.mock import MockFactory, MockPWMPin  # noqa: E402
from mosquitto import Broker, Subscriber  # noqa: E402

from sweeper.config import parse_config  # noqa: E402
from sweeper.device.app import build_device  # noqa: E402
from sweeper.device.display import Display  # noqa: E402
from sweeper.venue.history import HistoryStore  # noqa: E402
from sweeper.venue.mqtt import FleetPublisher, MqttSettings  # noqa: E402
from sweeper.venue.recorder import Venue  # noqa: E402


def lit(display):
    return np.array(display.image.convert("1"), dtype=bool)


def main(workdir: str) -> dict:
    history = os.path.join(workdir, "history.db")
    cfg = parse_config(f"""
device_name: lobby-sweeper
rf: {{enabled: false}}
wifi: {{enabled: false}}
lan: {{enabled: true, interface: lan0}}
history: {{path: {history}}}
venue: {{room: Lobby}}
""")
    broker = Broker(workdir).start()
    live = Subscriber(broker, ["sweeper/#"])
    publisher = FleetPublisher(MqttSettings(host="127.0.0.1", port=broker.port), "lobby-sweeper", "Lobby sweeper",
                               os.path.join(workdir, "outbox.db"))
    store = HistoryStore(history)
    venue = Venue(cfg, store=store, publisher=publisher)
    out = {"sweeps": [], "hardware": None}
    try:
        dev = build_device(cfg, pin_factory=MockFactory(pin_class=MockPWMPin), display=Display.dummy(), venue=venue)
        out["hardware"] = dev.hardware.probe()
        ids = []
        with Running(dev, cfg) as run:
            for sweep in range(2):
                run.press(cfg.buttons.select_pin)
                run.wait_until(lambda: dev.daemon.state == "result" and dev.daemon.outcome is not None
                               and dev.daemon.outcome.record["id"] not in ids, "a new sweep", timeout=60)
                outcome = dev.daemon.outcome
                ids.append(outcome.record["id"])
                run.press(cfg.buttons.next_pin)
                run.wait_screen("finding")
                shown = lit(dev.display)
                alone = Display.dummy()
                alone.finding(0, len(outcome.findings), outcome.findings[0])  # the first finding, drawn by its kind
                out["sweeps"].append({"id": outcome.record["id"], "verdict": outcome.verdict,
                                      "findings": [f.to_json() for f in outcome.findings],
                                      "oled_shows_first_finding": bool((lit(alone) == shown).all()),
                                      "counts": outcome.record["counts"]})
                alone.close()
                if sweep == 0:
                    store.baseline_from_sweep(ids[0], accept_findings=True)
        live.wait(lambda s: len([m for m in s.messages if m.topic.endswith("/sweep")]) >= 2, timeout=20)
        out["mqtt_sweeps"] = [json.loads(m.payload) for m in live.messages if m.topic.endswith("/sweep")]
        return out
    finally:
        publisher.close()
        live.close()
        broker.stop()


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
