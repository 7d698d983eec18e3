"""Wi-Fi traffic simulator: frames dissect as the events say (scapy as the oracle), on-air
lengths, snaplen, Ethernet, each device kind has the physical property it models,
spans join seamlessly, parameters vary, random rooms are labelled right, the live
source retunes and keeps time, and scene-file errors name file:line and key."""
import struct
import time
import zlib

import numpy as np
import pytest

from sweeper.errors import HardwareError, InputError
from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.devices import DEVICES, NEGATIVE_KINDS, Bss
from sweeper.sim.wifi.live import SimulatedWifiSource
from sweeper.sim.wifi.render import CaptureProfile, render
from sweeper.wifi.channels import channel_to_mhz
from sweeper.sim.wifi.room import (DeviceSpec, WifiScene, default_wifi_scene, load_wifi_scene, parse_wifi_scene,
                                   random_room)

scapy_all = pytest.importorskip("scapy.all")
from scapy.layers.dot11 import Dot11, Dot11Beacon, Dot11Elt, Dot11EltDSSSet, RadioTap  # noqa: E402
from scapy.layers.inet import IP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402


# ---- helpers ---------------------------------------------------------------------------------
def make(kind, rng, **over):
    """One device of ``kind`` with random parameters (overridden by ``over``), on an AP."""
    cls = DEVICES[kind]
    p = cls.random_params(rng)
    p.update(over)
    ap = Bss(E.random_mac(rng, "ap"), "home", 6, -50.0)
    return cls(p, bss=None if cls.owns_bss(p) else ap, rssi_dbm=-55.0,
               neighbors=[ap, Bss(E.random_mac(rng, "ap"), "other", 1, -70.0)], index=3)


def run(dev, dur, rng, step=1.0):
    parts, t = [], 0.0
    while t < dur - 1e-12:
        t1 = min(dur, t + step)
        ev = dev.generate(t, t1, rng)
        assert np.all((ev["ts"] >= t) & (ev["ts"] < t1)), "frames outside their span"
        parts.append(ev)
        t = t1
    ev = E.concat(parts)
    assert np.all(np.diff(ev["ts"]) >= 0)
    return ev


def uplink(ev, mac):
    return (ev["ta"] == mac) & (ev["l3len"] > 0) & np.isin(ev["kind"], E.DATA_KINDS)


def downlink(ev, mac):
    return (ev["ra"] == mac) & (ev["l3len"] > 0) & np.isin(ev["kind"], E.DATA_KINDS)


def byte_series(ev, mask, dur, dt=0.001):
    s = np.zeros(int(round(dur / dt)) + 1)
    np.add.at(s, (ev["ts"][mask] / dt).astype(int), ev["l3len"][mask])
    return s


def acf(x, maxlag):
    x = x - x.mean()
    f = np.fft.rfft(x, 2 * len(x))
    a = np.fft.irfft(f * np.conj(f))[:maxlag]
    return a / a[0]


def frame_rate_peak(ev, mask, dur, fps):
    """Autocorrelation of the byte series at the frame period vs. its typical level."""
    a = acf(byte_series(ev, mask, dur), 600)
    lag = int(round(1000.0 / fps))
    return float(a[lag - 2: lag + 3].max()), float(np.median(np.abs(a[5:600])))


def all_kinds_events(rng, dur=3.0):
    """Frames of every kind from one device of each kind (plus a random room's),
    with scene-assigned sequence numbers."""
    scene = random_room(rng, camera=True, n_negatives=3, max_start_s=0.5)
    ap = next(i for i, d in enumerate(scene.devices) if d.kind == "access_point")
    for kind in NEGATIVE_KINDS + ("camera",):
        cls = DEVICES[kind]
        p = cls.random_params(rng)
        p.update({k: 0.0 for k in ("start_s",) if k in p})
        if kind == "phone_idle":
            p.update(scan_s=1.0, associated=True)
        if kind == "camera":
            p.update(mode="ap", open_ap=True)  # clear-text frames too
        own = cls.owns_bss(p)
        scene.devices.append(DeviceSpec(kind, cls.check_params(p), E.random_mac(rng, cls.MAC_POOL),
                                        scene.devices[ap].channel, -50.0, kind, ssid="x" if own else None,
                                        ap=None if own else ap))
    r = scene.build()
    ev = r.step(0.0, dur, rng)
    return scene, r, ev


