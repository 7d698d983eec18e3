"""The frame parser against scapy's dissector (an independent oracle), by hand-built
headers for the radiotap corners scapy does not write, and under fuzzing: damaged or
hostile frames are counted and skipped, never a crash."""
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sweeper.wifi.frames import (FC_PROTECTED, FC_RETRY, FTYPE_CTRL, FTYPE_DATA, FTYPE_MGMT,
                                 PATH_FORWARDED, PATH_UNKNOWN, QOS_AMSDU, QOS_PRESENT, header_bytes, is_group, is_local,
                                 mac_from_str, mac_to_str, parse_batch, strip_payloads)
from sweeper.wifi.source import RawBatch

scapy_all = pytest.importorskip("scapy.all")
RadioTap, Dot11, Dot11QoS = scapy_all.RadioTap, scapy_all.Dot11, scapy_all.Dot11QoS
Dot11Beacon, Dot11Elt, raw = scapy_all.Dot11Beacon, scapy_all.Dot11Elt, scapy_all.raw

CAM, AP, PHONE = "f4:b8:5e:ff:2b:1b", "00:11:22:33:44:55", "da:a1:19:00:00:01"


def ccmp(body_len: int, key_id: int = 0) -> bytes:
    """A CCMP header (ExtIV set) + encrypted body + 8-byte MIC."""
    return bytes([1, 0, 0, 0x20 | key_id << 6, 0, 0, 0, 0]) + b"\xa5" * body_len + b"\x5a" * 8


def rt(**kw):
    return RadioTap(present="TSFT+Flags+Rate+Channel+dBm_AntSignal+Antenna", Rate=108,
                    ChannelFrequency=2437, ChannelFlags=0xa0, dBm_AntSignal=-42, Antenna=1, **kw)


def parse_one(frame: bytes, linktype=127, origlen=None):
    b = RawBatch.from_records(linktype, [(1.5, frame, origlen or len(frame))])
    frames, stats, ssids = parse_batch(b)
    return frames, stats, ssids


def test_qos_data_to_ds_protected_matches_scapy():
    ip_len = 1400
    pkt = rt(Flags="FCS") / Dot11(type=2, subtype=8, FCfield=0x41, addr1=AP, addr2=CAM, addr3=AP) \
        / Dot11QoS(TID=5)
    frame = raw(pkt) + ccmp(ip_len + 8) + b"\0\0\0\0"  # + LLC/SNAP inside, + FCS
    f, stats, _ = parse_one(frame)
    assert stats.parsed == 1
    d = RadioTap(frame)
    r = f[0]
    assert mac_to_str(r["ta"]) == d.addr2 == CAM
    assert mac_to_str(r["ra"]) == d.addr1 == AP
    assert mac_to_str(r["bssid"]) == AP  # to-DS: the BSSID is addr1
    assert r["rssi"] == d.dBm_AntSignal == -42
    assert r["freq"] == d.ChannelFrequency == 2437
    assert r["rate"] == 2 * d.Rate == 216  # 500 kbit/s units; scapy shows Mbit/s
    assert (r["ftype"], r["subtype"]) == (FTYPE_DATA, 8)
    assert r["fcflags"] & 3 == int(d.FCfield) & 3 == 1  # to-DS bit, tested as a bit
    assert r["fcflags"] & FC_PROTECTED
    assert r["qos"] == QOS_PRESENT
    assert r["length"] == len(frame) - len(raw(rt(Flags="FCS"))) - 4  # no radiotap, no FCS
    assert r["l3len"] == ip_len


def test_from_ds_retry_amsdu_and_four_address():
    pkt = rt() / Dot11(type=2, subtype=8, FCfield=0x02 | FC_RETRY | 0x40, addr1=PHONE, addr2=CAM,
                       addr3=CAM) / Dot11QoS(A_MSDU_Present=1)
    f, _, _ = parse_one(raw(pkt) + ccmp(1000))
    r = f[0]
    assert mac_to_str(r["bssid"]) == CAM  # from-DS: addr2 is the BSSID (a camera in AP mode)
    assert r["fcflags"] & FC_RETRY and r["qos"] == QOS_PRESENT | QOS_AMSDU
    assert r["l3len"] == 1000 - 8
    wds = rt() / Dot11(type=2, subtype=8, FCfield=0x43, addr1=AP, addr2=CAM, addr3=AP, addr4=PHONE) \
        / Dot11QoS()
    f, stats, _ = parse_one(raw(wds) + ccmp(500))
    assert stats.parsed == 1 and f[0]["bssid"] == 0 and f[0]["l3len"] == 500 - 8


