"""Whole sweeps as a user runs them: the demo room, and 2.4 GHz through rtl_tcp
against the simulator's rtl_tcp server in its own process."""
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from sweeper.sim.wifi.room import default_wifi_scene

from conftest import ROOT

CAMERA_MHZ = 2432.0


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def rtl_tcp_server(tmp_path):
    """`sweeper sim rtl-tcp` serving the 2.4 GHz test scene (camera at 2432 MHz behind a
    2000 MHz low-side downconverter), streaming at the real sample rate."""
    port = _free_port()
    scene = os.path.join(ROOT, "tests", "data", "scene_rtltcp_2g4.yaml")
    proc = subprocess.Popen([sys.executable, "-m", "sweeper", "sim", "rtl-tcp", "--scene", scene,
                             "--port", str(port)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail(f"simulator server did not start: {proc.stderr.read()}")
            time.sleep(0.1)
    yield port
    proc.terminate()
    proc.wait(10)


def test_rtl_tcp_sweep_of_2g4_finds_the_camera(rtl_tcp_server, tmp_path, cli_json):
    cfg = tmp_path / "sweeper.yaml"
    cfg.write_text(f"""
rf:
  source: rtl_tcp
  rtl_tcp: {{host: 127.0.0.1, port: {rtl_tcp_server}}}
  bands: [2.4GHz]
""")
    out = cli_json("--config", str(cfg), "rf", "--json")
    assert out["verdict"] == "CAMERA", out
    best = out["findings"][0]
    assert best["type"] == "analog_video" and best["verdict"] == "camera"
    # the channel is what a user tunes a receiver to
    assert abs(best["freq_hz"] / 1e6 - CAMERA_MHZ) < 4, best  # neighbours can widen the span
    assert abs(best["channel_hz"] / 1e6 - CAMERA_MHZ) <= 2  # 2430, 2432 and 2433 are all in use
    # a few-MHz window resolves the line system; it names PAL only if the chroma says so
    assert best["line_system"] == "625/50" and best["standard"] in ("625/50", "PAL")
    assert len(out["findings"]) == 1, out["findings"]  # one camera, however many hops it spans
    # the access point and the phone are reported as emitters, not flagged
    assert any(e["freq_hz"] > 2445e6 for e in out["emitters"]), out["emitters"]


def test_demo_room_finds_the_hidden_camera(cli_json):
    out = cli_json("demo", "--json")
    assert out["verdict"] == "CAMERA"
    assert len(out["findings"]) == 1, out["findings"]
    camera = out["findings"][0]
    assert camera["line_system"] == "625/50" and camera["standard"] in ("625/50", "PAL")
    assert abs(camera["freq_hz"] - 2432e6) < 4e6, camera
    assert abs(camera["channel_hz"] - 2432e6) <= 3e6
    classes = {e["class"] for e in out["emitters"]}
    assert {"bluetooth", "microwave"} & classes, classes
    # and its Wi-Fi half, in the same report: the room's camera, nothing else
    (camera_mac,) = default_wifi_scene(camera=True).cameras()
    assert out["wifi"]["verdict"] == "CAMERA" and out["overall_verdict"] == "CAMERA"
    assert [f["mac"] for f in out["wifi"]["findings"]] == [camera_mac]


def test_demo_room_without_camera_is_clear(cli_json):
    out = cli_json("demo", "--clear", "--json")
    assert out["verdict"] == "CLEAR", out["findings"]
    assert out["findings"] == []
    assert out["wifi"]["verdict"] == "CLEAR" and out["overall_verdict"] == "CLEAR"


def test_terminal_output_shows_progress_and_verdict(cli):
    rc, out, err = cli("demo", "--band", "2.4GHz")
    assert rc == 0, err
    assert "100%" in err  # the progress bar reached the end
    lines = out.strip().splitlines()
    simulated = " (in the simulated room, not this one)"
    assert "SIMULATED CAMERA: analog video transmitter found" + simulated in lines
    assert "SIMULATED CAMERA: a Wi-Fi transmitter uploads like a streaming camera" + simulated in lines
    assert lines[-1] == "Overall: SIMULATED CAMERA"


def test_rf_without_a_dongle_stops_and_names_the_fix(cli):
    """No dongle, source auto: no verdict at all (the built-in simulated room holds a
    camera: falling back to it was a fake alarm), one line, exit 3."""
    rc, out, err = cli("rf", "--band", "2.4GHz", "--json")
    assert rc == 3 and out == ""
    assert err.strip().splitlines() == [err.strip()] and "no RTL-SDR dongle" in err and "rtl_test" in err


def test_a_simulated_sweep_says_so_in_its_verdict(cli):
    rc, out, err = cli("rf", "--source", "simulator", "--band", "2.4GHz")
    assert rc == 0, err
    assert out.strip().splitlines()[-1].startswith("SIMULATED CAMERA: ")
    rc, out, err = cli("rf", "--source", "simulator", "--band", "2.4GHz", "--json")
    assert json.loads(out)["simulated"] is True
