"""`sweeper wifi` and the Wi-Fi half of `sweeper demo`, run as a user runs them, against
the built-in simulated room (no adapter on this machine)."""
import json
import os

import pytest

from sweeper.sim.wifi.room import default_wifi_scene
from sweeper.wifi.pcapio import ReadStats, read_capture

from conftest import ROOT

CLEAR_ROOM = os.path.join(ROOT, "sweeper", "data", "scene_room_clear.yaml")
CONTRACT = ("type", "mac", "verdict", "score", "reasons", "bssid", "channel", "rssi_dbm", "vendor", "uplink_kbps")
HAS_WIFI = os.path.isdir("/sys/class/net") and any(
    os.path.isdir(f"/sys/class/net/{n}/phy80211") for n in os.listdir("/sys/class/net"))


@pytest.fixture(scope="module")
def camera_mac():
    (mac,) = default_wifi_scene(camera=True).cameras()
    return mac


def test_simulated_room_camera_found_with_the_contract_fields(cli_json, camera_mac):
    out = cli_json("wifi", "--source", "simulator", "--json", "--duration", "20")
    assert out["verdict"] == "CAMERA"
    assert [f["mac"] for f in out["findings"]] == [camera_mac]
    f = out["findings"][0]
    assert set(CONTRACT) <= set(f)
    assert f["type"] == "wifi_camera" and f["verdict"] == "camera"
    assert f["channel"] == 1 and f["bssid"] and f["rssi_dbm"] < 0 and f["uplink_kbps"] >= 256
    assert f["vendor"]  # the camera's OUI is in the IEEE registry
    assert out["devices"] and all(d["mac"] != camera_mac for d in out["devices"])
    assert out["source"].startswith("simulated Wi-Fi")


def test_simulated_room_without_camera_is_clear(cli_json):
    out = cli_json("wifi", "--scene", CLEAR_ROOM, "--json", "--duration", "20")
    assert out["verdict"] == "CLEAR" and out["findings"] == []
    assert len(out["devices"]) >= 5


def test_auto_without_adapter_stops_and_names_the_fix(cli):
    """No adapter, source auto: no verdict from the simulated room, one line, exit 3."""
    if HAS_WIFI:
        pytest.skip("this machine has a Wi-Fi adapter")
    rc, out, err = cli("wifi", "--json", "--duration", "5")
    assert rc == 3 and out == ""
    assert len(err.strip().splitlines()) == 1 and "no Wi-Fi adapter found" in err


def test_adapter_required_but_missing_exits_3_with_the_fix(cli):
    if HAS_WIFI:
        pytest.skip("this machine has a Wi-Fi adapter")
    rc, out, err = cli("wifi", "--source", "adapter", "--json")
    assert rc == 3 and out == ""
    assert "plug in a USB adapter whose driver supports monitor mode" in err
    assert len(err.strip().splitlines()) == 1


def test_recorded_headers_replay_to_the_same_verdict(tmp_path, cli_json, camera_mac):
    pcap = tmp_path / "sweep.pcap"
    live = cli_json("wifi", "--source", "simulator", "--json", "--duration", "12", "--channels", "1",
                    "--write", str(pcap))
    stats = ReadStats()
    records = sum(len(b) for b in read_capture(pcap, stats))
    assert records == live["frames"]["records"] and stats.damage() == 0
    # headers only, never payloads: every saved data frame ends after its CCMP header
    from sweeper.wifi.frames import FC_PROTECTED, header_bytes, parse_batch
    for b in read_capture(pcap):
        assert (b.caplen == header_bytes(b)).all()
        frames, _, _ = parse_batch(b)
        data = frames[(frames["ftype"] == 2) & (frames["fcflags"] & FC_PROTECTED > 0)]
        assert len(data) and (data["l3len"] > 0).any()  # sizes survive through origlen
    assert max(int(b.caplen.max()) for b in read_capture(pcap)) <= 256
    replay = cli_json("analyze", str(pcap), "--json")
    assert [f["mac"] for f in replay["findings"]] == [camera_mac]


def test_channel_list_from_the_command_line_and_from_the_config(tmp_path, cli, cli_json):
    out = cli_json("wifi", "--source", "simulator", "--json", "--duration", "3", "--channels", "6,11")
    assert set(out["channels_visited"]) <= {"6", "11"}
    cfg = tmp_path / "config.yaml"
    cfg.write_text("wifi:\n  source: simulator\n  channels: [11]\n  duration_s: 2\n")
    out = cli_json("--config", str(cfg), "wifi", "--json")
    assert set(out["channels_visited"]) == {"11"}
    rc, _, err = cli("wifi", "--channels", "1,15")
    assert rc == 2 and "15 is not a 2.4 or 5 GHz Wi-Fi channel" in err


# the demo's Wi-Fi half (both sweeps in one report): tests/test_sweep_e2e.py's demo tests