def test_an_access_point_relaying_someone_elses_packets_is_not_sending_its_own():
    """From-DS data names its source in the third address: the router (the internet) or
    another station when an access point relays; the access point itself when it is
    the sender, as a camera that is its own access point is."""
    router = "00:11:22:33:44:00"
    relayed = rt() / Dot11(type=2, subtype=8, FCfield=0x42, addr1=PHONE, addr2=AP, addr3=router) / Dot11QoS()
    own = rt() / Dot11(type=2, subtype=8, FCfield=0x42, addr1=PHONE, addr2=CAM, addr3=CAM) / Dot11QoS()
    up = rt() / Dot11(type=2, subtype=8, FCfield=0x41, addr1=AP, addr2=PHONE, addr3=router) / Dot11QoS()
    paths = [int(parse_one(raw(p) + ccmp(900))[0][0]["path"]) for p in (relayed, own, up)]
    assert paths == [PATH_FORWARDED, PATH_UNKNOWN, PATH_UNKNOWN]


def test_null_data_beacon_and_control_frames():
    null = rt() / Dot11(type=2, subtype=4, FCfield=0x01, addr1=AP, addr2=PHONE, addr3=AP)
    beacon = rt() / Dot11(type=0, subtype=8, addr1="ff:ff:ff:ff:ff:ff", addr2=AP, addr3=AP) \
        / Dot11Beacon() / Dot11Elt(ID=0, info=b"Hotel Guest") / Dot11Elt(ID=3, info=b"\x06")
    ack = rt() / Dot11(type=1, subtype=13, addr1=CAM)
    rts = rt() / Dot11(type=1, subtype=11, addr1=AP, addr2=CAM)
    b = RawBatch.from_records(127, [(1.0, raw(p), len(raw(p))) for p in (null, beacon, ack, rts)])
    f, stats, ssids = parse_batch(b)
    assert stats.parsed == 4
    assert f[0]["l3len"] == 0 and f[0]["ftype"] == FTYPE_DATA
    assert f[1]["ftype"] == FTYPE_MGMT and f[1]["l3len"] == -1
    assert ssids == {mac_from_str(AP): "Hotel Guest"}
    assert f[2]["ftype"] == FTYPE_CTRL and mac_to_str(f[2]["ra"]) == CAM and f[2]["ta"] == 0
    assert mac_to_str(f[3]["ta"]) == CAM


def test_hostile_ssids_become_printable_text():
    """A network named with terminal escapes or a bidi override must not reach a terminal,
    log or report as control characters."""
    hostile = b"\x1b[2J\x1b]0;pwned\x07Free\xe2\x80\xaeWiFi\xff"
    beacon = rt() / Dot11(type=0, subtype=8, addr1="ff:ff:ff:ff:ff:ff", addr2=AP, addr3=AP) \
        / Dot11Beacon() / Dot11Elt(ID=0, info=hostile)
    b = RawBatch.from_records(127, [(1.0, raw(beacon), len(raw(beacon)))])
    _, _, ssids = parse_batch(b)
    ssid = ssids[mac_from_str(AP)]
    assert ssid.isprintable() and "\x1b" not in ssid and "\u202e" not in ssid
    assert "Free" in ssid and "WiFi" in ssid and "[2J" in ssid  # the visible part is kept


def test_tkip_and_wep_overheads():
    hdr = raw(rt() / Dot11(type=2, subtype=0, FCfield=0x41, addr1=AP, addr2=CAM, addr3=AP))
    tkip_iv = bytes([0x12, (0x12 | 0x20) & 0x7F, 0x34, 0x20, 0, 0, 0, 0])
    f, _, _ = parse_one(hdr + tkip_iv + b"\0" * (600 + 8) + b"\0" * 12)  # body, MIC 8, ICV 4
    assert f[0]["l3len"] == 600
    wep_iv = bytes([1, 2, 3, 0x00])
    f, _, _ = parse_one(hdr + wep_iv + b"\0" * (600 + 8) + b"\0" * 4)
    assert f[0]["l3len"] == 600


def _radiotap(words, fields: bytes) -> bytes:
    body = b"".join(struct.pack("<I", w) for w in words) + fields
    return struct.pack("<BBH", 0, 0, 4 + len(body)) + body


