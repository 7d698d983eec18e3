"""The fuzzed entry points, shared by the Hypothesis tests (tests/test_fuzz.py, in CI)
and the coverage-guided campaign (tools/fuzz.py, ``./dev fuzz``).

Each target takes bytes, feeds them to one public entry point and checks what a user
would notice: only the project's own one-line errors escape (an ``InputError`` for a
file that is not a capture or recording, a ``ConfigError`` for a bad config, nothing at
all from the control socket), the counts add up (every record read is parsed or counted
as skipped), and no output is absurd (a frame longer than its link allows, a negative
length, a sample that is not finite). A violated property raises ``AssertionError``;
any other exception is a bug.

Inputs that need a file go through a scratch directory (``/dev/shm`` when there is one,
so a campaign does not wear a disk).
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import struct
import tempfile
import unicodedata

import numpy as np

from sweeper.errors import ConfigError, InputError
from sweeper.wifi import frames as wframes
from sweeper.wifi.pcapio import ReadStats, read_capture
from sweeper.wifi.source import (LINKTYPE_ETHERNET, LINKTYPE_IEEE802_11,
                                 LINKTYPE_IEEE802_11_RADIOTAP, RawBatch)

LINKTYPES = (LINKTYPE_ETHERNET, LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP)
#: raw recording formats and the file extension each is read as
RAW_FORMATS = ("cu8", "cs8", "cf32")
RATE = 2.4e6
#: a window far smaller than analysis uses, so a KB-sized input spans several windows
WINDOW = 1000

_scratch = None


def scratch_dir() -> str:
    global _scratch
    if _scratch is None and os.environ.get("SWEEPER_FUZZ_SCRATCH"):  # the campaign's (it removes it)
        _scratch = os.environ["SWEEPER_FUZZ_SCRATCH"]
    if _scratch is None:
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        _scratch = tempfile.mkdtemp(prefix="sweeper-fuzz-", dir=base)
        atexit.register(shutil.rmtree, _scratch, True)
    return _scratch


def _write(name: str, data: bytes) -> str:
    path = os.path.join(scratch_dir(), name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def check_message(exc: Exception) -> None:
    """The project's errors are one line and terminal-safe: no newline, no escape
    sequence or other control character from the input reaches a terminal raw."""
    text = str(exc)
    bad = [c for c in text if unicodedata.category(c) == "Cc"]
    assert not bad, f"an error message with control characters {sorted(set(bad))!r}: {text[:160]!r}"


# ------------------------------------------------------------------ Wi-Fi: frames

def check_parse(batch: RawBatch) -> None:
    """parse_batch on one batch: counts add up, lengths within the link's maximum."""
    out, stats, ssids = wframes.parse_batch(batch)
    n = len(batch)
    assert stats.records == n, (stats.records, n)
    assert stats.parsed == len(out), (stats.parsed, len(out))
    assert stats.parsed + stats.skipped() == n, f"parsed+skipped != records: {stats}"
    assert min(stats.truncated, stats.malformed, stats.bad_fcs) >= 0, stats
    if len(out):
        cap = wframes.MAX_WIRED_LEN if batch.linktype == LINKTYPE_ETHERNET else wframes.MAX_80211_LEN
        assert out["length"].min() >= 0, "negative frame length"
        assert out["length"].max() <= cap, f"frame length {out['length'].max()} > link max {cap}"
        assert out["l3len"].min() >= -1, "network-layer length below -1"
        assert (out["l3len"] <= out["length"]).all(), "more network bytes than the frame holds"
        assert out["ftype"].max() <= 3
        assert np.isfinite(out["ts"]).all(), "a parsed frame with a non-finite time"
    for bssid, name in ssids.items():
        assert isinstance(name, str) and len(name) <= 32 and name.isprintable(), repr(name)


def split_records(data: bytes):
    """Records from bytes: [caplen u16][origlen extra u8][record] ... (the last one
    takes what is left). Lets a fuzzer shape a batch of records of any sizes."""
    recs, i, t = [], 0, 1.6e9
    while i < len(data):
        if len(data) - i < 3:
            recs.append((t, data[i:], len(data) - i))
            break
        cl, extra = struct.unpack_from("<HB", data, i)
        i += 3
        raw = data[i:i + cl]
        i += len(raw)
        # origlen: as captured, or larger (a snaplen cut), now and then absurdly so
        orig = len(raw) + (extra if extra < 250 else (1 << (extra - 218)))
        recs.append((t, raw, orig))
        t += 1e-3
    return recs


def target_frames(data: bytes) -> None:
    """The frame parser on a batch of records of one link type (first byte picks it)."""
    if not data:
        return
    linktype = LINKTYPES[data[0] % len(LINKTYPES)]
    check_parse(RawBatch.from_records(linktype, split_records(data[1:])))


# ------------------------------------------------------------------ Wi-Fi: capture files

def target_capture(data: bytes) -> None:
    """read_capture on a file of these bytes, every batch through the parser."""
    path = _write("capture.pcap", data)
    stats = ReadStats()
    seen = 0
    try:
        for batch in read_capture(path, stats, batch_records=64):
            n = len(batch)
            seen += n
            assert batch.linktype in LINKTYPES, batch.linktype
            assert (batch.caplen >= 0).all() and (batch.offset >= 0).all()
            assert (batch.offset + batch.caplen <= batch.data.size).all(), "record beyond its buffer"
            assert (batch.origlen >= batch.caplen).all() or n == 0, "origlen < caplen"
            check_parse(batch)
    except InputError as exc:
        check_message(exc)
        return
    assert stats.records == seen, (stats.records, seen)
    assert stats.damage() >= 0


