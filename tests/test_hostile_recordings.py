"""Hostile and broken recordings and captures through `sweeper analyze` (issue 15).

Each case is a minimal reproducer: a file too short to analyse, a valid Fortran-order
array, SigMF metadata that is hostile in shape or wording, a named pipe, and one absurd
sample in a float recording. Every bad input is one line on stderr and exit 2; a damaged
sample is masked and counted, and the rest is still analysed.
"""

import json
import os

import numpy as np
import pytest

from conftest import real_rf_captures
from sweeper.errors import InputError
from sweeper.rf.sources.recording import ABSURD, SPIKE_SAMPLES, load_recording, open_recording

REAL_1G24 = [p for p in real_rf_captures() if "1239.5MHz" in p]


def one_line_error(rc, out, err, *needles):
    assert rc == 2, err
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and "Warning" not in err, err
    for needle in needles:
        assert needle in err, err


def write_sigmf(tmp_path, meta_text: str, data: bytes = bytes(8192)):
    (tmp_path / "rec.sigmf-data").write_bytes(data)
    (tmp_path / "rec.sigmf-meta").write_text(meta_text)
    return str(tmp_path / "rec.sigmf-meta")


def sigmf_meta(captures=None, **glob):
    g = {"core:datatype": "cu8", "core:sample_rate": 2.4e6, "core:version": "1.0.0", **glob}
    return json.dumps({"global": g, "captures": captures or [{"core:sample_start": 0}], "annotations": []})


# -- 1. too short to analyse ---------------------------------------------------------------

@pytest.mark.parametrize("samples", [1, 16, 63])
def test_a_recording_too_short_to_analyse_is_one_line(tmp_path, cli, samples):
    path = tmp_path / "short.cu8"
    path.write_bytes(b"\x80" * (2 * samples))
    rc, out, err = cli("analyze", str(path), "--sample-rate", "2.4e6", "--json")
    one_line_error(rc, out, err, f"too short to analyse: {samples} sample", "at least 64")


def test_captures_too_short_to_analyse_say_per_capture(tmp_path, cli):
    path = tmp_path / "short.npy"
    np.save(path, np.zeros((10, 16), np.complex64))
    rc, out, err = cli("analyze", str(path), "--sample-rate", "2.4e6", "--json")
    one_line_error(rc, out, err, "16 samples per capture", "at least 64")


def test_the_shortest_recording_that_can_be_analysed_is(tmp_path, cli_json):
    path = tmp_path / "short.cu8"
    path.write_bytes(b"\x80" * 128)
    out = cli_json("analyze", str(path), "--sample-rate", "2.4e6", "--json")
    assert out["findings"] == [] and out["samples_per_capture"] == 64


# -- 2. Fortran-order arrays -----------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda x: x,  # complex (N, M)
    lambda x: x.astype(">c16"),  # other precision and byte order
    lambda x: np.stack([x.real, x.imag], -1),  # real I/Q pairs (N, M, 2)
], ids=["complex64", "complex128-big-endian", "iq-pairs"])
def test_a_fortran_order_array_reads_as_its_c_order_twin(tmp_path, make):
    x = (np.arange(3 * 5000) * (1 + 0.5j)).reshape(3, 5000).astype(np.complex64) / 15000
    path = tmp_path / "f.npy"
    np.save(path, np.asfortranarray(make(x)))
    rec = open_recording(path, sample_rate=2.4e6)
    assert (rec.rows, rec.row_samples) == (3, 5000)
    np.testing.assert_array_equal(load_recording(path, sample_rate=2.4e6).captures, x)
    for size in (1234, 5000, 7000):  # pieces of a capture, one capture, whole captures
        got = np.concatenate([w.reshape(-1).copy() for _, w in rec.windows(size)])
        np.testing.assert_array_equal(got, x.reshape(-1))
    np.testing.assert_array_equal(rec.read(4990, 20), x.reshape(-1)[4990:5010])


def test_a_fortran_order_capture_is_analysed_like_its_c_order_twin(tmp_path, cli_json):
    rng = np.random.default_rng(5)
    x = ((rng.standard_normal((4, 8192)) + 1j * rng.standard_normal((4, 8192))) * 0.05).astype(np.complex64)
    x += 0.5 * np.exp(2j * np.pi * 0.1 * np.arange(8192)).astype(np.complex64)  # a carrier
    np.save(tmp_path / "c.npy", x)
    np.save(tmp_path / "f.npy", np.asfortranarray(x))
    c = cli_json("analyze", str(tmp_path / "c.npy"), "--sample-rate", "2.4e6", "--json")
    f = cli_json("analyze", str(tmp_path / "f.npy"), "--sample-rate", "2.4e6", "--json")
    assert c["emitters"] and f["emitters"] == c["emitters"] and f["findings"] == c["findings"]


# -- 3-5. SigMF metadata -----------------------------------------------------------------------