def test_extended_bitmaps_and_vendor_namespace_alignment():
    """Three present words (radiotap ns, per-chain, vendor ns) as Intel/mt76 adapters
    emit: the TSFT that follows must be 8-aligned from the header start."""
    dot11 = raw(Dot11(type=2, subtype=0, FCfield=0x01, addr1=AP, addr2=CAM, addr3=AP)) + b"\0" * 208
    w0 = (1 << 0) | (1 << 1) | (1 << 3) | (1 << 5) | (1 << 29) | (1 << 31)
    w1 = (1 << 5) | (1 << 30) | (1 << 31)  # second radiotap word: per-chain signal; then vendor
    w2 = 0  # vendor namespace word
    # header: 4 + 3*4 = 16 bytes -> TSFT at 16 (already 8-aligned), flags at 24,
    # channel aligned to 26, antsignal at 30
    fields = struct.pack("<Q", 123) + bytes([0x00]) + b"\0" + struct.pack("<HH", 5180, 0x140) \
        + struct.pack("<b", -67) + b"\0" + struct.pack("<b", -70) + b"\0" * 7
    frame = _radiotap([w0, w1, w2], fields) + dot11
    f, stats, _ = parse_one(frame)
    assert stats.parsed == 1
    assert f[0]["freq"] == 5180 and f[0]["rssi"] == -67
    assert mac_to_str(f[0]["ta"]) == CAM
    # one present word: TSFT must be padded from offset 8? it is already 8-aligned; with
    # only Flags+Channel the channel is 2-aligned after the 1-byte flags
    frame = _radiotap([(1 << 1) | (1 << 3) | (1 << 5)], bytes([0x10, 0]) + struct.pack("<HH", 2412, 0)
                      + struct.pack("<b", -30)) + dot11 + b"\0\0\0\0"
    f, _, _ = parse_one(frame)
    assert f[0]["freq"] == 2412 and f[0]["rssi"] == -30
    assert f[0]["length"] == len(dot11)  # the FCS flag (0x10) strips 4 bytes


def test_bad_fcs_frames_are_dropped_and_counted():
    pkt = rt(Flags="FCS+badFCS") / Dot11(type=2, subtype=0, addr1=AP, addr2=CAM, addr3=AP)
    frame = raw(pkt) + b"\0" * 100
    f, stats, _ = parse_one(frame)
    assert len(f) == 0 and stats.bad_fcs == 1


def test_snaplen_truncation_keeps_the_original_length():
    pkt = rt() / Dot11(type=2, subtype=8, FCfield=0x41, addr1=AP, addr2=CAM, addr3=AP) / Dot11QoS()
    full = raw(pkt) + ccmp(1480 + 8)
    f, stats, _ = parse_one(full[:80], origlen=len(full))
    assert stats.parsed == 1 and f[0]["l3len"] == 1480
    f, stats, _ = parse_one(full[:30], origlen=len(full))  # cut inside the 802.11 header
    assert len(f) == 0 and stats.truncated == 1


def test_linktype_105_and_ethernet():
    dot11 = raw(Dot11(type=2, subtype=0, FCfield=0x01, addr1=AP, addr2=CAM, addr3=AP)) + b"\0" * 100
    f, stats, _ = parse_one(dot11, linktype=105)
    assert stats.parsed == 1 and mac_to_str(f[0]["ta"]) == CAM and np.isnan(f[0]["rssi"])
    eth = bytes.fromhex("001c7f53d028f4b85eff2b1b0800") + b"\0" * 20
    f, stats, _ = parse_one(eth, linktype=1, origlen=1514)
    assert mac_to_str(f[0]["ta"]) == CAM and f[0]["l3len"] == 1500 and f[0]["ftype"] == FTYPE_DATA
    vlan = bytes.fromhex("001c7f53d028f4b85eff2b1b8100000a0800") + b"\0" * 20
    f, _, _ = parse_one(vlan, linktype=1, origlen=1518)
    assert f[0]["l3len"] == 1500
    f, stats, _ = parse_one(eth[:10], linktype=1, origlen=60)
    assert len(f) == 0 and stats.truncated == 1


