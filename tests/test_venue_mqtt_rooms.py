"""Home Assistant sees one camera sensor per room, against a real mosquitto: the rooms of
the configuration and of the history, each with its latest sweep's verdict, retained."""
import dataclasses
import json

import pytest
from mosquitto import MOSQUITTO, Broker, Subscriber
from test_venue_mqtt import render_like_home_assistant, strict_json

from sweeper.assembly import RfPart
from sweeper.config import default_config
from sweeper.device.sweeping import merge
from sweeper.venue.history import HistoryStore
from sweeper.venue.mqtt import room_object_id
from sweeper.venue.recorder import Venue

pytestmark = pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto broker not installed (apt-get install mosquitto)")

DEV = "test-unit-1"
ROOMS = ["Room 101", "Room 102", "Room 103"]
DEVICE_ENTITIES = {"verdict", "last_sweep", "findings", "room", "status", "camera", "rf", "wifi"}


def outcome(camera: bool):
    finding = {"type": "analog_video", "verdict": "camera", "score": 0.95, "freq_hz": 5865e6, "standard": "PAL",
               "power_db": 40.0, "snr_db": 25.0, "reasons": ["line rate matches PAL"]}
    rf = {"verdict": "CAMERA" if camera else "CLEAR", "findings": [finding] if camera else [], "spectra": [],
          "emitters": []}
    result = merge([RfPart(None)], {"rf": rf})
    result.elapsed_s = 30.0
    return result


def config(tmp_path, broker):
    cfg = default_config()
    return dataclasses.replace(
        cfg, history=dataclasses.replace(cfg.history, path=str(tmp_path / "history.db"), keep_days=36500),
        venue=dataclasses.replace(cfg.venue, device_id=DEV, rooms=tuple(ROOMS)),
        mqtt=dataclasses.replace(cfg.mqtt, enabled=True, host=broker.host, port=broker.port))


@pytest.fixture
def broker(tmp_path):
    b = Broker(str(tmp_path)).start()
    yield b
    b.stop()


def room_sensors(sub):
    """{room: (discovery config, what Home Assistant shows)} from the messages received."""
    states = {m.topic: m for m in sub.messages if m.topic.endswith("/state")}
    out = {}
    for m in sub.messages:
        if m.topic.startswith(f"homeassistant/binary_sensor/{DEV}/camera_") and m.topic.endswith("/config"):
            cfg = strict_json(m.payload)
            state = states.get(cfg["state_topic"])
            shown = None if state is None else render_like_home_assistant(cfg["value_template"], state.payload)
            out[json.loads(state.payload)["room"] if state else cfg["name"]] = (cfg, shown)
    return out


def test_each_room_has_its_own_camera_sensor_with_its_latest_verdict(tmp_path, broker):
    cfg = config(tmp_path, broker)
    hw = {"RF": "ok"}
    with HistoryStore(cfg.history.path) as store:  # sweeps recorded while the broker was not configured
        offline = Venue(cfg, store)
        offline.record(outcome(True), "Room 101", "timer", hw, 1.79e9, 1.79e9 + 30)
        offline.record(outcome(False), "Room 102", "timer", hw, 1.79e9 + 60, 1.79e9 + 90)
        offline.record(outcome(False), "Annex", "button", hw, 1.79e9 + 120, 1.79e9 + 150)

    venue = Venue.open(cfg)  # the daemon starts: every room from the configuration and the history
    try:
        # the device moves on: Room 103 has a camera, then Room 101 is swept clear
        venue.record(outcome(True), "Room 103", "timer", hw, 1.79e9 + 180, 1.79e9 + 210)
        venue.record(outcome(False), "Room 101", "timer", hw, 1.79e9 + 240, 1.79e9 + 270)
        assert venue.publisher.wait_idle(10)
    finally:
        venue.close()

    ha = Subscriber(broker, ["homeassistant/#", f"sweeper/{DEV}/#"])  # Home Assistant starting later
    try:
        wanted = ["Room 101", "Room 102", "Room 103", "Annex"]
        assert ha.wait(lambda s: sorted(room_sensors(s)) == sorted(wanted)
                       and all(shown is not None for _, shown in room_sensors(s).values())), ha.messages
        sensors = room_sensors(ha)
        rooms = [m for m in ha.messages if "/camera_" in m.topic]
        assert len(rooms) == 8 and all(m.retain for m in rooms)  # a config and a state per room, retained
        assert {room: shown for room, (_, shown) in sensors.items()} == {
            "Room 101": "OFF", "Room 102": "OFF", "Room 103": "ON", "Annex": "OFF"}
        for room, (disc, _) in sensors.items():
            assert disc["name"] == f"Camera in {room}" and disc["device_class"] == "safety"
            assert disc["unique_id"] == f"{DEV}_{room_object_id(room)}"
            assert disc["device"]["identifiers"] == [DEV]  # the same device as its own entities
            assert disc["availability_topic"] == f"sweeper/{DEV}/availability"
        assert len({disc["unique_id"] for disc, _ in sensors.values()}) == 4
        attrs = json.loads(render_like_home_assistant(sensors["Room 103"][0]["json_attributes_template"],
                                                      ha.on(sensors["Room 103"][0]["state_topic"])[-1].payload))
        assert attrs["verdict"] == "CAMERA" and attrs["findings"] == 1 and attrs["room"] == "Room 103"
        # the device's own entities are still there; its camera sensor follows its last sweep only
        device = {m.topic.split("/")[3] for m in ha.messages
                  if m.topic.startswith("homeassistant/") and "/camera_" not in m.topic}
        assert device == DEVICE_ENTITIES
        state = ha.on(f"sweeper/{DEV}/state")[-1]
        assert json.loads(state.payload)["last_sweep"]["room"] == "Room 101"
    finally:
        ha.close()


def test_a_room_never_swept_is_unknown_until_its_first_sweep(tmp_path, broker):
    cfg = config(tmp_path, broker)
    venue = Venue.open(cfg)
    try:
        ha = Subscriber(broker, ["homeassistant/#", f"sweeper/{DEV}/#"])
        try:
            assert ha.wait(lambda s: len(room_sensors(s)) == 3 and all(v[1] for v in room_sensors(s).values()))
            assert {room: shown for room, (_, shown) in room_sensors(ha).items()} == dict.fromkeys(ROOMS, "None")
            venue.record(outcome(True), "Room 102", "button", {"RF": "ok"}, 1.79e9, 1.79e9 + 30)
            assert ha.wait(lambda s: room_sensors(s)["Room 102"][1] == "ON")
            assert room_sensors(ha)["Room 101"][1] == "None"
        finally:
            ha.close()
    finally:
        venue.close()


def test_room_ids_are_topic_safe_and_distinct():
    ids = [room_object_id(r) for r in ("Room 101", "room-101", "2F east restroom", "Küche / Bad", "#+")]
    assert len(set(ids)) == len(ids)
    assert all(i.replace("_", "").isalnum() and i.isascii() for i in ids)
    assert room_object_id("Room 101") == room_object_id("Room 101")


def test_the_readme_names_room_ids_and_the_private_group_as_the_code_does():
    import os

    from sweeper.venue.baseline import private_words

    readme = " ".join(open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read().split())
    assert f'"Room 101" is `{room_object_id("Room 101")}`' in readme
    assert f'("{private_words(3)}" in' in readme