def test_a_list_as_a_later_captures_frequency_is_one_line_naming_it(tmp_path, cli):
    meta = write_sigmf(tmp_path, sigmf_meta([{"core:sample_start": 0, "core:frequency": 2.4e9},
                                             {"core:sample_start": 100, "core:frequency": [1, 2]}]))
    rc, out, err = cli("analyze", meta, "--json")
    one_line_error(rc, out, err, "captures[1] core:frequency", "not a number")


@pytest.mark.parametrize("text, needle", [
    ('{"global": {"core:datatype": "cu8", "x": ' + "[" * 5000 + "]" * 5000 + "}}", "nested more than 32"),
    ('{"global": {"core:datatype": "cu8", "core:sample_rate": ' + "9" * 5000 + "}}", "more than 64 digits"),
    ('{"global": {"core:datatype": "cu8", "core:sample_rate": 1' + "0" * 5000 + ".5}}", "more than 64 digits"),
    ('{"global": {"core:datatype": "cu8", "pad": "' + "x" * (1 << 20) + '"}}', "too large for SigMF metadata"),
], ids=["deep", "long-integer", "long-float", "over-1MB"])
def test_hostile_json_in_sigmf_meta_is_one_line(tmp_path, cli, text, needle):
    rc, out, err = cli("analyze", write_sigmf(tmp_path, text), "--json")
    one_line_error(rc, out, err, needle)


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    meta = write_sigmf(tmp_path, sigmf_meta(**{"core:description": "[" * 100 + "{" * 100 + '\\"'}))
    assert open_recording(meta).n_samples == 4096


def test_sigmf_channel_count_wording(tmp_path, cli):
    rc, out, err = cli("analyze", write_sigmf(tmp_path, sigmf_meta(**{"core:num_channels": "1"})), "--json")
    one_line_error(rc, out, err, "core:num_channels '1' is not a number of channels")
    assert "1 channels" not in err


def test_an_empty_sigmf_meta_says_what_is_wrong(tmp_path, cli):
    rc, out, err = cli("analyze", write_sigmf(tmp_path, ""), "--json")
    one_line_error(rc, out, err, "is empty", "JSON object", '"global"')
    assert "holds no samples" not in err


# -- 6. only regular files -------------------------------------------------------------------------

@pytest.mark.parametrize("name, args", [
    ("rec.cu8", ["--sample-rate", "2.4e6"]),
    ("cap.pcap", []),
    ("rec.cf32", ["--sample-rate", "2.4e6", "--format", "cf32"]),
])
def test_a_named_pipe_is_refused_at_once(tmp_path, cli, name, args):
    # nobody writes to the pipe: reading it would wait for ever (subprocess's timeout
    # is only a safety net)
    path = tmp_path / name
    os.mkfifo(path)
    rc, out, err = cli("analyze", str(path), *args, "--json")
    one_line_error(rc, out, err, "is not a regular file")


def test_a_named_pipe_as_sigmf_data_is_refused(tmp_path, cli):
    meta = tmp_path / "rec.sigmf-meta"
    meta.write_text(sigmf_meta())
    os.mkfifo(tmp_path / "rec.sigmf-data")
    rc, out, err = cli("analyze", str(meta), "--json")
    one_line_error(rc, out, err, "rec.sigmf-data", "is not a regular file")


def test_a_device_is_refused(cli):
    rc, out, err = cli("analyze", "/dev/zero", "--sample-rate", "2.4e6", "--format", "cu8", "--json")
    one_line_error(rc, out, err, "/dev/zero", "is not a regular file")


def test_the_capture_reader_refuses_a_pipe(tmp_path):
    from sweeper.wifi.pcapio import read_capture

    os.mkfifo(tmp_path / "cap.pcap")
    with pytest.raises(InputError, match="not a regular file"):
        list(read_capture(tmp_path / "cap.pcap"))


# -- 7-8. absurd sample values ----------------------------------------------------------------------

@pytest.mark.parametrize("bad", [1e20, np.inf, np.nan, -3e4])
def test_absurd_float_samples_are_masked_and_counted(tmp_path, bad):
    x = np.full(1000, 0.25 - 0.5j, np.complex64)
    x[[7, 500]] = bad
    path = tmp_path / "rec.cf32"
    x.tofile(path)
    rec = load_recording(path, sample_rate=2.4e6)
    assert rec.masked == 2
    assert rec.captures[0, 7] == 0 and rec.captures[0, 500] == 0
    assert np.all(np.delete(rec.captures[0], [7, 500]) == x[0])


def test_a_full_scale_beyond_one_is_kept(tmp_path):
    # tools that scale differently (or software gain) stay well within ABSURD
    x = np.full(1000, 0.9 * ABSURD, np.complex64)
    x.tofile(tmp_path / "rec.cf32")
    rec = load_recording(tmp_path / "rec.cf32", sample_rate=2.4e6)
    assert rec.masked == 0 and np.all(rec.captures == x)