def test_saved_records_keep_headers_and_drop_payloads():
    rt_len = len(raw(rt(Flags="FCS")))
    data = raw(rt(Flags="FCS") / Dot11(type=2, subtype=8, FCfield=0x41, addr1=AP, addr2=CAM, addr3=AP)
               / Dot11QoS()) + ccmp(1400) + b"\0" * 4
    beacon = raw(rt() / Dot11(type=0, subtype=8, addr1="ff:ff:ff:ff:ff:ff", addr2=AP, addr3=AP)
                 / Dot11Beacon() / Dot11Elt(ID=0, info=b"Hotel"))
    eth = bytes.fromhex("001c7f53d028f4b85eff2b1b0800") + b"\x45" + b"\0" * 59
    b = RawBatch.from_records(127, [(1.0, data, len(data)), (1.1, beacon, len(beacon))])
    assert list(header_bytes(b)) == [rt_len + 26 + 8, len(beacon)]  # CCMP header kept, body not
    before, _, _ = parse_batch(b)
    after, _, ssids = parse_batch(strip_payloads(b))
    assert (after == before).all() and ssids  # nothing the detector uses is lost
    e = RawBatch.from_records(1, [(1.0, eth, 1514)])
    assert list(header_bytes(e)) == [14]  # not even the IP header (addresses) is kept


def test_address_bits():
    assert is_group(mac_from_str("01:00:5e:00:00:fb")) and not is_group(mac_from_str(CAM))
    assert is_local(mac_from_str(PHONE)) and not is_local(mac_from_str(CAM))


# ---------------------------------------------------------------- fuzzing

VALID = [raw(rt(Flags="FCS") / Dot11(type=2, subtype=8, FCfield=0x41, addr1=AP, addr2=CAM, addr3=AP)
             / Dot11QoS()) + ccmp(300) + b"\0" * 4,
         raw(rt() / Dot11(type=0, subtype=8, addr1="ff:ff:ff:ff:ff:ff", addr2=AP, addr3=AP)
             / Dot11Beacon() / Dot11Elt(ID=0, info=b"x" * 32)),
         raw(rt() / Dot11(type=1, subtype=13, addr1=CAM))]


def _check_invariants(batch):
    keep = header_bytes(batch)
    assert np.all((keep >= 0) & (keep <= batch.caplen))
    frames, stats, ssids = parse_batch(batch)
    assert stats.records == len(batch)
    assert stats.parsed == len(frames)
    assert stats.parsed + stats.truncated + stats.malformed + stats.bad_fcs == stats.records
    assert np.all(frames["length"] >= 10)
    assert np.all(frames["l3len"] >= -1)
    assert all(isinstance(s, str) and len(s) <= 32 for s in ssids.values())
    return frames


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(range(len(VALID))), st.integers(0, 400),
                          st.lists(st.tuples(st.integers(0, 399), st.integers(0, 255)), max_size=6),
                          st.integers(0, 2000)), min_size=1, max_size=20),
       st.sampled_from([127, 105]))
def test_mutated_frames_never_crash(specs, linktype):
    """Valid frames with bytes flipped, cut anywhere, and lying original lengths."""
    recs = []
    for i, cut, flips, extra in specs:
        b = bytearray(VALID[i])
        for pos, val in flips:
            if pos < len(b):
                b[pos] = val
        b = bytes(b[:cut])
        recs.append((float(len(recs)), b, len(b) + extra))
    _check_invariants(RawBatch.from_records(linktype, recs))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=120), min_size=1, max_size=30), st.sampled_from([1, 105, 127]))
def test_random_bytes_never_crash(blobs, linktype):
    _check_invariants(RawBatch.from_records(linktype, [(0.0, b, len(b)) for b in blobs]))


def test_radiotap_that_lies_about_its_length_is_malformed_not_a_crash():
    # present word chain that never ends inside the header
    frame = struct.pack("<BBHI", 0, 0, 12, 0x80000000) + struct.pack("<I", 0x80000000) + b"\0" * 40
    f, stats, _ = parse_one(frame)
    assert len(f) == 0 and stats.malformed == 1
    # it_len larger than the capture: truncated
    frame = struct.pack("<BBHI", 0, 0, 4000, 0) + b"\0" * 40
    f, stats, _ = parse_one(frame)
    assert len(f) == 0 and stats.truncated == 1
    # fields announced that do not fit inside it_len
    frame = struct.pack("<BBHI", 0, 0, 8, 0x2F) + b"\0" * 60
    f, stats, _ = parse_one(frame)
    assert len(f) == 0 and stats.malformed == 1
