"""Fuzzing in CI (issue 15): Hypothesis over every entry point that reads hostile
input, on a fixed budget (derandomized: the same examples every run, so a failure here
is a regression, never a flake).

Entry points and what each must do with any input (tests/fuzz_targets.py checks it):
the pcap/pcapng reader (``read_capture``: batches or an ``InputError``, and every record
counted), the frame parser (``parse_batch`` for radiotap, 802.11 and Ethernet: parsed +
skipped == records, no length beyond the link's maximum), the recording readers (raw
cu8/cs8/cf32 and ``.npy``) and SigMF metadata (an ``InputError`` or finite samples, every
one read), the config loader (a ``ConfigError`` or a config) and the control datagram
parser (a request or None, never an exception).

Inputs come two ways: mutations (bit flips, overwritten words, truncations, splices
of two seeds) of the seeds in tests/fuzz_corpus/seeds/, and structures generated
field by field (pcap headers whose lengths lie, records of any size and absurd original
lengths, .npy arrays of every dtype and order with NaN and 1e20 samples, SigMF
metadata with any JSON values, YAML with the config's own keys).

Budget: the whole file takes 40-65 s (about 40 s of CPU) on the 2-core dev
machine (README, Development). ``SWEEPER_FUZZ_SCALE=10`` runs ten times the examples.
``./dev fuzz`` runs the coverage-guided campaign over the same targets.
"""
from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import fuzz_targets as ft

SEEDS = os.path.join(os.path.dirname(__file__), "fuzz_corpus", "seeds")
CRASHES = os.path.join(os.path.dirname(__file__), "fuzz_corpus", "crashes")
SCALE = float(os.environ.get("SWEEPER_FUZZ_SCALE", "1"))


def budget(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), derandomize=True, database=None,
                    deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


def seeds(target: str):
    d = os.path.join(SEEDS, target)
    return [open(os.path.join(d, n), "rb").read() for n in sorted(os.listdir(d))]


def run(target, data: bytes) -> None:
    """The target on ``data``; an input that hits a known, reported bug (ft.KNOWN_BUGS,
    each a strict xfail below) is set aside so the rest of the search goes on."""
    try:
        target(data)
    except Exception as exc:
        if ft.known_bug(exc):
            reject()
        raise


INTERESTING32 = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0xFFFF, 0x10000, 0x3FFFF, 0x40001,
                 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF]


@st.composite
def mutated(draw, target: str):
    """A seed of ``target`` with a few mutations (AFL's havoc, in small)."""
    pool = seeds(target)
    data = bytearray(draw(st.sampled_from(pool)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "byte", "word", "truncate", "splice", "delete", "dup"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte" and data:
            data[pos] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF, draw(st.integers(0, 255))]))
        elif op == "word":
            v = struct.pack(draw(st.sampled_from(["<I", ">I"])), draw(st.sampled_from(INTERESTING32)))
            data[pos:pos + 4] = v
        elif op == "truncate":
            del data[pos:]
        elif op == "splice":
            other = draw(st.sampled_from(pool))
            at = draw(st.integers(0, len(other)))
            data[pos:] = other[at:]
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
        elif op == "dup":
            data[pos:pos] = data[pos:pos + draw(st.integers(1, 32))]
    return bytes(data)


def check_reproducers(target: str):
    """Saved campaign reproducers of ``target`` (tests/fuzz_corpus/crashes/TARGET-*.bin)
    that are fixed: each runs here as a regression test."""
    if not os.path.isdir(CRASHES):
        return []
    return sorted(n for n in os.listdir(CRASHES) if n.startswith(target + "-") and n.endswith(".bin"))


# ------------------------------------------------------------------ capture files

@budget(1200)
@given(mutated("capture"))
def test_capture_reader_survives_mutated_files(data):
    run(ft.target_capture, data)