# ---- events and addresses --------------------------------------------------------------------
def test_mac_helpers_and_vendor_pools():
    rng = np.random.default_rng(0)
    assert E.int_to_mac(E.mac_to_int("24:0A:C4:12:34:56")) == "24:0a:c4:12:34:56"
    assert E.mac_to_int("240ac4123456") == E.mac_to_int(bytes.fromhex("240ac4123456")) == 0x240AC4123456
    with pytest.raises(ValueError):
        E.mac_to_int("24:0a:c4:12:34")
    assert E.is_group(E.BROADCAST) and E.is_group(E.ipv4_multicast_mac("239.1.2.3"))
    assert E.int_to_mac(E.ipv4_multicast_mac("224.0.0.251")) == "01:00:5e:00:00:fb"
    for pool in E.POOLS:
        for _ in range(20):
            m = E.random_mac(rng, pool)
            assert not E.is_local(m) and not E.is_group(m)
            assert E.oui_vendor(m) is not None
    vendors = {E.oui_vendor(E.random_mac(rng, "camera")) for _ in range(200)}
    assert any("Espressif" in v for v in vendors) and len(vendors) > 15
    for _ in range(50):
        m = E.random_local_mac(rng)
        assert E.is_local(m) and not E.is_group(m)
    arr = np.array([0x240AC4123456, E.BROADCAST], np.uint64)
    assert E.mac_bytes(arr)[0].tobytes() == bytes.fromhex("240ac4123456")
    assert E.is_group(arr).tolist() == [False, True]


# ---- rendering --------------------------------------------------------------------------------
@pytest.mark.parametrize("layout,fcs,linktype", [("basic", False, 127), ("ext", True, 127), ("basic", True, 105)])
def test_rendered_frames_dissect_as_the_events_say(layout, fcs, linktype):
    rng = np.random.default_rng(2)  # a room whose 3 s hold every frame kind
    scene, r, ev = all_kinds_events(rng)
    prof = CaptureProfile(layout=layout, fcs=fcs)
    batch = render(ev, linktype, None, profile=prof, bss=r.bss, rng=rng)
    assert len(batch) == len(ev) and batch.linktype == linktype
    kinds_seen = set()
    # every frame kind, and a spread of the rest
    pick = np.unique(np.concatenate([np.unique(ev["kind"], return_index=True)[1],
                                     np.unique(ev["device"], return_index=True)[1],
                                     np.linspace(0, len(ev) - 1, 150).astype(int)]))
    for i in pick:
        e = ev[i]
        raw = batch.record(int(i))
        assert batch.origlen[i] == batch.caplen[i] == len(raw)
        if linktype == 127:
            rt = RadioTap(raw)
            assert rt.mac_timestamp == int(round(e["ts"] * 1e6))
            assert rt.Rate * 2 == min(int(e["rate"]), 255)
            assert rt.dBm_AntSignal == e["rssi"]
            assert rt.ChannelFrequency == channel_to_mhz(int(e["channel"]))
            assert bool(int(rt.Flags) & 0x10) == fcs
            d = rt.getlayer(Dot11)
            rt_len = rt.len
        else:
            d = Dot11(raw)
            rt_len = 0
        fc = int(d.FCfield)
        assert (fc & 1) == e["to_ds"] and ((fc >> 1) & 1) == e["from_ds"]
        assert ((fc >> 3) & 1) == e["retry"] and ((fc >> 6) & 1) == e["protected"]
        assert d.addr1 == E.int_to_mac(e["ra"])
        k = int(e["kind"])
        kinds_seen.add(k)
        if k == E.ACK:
            assert d.type == 1 and d.subtype == 13
        else:
            assert d.addr2 == E.int_to_mac(e["ta"])
        if k not in (E.ACK, E.BLOCK_ACK):
            a3 = e["a3"] if e["a3"] else e["bssid"]
            assert d.addr3 == E.int_to_mac(a3)
            assert d.SC >> 4 == e["seq"]
        body = len(raw) - rt_len - (4 if fcs else 0)
        if k in E.DATA_KINDS:
            hdr = 26 if k == E.QOS_DATA else 24
            assert body == hdr + e["l3len"] + E.LLC_SNAP + (E.CCMP_OVERHEAD if e["protected"] else 0)
            assert d.type == 2 and d.subtype == (8 if k == E.QOS_DATA else 0)
        if k == E.BEACON:
            b = r.bss[int(e["bssid"])]
            assert d.haslayer(Dot11Beacon)
            assert d[Dot11Elt].ID == 0 and d[Dot11Elt].info.decode() == b.ssid
            assert d[Dot11EltDSSSet].channel == b.channel
            assert bool(d[Dot11Beacon].cap & 0x10) == b.protected
        if k == E.PROBE_REQ:
            assert d.type == 0 and d.subtype == 4 and d.addr3 == "ff:ff:ff:ff:ff:ff"
        if fcs:
            (crc,) = struct.unpack("<I", raw[-4:])
            assert crc == zlib.crc32(raw[rt_len:-4])
    assert {E.QOS_DATA, E.DATA, E.BEACON, E.ACK, E.BLOCK_ACK, E.PROBE_REQ, E.PROBE_RESP} <= kinds_seen


