"""Capture files: pcap and pcapng in every byte order and resolution we may meet, damaged
files counted rather than crashing, and the writer's output read back byte for byte."""
import pathlib
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sweeper.errors import InputError
from sweeper.wifi.pcapio import (PcapReplaySource, PcapWriter, ReadStats, read_capture,
                                 write_pcap)
from sweeper.wifi.source import RawBatch

from conftest import BLINK_CAMERA

BLINK = pathlib.Path(BLINK_CAMERA)
RECORDS = [(1000.25, b"\x01" * 40, 1500), (1000.5, b"\x02" * 60, 60), (1001.0, b"\x03" * 14, 98)]


def _all(path, **kw):
    stats = ReadStats()
    batches = list(read_capture(path, stats, **kw))
    return batches, stats


def _flat(batches):
    return [(float(b.ts[i]), b.record(i), int(b.origlen[i]), b.linktype)
            for b in batches for i in range(len(b))]


def _pcap(endian="<", nanos=False, linktype=127, records=RECORDS, modified=False, version=(2, 4), swap=False):
    """A classic pcap; ``modified``: Kuznetzov's variant (magic a1b2cd34, 24-byte record
    headers: interface index, protocol, packet type, pad); ``swap``: the original length
    before the captured one (files before version 2.3 have them so)."""
    magic = 0xA1B2CD34 if modified else 0xA1B23C4D if nanos else 0xA1B2C3D4
    out = struct.pack(endian + "IHHiIII", magic, *version, 0, 0, 65535, linktype)
    for i, (ts, data, olen) in enumerate(records):
        sec = int(ts)
        frac = round((ts - sec) * (1e9 if nanos else 1e6))
        lengths = (olen, len(data)) if swap else (len(data), olen)
        out += struct.pack(endian + "IIII", sec, frac, *lengths)
        if modified:
            out += struct.pack(endian + "IHBB", 2 + i, 0x0800, 4, 0)
        out += data
    return out


def _block(endian, btype, body):
    pad = (-len(body)) % 4
    total = 12 + len(body) + pad
    return struct.pack(endian + "II", btype, total) + body + b"\0" * pad + struct.pack(endian + "I", total)


def _pcapng(endian="<", tsresol=None, linktype=127, records=RECORDS, extra_iface=None):
    shb = _block(endian, 0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    opts = b""
    scale = 1e6
    if tsresol is not None:
        opts = struct.pack(endian + "HH", 9, 1) + bytes([tsresol, 0, 0, 0]) + struct.pack(endian + "HH", 0, 0)
        scale = 2.0 ** (tsresol & 0x7F) if tsresol & 0x80 else 10.0 ** tsresol
    out = shb + _block(endian, 1, struct.pack(endian + "HHI", linktype, 0, 65535) + opts)
    if extra_iface is not None:
        out += _block(endian, 1, struct.pack(endian + "HHI", extra_iface, 0, 65535))
    out += _block(endian, 5, b"statistics we do not use")
    for ts, data, olen in records:
        t = round(ts * scale)
        out += _block(endian, 6, struct.pack(endian + "IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(data), olen) + data)
    return out


@pytest.mark.parametrize("endian", ["<", ">"])
@pytest.mark.parametrize("nanos", [False, True])
def test_classic_pcap_both_byte_orders_and_resolutions(tmp_path, endian, nanos):
    p = tmp_path / "x.pcap"
    p.write_bytes(_pcap(endian, nanos))
    batches, stats = _all(p)
    got = _flat(batches)
    assert [(d, o) for _, d, o, _ in got] == [(d, o) for _, d, o in RECORDS]
    assert np.allclose([t for t, *_ in got], [t for t, *_ in RECORDS], atol=1e-6)
    assert stats.records == 3 and stats.damage() == 0


@pytest.mark.parametrize("endian", ["<", ">"])
def test_modified_pcap_with_24_byte_record_headers_is_read_as_libpcap_reads_it(tmp_path, endian):
    """Kuznetzov's modified format (magic a1b2cd34, which Wireshark and tcpdump open):
    the same records, the extra 8 header bytes skipped; an FCS flag in the link type's
    upper bits does not change the link type."""
    p = tmp_path / "m.pcap"
    p.write_bytes(_pcap(endian, modified=True, linktype=0x14000000 | 127))
    batches, stats = _all(p)
    got = _flat(batches)
    assert [(d, o, lt) for _, d, o, lt in got] == [(d, o, 127) for _, d, o in RECORDS]
    assert np.allclose([t for t, *_ in got], [t for t, *_ in RECORDS], atol=1e-6)
    assert stats.records == 3 and stats.damage() == 0
    p.write_bytes(_pcap(endian, modified=True)[:-5])  # cut short: the last record is counted
    batches, stats = _all(p)
    assert len(_flat(batches)) == 2 and stats.truncated_records == 1


@pytest.mark.parametrize("version, swap", [((2, 2), True), ((2, 0), True), ((543, 0), True),
                                           ((2, 3), True), ((2, 3), False)])
def test_old_pcap_versions_with_the_lengths_the_other_way_round(tmp_path, version, swap):
    """Before version 2.3 (and in DG/UX's 543.0) the original length came first; a 2.3
    file may have either order, and the smaller is the captured length (libpcap)."""
    p = tmp_path / "old.pcap"
    p.write_bytes(_pcap(version=version, swap=swap))
    got = _flat(_all(p)[0])
    assert [(d, o) for _, d, o, _ in got] == [(d, o) for _, d, o in RECORDS]


def test_analyze_recognises_a_modified_pcap_by_its_contents(tmp_path, cli_json):
    p = tmp_path / "capture.dump"  # no telling name: the magic says what it is
    p.write_bytes(_pcap(modified=True, linktype=1, records=[(1.0 + i, bytes(60), 60) for i in range(5)]))
    out = cli_json("analyze", str(p), "--json")
    assert out["format"] == "pcap" and out["frames"]["records"] == 5


@pytest.mark.parametrize("endian", ["<", ">"])
@pytest.mark.parametrize("tsresol", [None, 9, 0x80 | 20])
def test_pcapng_sections_resolutions_and_skipped_blocks(tmp_path, endian, tsresol):
    p = tmp_path / "x.pcapng"
    p.write_bytes(_pcapng(endian, tsresol))
    batches, stats = _all(p)
    got = _flat(batches)
    assert [(d, o, lt) for _, d, o, lt in got] == [(d, o, 127) for _, d, o in RECORDS]
    assert np.allclose([t for t, *_ in got], [t for t, *_ in RECORDS], atol=1e-5)
    assert stats.skipped_blocks == 1


def test_pcapng_of_an_unsupported_link_type_is_a_clear_error(tmp_path):
    p = tmp_path / "x.pcapng"
    p.write_bytes(_pcapng(linktype=113))
    with pytest.raises(InputError, match="link type 113 is not supported"):
        _all(p)
    p2 = tmp_path / "y.pcap"
    p2.write_bytes(_pcap(linktype=113))
    with pytest.raises(InputError, match="link type 113"):
        _all(p2)


def test_damaged_files_keep_what_was_readable(tmp_path):
    good = _pcap()
    p = tmp_path / "cut.pcap"
    p.write_bytes(good[:-5])  # the last record is cut short
    batches, stats = _all(p)
    assert len(_flat(batches)) == 2 and stats.truncated_records == 1
    # an absurd length: everything before it is kept, the rest cannot be resynchronised
    bad = bytearray(good)
    second = 24 + 16 + 40
    bad[second + 8:second + 12] = struct.pack("<I", 0x7FFFFFFF)
    p.write_bytes(bytes(bad))
    batches, stats = _all(p)
    assert len(_flat(batches)) == 1 and stats.corrupt_records == 1
    # an impossible length whose bytes are all there is corruption all the same
    huge = RECORDS[:1] + [(RECORDS[1][0], bytes(300 * 1024), 300 * 1024)] + RECORDS[2:]
    p.write_bytes(_pcap(records=huge))
    batches, stats = _all(p)
    assert len(_flat(batches)) == 1 and stats.corrupt_records == 1 and stats.truncated_records == 0
    ng = _pcapng()
    p.write_bytes(ng[:-7])
    batches, stats = _all(p)
    assert len(_flat(batches)) == 2 and stats.truncated_records == 1


def test_unreadable_inputs_raise_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        _all(tmp_path / "missing.pcap")
    with pytest.raises(InputError, match="directory"):
        _all(tmp_path)
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"GIF89a not a capture")
    with pytest.raises(InputError, match="not a pcap or pcapng"):
        _all(junk)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["pcap", "pcapng", "modified", "v2.3"]))