@st.composite
def pcap_files(draw):
    """Classic pcap (any of the three magics, either byte order, old versions) or
    pcapng, with record lengths that may lie about the bytes that follow."""
    endian = draw(st.sampled_from("<>"))
    linktype = draw(st.sampled_from([1, 105, 127, 127 | (1 << 28), 0, 228]))
    records = []
    for _ in range(draw(st.integers(0, 8))):
        raw = draw(st.binary(max_size=80))
        caplen = draw(st.one_of(st.just(len(raw)), st.integers(0, 0xFFFFFFFF), st.sampled_from(INTERESTING32)))
        origlen = draw(st.one_of(st.just(len(raw)), st.integers(0, 0xFFFFFFFF)))
        records.append((raw, caplen, origlen, draw(st.integers(0, 0xFFFFFFFF))))
    if draw(st.booleans()):
        magic = draw(st.sampled_from([0xA1B2C3D4, 0xA1B23C4D, 0xA1B2CD34]))
        version = draw(st.sampled_from([(2, 4), (2, 3), (2, 2), (543, 0), (1, 0)]))
        out = struct.pack(endian + "IHHiIII", magic, *version, 0, 0, draw(st.integers(0, 0xFFFFFFFF)), linktype)
        for raw, caplen, origlen, ts in records:
            out += struct.pack(endian + "IIII", ts, draw(st.integers(0, 2_000_000)), caplen, origlen)
            if magic == 0xA1B2CD34:
                out += bytes(8)
            out += raw
        return out

    def block(btype, body, length=None):
        body += b"\x00" * (-len(body) % 4)
        n = 12 + len(body) if length is None else length
        return struct.pack(endian + "II", btype, n) + body + struct.pack(endian + "I", n)

    out = block(0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    for _ in range(draw(st.integers(0, 2))):
        out += block(1, struct.pack(endian + "HHI", linktype & 0xFFFF, 0, 65535))
    for raw, caplen, origlen, ts in records:
        kind = draw(st.sampled_from([6, 6, 3, 2, 5, 0x0A0D0D0A, 99]))
        iface = draw(st.integers(0, 3))
        if kind == 3:
            body = struct.pack(endian + "I", origlen) + raw
        else:
            body = struct.pack(endian + "IIIII", iface, ts, ts, caplen, origlen) + raw
        lie = draw(st.one_of(st.none(), st.sampled_from(INTERESTING32)))
        out += block(kind, body, lie)
    return out


@budget(900)
@given(pcap_files())
def test_capture_reader_survives_generated_files(data):
    run(ft.target_capture, data)


# ------------------------------------------------------------------ frame parser

def radiotap_header(draw):
    present = draw(st.one_of(st.integers(0, 0xFFFFFFFF), st.sampled_from([0x2E, 0x80000000 | 0x2E, 0x0800002E])))
    words = [present]
    while words[-1] & 0x80000000 and len(words) < 4:
        words.append(draw(st.integers(0, 0xFFFFFFFF)))
    fields = draw(st.binary(max_size=40))
    length = draw(st.one_of(st.just(4 + 4 * len(words) + len(fields)), st.integers(0, 0xFFFF)))
    return struct.pack("<BBH", draw(st.sampled_from([0, 0, 1])), 0, length) + \
        b"".join(struct.pack("<I", w) for w in words) + fields


@st.composite
def frame_batches(draw):
    """A link-type byte and records in tests/fuzz_targets.py's framing: radiotap headers
    with any present bits, 802.11 headers with any frame control, Ethernet frames."""
    lt = draw(st.integers(0, 2))
    out = bytes([lt])
    for _ in range(draw(st.integers(1, 12))):
        rec = b""
        if lt == 2:
            rec += radiotap_header(draw)
        if lt in (1, 2):
            rec += bytes([draw(st.integers(0, 255)), draw(st.integers(0, 255))])
        rec += draw(st.binary(max_size=64))
        out += struct.pack("<HB", len(rec), draw(st.integers(0, 255))) + rec
    return out


@budget(1200)
@given(frame_batches())
def test_frame_parser_generated_records(data):
    run(ft.target_frames, data)


@budget(1200)
@given(mutated("frames"))
def test_frame_parser_mutated_records(data):
    run(ft.target_frames, data)


# ------------------------------------------------------------------ recordings

@budget(1000)
@given(mutated("recording"))
def test_recording_readers_survive_mutated_files(data):
    run(ft.target_recording, data)


def _npy_bytes(arr) -> bytes:
    import io
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


@st.composite
def npy_files(draw):
    """Arrays of any dtype, shape and order, with values a recording should not hold."""
    dtype = draw(st.sampled_from(["<c8", ">c8", "<c16", ">c16", "<f4", ">f4", "<f8", "<f2",
                                  "<i2", "u1", "i1", "?"]))
    ndim = draw(st.integers(0, 3))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=ndim, max_size=ndim)))
    if ndim and draw(st.booleans()):
        shape = shape[:-1] + (2,)
    n = int(np.prod(shape)) if shape else 1
    special = st.sampled_from([np.nan, np.inf, -np.inf, 1e20, -1e38, 0.0, 1.0, 5e-324])
    values = draw(st.lists(st.one_of(st.floats(-2, 2), special), min_size=n, max_size=n))
    arr = np.asarray(values, np.float64).reshape(shape)
    with np.errstate(all="ignore"):
        arr = arr.astype(dtype) if np.dtype(dtype).kind != "c" else (arr + 1j * arr[::-1] if arr.ndim else arr).astype(dtype)
    if draw(st.booleans()):
        arr = np.asfortranarray(arr)
    data = _npy_bytes(arr)
    if draw(st.booleans()):  # a damaged header or body
        data = bytearray(data)
        pos = draw(st.integers(0, len(data) - 1))
        data[pos] = draw(st.integers(0, 255))
        data = bytes(data[:draw(st.integers(0, len(data)))]) if draw(st.booleans()) else bytes(data)
    return b"\x03" + data


