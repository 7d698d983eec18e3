"""Write the fuzzing seeds under tests/fuzz_corpus/seeds/<target>/ (run from anywhere:
``python tests/fuzz_corpus/make_seeds.py``). Every seed is built here byte by byte, a
few hundred bytes each: valid inputs of each kind the fuzzers then mutate. Nothing is
copied from a public fuzz corpus or a real capture.

Each seed file holds the input of one target in tests/fuzz_targets.py exactly as the
target takes it (so ``frames`` seeds carry that target's first link-type byte and its
record framing, ``sigmf`` seeds the meta and the data joined by its separator).
"""
from __future__ import annotations

import io
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/, for fuzz_targets
from fuzz_targets import SIGMF_SPLIT  # noqa: E402

SEEDS = os.path.join(HERE, "seeds")

CAM = bytes.fromhex("a0b1c2d3e4f5")
AP = bytes.fromhex("001122334455")
BCAST = b"\xff" * 6


def radiotap(freq=2437, signal=-40, flags=0x00) -> bytes:
    # present: flags (1), rate (2), channel (3), dBm antenna signal (5)
    body = struct.pack("<BB", flags, 22) + struct.pack("<HH", freq, 0x00A0) + struct.pack("<b", signal)
    return struct.pack("<BBHI", 0, 0, 8 + len(body), 0x2E) + body


def ipv4_udp_rtp(payload_len=40, dst=b"\x08\x08\x08\x08") -> bytes:
    rtp = struct.pack(">BBHII", 0x80, 0x80 | 96, 1, 90000, 0x1234) + b"\x00" * payload_len
    udp = struct.pack(">HHHH", 5004, 5004, 8 + len(rtp), 0) + rtp
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     b"\xc0\xa8\x01\x0a", dst)
    return ip + udp


def qos_data(protected=False, body=None) -> bytes:
    fc1 = 0x01 | (0x40 if protected else 0)  # to DS
    hdr = struct.pack("<BBH", 0x88, fc1, 44) + AP + CAM + AP + b"\x10\x00" + b"\x00\x00"
    if protected:  # CCMP header: ExtIV set
        hdr += bytes([1, 0, 0, 0x20, 0, 0, 0, 0])
        return hdr + (body or b"\xaa" * 64) + b"\x00" * 8
    return hdr + b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + (body or ipv4_udp_rtp())


def beacon(ssid=b"cam-1234") -> bytes:
    hdr = struct.pack("<BBH", 0x80, 0, 0) + BCAST + CAM + CAM + b"\x20\x00"
    fixed = b"\x00" * 8 + struct.pack("<HH", 100, 0x0401)
    return hdr + fixed + bytes([0, len(ssid)]) + ssid + bytes([1, 1, 0x82])


def ack() -> bytes:
    return struct.pack("<BBH", 0xD4, 0, 0) + CAM


def rts() -> bytes:
    return struct.pack("<BBH", 0xB4, 0, 100) + AP + CAM


def ethernet() -> bytes:
    return AP + CAM + b"\x08\x00" + ipv4_udp_rtp()


def pcap(linktype, records, magic=0xA1B2C3D4, endian="<", version=(2, 4)) -> bytes:
    out = io.BytesIO()
    out.write(struct.pack(endian + "IHHiIII", magic, version[0], version[1], 0, 0, 65535, linktype))
    modified = magic == 0xA1B2CD34
    for i, raw in enumerate(records):
        out.write(struct.pack(endian + "IIII", 1_700_000_000 + i, 1000 * i, len(raw), len(raw)))
        if modified:
            out.write(struct.pack(endian + "IHBB", 2, 0x0800, 0, 0))
        out.write(raw)
    return out.getvalue()


def _block(btype, body, endian="<") -> bytes:
    body += b"\x00" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(endian + "II", btype, n) + body + struct.pack(endian + "I", n)


def pcapng(linktype, records, endian="<") -> bytes:
    shb = _block(0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1), endian)
    idb = _block(1, struct.pack(endian + "HHI", linktype, 0, 65535), endian)
    out = [shb, idb, _block(3, struct.pack(endian + "I", 4) + b"spb!", endian)]  # a simple packet block
    for i, raw in enumerate(records):
        ts = 1_700_000_000_000_000 + 1000 * i
        out.append(_block(6, struct.pack(endian + "IIIII", 0, ts >> 32, ts & 0xFFFFFFFF,
                                          len(raw), len(raw) + (i % 2) * 100) + raw, endian))
    out.append(_block(5, struct.pack(endian + "IIII", 0, 0, 0, 0), endian))  # statistics: skipped
    return b"".join(out)


