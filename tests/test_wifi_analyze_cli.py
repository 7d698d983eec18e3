"""`sweeper analyze FILE.pcap` as a user runs it: the real captures, the JSON contract,
and one-line errors with exit 2 for input that is not a capture."""
import json
import os
import struct

import pytest

from conftest import BLINK_CAMERA, BLINK_MAC, SIFELY_HUB

needs_shared = pytest.mark.skipif(not os.path.exists(BLINK_CAMERA), reason="../shared/data not present")
SIFELY_MAC = "f4:cf:a2:eb:59:c4"


@needs_shared
def test_real_battery_camera_capture_is_found_by_its_recurring_clips(cli_json):
    """The Blink uploads a recorded clip each time motion wakes it: TLS transfers of full
    segments clocked by the server's ACKs, with no frame clock and no frame boundaries.
    What gives it away is that the clips recur: 430-600 kB each, sent at the path's
    speed after a silence. That is a suspicion (a file upload looks the same), so the
    verdict is SUSPECT, never CAMERA, and the reasons say both. The gateway, whose MAC
    sources every download from the internet, must not be taken for an uploader."""
    out = cli_json("analyze", BLINK_CAMERA, "--json")
    assert out["frames"]["parsed"] == out["frames"]["records"] == 24022
    assert out["verdict"] == "SUSPECT"
    assert [f["mac"] for f in out["findings"]] == [BLINK_MAC]
    blink = out["findings"][0]
    assert blink["type"] == "wifi_camera" and blink["verdict"] == "suspect"
    assert blink["vendor"] == "Texas Instruments"  # from the packaged IEEE registry
    assert blink["uplink_kbps"] > 1000  # its clip uploads, at their peak
    assert blink["role"] == "wired" and blink["channel"] is None and blink["rssi_dbm"] is None
    why = " ".join(blink["reasons"])
    assert "short one-way uploads of similar size" in why and "not proof" in why
    assert "no frame clock" in why  # the window cues still say what they saw
    gateway = [d for d in out["devices"] if d["role"] == "gateway"]
    assert len(gateway) == 1 and gateway[0]["uplink_kbps"] == 0.0


@needs_shared
def test_real_non_camera_capture_is_clear(cli_json):
    out = cli_json("analyze", SIFELY_HUB, "--json")
    assert out["verdict"] == "CLEAR" and out["findings"] == []
    macs = {d["mac"] for d in out["devices"]}
    assert SIFELY_MAC in macs
    hub = next(d for d in out["devices"] if d["mac"] == SIFELY_MAC)
    assert hub["vendor"].startswith("Espressif")  # a camera-module maker: a hint, not a verdict


@needs_shared
def test_pcapng_and_damaged_copies_of_the_camera_capture(tmp_path, cli_json):
    raw = open(BLINK_CAMERA, "rb").read()
    # pcapng version of the same records
    def block(t, body):
        body += b"\0" * ((-len(body)) % 4)
        return struct.pack("<II", t, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
    ng = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    ng += block(1, struct.pack("<HHI", 1, 0, 65535))
    off = 24
    while off < len(raw):
        sec, usec, cl, ol = struct.unpack_from("<IIII", raw, off)
        t = sec * 1_000_000 + usec
        ng += block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF, cl, ol) + raw[off + 16:off + 16 + cl])
        off += 16 + cl
    p = tmp_path / "cam.pcapng"
    p.write_bytes(ng)
    ref = cli_json("analyze", BLINK_CAMERA, "--json")
    out = cli_json("analyze", str(p), "--json")
    assert out["format"] == "pcapng"
    assert (out["verdict"], out["findings"], out["devices"]) == (ref["verdict"], ref["findings"], ref["devices"])
    # cut mid-record: what was read is analysed, the cut is counted
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(raw[:len(raw) * 3 // 4 + 7])
    out = cli_json("analyze", str(cut), "--json")
    assert out["frames"]["file_truncated_records"] == 1
    assert out["frames"]["parsed"] < ref["frames"]["parsed"]
    assert [d["mac"] for d in out["findings"]] == [BLINK_MAC]  # clips recur before the cut too


@pytest.mark.parametrize("content,name,message", [
    (b"", "empty.pcap", "not a pcap or pcapng"),
    (b"\xd4\xc3\xb2\xa1\x02\x00", "short.pcap", "shorter than a pcap header"),
    (b"hello, this is text", "notes.pcapng", "not a pcap or pcapng"),
])
def test_unreadable_captures_exit_2_with_one_line(tmp_path, cli, content, name, message):
    p = tmp_path / name
    p.write_bytes(content)
    rc, out, err = cli("analyze", str(p), "--json")
    assert rc == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_missing_capture_exits_2(cli, tmp_path):
    rc, _, err = cli("analyze", str(tmp_path / "nothere.pcap"))
    assert rc == 2 and "no such file" in err


@needs_shared
def test_text_output_lists_the_devices_and_ends_with_the_verdict(cli, cli_json):
    rc, out, err = cli("analyze", BLINK_CAMERA)
    assert rc == 0, err
    verdict = cli_json("analyze", BLINK_CAMERA, "--json")["verdict"]
    assert BLINK_MAC in out and "gateway" in out
    assert out.splitlines()[-1].startswith(verdict)