def test_snaplen_truncates_records_but_keeps_origlen():
    rng = np.random.default_rng(2)
    scene, r, ev = all_kinds_events(rng, 2.0)
    full = render(ev, 127, None, bss=r.bss, rng=np.random.default_rng(0))
    cut = render(ev, 127, 100, bss=r.bss, rng=np.random.default_rng(0))
    assert np.array_equal(full.origlen, cut.origlen)
    assert np.array_equal(cut.caplen, np.minimum(full.origlen, 100))
    assert len(cut.data) == cut.caplen.sum() < len(full.data)
    # headers (radiotap + 802.11 + CCMP) are identical; only the cut bytes are missing
    for i in np.linspace(0, len(ev) - 1, 60).astype(int):
        a, b = full.record(int(i)), cut.record(int(i))
        e = ev[i]
        mac_hdr = {E.QOS_DATA: 26, E.QOS_NULL: 26, E.ACK: 10, E.BLOCK_ACK: 16}.get(int(e["kind"]), 24)
        n = min(len(b), 24 + mac_hdr + (8 if e["protected"] else 0))
        assert a[:n] == b[:n]
    # 105 without radiotap: 24 bytes shorter
    bare = render(ev, 105, None, bss=r.bss)
    assert np.array_equal(bare.origlen, full.origlen - 24)


def test_ethernet_rendering_is_the_wired_side():
    rng = np.random.default_rng(3)
    scene, r, ev = all_kinds_events(rng, 2.0)
    b = render(ev, 1, 96, rng=rng)
    wired = ev[np.isin(ev["kind"], E.DATA_KINDS) & (ev["l3len"] > 0) & (ev["retry"] == 0)]
    assert len(b) == len(wired) and b.linktype == 1
    assert np.array_equal(b.origlen, 14 + wired["l3len"])
    assert np.array_equal(b.caplen, np.minimum(14 + wired["l3len"], 96))
    n_ip = 0
    for i in np.linspace(0, len(b) - 1, 80).astype(int):
        e = wired[i]
        f = Ether(b.record(int(i)))
        third = e["a3"] if e["a3"] else e["bssid"]
        if e["to_ds"]:
            assert f.src == E.int_to_mac(e["ta"]) and f.dst == E.int_to_mac(third)
        elif e["from_ds"]:
            assert f.dst == E.int_to_mac(e["ra"]) and f.src == E.int_to_mac(third)
        if f.type == 0x0800 and e["l3len"] >= 20:
            n_ip += 1
            ip = f[IP]
            assert ip.len == e["l3len"] and ip.proto == e["proto"]
            hdr = bytes(b.record(int(i))[14:34])
            s = sum(struct.unpack("!10H", hdr))
            while s >> 16:
                s = (s & 0xFFFF) + (s >> 16)
            assert s == 0xFFFF  # valid header checksum
    assert n_ip > 40
    # the scene drops a hotspot camera's traffic: it never reaches the LAN
    sc = random_room(np.random.default_rng(7), camera=True, n_cameras=1, n_negatives=1)
    for d in sc.devices:
        if d.kind == "camera":
            d.params["mode"] = "ap"
            d.ap, d.ssid = None, "IPC-123456"
    cam = [d.mac for d in sc.devices if d.kind == "camera"][0]
    eth = sc.render(2.0, np.random.default_rng(0), linktype=1)
    air = sc.events(2.0, np.random.default_rng(0))
    srcs = {eth.record(i)[6:12] for i in range(len(eth))}
    assert cam.to_bytes(6, "big") not in srcs and np.any(air["ta"] == cam)


def test_render_speed_is_printed():
    """Not a pass/fail bar (machines differ): prints frames per second."""
    rng = np.random.default_rng(4)
    scene = default_wifi_scene(camera=True)
    r = scene.build()
    ev = r.step(0.0, 10.0, rng)
    render(ev[:100], 127, 128, bss=r.bss)  # templates built once
    out = {}
    for snap in (128, None):
        t = time.perf_counter()
        b = render(ev, 127, snap, bss=r.bss, rng=rng)
        out[snap] = len(b) / (time.perf_counter() - t)
    t = time.perf_counter()
    r2 = scene.build()
    n = len(r2.step(0.0, 10.0, rng))
    gen = n / (time.perf_counter() - t)
    print(f"\nrender: {out[128]:,.0f} frames/s at snaplen 128, {out[None]:,.0f} frames/s untruncated; "
          f"generation {gen:,.0f} frames/s ({len(ev)} frames in 10 s of the built-in room)")


