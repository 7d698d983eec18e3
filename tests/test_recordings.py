"""Loading IQ recordings in every supported format, and the errors a user sees."""
import json

import numpy as np
import pytest

from sweeper.errors import InputError
from sweeper.rf.convert import complex64_to_cu8
from sweeper.rf.sources.recording import Recording, RecordingSource, load_recording, open_recording

RATE = 2.048e6
CENTER = 1.2e9


def tone(n=4096, cycles=37.0, amp=0.7):
    k = np.arange(n)
    return (amp * np.exp(2j * np.pi * cycles * k / n)).astype(np.complex64)


def one_line_error(excinfo, *needles):
    msg = str(excinfo.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle.lower() in msg.lower(), (needle, msg)
    return msg


# -- raw formats ---------------------------------------------------------------------


def test_cu8_round_trip_within_quantisation(tmp_path):
    x = tone()
    path = tmp_path / "cap.cu8"
    complex64_to_cu8(x).tofile(path)
    rec = load_recording(path, sample_rate=RATE, center_hz=CENTER)
    assert rec.captures.shape == (1, x.size)
    assert rec.captures.dtype == np.complex64
    assert rec.sample_rate == RATE and rec.center_hz == CENTER and rec.fmt == "cu8"
    assert not rec.truncated
    assert np.max(np.abs(rec.captures[0] - x)) < 1.5 / 127.5


def test_cs8_and_ci8_extension(tmp_path):
    x = tone()
    iq = np.empty(2 * x.size, dtype=np.int8)
    iq[0::2] = np.round(x.real * 127)
    iq[1::2] = np.round(x.imag * 127)
    for name in ("cap.cs8", "cap.ci8"):
        iq.tofile(tmp_path / name)
        rec = load_recording(tmp_path / name, sample_rate=RATE)
        assert rec.fmt == "cs8"
        assert np.max(np.abs(rec.captures[0] - x)) < 1.5 / 127


@pytest.mark.parametrize("ext", [".cf32", ".cfile", ".fc32"])
def test_cf32_is_exact(tmp_path, ext):
    x = tone()
    x.tofile(tmp_path / f"cap{ext}")
    rec = load_recording(tmp_path / f"cap{ext}", sample_rate=RATE)
    assert rec.fmt == "cf32"
    np.testing.assert_array_equal(rec.captures[0], x)
    assert rec.center_hz is None


@pytest.mark.parametrize("ext", [".bin", ".raw", ".dat"])
def test_ambiguous_extension_needs_format(tmp_path, ext):
    x = tone()
    path = tmp_path / f"cap{ext}"
    x.tofile(path)
    with pytest.raises(InputError) as e:
        load_recording(path, sample_rate=RATE)
    one_line_error(e, str(path), "--format")
    rec = load_recording(path, fmt="cfile", sample_rate=RATE)
    np.testing.assert_array_equal(rec.captures[0], x)


def test_raw_needs_sample_rate(tmp_path):
    path = tmp_path / "cap.cu8"
    complex64_to_cu8(tone()).tofile(path)
    with pytest.raises(InputError) as e:
        load_recording(path)
    one_line_error(e, "give --sample-rate", str(path))


@pytest.mark.parametrize("rate", [2.048, 100.0, 30e6, float("nan"), float("inf"), -2e6])
def test_implausible_sample_rates_rejected(tmp_path, rate):
    path = tmp_path / "cap.cu8"
    complex64_to_cu8(tone()).tofile(path)
    with pytest.raises(InputError) as e:
        load_recording(path, sample_rate=rate)
    one_line_error(e, "0.2-25 MS/s", str(path))


def test_empty_file(tmp_path):
    path = tmp_path / "cap.cf32"
    path.write_bytes(b"")
    with pytest.raises(InputError) as e:
        load_recording(path, sample_rate=RATE)
    one_line_error(e, "empty", str(path))


def test_truncated_trailing_sample(tmp_path):
    path = tmp_path / "cap.cf32"
    path.write_bytes(tone(16).tobytes() + b"\x00\x00\x80")
    with pytest.raises(InputError) as e:
        load_recording(path, sample_rate=RATE)
    one_line_error(e, "truncated", "8-byte", str(path))


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(InputError) as e:
        load_recording(tmp_path / "nope.cu8", sample_rate=RATE)
    one_line_error(e, "no such file")
    # a missing file is named as missing before anything else is asked of it
    for name in ("nope", "nope.wav", "nope.sigmf-meta", "nope.npy"):
        with pytest.raises(InputError) as e:
            open_recording(tmp_path / name)
        one_line_error(e, "no such file", name)
    with pytest.raises(InputError) as e:
        load_recording(tmp_path, fmt="cu8", sample_rate=RATE)  # a directory
    one_line_error(e, "not a regular file", "directory")
    with pytest.raises(InputError) as e:
        open_recording(tmp_path)
    one_line_error(e, "directory")


@pytest.mark.parametrize("fmt", ["cu8", "cs8"])
def test_an_odd_byte_count_loses_only_the_torn_last_sample(tmp_path, fmt):
    """A recorder stopped between an I and its Q: the whole samples are kept and the
    file is flagged, with a warning that names it."""
    x = tone(1001)
    raw = complex64_to_cu8(x) if fmt == "cu8" else np.round(x.view(np.float32) * 127).astype(np.int8)
    path = tmp_path / f"cap.{fmt}"
    path.write_bytes(raw.tobytes() + b"\x80")
    rec = open_recording(path, sample_rate=RATE)
    assert rec.n_samples == 1001 and rec.trimmed
    assert len(rec.warnings) == 1 and str(path) in rec.warnings[0] and "odd" in rec.warnings[0]
    loaded = load_recording(path, sample_rate=RATE)
    assert loaded.trimmed and not loaded.truncated and loaded.captures.shape == (1, 1001)
    assert np.max(np.abs(loaded.captures[0] - x)) < 1.5 / 127
    path.write_bytes(b"\x80")  # not even one whole sample
    with pytest.raises(InputError) as e:
        open_recording(path, sample_rate=RATE)
    one_line_error(e, "no whole", str(path))


def _everything(rec, max_samples):
    """The windows of a recording, checked for order and size, joined."""
    got, expect = [], 0
    for start, x in rec.windows(max_samples):
        assert start == expect and x.ndim == 2 and x.size <= max_samples
        expect += x.size
        got.append(x.reshape(-1).copy())
    assert expect == rec.n_samples
    return np.concatenate(got)


@pytest.mark.parametrize("make", [
    lambda p, x: (complex64_to_cu8(x).tofile(p.with_suffix(".cu8")), p.with_suffix(".cu8"))[1],
    lambda p, x: (x.tofile(p.with_suffix(".cf32")), p.with_suffix(".cf32"))[1],
    lambda p, x: (np.save(p.with_suffix(".npy"), x), p.with_suffix(".npy"))[1],
    lambda p, x: (np.save(p.with_suffix(".npy"), x.astype(">c16")), p.with_suffix(".npy"))[1],
    lambda p, x: (np.save(p.with_suffix(".npy"), np.stack([x.real, x.imag], -1)), p.with_suffix(".npy"))[1],
], ids=["cu8", "cf32", "npy", "npy-c16-big-endian", "npy-pairs"])
def test_windows_read_a_long_capture_in_order_a_piece_at_a_time(tmp_path, monkeypatch, make):
    """A recording of any length is read window by window (and each window a piece of
    the file at a time), never whole: the pieces join up to exactly what a whole load
    gives."""
    import sweeper.rf.sources.recording as recording

    monkeypatch.setattr(recording, "PIECE_BYTES", 4096)
    monkeypatch.setattr(recording, "MAP_BYTES", 8192)
    x = tone(30_011, cycles=517.3)
    path = make(tmp_path / "long", x)
    rec = open_recording(path, sample_rate=RATE)
    whole = load_recording(path, sample_rate=RATE).captures.reshape(-1)
    for max_samples in (30_011, 7_000, 4_096):
        np.testing.assert_array_equal(_everything(rec, max_samples), whole)
    assert [m for _, _, m in rec.spans(7_000)] == [6002, 6002, 6002, 6002, 6003]  # equal pieces


@pytest.mark.parametrize("order", ["C", "F"])
def test_windows_of_many_captures_are_groups_of_whole_captures(tmp_path, order):
    caps = np.stack([tone(1000, c) for c in range(1, 12)])
    np.save(tmp_path / "caps.npy", np.asarray(caps, order=order))
    rec = open_recording(tmp_path / "caps.npy", sample_rate=RATE)
    assert (rec.rows, rec.row_samples) == (11, 1000)
    shapes = [x.shape for _, x in rec.windows(3000)]
    assert shapes == [(3, 1000)] * 3 + [(2, 1000)]
    np.testing.assert_array_equal(_everything(rec, 3000), caps.reshape(-1))
    np.testing.assert_array_equal(_everything(rec, 600), caps.reshape(-1))  # a capture in pieces


def test_sigmf_windows(tmp_path):
    x = tone(5000, cycles=91.0)
    base = write_sigmf(tmp_path, ci16(x, ">"), "ci16_be")
    rec = open_recording(base)
    np.testing.assert_allclose(_everything(rec, 1024), x, atol=1e-4)


def test_unknown_format_name(tmp_path):
    path = tmp_path / "cap.cu8"
    complex64_to_cu8(tone()).tofile(path)
    with pytest.raises(InputError) as e:
        load_recording(path, fmt="wav", sample_rate=RATE)
    one_line_error(e, "unknown format", "cu8, cs8, cf32")


def test_nan_samples_are_masked_and_counted(tmp_path):
    # a NaN is not a measurement: set to 0 and counted, so the rest is still analysed
    x = tone(64)
    x[10] = np.nan
    path = tmp_path / "cap.cf32"
    x.tofile(path)
    rec = load_recording(path, sample_rate=RATE)
    assert rec.masked == 1 and rec.captures[0, 10] == 0
    np.testing.assert_array_equal(np.delete(rec.captures[0], 10), np.delete(x, 10))


def test_large_file_is_truncated_to_max_samples(tmp_path):
    x = tone(10_000)
    path = tmp_path / "cap.cf32"
    x.tofile(path)
    rec = load_recording(path, sample_rate=RATE, max_samples=4096)
    assert rec.truncated
    np.testing.assert_array_equal(rec.captures[0], x[:4096])


# -- .npy ------------------------------------------------------------------------------


def test_npy_1d_complex128_becomes_one_complex64_capture(tmp_path):
    x = tone().astype(np.complex128)
    np.save(tmp_path / "a.npy", x)
    rec = load_recording(tmp_path / "a.npy", sample_rate=RATE)
    assert rec.captures.shape == (1, x.size) and rec.captures.dtype == np.complex64
    np.testing.assert_allclose(rec.captures[0], x, atol=1e-6)


def test_npy_2d_is_n_captures_and_truncates_whole_captures(tmp_path):
    caps = np.stack([tone(1000, c) for c in (3, 5, 7)])
    np.save(tmp_path / "b.npy", caps)
    rec = load_recording(tmp_path / "b.npy", sample_rate=RATE)
    assert rec.captures.shape == (3, 1000)
    np.testing.assert_array_equal(rec.captures, caps)
    rec = load_recording(tmp_path / "b.npy", sample_rate=RATE, max_samples=2500)
    assert rec.truncated and rec.captures.shape == (2, 1000)


def test_npy_real_iq_pairs_accepted(tmp_path):
    x = tone(500)
    pairs = np.stack([x.real, x.imag], axis=-1).astype(np.float64)  # (M, 2)
    np.save(tmp_path / "p.npy", pairs)
    rec = load_recording(tmp_path / "p.npy", sample_rate=RATE)
    assert rec.captures.shape == (1, 500)
    np.testing.assert_allclose(rec.captures[0], x, atol=1e-6)
    np.save(tmp_path / "p3.npy", np.stack([pairs, pairs]))  # (N, M, 2)
    assert load_recording(tmp_path / "p3.npy", sample_rate=RATE).captures.shape == (2, 500)


@pytest.mark.parametrize("arr", [
    np.zeros(100, dtype=np.float32),                 # real 1-D
    np.zeros((2, 3, 4), dtype=np.complex64),         # >2-D complex
    np.zeros((10, 3), dtype=np.float32),             # real, not pairs
])
def test_npy_bad_shapes_explain_expected_shape(tmp_path, arr):
    np.save(tmp_path / "bad.npy", arr)
    with pytest.raises(InputError) as e:
        load_recording(tmp_path / "bad.npy", sample_rate=RATE)
    one_line_error(e, "expected complex samples of shape (M,) or (N captures, M)", str(arr.shape))


def test_npy_pickled_objects_refused(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputError) as e:
        load_recording(tmp_path / "o.npy", sample_rate=RATE)
    one_line_error(e, "not a readable .npy")


def test_npy_corrupt_file(tmp_path):
    path = tmp_path / "c.npy"
    np.save(path, tone(1000))
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(InputError) as e:
        load_recording(path, sample_rate=RATE)
    one_line_error(e, str(path))


# -- SigMF -----------------------------------------------------------------------------


def write_sigmf(tmp_path, data: bytes, datatype: str, rate=RATE, freq=CENTER, **glob):
    base = tmp_path / "rec"
    (tmp_path / "rec.sigmf-data").write_bytes(data)
    g = {"core:datatype": datatype, "core:version": "1.0.0", **glob}
    if rate is not None:
        g["core:sample_rate"] = rate
    cap = {"core:sample_start": 0}
    if freq is not None:
        cap["core:frequency"] = freq
    (tmp_path / "rec.sigmf-meta").write_text(json.dumps({"global": g, "captures": [cap],
                                                         "annotations": []}))
    return base


def ci16(x, order="<"):
    iq = np.empty(2 * x.size, dtype=f"{order}i2")
    iq[0::2] = np.round(x.real * 32767)
    iq[1::2] = np.round(x.imag * 32767)
    return iq.tobytes()


@pytest.mark.parametrize("datatype,encode,tol", [
    ("cu8", lambda x: complex64_to_cu8(x).tobytes(), 1.5 / 127.5),
    ("ci8", lambda x: np.round(np.stack([x.real, x.imag], -1) * 127).astype(np.int8).tobytes(),
     1.5 / 127),
    ("ci16_le", lambda x: ci16(x, "<"), 1e-4),
    ("ci16_be", lambda x: ci16(x, ">"), 1e-4),
    ("cf32_le", lambda x: x.astype("<c8").tobytes(), 0),
    ("cf32_be", lambda x: x.astype(">c8").tobytes(), 0),
])
def test_sigmf_datatypes(tmp_path, datatype, encode, tol):
    x = tone()
    base = write_sigmf(tmp_path, encode(x), datatype)
    for given in (base, str(base) + ".sigmf-meta", str(base) + ".sigmf-data"):
        rec = load_recording(given)
        assert rec.sample_rate == RATE and rec.center_hz == CENTER
        assert rec.captures.shape == (1, x.size) and rec.captures.dtype == np.complex64
        assert np.max(np.abs(rec.captures[0] - x)) <= tol + 1e-7


def test_sigmf_agreeing_arguments_accepted(tmp_path):
    base = write_sigmf(tmp_path, tone().tobytes(), "cf32_le")
    rec = load_recording(base, sample_rate=RATE, center_hz=CENTER)
    assert rec.center_hz == CENTER


def test_sigmf_contradicting_sample_rate(tmp_path):
    base = write_sigmf(tmp_path, tone().tobytes(), "cf32_le")
    with pytest.raises(InputError) as e:
        load_recording(base, sample_rate=2.4e6)
    one_line_error(e, "inconsistent", "2400000", "2048000")


def test_sigmf_contradicting_center(tmp_path):
    base = write_sigmf(tmp_path, tone().tobytes(), "cf32_le")
    with pytest.raises(InputError) as e:
        load_recording(base, center_hz=433.92e6)
    one_line_error(e, "inconsistent", "--center-freq", "433920000")


def test_sigmf_without_rate_uses_argument_or_asks(tmp_path):
    base = write_sigmf(tmp_path, tone().tobytes(), "cf32_le", rate=None, freq=None)
    with pytest.raises(InputError) as e:
        load_recording(base)
    one_line_error(e, "give --sample-rate")
    rec = load_recording(base, sample_rate=RATE)
    assert rec.sample_rate == RATE and rec.center_hz is None


def test_sigmf_multichannel_rejected(tmp_path):
    base = write_sigmf(tmp_path, tone().tobytes(), "cf32_le", **{"core:num_channels": 2})
    with pytest.raises(InputError) as e:
        load_recording(base)
    one_line_error(e, "2 channels", "single-channel")


@pytest.mark.parametrize("datatype,needle", [
    ("rf32_le", "real-valued"), ("ci16", "byte order"), ("complex", "not a SigMF datatype"),
])
def test_sigmf_bad_datatypes(tmp_path, datatype, needle):
    base = write_sigmf(tmp_path, tone().tobytes(), datatype)
    with pytest.raises(InputError) as e:
        load_recording(base)
    one_line_error(e, needle)


def test_sigmf_bad_json_names_the_file_and_line(tmp_path):
    base = write_sigmf(tmp_path, tone().tobytes(), "cf32_le")
    (tmp_path / "rec.sigmf-meta").write_text('{"global": {\n "core:datatype": "cf32_le",,}}')
    with pytest.raises(InputError) as e:
        load_recording(base)
    one_line_error(e, "rec.sigmf-meta", "not valid JSON", "line 2")


def test_sigmf_missing_data_file(tmp_path):
    base = write_sigmf(tmp_path, tone().tobytes(), "cf32_le")
    (tmp_path / "rec.sigmf-data").unlink()
    with pytest.raises(InputError) as e:
        load_recording(str(base) + ".sigmf-meta")
    one_line_error(e, "rec.sigmf-data", "needs both")


def test_sigmf_truncated_data(tmp_path):
    base = write_sigmf(tmp_path, tone().tobytes()[:-3], "cf32_le")
    with pytest.raises(InputError) as e:
        load_recording(base)
    one_line_error(e, "truncated", "rec.sigmf-data")


# -- playback --------------------------------------------------------------------------


def make_rec(n_caps=2, m=1000, center=CENTER):
    caps = np.arange(n_caps * m, dtype=np.float32).astype(np.complex64).reshape(n_caps, m)
    return Recording(caps, RATE, center, "cf32", "mem.cf32")


def test_playback_reads_consecutive_samples_across_captures():
    src = RecordingSource(make_rec())
    src.tune(CENTER + 0.4 * RATE, RATE)
    a, b = src.read(700), src.read(700)
    np.testing.assert_array_equal(np.concatenate([a, b]).real, np.arange(1400))
    a[:] = 0  # the caller may keep (and scribble on) what it got
    assert src.read(600)[0] == 1400
    with pytest.raises(InputError) as e:
        src.read(1)
    one_line_error(e, "end of recording", "mem.cf32")


def test_playback_refuses_tuning_outside_the_recording():
    src = RecordingSource(make_rec())
    assert src.tuner.min_hz == CENTER - RATE / 2 and src.tuner.max_hz == CENTER + RATE / 2
    with pytest.raises(InputError) as e:
        src.tune(CENTER + RATE, RATE)
    one_line_error(e, "cannot tune")
    with pytest.raises(InputError) as e:
        src.tune(CENTER, 2.4e6)
    one_line_error(e, "recorded at")


def test_playback_with_unknown_centre_accepts_any_tuning():
    src = RecordingSource(make_rec(center=None))
    src.tune(5.8e9, RATE)
    assert src.read(10).shape == (10,)


def test_sigmf_archive_is_explained(tmp_path):
    path = tmp_path / "rec.sigmf"
    path.write_bytes(b"not really a tar")
    with pytest.raises(InputError) as e:
        load_recording(path)
    one_line_error(e, "tar xf", ".sigmf-meta")