def framed(linktype_index, records) -> bytes:
    """The frames target's input: link-type byte, then [caplen u16][extra u8][bytes]."""
    out = bytes([linktype_index])
    for raw, extra in records:
        out += struct.pack("<HB", len(raw), extra) + raw
    return out


def npy(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def build() -> dict:
    rt_frames = [radiotap() + f for f in (beacon(), qos_data(), qos_data(True), ack(), rts())]
    rt_frames.append(radiotap(flags=0x10) + qos_data() + b"\x00\x00\x00\x00")  # with FCS
    plain = [beacon(), qos_data(), ack()]
    eth = [ethernet(), ethernet()[:30]]
    rng = np.random.default_rng(15)
    tone = np.exp(2j * np.pi * 0.05 * np.arange(256)).astype(np.complex64)
    seeds = {
        "capture": {
            "radiotap.pcap": pcap(127, rt_frames),
            "dot11_be.pcap": pcap(105, plain, magic=0xA1B2C3D4, endian=">"),
            "ethernet_ns.pcap": pcap(1, eth, magic=0xA1B23C4D),
            "modified.pcap": pcap(127, rt_frames[:3], magic=0xA1B2CD34),
            "old_swapped.pcap": pcap(105, plain, version=(2, 2)),
            "radiotap.pcapng": pcapng(127, rt_frames),
            "ethernet_be.pcapng": pcapng(1, eth, endian=">"),
        },
        "frames": {
            "radiotap.bin": framed(2, [(f, 0) for f in rt_frames]),
            "dot11.bin": framed(1, [(f, 20) for f in plain]),
            "ethernet.bin": framed(0, [(f, 0) for f in eth]),
        },
        "recording": {
            "tone.cu8": b"\x00" + np.clip(127.5 + 100 * tone.view(np.float32), 0, 255).astype(np.uint8).tobytes(),
            "tone.cs8": b"\x01" + np.clip(100 * tone.view(np.float32), -128, 127).astype(np.int8).tobytes(),
            "tone.cf32": b"\x02" + tone[:64].tobytes(),
            "tone.npy": b"\x03" + npy(tone[:64]),
            "pairs.npy": b"\x03" + npy(rng.standard_normal((2, 16, 2)).astype(np.float32)),
            "captures_f.npy": b"\x03" + npy(np.asfortranarray(np.tile(tone[:16], (3, 1)))),
        },
        "sigmf": {
            "cu8.sigmf": json.dumps({
                "global": {"core:datatype": "cu8", "core:sample_rate": 2400000, "core:version": "1.0.0"},
                "captures": [{"core:sample_start": 0, "core:frequency": 1.2e9}],
                "annotations": []}).encode() + SIGMF_SPLIT + bytes(range(256)),
            "cf32.sigmf": json.dumps({
                "global": {"core:datatype": "cf32_le", "core:sample_rate": 1e6},
                "captures": [{"core:sample_start": 0}]}).encode() + SIGMF_SPLIT + tone[:32].tobytes(),
            "ci16.sigmf": json.dumps({
                "global": {"core:datatype": "ci16_be", "core:sample_rate": 2048000, "core:num_channels": 1},
                "captures": [{"core:frequency": 5.8e9}, {"core:sample_start": 8, "core:frequency": 5.8e9}]}
            ).encode() + SIGMF_SPLIT + bytes(64),
        },
        "config": {
            "full.yaml": (
                "# a config touching each section\n"
                "rf:\n  gain_db: 30\n  rtl_tcp: &net {host: 127.0.0.1, port: 1234}\n"
                "  bands: [2.4GHz, {name: low, start_mhz: 900, stop_mhz: 930}]\n"
                "wifi:\n  channels: [1, 6, 11]\n  dwell_s: 0.5\n"
                "detection:\n  video: {camera_score: 0.8, suspect_score: 0.5}\n"
                "display: {rotate: 2}\n"
                "venue:\n  room: 'Room 12'\n  rooms: [a, b]\n"
                "output:\n  log_level: info\n").encode(),
            "empty.yaml": b"",
            "flow.yaml": b"{rf: {gain_db: auto}, wifi: {dwell_s: 0.5}}\n",
        },
        "control": {
            "sweep.json": b'{"sweep": {"trigger": "timer"}}',
            "room.json": b'{"sweep": {"room": "Room 12", "trigger": "remote"}}',
            "bad_room.json": b'{"sweep": {"room": "\\u001b[2J"}}',
        },
    }
    return seeds


def main() -> None:
    for target, files in build().items():
        d = os.path.join(SEEDS, target)
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
    print(f"wrote seeds under {SEEDS}")


if __name__ == "__main__":
    main()