# ---- what each kind is ------------------------------------------------------------------------
def activity(ev, mask, dur, dt=0.002):
    s = np.zeros(int(round(dur / dt)) + 1)
    s[(ev["ts"][mask] / dt).astype(int)] = 1.0
    return s


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_camera_uploads_frame_bursts_at_its_frame_rate(seed):
    rng = np.random.default_rng(100 + seed)
    fps = [10.0, 15.0, 25.0, 29.97][seed]
    dev = make("camera", rng, mode="infra", delivery="live", start_s=0.0, stop_s=-1.0, pacing=0.0, audio=False,
               bitrate_bps=float(rng.uniform(1.5e6, 4e6)), fps=fps, transport=["tcp", "udp"][seed % 2])
    ev = run(dev, 12.0, rng)
    up, dn = uplink(ev, dev.mac), downlink(ev, dev.mac)
    assert ev["l3len"][up].sum() > 8 * ev["l3len"][dn].sum()
    assert np.all(ev["to_ds"][up] == 1) and np.all(ev["ra"][up] == dev.bss.bssid)
    rate = ev["l3len"][up].sum() * 8 / 12.0
    assert 0.1 * dev.p["bitrate_bps"] < rate < 1.5 * dev.p["bitrate_bps"]
    # near-MTU packets carry most of the bytes
    big = ev["l3len"][up] >= dev.p["mtu"] - 100
    assert ev["l3len"][up][big].sum() > 0.6 * ev["l3len"][up].sum()
    # bursts recur at the frame period: autocorrelation of the video packets' activity...
    video = up & (ev["l3len"] >= 300)
    a = acf(activity(ev, video, 12.0), 300)
    lag = 500.0 / fps
    peak = a[int(np.floor(lag)) - 1: int(np.ceil(lag)) + 2].max()
    assert peak > 0.15 and peak > 2.5 * np.median(np.abs(a[3:]))
    # ...and burst onsets one frame period apart
    t = ev["ts"][video]
    onsets = t[1:][np.diff(t) > 0.3 / fps]
    assert np.median(np.diff(onsets)) * fps == pytest.approx(1.0, abs=0.1)


def test_camera_in_ap_mode_is_its_own_access_point():
    rng = np.random.default_rng(5)
    dev = make("camera", rng, mode="ap", delivery="live", start_s=1.0, stop_s=-1.0, bitrate_bps=2e6, fps=20.0)
    ev = run(dev, 5.0, rng)
    assert dev.bss.bssid == dev.mac
    beacons = ev[ev["kind"] == E.BEACON]
    assert len(beacons) > 40 and np.all(beacons["ta"] == dev.mac)
    assert np.allclose(np.median(np.diff(beacons["ts"])), 0.1024, atol=0.002)
    up = uplink(ev, dev.mac)
    assert np.all(ev["from_ds"][up] == 1) and np.all(ev["ra"][up] == dev.peer)
    assert ev["ts"][up].min() >= 1.0  # the stream starts when the phone joins
    assert E.int_to_mac(dev.peer) in {E.int_to_mac(m) for m in dev.labels()}


def test_video_call_is_bidirectional_video():
    rng = np.random.default_rng(6)
    dev = make("video_call", rng, start_s=0.0, stop_s=-1.0)
    ev = run(dev, 10.0, rng)
    up, dn = uplink(ev, dev.mac), downlink(ev, dev.mac)
    ub, db = ev["l3len"][up].sum() * 0.8 / 10, ev["l3len"][dn].sum() * 0.8 / 10
    assert ub > 0.3 * dev.p["up_bps"] / 8 and db > 0.3 * dev.p["down_bps"] / 8
    assert 0.1 < ub / db < 10
    assert ev["l3len"][up].max() <= dev.p["max_packet"]
    # audio both ways: small packets at ~50/s or more
    small_up = up & (ev["l3len"] < 250)
    assert small_up.sum() / 10 > 0.5 * 1000 / dev.p["audio_interval_ms"]


@pytest.mark.parametrize("rate", [3e6, 25e6])
def test_bulk_upload_reaches_its_rate_without_frame_periodicity(rate):
    rng = np.random.default_rng(7)
    dev = make("bulk_upload", rng, rate_bps=rate, start_s=0.0, stop_s=-1.0, loss_per_s=0.05, pause_every_mb=1e4,
               phy_rate_mbps=300.0, rate_var=0.1, cc="reno", bottleneck="path", ack_clump=1.0, paced=False)
    ev = run(dev, 8.0, rng)
    up, dn = uplink(ev, dev.mac), downlink(ev, dev.mac)
    got = ev["l3len"][(ev["ts"] > 2) & up].sum() * 8 / 6.0
    assert 0.6 * rate < got < 1.3 * rate
    assert np.mean(ev["l3len"][up] == dev.p["mtu"]) > 0.95
    assert ev["l3len"][dn].max() < 100  # ACKs only
    a = acf(byte_series(ev, up & (ev["ts"] > 2), 8.0, 0.001)[2000:], 120)
    assert a[30:110].max() < 0.25  # no peak at any video frame period (9-33 fps)