# ------------------------------------------------------------------ RF recordings

def check_recording(rf) -> None:
    n = rf.n_samples
    assert n > 0 and rf.rows > 0 and rf.row_samples > 0
    assert rf.sample_rate > 0 and np.isfinite(rf.sample_rate)
    assert rf.center_hz is None or np.isfinite(rf.center_hz)
    got = 0
    for start, win in rf.windows(WINDOW):
        assert start == got, (start, got)
        assert win.dtype == np.complex64 and win.ndim == 2
        assert np.isfinite(win.view(np.float32)).all(), "a non-finite sample was delivered"
        got += win.size
    assert got == n, (got, n)


def target_recording(data: bytes) -> None:
    """open_recording on a raw cu8/cs8/cf32 file (first byte picks the format) or an
    .npy (one in four), every window read back."""
    if not data:
        return
    sel = data[0] % 4
    if sel == 3:
        path, fmt = _write("rec.npy", data[1:]), None
    else:
        fmt = RAW_FORMATS[sel]
        path = _write("rec." + fmt, data[1:])
    from sweeper.rf.sources.recording import open_recording
    try:
        rf = open_recording(path, fmt, sample_rate=RATE)
    except InputError as exc:
        check_message(exc)
        return
    try:
        check_recording(rf)
    except InputError as exc:  # found while reading, e.g. a NaN sample
        check_message(exc)


SIGMF_SPLIT = b"\n\x00SIGMF-DATA\x00\n"


def target_sigmf(data: bytes) -> None:
    """A SigMF pair: the bytes before SIGMF_SPLIT are the .sigmf-meta, the rest the
    .sigmf-data."""
    meta, _, samples = data.partition(SIGMF_SPLIT)
    base = os.path.join(scratch_dir(), "rec")
    with open(base + ".sigmf-meta", "wb") as f:
        f.write(meta)
    with open(base + ".sigmf-data", "wb") as f:
        f.write(samples)
    from sweeper.rf.sources.recording import open_recording
    try:
        rf = open_recording(base + ".sigmf-meta")
        check_recording(rf)
    except InputError as exc:
        check_message(exc)


# ------------------------------------------------------------------ config

def target_config(data: bytes) -> None:
    """parse_config on the text; load_config on the same bytes as a file."""
    from sweeper.config import load_config, parse_config
    text = data.decode("utf-8", "replace")
    try:
        cfg = parse_config(text, "fuzz.yaml")
        assert cfg.source_path == "fuzz.yaml"
    except ConfigError as exc:
        check_message(exc)
    path = _write("config.yaml", data)
    try:
        load_config(path)
    except ConfigError as exc:
        check_message(exc)


# ------------------------------------------------------------------ control socket

def target_control(data: bytes) -> None:
    """ControlServer.parse: a request or None, never an exception."""
    from sweeper.device.control import MAX_ROOM_CHARS, ControlServer
    request = ControlServer.parse(data)
    if request is None:
        return
    assert isinstance(request, dict)
    assert request.get("trigger") in ("timer", "remote"), request
    assert set(request) <= {"trigger", "room"}, request
    room = request.get("room")
    assert room is None or (isinstance(room, str) and len(room) <= MAX_ROOM_CHARS
                            and room.isprintable()), repr(room)


TARGETS = {
    "capture": target_capture,
    "frames": target_frames,
    "recording": target_recording,
    "sigmf": target_sigmf,
    "config": target_config,
    "control": target_control,
}

#: what each target may raise besides its own checks: nothing (they catch the
#: project's documented errors themselves)
ALLOWED = ()


def sigmf_pair(meta: dict, samples: bytes) -> bytes:
    return json.dumps(meta).encode() + SIGMF_SPLIT + samples


# ------------------------------------------------------------------ known, open bugs

#: Bugs the fuzzers found that are not fixed yet, each reported with its reproducer in
#: tests/fuzz_corpus/crashes/ and a strict xfail in tests/test_fuzz.py (so the fix is
#: noticed: the xfail then passes and fails the run, and its entry here goes).
#: (exception type name, the sweeper file it escapes from, words of its message,
#: reproducer file name)
KNOWN_BUGS = [
    # none open: the nine found so far (.npy headers that numpy's parser rejects with
    # TokenError, SyntaxError or OverflowError, or whose message quotes an escape; SigMF
    # frequency lists, deep nesting, huge integers; config keys holding control
    # characters) are fixed, and their reproducers run as regression tests
]


def known_bug(exc: BaseException):
    """The KNOWN_BUGS entry ``exc`` is an instance of, or None."""
    import traceback
    files = [f.filename.replace(os.sep, "/") for f in traceback.extract_tb(exc.__traceback__)]
    ours = [f for f in files if "/sweeper/" in f or f.endswith("fuzz_targets.py")]
    for name, where, words, repro in KNOWN_BUGS:
        if type(exc).__name__ == name and ours and ours[-1].endswith(where) and words in str(exc):
            return repro
    return None