@budget(1000)
@given(npy_files())
def test_npy_reader_generated_arrays(data):
    run(ft.target_recording, data)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
                         st.sampled_from([2.4e6, 1.2e9, 0, -1, 1e308, "cu8", "cf32_le", "ci16_be"]))
json_values = st.recursive(json_scalars, lambda c: st.one_of(st.lists(c, max_size=3),
                                                             st.dictionaries(st.text(max_size=6), c, max_size=3)),
                           max_leaves=6)
DATATYPES = ["cu8", "ci8", "cf32_le", "cf32_be", "cf64_le", "ci16_le", "ci16_be", "cu16_le",
             "ci32_le", "cu32_be", "cf32", "rf32_le", "ri16_le", "cu8_le", "c", ""]


@st.composite
def sigmf_pairs(draw):
    glob = {"core:datatype": draw(st.one_of(st.sampled_from(DATATYPES), json_values))}
    for key, values in (("core:sample_rate", st.one_of(st.sampled_from([2.4e6, 2048000, 1e6]), json_values)),
                        ("core:num_channels", st.one_of(st.just(1), json_values)),
                        ("core:version", json_values)):
        if draw(st.booleans()):
            glob[key] = draw(values)
    meta = {"global": glob if draw(st.integers(0, 9)) else draw(json_values)}
    if draw(st.booleans()):
        cap = st.fixed_dictionaries({}, optional={
            "core:frequency": st.one_of(st.sampled_from([1.2e9, 5.8e9]), json_values),
            "core:sample_start": st.one_of(st.integers(0, 64), json_values)})
        meta["captures"] = draw(st.one_of(st.lists(cap, max_size=3), json_values))
    samples = draw(st.one_of(st.binary(max_size=96), st.sampled_from([b"", bytes(64), b"\xff" * 33])))
    return ft.sigmf_pair(meta, samples)


@budget(700)
@given(sigmf_pairs())
def test_sigmf_generated_meta(data):
    run(ft.target_sigmf, data)


@st.composite
def sigmf_hostile(draw):
    """Metadata a JSON parser chokes on: deep nesting, huge numbers, lists as numbers."""
    depth = draw(st.integers(1, 5000))
    value = draw(st.sampled_from([
        "[" * depth + "]" * depth, "{\"a\":" * depth + "1" + "}" * depth, "9" * depth,
        "1e" + "9" * min(depth, 400), "-" + "9" * depth, "[1.2e9]", "{}", "NaN", "Infinity"]))
    where = draw(st.sampled_from(["rate", "freq", "freq2", "datatype", "global"]))
    cap = '{"core:frequency": %s}' % (value if where in ("freq", "freq2") else "1.2e9")
    caps = "[%s]" % (cap if where != "freq2" else '{"core:frequency": 1.2e9}, ' + cap)
    glob = '{"core:datatype": %s, "core:sample_rate": %s}' % (
        value if where == "datatype" else '"cu8"', value if where == "rate" else "2400000")
    meta = '{"global": %s, "captures": %s}' % (value if where == "global" else glob, caps)
    return meta.encode() + ft.SIGMF_SPLIT + bytes(64)