def test_video_stream_is_downlink_bursts_with_idle_gaps():
    rng = np.random.default_rng(8)
    dev = make("video_stream", rng, start_s=0.0, stop_s=-1.0, video_bps=3e6, seg_s=4.0, throughput_bps=30e6,
               buffer_s=8.0)
    ev = run(dev, 40.0, rng)
    up, dn = uplink(ev, dev.mac), downlink(ev, dev.mac)
    assert ev["l3len"][dn].sum() > 10 * ev["l3len"][up].sum()
    s = byte_series(ev, dn, 40.0, 0.1)[150:]  # steady state
    assert np.mean(s == 0) > 0.5  # idle most of the time
    assert s.max() * 10 * 8 > 10e6  # bursts well above the content rate


def test_browsing_loads_pages_down():
    rng = np.random.default_rng(9)
    dev = make("browsing", rng, start_s=0.0, think_s=5.0)
    ev = run(dev, 30.0, rng)
    up, dn = uplink(ev, dev.mac), downlink(ev, dev.mac)
    assert ev["l3len"][dn].sum() > 3 * ev["l3len"][up].sum() > 0
    s = byte_series(ev, dn, 30.0, 0.5)
    assert np.mean(s == 0) > 0.3


def test_iot_keepalive_is_sparse_and_periodic():
    rng = np.random.default_rng(10)
    dev = make("iot_keepalive", rng, interval_s=5.0, jitter=0.01, flows=1, report_s=1e5, update_s=1e6,
               broadcast_s=0.0, ps_null_s=0.0, transport="tcp", up_bytes=120)
    ev = run(dev, 60.0, rng)
    up = uplink(ev, dev.mac)
    assert (ev["l3len"][up | downlink(ev, dev.mac)].sum() * 8 / 60) < 10e3
    ka = up & (ev["retry"] == 0) & (np.abs(ev["l3len"] - 120) <= 4)
    gaps = np.diff(ev["ts"][ka])
    assert np.median(gaps) == pytest.approx(5.0, rel=0.05)


def test_access_point_beacons_and_group_traffic():
    rng = np.random.default_rng(11)
    dev = make("access_point", rng, iptv=True, iptv_m2u=False, iptv_bps=4e6, mcast_rate_mbps=24.0,
               arp_per_s=2.0, mdns_per_s=0.5, extra_ssids=1, beacon_interval_tu=100)
    ev = run(dev, 5.0, rng)
    bcn = ev[(ev["kind"] == E.BEACON) & (ev["ta"] == dev.mac)]
    assert np.median(np.diff(bcn["ts"])) == pytest.approx(0.1024, abs=0.001)
    assert len({int(b) for b in ev["bssid"][ev["kind"] == E.BEACON]}) == 2  # main + guest BSSID
    data = ev[np.isin(ev["kind"], E.DATA_KINDS)]
    assert np.all(E.is_group(data["ra"])) and np.all(data["from_ds"] == 1)
    iptv = data[(data["ra"] >> np.uint64(24)) == np.uint64(0x01005E)]
    assert iptv["l3len"].sum() * 8 / 5 == pytest.approx(4e6, rel=0.1)
    assert np.any(data["ra"] == E.BROADCAST)


def test_phone_idle_probes_from_random_macs_on_every_channel():
    rng = np.random.default_rng(12)
    dev = make("phone_idle", rng, scan_s=10.0, randomize=True, scan_5ghz=True, associated=True)
    ev = run(dev, 60.0, rng)
    pr = ev[ev["kind"] == E.PROBE_REQ]
    assert len(pr) > 20 and np.all(E.is_local(pr["ta"])) and np.all(pr["ra"] == E.BROADCAST)
    assert {1, 6, 11, 36} <= set(pr["channel"].tolist())
    assert len(set(pr["ta"].tolist())) >= 3  # a fresh address per scan
    resp = ev[ev["kind"] == E.PROBE_RESP]
    assert len(resp) and set(resp["ra"].tolist()) <= set(pr["ta"].tolist())
    assert np.any((ev["ta"] == dev.mac) & np.isin(ev["kind"], (E.NULL_DATA, E.QOS_NULL)))