def test_random_damage_never_crashes(tmp_path_factory, tail, kind):
    """A valid header followed by arbitrary bytes: records are delivered or counted."""
    head = (_pcapng(records=[]) if kind == "pcapng" else
            _pcap(modified=kind == "modified", version=(2, 3) if kind == "v2.3" else (2, 4))[:24])
    kind = "pcapng" if kind == "pcapng" else "pcap"
    p = tmp_path_factory.mktemp("fuzz") / f"f.{kind}"
    p.write_bytes(head + tail)
    try:
        batches, stats = _all(p)
    except InputError:
        return  # e.g. a pcapng whose only interface has an unsupported link type
    for b in batches:
        assert np.all(b.offset + b.caplen <= b.data.size)
        assert np.all(b.origlen >= b.caplen)


def test_writer_round_trip_and_snaplen(tmp_path):
    batch = RawBatch.from_records(127, RECORDS)
    p = tmp_path / "w.pcap"
    assert write_pcap(p, [batch, batch]) == 6
    got = _flat(_all(p)[0])
    assert [(d, o) for _, d, o, _ in got] == [(d, o) for _, d, o in RECORDS] * 2
    with PcapWriter(tmp_path / "s.pcap", 127, snaplen=20) as w:
        w.write(batch)
    got = _flat(_all(tmp_path / "s.pcap")[0])
    assert [len(d) for _, d, _, _ in got] == [20, 20, 14]
    assert [o for _, _, o, _ in got] == [1500, 60, 98]  # original lengths survive


def test_small_batches_and_replay_source(tmp_path):
    p = tmp_path / "x.pcap"
    p.write_bytes(_pcap())
    batches, _ = _all(p, batch_records=2)
    assert [len(b) for b in batches] == [2, 1]
    src = PcapReplaySource(p)
    assert src.linktype == 127
    n = 0
    while (b := src.read_batch()) is not None:
        n += len(b)
    assert n == 3


@pytest.mark.skipif(not BLINK.exists(), reason="../shared/data not present")
def test_real_capture_round_trips_byte_for_byte(tmp_path):
    batches, stats = _all(BLINK, batch_records=5000)
    assert stats.records == 24022 and stats.damage() == 0
    assert batches[0].linktype == 1
    out = tmp_path / "copy.pcap"
    write_pcap(out, batches)
    assert out.read_bytes() == BLINK.read_bytes()