def _with_one_absurd_sample(path, fmt, tmp_path, value=1e20):
    x = np.load(path).astype(np.complex128 if fmt == "sigmf" else np.complex64)
    x[3, 100] = value
    if fmt == "npy":
        np.save(tmp_path / "rec.npy", x)
        return [str(tmp_path / "rec.npy"), "--sample-rate", "20e6"]
    if fmt == "cf32":
        x.tofile(tmp_path / "rec.cf32")
        return [str(tmp_path / "rec.cf32"), "--sample-rate", "20e6"]
    x.tofile(tmp_path / "rec.sigmf-data")
    (tmp_path / "rec.sigmf-meta").write_text(json.dumps({"global": {
        "core:datatype": "cf64_le", "core:sample_rate": 20e6, "core:version": "1.0.0"}, "captures": [], "annotations": []}))
    return [str(tmp_path / "rec.sigmf-meta")]


@pytest.mark.skipif(not REAL_1G24, reason="../shared/data/rf is absent")
@pytest.mark.parametrize("fmt, value", [("npy", 1e20), ("cf32", 1e20), ("sigmf", 1e300), ("npy", np.nan)])
def test_one_absurd_sample_does_not_blind_the_analysis(tmp_path, cli, fmt, value):
    # the real 1.24 GHz camera capture with one sample of 1e20 read as clear (0 findings)
    rc, out, err = cli("analyze", *_with_one_absurd_sample(REAL_1G24[0], fmt, tmp_path, value), "--json")
    assert rc == 0, err
    rep = json.loads(out)
    assert rep["findings"] and rep["findings"][0]["verdict"] == "camera"
    assert rep["masked_samples"] == 1
    assert "1 sample" in rep["note_masked"] and "set to 0" in rep["note_masked"]
    assert "RuntimeWarning" not in err
    assert err.strip().splitlines() == [f"sweeper: warning: {rep['file']}: {rep['note_masked']}"]


@pytest.mark.skipif(not REAL_1G24, reason="../shared/data/rf is absent")
@pytest.mark.parametrize("value, run", [(100.0, 1), (999.0, 2), (100.0, SPIKE_SAMPLES)])
def test_a_short_spike_within_range_does_not_blind_the_analysis(tmp_path, cli, value, run):
    """Below ABSURD a spike is a possible value, but not a possible signal: a sample of 100
    (87x the capture's typical magnitude) gave 0 findings on the 2 ms real capture."""
    x = np.load(REAL_1G24[0])
    x[3, 100:100 + run] = value
    np.save(tmp_path / "rec.npy", x)
    rc, out, err = cli("analyze", str(tmp_path / "rec.npy"), "--sample-rate", "20e6", "--json")
    assert rc == 0, err
    rep = json.loads(out)
    assert rep["findings"] and rep["findings"][0]["verdict"] == "camera"
    assert rep["masked_samples"] == run and "lone spike" in rep["note_masked"]


def test_real_bursts_and_noise_are_not_masked(tmp_path):
    """Only glitches go: a strong burst longer than SPIKE_SAMPLES (a packet, a pulse) and
    plain noise are kept sample for sample."""
    rng = np.random.default_rng(5)
    x = ((rng.normal(size=200_000) + 1j * rng.normal(size=200_000)) * 0.01).astype(np.complex64)
    x[5000:5000 + 4 * SPIKE_SAMPLES] *= 300  # a 50 dB burst, too long for a glitch
    x[9000:9003] = 10.0  # a 3-sample glitch
    x.tofile(tmp_path / "rec.cf32")
    rec = load_recording(tmp_path / "rec.cf32", sample_rate=2.4e6)
    assert rec.masked == 3
    assert np.all(rec.captures[0, 9000:9003] == 0)
    keep = np.ones(x.size, bool)
    keep[9000:9003] = False
    assert np.array_equal(rec.captures[0][keep], x[keep])


@pytest.mark.skipif(not REAL_1G24, reason="../shared/data/rf is absent")
def test_a_clean_capture_reports_no_masking(cli_json):
    rep = cli_json("analyze", REAL_1G24[0], "--sample-rate", "20e6", "--json")
    assert "masked_samples" not in rep and "note_masked" not in rep


def test_a_float64_sample_beyond_float32_gives_no_numpy_warning(tmp_path, cli):
    # 1e300 overflowed the cast to float32: a RuntimeWarning line before the report
    x = np.full((2, 4096), 0.1, np.complex128)
    x[1, 5] = 1e300
    np.save(tmp_path / "rec.npy", x)
    rc, out, err = cli("analyze", str(tmp_path / "rec.npy"), "--sample-rate", "2.4e6", "--json")
    assert rc == 0 and "RuntimeWarning" not in err, err
    assert json.loads(out)["masked_samples"] == 1