# ---- continuity and variety --------------------------------------------------------------------
@pytest.mark.parametrize("kind,over", [
    ("camera", dict(mode="infra", delivery="live", start_s=0.0, stop_s=-1.0, fps=15.0, bitrate_bps=2e6, pacing=0.0,
                    rc="cbr", size_sigma=0.05, audio=False, transport="udp", stall_p=0.0)),
    ("bulk_upload", dict(rate_bps=10e6, start_s=0.0, stop_s=-1.0, loss_per_s=0.0, pause_every_mb=1e4, rate_var=0.0)),
    ("video_call", dict(start_s=0.0, stop_s=-1.0, adapt_sigma=0.0, fec_share=0.0, size_sigma=0.05)),
])
def test_spans_join_seamlessly(kind, over):
    p = DEVICES[kind].random_params(np.random.default_rng(13))
    p.update(over)
    ap = Bss(0x0011223344, "home", 6, -50.0)
    whole = DEVICES[kind](p, bss=ap, mac=0x240AC4000001)
    ev1 = run(whole, 4.0, np.random.default_rng(1), step=4.0)
    sliced = DEVICES[kind](p, bss=ap, mac=0x240AC4000001)
    ev2 = run(sliced, 4.0, np.random.default_rng(2), step=0.137)  # spans cut through bursts
    for ev in (ev1, ev2):
        up = uplink(ev, 0x240AC4000001) & (ev["retry"] == 0)
        # no duplicated frames: first transmissions of one sender never share a start time
        assert len(np.unique(ev["ts"][up])) == up.sum()
    b1 = ev1["l3len"][uplink(ev1, 0x240AC4000001)].sum()
    b2 = ev2["l3len"][uplink(ev2, 0x240AC4000001)].sum()
    assert b2 == pytest.approx(b1, rel=0.15)
    # no gap: traffic per 0.137 s span is as regular as in one piece
    n1 = np.histogram(ev1["ts"], bins=np.arange(0, 4.0, 0.137))[0]
    n2 = np.histogram(ev2["ts"], bins=np.arange(0, 4.0, 0.137))[0]
    assert n2[1:].min() > 0 and n2.mean() == pytest.approx(n1.mean(), rel=0.15)
    if kind == "camera":
        video = uplink(ev2, 0x240AC4000001) & (ev2["l3len"] >= 300)
        t = ev2["ts"][video]
        onsets = t[1:][np.diff(t) > 0.02]
        assert np.median(np.diff(onsets)) == pytest.approx(1 / 15.0, rel=0.1)


#: camera parameters a phone's live stream always takes
LIVE_STREAM_FIXED = ("mode", "open_ap", "delivery", "audio", "audio_clock_hz", "substream")


def test_random_params_vary_widely():
    rng = np.random.default_rng(14)
    for kind, cls in DEVICES.items():
        draws = [cls.random_params(rng) for _ in range(40)]
        for d in draws:
            cls.check_params(d)  # every draw is valid
        for key in cls.PARAMS:
            vals = {repr(d[key]) for d in draws}
            fixed = kind == "access_point" or (kind == "live_stream" and key in LIVE_STREAM_FIXED)
            assert len(vals) > 1 or key in ("hidden", "iptv_m2u", "scan_5ghz") or fixed, (kind, key)
    cams = [DEVICES["camera"].random_params(rng) for _ in range(300)]
    br = np.array([c["bitrate_bps"] for c in cams])
    assert br.min() >= 0.15e6 and br.max() <= 8e6 and br.max() / br.min() > 10
    assert {12.5, 29.97, 10.0, 30.0} <= {c["fps"] for c in cams}
    assert {"h264", "h265"} == {c["codec"] for c in cams} and {"tcp", "udp"} == {c["transport"] for c in cams}
    assert {"infra", "ap"} == {c["mode"] for c in cams}
    gop = np.array([c["gop_s"] for c in cams])
    assert gop.min() >= 0.25 and gop.max() <= 10.0
    mtu = np.array([c["mtu"] for c in cams])
    assert mtu.min() >= 1200 and mtu.max() <= 1500
    assert 0 < np.mean([c["start_s"] > 0 for c in cams]) < 1 and any(c["stop_s"] > 0 for c in cams)
    up = [DEVICES["bulk_upload"].random_params(rng)["rate_bps"] for _ in range(300)]
    assert min(up) < 5e6 and max(up) > 30e6 and np.mean(np.array(up) < 5e6) > 0.15
    with pytest.raises(InputError):
        DEVICES["camera"].check_params({"fsp": 10})


def test_random_rooms_are_labelled_right():
    for seed in range(6):
        rng = np.random.default_rng(200 + seed)
        sc = random_room(rng, camera=True, max_start_s=1.0)
        labels = sc.labels()
        cams = [m for m, v in labels.items() if v["camera"]]
        assert 1 <= len(cams) <= 2
        assert all(labels[m]["kind"] == "camera" for m in cams)
        assert sum(v["kind"] == "access_point" for v in labels.values()) >= 1
        ev = sc.events(4.0, rng)
        for m in cams:
            mac = E.mac_to_int(m)
            spec = [d for d in sc.devices if d.mac == mac][0]
            sent = ev[ev["ta"] == mac]
            if spec.params["delivery"] != "live":
                continue  # clip and motion cameras may be idle for the whole capture
            assert len(sent), "a labelled camera must transmit"
            if spec.params["mode"] == "ap":
                assert np.any(sent["kind"] == E.BEACON) and np.all(sent["bssid"] == mac)
            else:
                assert np.all(sent["to_ds"][np.isin(sent["kind"], E.DATA_KINDS)] == 1)
        clear = random_room(np.random.default_rng(300 + seed), camera=False)
        assert not any(v["camera"] for v in clear.labels().values())
        assert not clear.cameras()


