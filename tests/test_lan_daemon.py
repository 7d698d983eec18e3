"""Issue 17's acceptance through the daemon: on the LAN test network the device's
one-button sweep finds the cameras; the first shows on the OLED; the sweep is recorded;
after ``baseline record --accept-findings`` they are known and the room is CLEAR; the
report and the MQTT messages carry them. The device runs inside the sweeper's
namespace (tests/lan_daemon_scenario.py); this side reads what it did."""
import json
import os
import subprocess
import sys

import pytest
from mosquitto import MOSQUITTO

from sweeper.venue import report
from sweeper.venue.history import HistoryStore

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

pytestmark = [pytest.mark.xdist_group("lan_net"),
              pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto broker not installed (apt-get install mosquitto)")]


def test_the_devices_sweep_finds_records_baselines_reports_and_publishes_lan_cameras(lan, tmp_path, capsys):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run(["ip", "netns", "exec", lan.sweeper_ns, sys.executable,
                           os.path.join(HERE, "lan_daemon_scenario.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=240, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    done = json.loads(proc.stdout.strip().splitlines()[-1])
    assert done["hardware"] == {"RF": "disabled in the configuration", "Wi-Fi": "disabled in the configuration",
                                "LAN": "ok"}
    first, second = done["sweeps"]
    cameras = {h.ip for h in lan.cameras}
    assert first["verdict"] == "CAMERA"
    assert {f["ip"] for f in first["findings"]} == cameras  # every camera, no negative
    assert all(f["type"] == "lan_camera" and f["baseline"]["status"] == "new" for f in first["findings"])
    assert first["oled_shows_first_finding"] and second["oled_shows_first_finding"]
    assert first["counts"]["lan_hosts"] >= len(lan.hosts)  # and the bridge, by its IPv6 link-local address
    assert second["verdict"] == "CLEAR"  # the venue's own cameras, accepted
    assert {f["ip"]: f["baseline"]["status"] for f in second["findings"]} == {ip: "known" for ip in cameras}

    history = str(tmp_path / "history.db")
    conf = tmp_path / "sweeper.yaml"
    conf.write_text(f"history:\n  path: {history}\n")
    from sweeper.cli import main

    capsys.readouterr()
    assert main(["--config", str(conf), "history", "--show", str(first["id"])]) == 0
    shown = capsys.readouterr().out
    assert all(f"LAN {f['vendor']} {f['ip']}" in shown for f in first["findings"]), shown
    with HistoryStore(history) as store:
        sweeps = store.sweeps()
        assert [s["verdict"] for s in sweeps][:2] == ["CLEAR", "CAMERA"]
        html = report.render_html(sweeps, {"title": "Lobby", "generated_at": "2026-12-05T00:00:00Z"})
    onvif = lan.host("camera_onvif")
    assert f"Camera on the network at {onvif.ip} (Zhejiang Dahua Technology" in html

    published = done["mqtt_sweeps"]
    assert len(published) == 2
    assert {f["ip"] for f in published[0]["findings"]} == cameras
    assert [{f["baseline"]["status"] for f in m["findings"]} for m in published] == [{"new"}, {"known"}]
