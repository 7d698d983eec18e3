"""The JSON contracts stay as they are: ``analyze`` (RF and Wi-Fi), ``run --once --json``,
``history --show --json`` and the MQTT sweep message, pinned against stored examples in
tests/data/contracts (made with the tree of 2026-12-05; regenerate one only when its
contract is meant to change, and say so in the README).

A contract is pinned by its keys and value types; values differ from run to run. Every
finding in them reads into a typed :class:`Finding` and writes back to the same JSON.
"""
import json
import os

import pytest
from mosquitto import MOSQUITTO

from conftest import BLINK_CAMERA, real_rf_captures
from sweeper.findings import Finding

CONTRACTS = os.path.join(os.path.dirname(__file__), "data", "contracts")
#: keys that a detector writes only sometimes (a verdict's capture time, an RF
#: emitter's bursts when it has any), and a finding's confirmation ("is it watching this
#: room?", only once the user ran one; pinned by history_show.json's findings and by
#: confirmation.json, the MQTT confirmation message)
OPTIONAL = {"verdict_after_s", "duty", "bursts", "confirmation"}


def stored(name):
    with open(os.path.join(CONTRACTS, f"{name}.json")) as f:
        return json.load(f)


def _type(v):
    return "number" if isinstance(v, (int, float)) and not isinstance(v, bool) else type(v).__name__


def same_shape(example, fresh, path="$"):
    """Problems (as strings) where ``fresh`` differs from ``example`` in keys or types.
    Lists are checked element-wise against the example's element of the same ``type``
    (or its first); null matches anything (values may be missing)."""
    if example is None or fresh is None:
        return []
    if isinstance(example, dict) and isinstance(fresh, dict):
        if example and all(k.isdigit() for k in example):  # a map (channel -> ...), not a record
            like = next(iter(example.values()))
            return [p for k, v in fresh.items() for p in same_shape(like, v, f"{path}.{k}")]
        problems = []
        extra = set(fresh) - set(example)
        lost = set(example) - set(fresh) - OPTIONAL
        if extra or lost:
            problems.append(f"{path}: keys added {sorted(extra)}, lost {sorted(lost)}")
        for k in set(example) & set(fresh):
            problems += same_shape(example[k], fresh[k], f"{path}.{k}")
        return problems
    if isinstance(example, list) and isinstance(fresh, list):
        if not example:
            return []
        problems = []
        for i, item in enumerate(fresh):
            like = example[0]
            for tag in ("type", "class", "kind"):  # a finding's kind, an emitter's class, an observation's
                if isinstance(item, dict) and tag in item:
                    like = next((e for e in example if isinstance(e, dict) and e.get(tag) == item[tag]), like)
                    break
            problems += same_shape(like, item, f"{path}[{i}]")
        return problems
    return [] if _type(example) == _type(fresh) else [f"{path}: {_type(fresh)}, was {_type(example)}"]


def assert_contract(name, fresh):
    example = stored(name)
    assert same_shape(example, fresh) == [], f"the {name} contract changed"
    for f in list(fresh.get("findings", [])) + list(example.get("findings", [])):
        assert Finding.from_json(f).to_json() == f


def test_the_shape_check_catches_a_renamed_or_retyped_key():
    example = stored("run_once")
    renamed = json.loads(json.dumps(example))
    renamed["findings"][0]["freq_mhz"] = renamed["findings"][0].pop("freq_hz")
    assert any("freq_mhz" in p for p in same_shape(example, renamed))
    retyped = json.loads(json.dumps(example))
    retyped["counts"]["new"] = "3"
    assert same_shape(example, retyped) == ["$.counts.new: str, was number"]


def test_a_finding_round_trips_through_its_typed_form():
    rf, wifi = stored("run_once")["findings"][:2]
    f = Finding.from_json(rf)
    assert (f.kind, f.verdict, f.freq_hz, f.strength_db) == (rf["type"], "camera", rf["freq_hz"], rf["power_db"])
    assert f.get("standard") == rf["standard"] and f.baseline["status"] == "new"
    w = Finding.from_json(wifi)
    assert (w.address, w.channel, w.strength_db) == (wifi["mac"], wifi["channel"], wifi["rssi_dbm"])
    assert w.span_s == (wifi["first_seen"], wifi["last_seen"])
    odd = {"type": "from_a_newer_device", "verdict": "suspect", "score": 0.6, "reasons": ["x"], "ip": "10.0.0.9"}
    assert Finding.from_json(odd).to_json() == odd  # a kind nobody registered keeps every field


@pytest.mark.skipif(not real_rf_captures(), reason="../shared/data/rf is absent")
def test_analyze_rf(cli_json):
    assert_contract("analyze_rf", cli_json("analyze", real_rf_captures()[0], "--sample-rate", "20e6", "--json"))


@pytest.mark.skipif(not os.path.exists(BLINK_CAMERA), reason="../shared/data/wifi is absent")
def test_analyze_wifi(cli_json):
    assert_contract("analyze_wifi", cli_json("analyze", BLINK_CAMERA, "--json"))


@pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto broker not installed (apt-get install mosquitto)")
def test_run_once_history_and_mqtt(tmp_path, cli_json):
    """One simulated sweep, as `sweeper run --once --json` prints it, as the history
    shows it and as the fleet broker receives it."""
    from mosquitto import Broker, Subscriber

    broker = Broker(str(tmp_path)).start()
    live = Subscriber(broker, ["sweeper/+/sweep"])
    try:
        conf = tmp_path / "sweeper.yaml"
        conf.write_text(f"history:\n  path: {tmp_path / 'h.db'}\nvenue:\n  room: Room 7\n"
                        f"rf:\n  bands: [2.4GHz]\nwifi:\n  channels: [1, 6, 11]\n  duration_s: 8\n"
                        f"mqtt:\n  enabled: true\n  host: 127.0.0.1\n  port: {broker.port}\n")
        run = cli_json("--config", str(conf), "run", "--once", "--simulate", "--json")
        assert run["verdict"] == "CAMERA"
        assert_contract("run_once", run)
        shown = cli_json("--config", str(conf), "history", "--show", str(run["history_id"]), "--json")
        assert_contract("history_show", shown)
        assert live.wait(lambda s: s.messages, timeout=20)
        message = json.loads(live.messages[0].payload)
        assert_contract("history_show", {**message, "spectra": shown["spectra"]})
        assert "spectra" not in message and message["id"] == run["history_id"]
    finally:
        live.close()
        broker.stop()