def test_scene_sequence_numbers_and_write_pcap(tmp_path):
    sc = default_wifi_scene(camera=True)
    r = sc.build()
    rng = np.random.default_rng(15)
    ev = E.concat([r.step(t, t + 0.5, rng) for t in np.arange(0, 3.0, 0.5)])
    cam = E.mac_to_int(sc.cameras()[0])
    up = ev[(ev["ta"] == cam) & (ev["kind"] == E.QOS_DATA)]
    first = up[up["retry"] == 0]
    d = np.diff(first["seq"].astype(int)) % 4096
    assert np.all(d == 1)  # one counter, no gaps across spans
    retr = np.flatnonzero(up["retry"] == 1)
    retr = retr[retr > 0]
    assert np.all(up["seq"][retr] == up["seq"][retr - 1])
    from sweeper.wifi.pcapio import read_capture
    path = tmp_path / "room.pcap"
    n = sc.write_pcap(str(path), 3.0, np.random.default_rng(0), snaplen=128)
    batches = list(read_capture(str(path)))
    assert sum(len(b) for b in batches) == n > 1000
    assert batches[0].linktype == 127 and max(int(b.caplen.max()) for b in batches) <= 128
    assert max(int(b.origlen.max()) for b in batches) > 1500


def test_the_wifi_parser_reads_simulated_frames():
    frames = pytest.importorskip("sweeper.wifi.frames")
    rng = np.random.default_rng(16)
    scene, r, ev = all_kinds_events(rng, 2.0)
    for prof in (CaptureProfile(), CaptureProfile(layout="ext", fcs=True)):
        b = render(ev, 127, 128, profile=prof, bss=r.bss, rng=rng)
        fr, stats, ssids = frames.parse_batch(b)
        assert stats.parsed == len(ev) and stats.truncated == stats.malformed == 0
        assert np.array_equal(fr["ra"], ev["ra"])
        dat = np.isin(ev["kind"], E.DATA_KINDS)
        assert np.mean(fr["l3len"][dat] == ev["l3len"][dat]) > 0.97
        assert {r.bss[k].ssid for k in r.bss if r.bss[k].ssid} & set(ssids.values())


# ---- live source -------------------------------------------------------------------------------
def test_live_source_retunes_and_keeps_time():
    sc = default_wifi_scene(camera=True)
    by_channel = {}
    for d in sc.devices:
        by_channel.setdefault(d.channel, set()).add(d.mac)
    src = SimulatedWifiSource(sc, seed=3, start_channel=1, duration_s=6.0)
    assert src.can_tune and src.channel == 1
    from sweeper.wifi.frames import parse_batch
    b = src.read_batch(1.0)
    assert b.channel == 1 and src.clock == 1.0 and len(b) > 500
    fr, _, _ = parse_batch(b)
    assert np.all(fr["freq"] == 2412)
    assert fr["ts"].min() >= 0.0 and fr["ts"].max() < 1.0
    src.set_channel(11)
    b = src.read_batch(1.0)
    fr, _, _ = parse_batch(b)
    assert fr["ts"].min() >= 1.0 and fr["ts"].max() < 2.0 and src.clock == 2.0
    ta = set(fr["ta"].tolist())
    assert not (ta & by_channel[1] - {0})  # channel 1 is 10 channels away: nothing leaks
    assert ta & by_channel[11]
    src.set_channel(1)  # the camera kept streaming meanwhile
    b = src.read_batch(1.0)
    fr, _, _ = parse_batch(b)
    cam = E.mac_to_int(sc.cameras()[0])
    assert np.sum(fr["ta"] == cam) > 50 and fr["ts"].min() >= 2.0
    with pytest.raises(HardwareError):
        src.set_channel(15)
    assert len(src.read_batch(0.0)) == 0
    while (b := src.read_batch(1.0)) is not None:
        pass
    assert src.clock == pytest.approx(6.0)
    src2 = SimulatedWifiSource(sc, seed=3)
    src2.close()
    assert src2.read_batch(0.1) is None


def test_live_source_realtime_paces_reads():
    src = SimulatedWifiSource(default_wifi_scene(camera=False), seed=1, realtime=True)
    t = time.monotonic()
    for _ in range(3):
        src.read_batch(0.05)
    assert time.monotonic() - t >= 0.14


