"""`sweeper analyze` reads a whole recording, however long, as a user runs it: a camera
on for two seconds somewhere in a minute is found, with when it was on; the same room
without it gives no finding; a transmitter heard in many windows is one entry; long
files show progress on a terminal only.

The recordings are simulated (tests/recording_suite.py says exactly what and how): an
RTL-SDR at 2.4 MS/s next to the built-in room's PAL camera channel, with the room's
2.4 GHz neighbours (a busy Wi-Fi access point, Bluetooth, a microwave oven) and a
narrowband carrier in the window. Speed and memory are measured in bench/bench_analyze.py.
"""
import json
import os

import numpy as np
import pytest

from conftest import ROOT, run_on_a_terminal
from recording_suite import CENTER_HZ, RATE, Background, camera_burst, write_recording

MINUTE = 60.0


@pytest.fixture(scope="module")
def room():
    """A minute of the neighbours and a 2 s burst of the camera, rendered once."""
    return Background(), camera_burst(2.0)


def analyze(cli_json, path):
    return cli_json("analyze", str(path), "--sample-rate", str(RATE), "--center-freq", str(CENTER_HZ), "--json")


def test_a_camera_on_for_two_seconds_at_a_random_time_in_a_minute_is_found_when_it_was_on(tmp_path, room,
                                                                                          cli_json):
    background, burst = room
    on = float(np.random.default_rng(14).uniform(0.0, MINUTE - 2.0))
    path = tmp_path / "visit.cu8"
    write_recording(path, MINUTE, background, [(burst, on)])
    out = analyze(cli_json, path)
    path.unlink()
    assert out["duration_s"] == MINUTE and out["windows"] == 60 and out["truncated"] is False
    assert len(out["findings"]) == 1, out["findings"]
    cam = out["findings"][0]
    assert cam["type"] == "analog_video" and cam["verdict"] in ("camera", "suspect")
    assert cam["line_system"] == "625/50"
    assert cam["first_s"] < on + 2.0 and cam["last_s"] > on  # its time span overlaps the truth ...
    # ... and says when, to within half of a one-second window
    assert abs(cam["first_s"] - on) <= 0.5 and abs(cam["last_s"] - (on + 2.0)) <= 0.5, (on, cam)
    assert 1.5 <= cam["on_s"] <= 2.5 and cam["duty"] == pytest.approx(cam["on_s"] / MINUTE, abs=1e-3)
    assert any("line structure in" in r for r in cam["reasons"])


def test_the_room_without_the_camera_for_a_minute_gives_no_finding(tmp_path, room, cli_json):
    background, _ = room
    path = tmp_path / "clear.cu8"
    write_recording(path, MINUTE, background)
    out = analyze(cli_json, path)
    path.unlink()
    assert out["findings"] == []
    # each transmitter once, however many windows heard it: the carrier on all minute
    # long is one entry, not sixty
    carrier = [e for e in out["emitters"] if abs(e["freq_hz"] - 2433.6e6) < 50e3]
    assert len(carrier) == 1 and carrier[0]["on_s"] > 55 and carrier[0]["first_s"] < 1 and carrier[0]["last_s"] > 59
    assert len(out["emitters"]) < 30
    for e in out["emitters"]:
        assert 0 <= e["first_s"] <= e["last_s"] <= MINUTE and 0 <= e["on_s"] <= e["last_s"] - e["first_s"] + 1e-6


def test_a_camera_heard_twice_is_one_finding_on_for_both(tmp_path, room, cli_json):
    background, burst = room
    path = tmp_path / "twice.cu8"
    write_recording(path, 20.0, background, [(burst, 3.3), (burst, 14.6)])
    out = analyze(cli_json, path)
    assert len(out["findings"]) == 1, out["findings"]
    cam = out["findings"][0]
    assert abs(cam["first_s"] - 3.3) <= 0.5 and abs(cam["last_s"] - 16.6) <= 0.5
    assert 3.0 <= cam["on_s"] <= 5.0  # two bursts of 2 s, not the 13 s between them


def _noise_cu8(path, seconds, rate=250e3, extra=b""):
    rng = np.random.default_rng(5)
    n = int(seconds * rate)
    path.write_bytes(np.clip(rng.normal(127.5, 4, 2 * n), 0, 255).astype(np.uint8).tobytes() + extra)


def test_an_odd_trailing_byte_is_left_out_with_a_one_line_warning(tmp_path, cli):
    path = tmp_path / "torn.cu8"
    _noise_cu8(path, 0.5, extra=b"\x7f")
    rc, out, err = cli("analyze", str(path), "--sample-rate", "250000", "--json")
    assert rc == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "warning" in lines[0] and "odd" in lines[0] and str(path) in lines[0]
    rep = json.loads(out)
    assert rep["truncated"] is True and rep["samples_per_capture"] == 125000 and "odd" in rep["note_truncated"]


@pytest.mark.parametrize("name", ["gone.cu8", "gone", "gone.pcap", "gone.sigmf-meta"])
def test_a_missing_file_is_no_such_file(tmp_path, cli, name):
    rc, out, err = cli("analyze", str(tmp_path / name), "--sample-rate", "2400000")
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "no such file" in err and name in err


def test_a_directory_is_said_to_be_one(tmp_path, cli):
    rc, _, err = cli("analyze", str(tmp_path), "--sample-rate", "2400000")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "directory" in err


def test_a_long_file_shows_progress_on_a_terminal_and_nowhere_else(tmp_path, cli):
    path = tmp_path / "long.cu8"
    _noise_cu8(path, 4.0)  # four one-second windows
    rc, out, term = run_on_a_terminal("analyze", str(path), "--sample-rate", "250000")
    assert rc == 0 and "CLEAR" in out
    assert "\r[" in term and "100%" in term and "of 4.0 s" in term
    rc, out, term = run_on_a_terminal("analyze", str(path), "--sample-rate", "250000", "--json")
    assert rc == 0 and term == "" and json.loads(out)["windows"] == 4
    rc, out, err = cli("analyze", str(path), "--sample-rate", "250000")  # not a terminal
    assert rc == 0 and err == ""
