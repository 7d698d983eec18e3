"""`sweeper run` and `sweeper selftest` as a user (or systemd) runs them."""
import os

from PIL import Image


def test_run_once_simulated_sweeps_both_halves(cli_json):
    out = cli_json("run", "--simulate", "--once", "--json")
    assert out["verdict"] == "CAMERA"
    assert {f["type"] for f in out["findings"]} == {"analog_video", "wifi_camera"}
    assert out["rf"]["verdict"] == "CAMERA" and out["wifi"]["verdict"] == "CAMERA"
    assert out["problems"] == {}


def test_run_once_clear_room_and_saved_screens(cli, tmp_path):
    rc, out, err = cli("run", "--simulate", "--clear", "--once", "--png-dir", str(tmp_path))
    assert rc == 0, err
    assert out.strip().splitlines()[-1] == "SIMULATED CLEAR (in the simulated room, not this one)"
    names = sorted(os.listdir(tmp_path))
    assert names[0].endswith("_boot.png") and names[1].endswith("_ready.png")
    assert names[-1].endswith("_result.png") and any("_sweeping" in n for n in names)
    img = Image.open(tmp_path / names[-1])
    assert img.size == (512, 256)  # 128x64 scaled 4x for people to look at


def test_run_once_without_any_radio_stops_at_once_and_says_why(cli):
    """No dongle, no adapter (this machine has neither): exit 3 in seconds with one line
    naming both and their fixes (not the display's or the pins' troubles first)."""
    if any(os.path.isdir(f"/sys/class/net/{n}/phy80211") for n in os.listdir("/sys/class/net")):
        import pytest
        pytest.skip("this machine has a Wi-Fi adapter")
    import time

    t0 = time.monotonic()
    rc, out, err = cli("run", "--once")
    assert rc == 3 and time.monotonic() - t0 < 10 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("sweeper: error: nothing to sweep with")
    assert "RF: no RTL-SDR dongle" in err and "rtl_test" in err and "Wi-Fi: no Wi-Fi adapter" in err


def test_simulation_options_need_simulate(cli):
    rc, _, err = cli("run", "--png-dir", "/tmp/x")
    assert rc == 2 and "need --simulate" in err


def test_selftest_on_a_machine_without_radios(cli):
    if any(os.path.isdir(f"/sys/class/net/{n}/phy80211") for n in os.listdir("/sys/class/net")):
        import pytest
        pytest.skip("this machine has a Wi-Fi adapter")
    rc, out, err = cli("selftest")
    assert rc == 3, err
    assert "RTL-SDR" in out and "Wi-Fi adapter" in out and "fix:" in out
