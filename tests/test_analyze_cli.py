"""`sweeper analyze`: the JSON contract, real captures, and bad input."""

import numpy as np
import pytest

from conftest import real_rf_captures


@pytest.mark.parametrize("path", real_rf_captures() or [pytest.param(None, marks=pytest.mark.skip(
    reason="../shared/data/rf is absent"))])
def test_real_analog_video_captures_are_detected(path, cli_json):
    # HackRF captures at 20 MS/s, ten separate 4096-sample buffers each
    out = cli_json("analyze", path, "--sample-rate", "20e6", "--json")
    assert len(out["findings"]) >= 1, out
    best = out["findings"][0]
    assert best["type"] == "analog_video"
    assert best["verdict"] == "camera"
    assert 0.0 <= best["score"] <= 1.0
    # the line system is resolved; a colour standard only when the chroma names it
    assert best["line_system"] in ("625/50", "525/60", None)
    assert best["standard"] in (best["line_system"], "PAL", "NTSC", "SECAM", "PAL-M")
    assert best["reasons"] and all(isinstance(r, str) for r in best["reasons"])
    assert abs(best["freq_hz"]) < 10e6  # offset within the 20 MHz window (no centre given)
    assert isinstance(out["emitters"], list)
    assert all("class" in e for e in out["emitters"])


def test_noise_recording_has_no_findings(tmp_path, cli_json):
    rng = np.random.default_rng(3)
    x = ((rng.standard_normal(2**18) + 1j * rng.standard_normal(2**18)) * 0.1).astype(np.complex64)
    path = tmp_path / "noise.cf32"
    x.tofile(path)
    out = cli_json("analyze", str(path), "--sample-rate", "2.4e6", "--center-freq", "2.432e9", "--json")
    assert out["findings"] == []


@pytest.mark.parametrize("make, args, message", [
    (lambda p: p.write_bytes(b""), ["--sample-rate", "2.4e6"], "empty"),
    (lambda p: p.write_bytes(b"\x00" * 1001), ["--sample-rate", "2.4e6", "--format", "cf32"], ""),
    (lambda p: p.write_bytes(np.zeros(4096, np.uint8).tobytes()), [], "sample-rate"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, cli, make, args, message):
    path = tmp_path / "bad.cf32"
    make(path)
    rc, out, err = cli("analyze", str(path), *args, "--json")
    assert rc == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message.lower() in err.lower()


def test_missing_file_exits_2(cli):
    rc, _, err = cli("analyze", "/nonexistent/capture.cu8", "--sample-rate", "2.4e6", "--json")
    assert rc == 2 and "capture.cu8" in err