@budget(400)
@given(sigmf_hostile())
def test_sigmf_hostile_json(data):
    run(ft.target_sigmf, data)


@budget(500)
@given(mutated("sigmf"))
def test_sigmf_mutated_meta(data):
    run(ft.target_sigmf, data)


# ------------------------------------------------------------------ config

@budget(800)
@given(mutated("config"))
def test_config_loader_mutated_files(data):
    run(ft.target_config, data)


SECTIONS = {"rf": ["gain_db", "sample_rate", "dwell_s", "bands", "source", "rtl_tcp", "crop"],
            "wifi": ["channels", "dwell_s", "snaplen", "duration_s", "interface"],
            "mqtt": ["port", "enabled", "host"], "display": ["rotate", "width"],
            "detection": ["video", "wifi"], "venue": ["room", "rooms"], "output": ["log_level"],
            "history": ["enabled"], "bogus": ["x"]}
yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(), st.text(max_size=10),
              st.sampled_from(["auto", "2.4GHz", "0x10", "1e999", ".nan", "~", "9" * 30])),
    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=8), c, max_size=3)),
    max_leaves=5)


@st.composite
def config_texts(draw):
    doc = {}
    for sec in draw(st.lists(st.sampled_from(sorted(SECTIONS)), max_size=3, unique=True)):
        keys = draw(st.lists(st.sampled_from(SECTIONS[sec]), max_size=3, unique=True))
        doc[sec] = {k: draw(yaml_values) for k in keys} if draw(st.integers(0, 5)) else draw(yaml_values)
    return yaml.safe_dump(doc, allow_unicode=draw(st.booleans())).encode()


@budget(600)
@given(config_texts())
def test_config_loader_generated_files(data):
    run(ft.target_config, data)


# ------------------------------------------------------------------ control socket

@budget(1200)
@given(st.one_of(
    st.binary(max_size=1100),
    mutated("control"),
    st.builds(lambda v: json.dumps(v).encode(), st.fixed_dictionaries(
        {"sweep": st.one_of(json_values, st.fixed_dictionaries(
            {}, optional={"room": st.one_of(st.text(max_size=70), json_values),
                          "trigger": json_values}))}))))
def test_control_datagrams(data):
    run(ft.target_control, data)


# ------------------------------------------------------------------ reproducers

@pytest.mark.parametrize("target", sorted(ft.TARGETS))
def test_saved_reproducers_pass(target):
    """Every reproducer the campaign saved and that has been fixed stays fixed (those
    still open are tests/test_fuzz_known.py's strict xfails)."""
    known = {k[-1] for k in ft.KNOWN_BUGS}
    for name in check_reproducers(target):
        if name in known:
            continue
        with open(os.path.join(CRASHES, name), "rb") as f:
            ft.TARGETS[target](f.read())


def _exception_class(name: str):
    import builtins
    import tokenize
    return getattr(builtins, name, None) or getattr(tokenize, name)


@pytest.mark.parametrize("repro", [
    pytest.param(k[-1], id=k[-1], marks=pytest.mark.xfail(
        strict=True, raises=_exception_class(k[0]),
        reason=f"open bug found by fuzzing: {k[0]} escapes {k[1]} (tests/fuzz_targets.py KNOWN_BUGS)"))
    for k in ft.KNOWN_BUGS])
def test_known_bug_reproducers(repro):
    """Each open bug's reproducer: must not raise anything but the project's errors.
    Fails (xfail, with that bug's exception only) until fixed; then it passes, which
    fails the run: drop its entry from KNOWN_BUGS."""
    target = repro.split("-", 1)[0]
    with open(os.path.join(CRASHES, repro), "rb") as f:
        ft.TARGETS[target](f.read())