# ---- scene files ---------------------------------------------------------------------------------
def test_built_in_rooms():
    with_cam, clear = default_wifi_scene(True), default_wifi_scene(False)
    assert len(with_cam.cameras()) == 1 and not clear.cameras()
    lw, lc = with_cam.labels(), clear.labels()
    assert set(lw) - set(lc) == set(with_cam.cameras())
    assert all(lw[m] == lc[m] for m in lc)
    from sweeper.sim.scene import clear_scene, default_scene
    assert default_scene().emitters and clear_scene().emitters  # the RF side ignores wifi:


def _err(tmp_path, text):
    p = tmp_path / "scene.yaml"
    p.write_text(text)
    with pytest.raises(InputError) as ei:
        load_wifi_scene(str(p))
    return str(ei.value), str(p)


BASE = """\
name: t
wifi:
  seed: 1
  devices:
    - kind: access_point
      name: ap
      channel: 6
      ssid: Home
"""


def test_scene_file_errors_name_file_line_and_key(tmp_path):
    msg, p = _err(tmp_path, BASE + "    - kind: camera\n      ap: ap\n      colour: red\n")
    assert msg.startswith(f"{p}:11:") and "colour" in msg and "unknown key" in msg
    msg, _ = _err(tmp_path, BASE + "    - kind: camera\n      ap: ap\n      params:\n        fsp: 10\n")
    assert ":12:" in msg and "params.fsp" in msg and "'fps'" in msg
    msg, _ = _err(tmp_path, BASE + "    - kind: camera\n      params: {bitrate_bps: -5}\n")
    assert ":10:" in msg and "bitrate_bps" in msg
    msg, _ = _err(tmp_path, BASE + "    - kind: camra\n")
    assert ":9:" in msg and "'camera'" in msg
    msg, _ = _err(tmp_path, BASE + "    - kind: camera\n      ap: router\n")
    assert ":10:" in msg and "router" in msg
    msg, _ = _err(tmp_path, BASE + "    - kind: camera\n      ap: ap\n      channel: 11\n")
    assert ":11:" in msg and "channel" in msg
    msg, _ = _err(tmp_path, BASE + "    - kind: camera\n      mac: 01:00:5e:00:00:01\n")
    assert ":10:" in msg and "mac" in msg
    msg, _ = _err(tmp_path, BASE + "    - kind: browsing\n      ssid: Foo\n")
    assert ":10:" in msg and "ssid" in msg
    msg, _ = _err(tmp_path, BASE.replace("  seed: 1\n", "  seed: 1\n  capture: {fcs: maybe}\n"))
    assert ":4:" in msg and "capture.fcs" in msg
    msg, _ = _err(tmp_path, BASE.replace("  seed: 1\n", "  sead: 1\n"))
    assert ":3:" in msg and "'seed'" in msg
    msg, _ = _err(tmp_path, "name: t\nemitters: []\n")
    assert "wifi" in msg
    msg, _ = _err(tmp_path, "name: t\nwifi:\n  devices:\n    - kind: camera\n      params: {mode: infra}\n")
    assert ":4:" in msg and "access point" in msg


def test_scene_file_round_trip(tmp_path):
    sc = parse_wifi_scene(BASE + """\
    - kind: camera
      name: cam
      ap: ap
      mac: "24:0a:c4:00:00:01"
      rssi_dbm: -40
      params: {fps: 12.5, bitrate_bps: 1000000}
    - kind: camera
      name: hotspot cam
      channel: 11
      ssid: IPC-ABCDEF
      params: {mode: ap}
    - kind: phone_idle
""", "x.yaml")
    assert isinstance(sc, WifiScene) and len(sc.devices) == 4
    cam = sc.devices[1]
    assert cam.params["fps"] == 12.5 and cam.params["mode"] == "infra" and cam.ap == 0 and cam.channel == 6
    assert cam.mac == 0x240AC4000001 and cam.rssi_dbm == -40
    assert sc.devices[2].owns_bss and sc.devices[2].ssid == "IPC-ABCDEF"
    assert sc.devices[3].ap == 0
    assert sorted(sc.cameras()) == sorted([E.int_to_mac(0x240AC4000001), E.int_to_mac(sc.devices[2].mac)])
    short = parse_wifi_scene("wifi:\n  - kind: access_point\n    channel: 1\n  - kind: camera\n"
                             "    params: {mode: infra}\n", "z.yaml")
    assert [d.kind for d in short.devices] == ["access_point", "camera"] and short.devices[1].channel == 1
    again = parse_wifi_scene(BASE + "    - kind: phone_idle\n", "y.yaml")
    assert again.devices[1].params == parse_wifi_scene(BASE + "    - kind: phone_idle\n", "y.yaml").devices[1].params
