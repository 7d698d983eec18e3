"""Wi-Fi simulator: the traffic kinds added for the hard negatives that fooled the detector
(photo backups, IoT TLS bursts, downloads, phone live streams, congestion-control
variants of bulk uploads) and the camera's new mechanisms (B-frames, TLS records, RTP
headers, motion-triggered streams, low rates) show the mechanism they model in the
generated frames; random rooms draw them, in calibration or test ranges."""
import numpy as np
import pytest

from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.devices import DEVICES, Bss
from sweeper.sim.wifi.devices.access_point import router_mac
from sweeper.sim.wifi.room import CAMERA_PROFILES, NEGATIVE_WEIGHTS, DeviceSpec, WifiScene, random_room
from sweeper.sim.wifi.render import CaptureProfile

STA = 0x240AC4000001
AP = 0x00112233AA01


def make(kind, seed, **over):
    cls = DEVICES[kind]
    p = cls.random_params(np.random.default_rng(seed))
    p.update(over)
    return cls(p, bss=Bss(AP, "home", 6, -50.0), mac=STA, rssi_dbm=-55.0)


def run(dev, dur, seed=0, step=1.0):
    rng = np.random.default_rng(seed)
    return E.concat([dev.generate(t, min(dur, t + step), rng) for t in np.arange(0.0, dur, step)])


def data_up(ev, mac=STA):
    return ev[(ev["ta"] == mac) & (ev["l3len"] > 0) & (ev["retry"] == 0) & np.isin(ev["kind"], E.DATA_KINDS)]


def data_down(ev, mac=STA):
    return ev[(ev["ra"] == mac) & (ev["l3len"] > 0) & (ev["retry"] == 0) & np.isin(ev["kind"], E.DATA_KINDS)]


def cv_10ms(ev, t0, t1):
    s = np.bincount(((ev["ts"] - t0) / 0.01).astype(int)[(ev["ts"] >= t0) & (ev["ts"] < t1)],
                    ev["l3len"][(ev["ts"] >= t0) & (ev["ts"] < t1)], minlength=int((t1 - t0) / 0.01))
    return s.std() / s.mean()


def wired_scene(kind, params, separate_router=True, seed=0):
    """An access point (optionally with a separate router behind it) and one station."""
    ap = DEVICES["access_point"]
    pa = ap.random_params(np.random.default_rng(seed))
    pa.update(separate_router=separate_router, security="wpa2", iptv=False, arp_per_s=0.0, mdns_per_s=0.0,
              ssdp_s=0.0, ipv6_s=0.0)
    cls = DEVICES[kind]
    p = cls.random_params(np.random.default_rng(seed + 1))
    p.update(params)
    return WifiScene([DeviceSpec("access_point", ap.check_params(pa), AP, 6, -50.0, "ap", ssid="home"),
                      DeviceSpec(kind, cls.check_params(p), STA, 6, -55.0, kind, ap=0)],
                     CaptureProfile(), "wired test")


def eth_fields(batch):
    """(src MAC, dst MAC, IP src, IP dst, proto, record bytes) of the IPv4 records."""
    out = []
    for i in range(len(batch)):
        r = bytes(batch.record(i))
        if r[12:14] != b"\x08\x00":
            continue
        out.append((int.from_bytes(r[6:12], "big"), int.from_bytes(r[0:6], "big"), r[26:30], r[30:34], r[23], r))
    return out


# ---- photo backup ---------------------------------------------------------------------------
def test_photo_backup_uploads_file_by_file_with_pauses():
    dev = make("photo_backup", 1, rate_bps=8e6, photo_mb=2.0, video_share=0.0, file_sigma=0.1, pause_s=1.0,
               meta_rtts=2, rtt_ms=30.0, protocol="tcp", start_s=0.0, stop_s=-1.0, phy_rate_mbps=300.0)
    ev = run(dev, 16.0)
    up, dn = data_up(ev), data_down(ev)
    big = up[up["l3len"] >= 1000]
    gaps = np.diff(big["ts"])
    pauses = gaps[gaps > 0.1]
    assert len(pauses) >= 3  # files of ~2 MB at 8 Mbit/s: a pause every ~2 s
    assert np.all(pauses < 6.0)
    # while a file is going, the rate is the path's (slow start aside)
    starts = np.concatenate([[big["ts"][0]], big["ts"][1:][gaps > 0.1]])
    ends = np.concatenate([big["ts"][:-1][gaps > 0.1], [big["ts"][-1]]])
    dur = ends - starts
    nbytes = np.array([big["l3len"][(big["ts"] >= a) & (big["ts"] <= b)].sum() for a, b in zip(starts, ends)])
    rate = (nbytes * 8 / dur)[dur > 1.0]
    assert len(rate) and np.all((rate > 0.4 * 8e6) & (rate < 1.5 * 8e6))
    # each file starts from slow start: its first round trips carry less than the steady rate
    first = np.array([big["l3len"][(big["ts"] >= a) & (big["ts"] < a + 0.06)].sum() for a in starts[:-1]])
    assert np.median(first) * 8 / 0.06 < 0.7 * 8e6
    # metadata responses come down between files (a little downlink besides the ACKs)
    assert np.sum((dn["l3len"] > 120)) >= len(pauses)
    # a phone: mostly a randomised MAC
    cls = DEVICES["photo_backup"]
    rng = np.random.default_rng(0)
    macs = [E.random_device_mac(rng, cls.MAC_POOL, cls.LOCAL_MAC_SHARE) for _ in range(200)]
    assert 0.6 < np.mean([E.is_local(m) for m in macs]) < 0.95


# ---- IoT TLS bursts -------------------------------------------------------------------------
@pytest.mark.parametrize("write_ms,record", [(100.0, 4096), (0.0, 16384)])
def test_iot_tls_burst_rate_and_record_remainders(write_ms, record):
    rate = 400e3
    dev = make("iot_tls_burst", 2, rate_bps=rate, burst_s=10.0, write_ms=write_ms, record_bytes=record, mtu=1500,
               wnd_segs=16, rtt_ms=40.0, repeat_s=1e6, keepalive_s=30.0, start_s=0.0)
    ev = run(dev, 14.0)
    up = data_up(ev)
    seg = up[up["l3len"] > 80]
    t0 = seg["ts"][seg["l3len"] == 1500][0]
    app = seg[(seg["ts"] >= t0) & (seg["ts"] < t0 + 10.0)]
    got = app["l3len"].sum() * 8 / 10.0
    assert 0.6 * rate < got < 1.5 * rate
    short = app["l3len"] < 1500
    if write_ms:  # ~5000-byte writes: a 4125-byte record and a small one, each with a remainder
        n_writes = 10.0 / (write_ms * 1e-3)
        assert 0.8 * n_writes < short.sum() < 2.4 * n_writes
    else:  # back-to-back 16 KB records: 11 full segments and a short remainder per record
        assert short.mean() == pytest.approx(1 / 12.3, abs=0.03)
        rem = (record + 29) - 11 * 1448 + 52
        assert np.mean(app["l3len"][short] == rem) > 0.9
    # the burst ends; then only keepalives
    late = up[up["ts"] > t0 + 10.5]
    assert len(late) < 10 and (late["l3len"] < 200).all()


# ---- bulk upload congestion control -----------------------------------------------------------
BULK = dict(start_s=0.0, stop_s=-1.0, rate_bps=8e6, loss_per_s=0.0, pause_every_mb=1e4, rate_var=0.05,
            protocol="tcp", paced=False, ack_every=2, ack_jitter=0.3, bottleneck="path", mtu=1500, rtt_ms=40.0,
            phy_rate_mbps=300.0, max_agg=32, ack_clump=1.0)


def test_bbr_is_paced_smoother_than_cubic_and_cycles_its_gain():
    cubic = data_up(run(make("bulk_upload", 3, **{**BULK, "cc": "cubic", "ack_clump": 3.0}), 8.0))
    bbr = data_up(run(make("bulk_upload", 3, **{**BULK, "cc": "bbr"}), 8.0))
    for up in (cubic, bbr):
        got = up["l3len"][up["ts"] > 2].sum() * 8 / 6.0
        assert 0.6 * 8e6 < got < 1.4 * 8e6
    assert cv_10ms(bbr, 2.0, 8.0) < 0.6 * cv_10ms(cubic, 2.0, 8.0)
    # ProbeBW: per round trip the rate steps between 1.25x, 0.75x and 1x
    per_rtt = np.bincount(((bbr["ts"][bbr["ts"] > 2] - 2) / 0.04).astype(int), bbr["l3len"][bbr["ts"] > 2])
    assert per_rtt.max() / np.median(per_rtt) > 1.15 and per_rtt.min() / np.median(per_rtt) < 0.85


def test_cubic_sawtooth_and_quic_acks():
    # CUBIC after a loss: back to ~0.7, regrowing over recover_s
    dev = make("bulk_upload", 4, **{**BULK, "cc": "cubic", "loss_per_s": 0.3, "recover_s": 2.0})
    up = data_up(run(dev, 12.0))
    per_s = np.bincount(up["ts"].astype(int), up["l3len"])[2:] * 8
    assert per_s.min() < 0.85 * per_s.max()
    # QUIC: paced, ACK frames in small UDP datagrams every ack_every packets
    dev = make("bulk_upload", 4, **{**BULK, "protocol": "quic", "cc": "cubic", "paced": True, "ack_every": 6,
                                    "mtu": 1350})
    ev = run(dev, 4.0)
    up, dn = data_up(ev), data_down(ev)
    assert (up["proto"] == E.PROTO_UDP).all() and (dn["proto"] == E.PROTO_UDP).all()
    assert (dn["l3len"] < 80).all() and 3 < len(up) / len(dn) < 9


def test_uplink_bottleneck_is_smooth_and_policer_sends_trains():
    base = {**BULK, "cc": "reno", "rate_bps": 6e6}
    smooth = data_up(run(make("bulk_upload", 5, **{**base, "bottleneck": "uplink"}), 6.0))
    trains = data_up(run(make("bulk_upload", 5, **{**base, "bottleneck": "policer", "bucket_ms": 10.0}), 6.0))
    for up in (smooth, trains):
        assert 0.6 * 6e6 < up["l3len"][up["ts"] > 2].sum() * 8 / 4.0 < 1.4 * 6e6
    # per 2 ms: the policer's trains leave most bins empty
    def empty_share(up):
        s = np.bincount(((up["ts"][up["ts"] > 2] - 2) / 0.002).astype(int), minlength=2000)
        return np.mean(s == 0)
    assert empty_share(trains) > empty_share(smooth) + 0.2


# ---- download on the wire ---------------------------------------------------------------------
@pytest.mark.parametrize("separate", [True, False])
def test_download_on_ethernet_comes_from_the_gateway_and_a_public_address(separate):
    sc = wired_scene("download", dict(rate_bps=10e6, start_s=0.0, stop_s=-1.0, file_mb=500.0, protocol="tcp",
                                      rtt_ms=20.0, peer_rate_mbps=300.0), separate_router=separate)
    gw = router_mac(AP) if separate else AP
    if separate:
        assert sc.labels()[E.int_to_mac(gw)]["kind"] == "router"
    ev = sc.events(3.0, np.random.default_rng(1))
    dn = data_down(ev)
    assert dn["l3len"][dn["ts"] > 1].sum() * 8 / 2.0 > 0.6 * 10e6
    recs = eth_fields(sc.render(3.0, np.random.default_rng(1), linktype=1))
    down = [r for r in recs if r[1] == STA and len(r[5]) > 1000]
    up = [r for r in recs if r[0] == STA]
    assert len(down) > 1000 and len(up) > 100
    assert all(r[0] == gw for r in down) and all(r[1] == gw for r in up)
    for r in down[:50]:
        src, dst = r[2], r[3]
        assert src[0] not in (10, 127, 192, 172) and 1 <= src[0] < 224  # a public address
        assert dst[:2] == b"\xc0\xa8"  # the station's LAN address
        assert r[4] == 6 and r[5][34:36] == b"\x01\xbb"  # from port 443


# ---- RTP -----------------------------------------------------------------------------------------
def rtp_records(batch, cam_mac):
    out = []
    for src, dst, sip, dip, proto, r in eth_fields(batch):
        if src == cam_mac and proto == 17 and len(r) >= 54:
            b = r[42:54]
            out.append((b[0], b[1] >> 7, b[1] & 0x7F, int.from_bytes(b[2:4], "big"), int.from_bytes(b[4:8], "big"),
                        int.from_bytes(b[8:12], "big"), len(r)))
    return np.array(out, np.int64)


def test_rtp_headers_of_a_camera_on_the_wire():
    sc = wired_scene("camera", dict(mode="infra", delivery="live", transport="udp", rtp=True, fps=15.0, bframes=0,
                                    audio=True, audio_interval_ms=20.0, audio_clock_hz=8000, substream=False,
                                    start_s=0.0, stop_s=-1.0, drop_p=0.0, bitrate_bps=1e6, udp_ack_every=0))
    rec = rtp_records(sc.render(4.0, np.random.default_rng(2), linktype=1), STA)
    ssrcs, counts = np.unique(rec[:, 5], return_counts=True)
    ssrcs = ssrcs[counts > 10]  # RTCP reports carry no RTP header: random bytes there
    assert len(ssrcs) == 2  # video and audio
    rec = rec[np.isin(rec[:, 5], ssrcs)]
    assert len(rec) > 300
    assert (rec[:, 0] == 0x80).all()  # version 2, no padding/extension/CSRC
    video = rec[rec[:, 5] == ssrcs[np.argmax([rec[rec[:, 5] == s][:, 6].mean() for s in ssrcs])]]
    audio = rec[rec[:, 5] != video[0, 5]]
    for s in (video, audio):
        assert (np.diff(s[:, 3]) % 65536 == 1).all()  # +1 per packet (wire order = send order here)
        assert 96 <= s[0, 2] <= 127 or s[0, 2] == 8
    assert (96 <= video[:, 2]).all() and (video[:, 2] <= 127).all()
    # marker on the last packet of each frame: the timestamp changes right after it
    change = np.append(np.diff(video[:, 4]) != 0, True)
    assert (video[:, 1].astype(bool) == change).mean() > 0.97
    steps = np.unique(np.diff(video[:, 4][video[:, 1] == 1]) % (1 << 32))
    assert set(steps.tolist()) <= {6000, 12000}  # 90 kHz / 15 fps (a lost capture: two steps)
    assert (np.diff(audio[:, 4]) % (1 << 32) == 160).mean() > 0.95  # 20 ms at 8 kHz
    # a proprietary P2P camera: no RTP header, random bytes
    sc = wired_scene("camera", dict(mode="infra", delivery="live", transport="udp", rtp=False, fps=15.0,
                                    audio=False, start_s=0.0, stop_s=-1.0, bitrate_bps=1e6))
    rec = rtp_records(sc.render(2.0, np.random.default_rng(2), linktype=1), STA)
    assert len(rec) > 50 and np.mean(rec[:, 0] == 0x80) < 0.1


def test_bframes_are_smaller_and_sent_in_decode_order():
    cam = make("camera", 6, mode="infra", delivery="live", transport="udp", rtp=True, fps=15.0, bframes=2,
               bratio=0.4, gop_s=2.0, rc="cbr", size_sigma=0.05, substream=False, audio=False, drop_p=0.0,
               start_s=0.0, stop_s=-1.0, bitrate_bps=1.5e6, stall_p=0.0)
    up = data_up(run(cam, 6.0))
    v = up[(up["rtp"] != 0) & (up["ssrc"] == cam._rtp_video[0].ssrc)]
    ts, first = np.unique(v["rtp_ts"], return_index=True)
    size = np.bincount(np.searchsorted(ts, v["rtp_ts"]), v["l3len"])
    order = np.argsort(first)  # frames in sending order
    sent_ts = ts[order].astype(np.int64)
    sz = size[order]
    # decode order: a B-frame is sent after the later reference frame it predicts from
    is_b = np.concatenate([[False], sent_ts[1:] < np.maximum.accumulate(sent_ts)[:-1]])
    assert 0.5 < is_b.mean() < 0.75  # two of every three frames (closed GOPs: a little less)
    is_i = sz > 3 * np.median(sz)
    p_frames = ~is_b & ~is_i
    assert sz[is_b].mean() < 0.6 * sz[p_frames].mean()
    assert np.unique(np.diff(np.sort(sent_ts))).tolist() == [6000]


def test_tls_camera_leaves_a_short_segment_per_record():
    cam = make("camera", 7, mode="infra", delivery="live", transport="tcp", tls=True, tls_record=4096, fps=10.0,
               mtu=1500, bitrate_bps=2e6, substream=False, audio=False, start_s=0.0, stop_s=-1.0, cwnd_segs=200)
    up = data_up(run(cam, 3.0))
    seg = up[up["l3len"] > 100]
    rem = 4096 + 29 - 2 * 1448 + 52  # each full 4 KB record: two full segments and this remainder
    assert np.mean(seg["l3len"] == rem) > 0.2


def test_motion_camera_streams_per_event_then_idles():
    cam = make("camera", 8, mode="infra", delivery="motion", motion_event_s=17.5, motion_gap_s=15.0, fps=15.0,
               bitrate_bps=1e6, start_s=0.0, stop_s=-1.0, keepalive_s=10.0, audio=False, substream=False)
    up = data_up(run(cam, 150.0, step=5.0))
    video = up[up["l3len"] > 300]["ts"]
    gaps = np.diff(video)
    cut = np.flatnonzero(gaps > 2.0)
    assert len(cut) >= 2  # idle gaps between events
    starts = np.concatenate([[video[0]], video[cut + 1]])
    ends = np.concatenate([video[cut], [video[-1]]])
    inner = (ends - starts)[1:-1]  # whole events (not cut by the capture's ends)
    assert len(inner) >= 1 and ((inner > 10.0) & (inner < 25.0)).all()
    # between events only keepalives
    for a, b in zip(ends[:-1], starts[1:]):
        mid = up[(up["ts"] > a + 0.5) & (up["ts"] < b - 0.5)]
        assert (mid["l3len"] < 300).all()


def test_low_rate_cameras_are_drawn():
    cams = [DEVICES["camera"].random_params(np.random.default_rng(1000 + i)) for i in range(300)]
    low = [c for c in cams if c["bitrate_bps"] <= 0.4e6]
    assert 0.2 < len(low) / len(cams) < 0.5
    assert min(c["fps"] for c in low) <= 6.0 and {c["delivery"] for c in cams} == {"live", "clip", "motion"}
    assert max(c["gop_s"] for c in cams) > 5.0 and {0, 1, 2, 3} <= {c["bframes"] for c in cams}


# ---- live stream -------------------------------------------------------------------------------------
@pytest.mark.parametrize("proto", ["rtmp", "srt", "webrtc"])
def test_live_stream_is_labelled_video_and_uses_its_protocol(proto):
    # the protocol's own settings, as random_params ties them to it
    rng = np.random.default_rng(11)
    while True:
        p = DEVICES["live_stream"].random_params(rng)
        if p["protocol"] == proto:
            break
    p.update(start_s=0.0, stop_s=-1.0)
    dev = DEVICES["live_stream"](p, bss=Bss(AP, "home", 6, -50.0), mac=STA)
    lab = dev.labels()[STA]
    assert lab["kind"] == "live_stream" and lab["video"] and not lab["camera"]
    up = data_up(run(dev, 4.0))
    got = up["l3len"][up["ts"] > 1].sum() * 8 / 3.0
    assert 0.3 * p["bitrate_bps"] < got < 2.0 * p["bitrate_bps"]
    if proto == "rtmp":
        assert (up["proto"] == E.PROTO_TCP).all()
    else:
        assert (up["proto"] == E.PROTO_UDP).all()
    if proto == "srt":
        assert np.mean(up["l3len"] == 1360) > 0.5 and not up["rtp"].any()
    if proto == "webrtc":
        assert np.mean(up["rtp"] != 0) > 0.9


# ---- random rooms -------------------------------------------------------------------------------------
def test_random_rooms_hold_every_kind_and_label_them():
    seen = set()
    for seed in range(50):
        sc = random_room(np.random.default_rng(500 + seed))
        seen |= {d.kind for d in sc.devices}
        labels = sc.labels()
        for d in sc.devices:
            lab = labels[E.int_to_mac(d.mac)]
            assert lab["camera"] == (d.kind == "camera") and "video" in lab
            if d.kind == "camera":
                assert lab["delivery"] == d.params["delivery"] and lab["bitrate_bps"] == d.params["bitrate_bps"]
                assert lab["video"]
            if d.kind == "live_stream":
                assert lab["video"]
    assert seen == set(DEVICES)
    assert set(NEGATIVE_WEIGHTS) == set(DEVICES) - {"camera", "access_point"}


def test_random_room_ranges_and_camera_kinds():
    def cams(ranges, n=40, **kw):
        out = []
        for seed in range(n):
            sc = random_room(np.random.default_rng(900 + seed), n_negatives=0, n_cameras=2, ranges=ranges, **kw)
            out += [d.params for d in sc.devices if d.kind == "camera"]
        return out

    cal, test = cams("calibration"), cams("test")
    bc = np.array([c["bitrate_bps"] for c in cal])
    bt = np.array([c["bitrate_bps"] for c in test])
    assert bc.min() >= 0.15e6 and bc.max() <= 8e6
    assert bt.max() > 8e6 or bt.min() < 0.15e6
    assert {c["rtt_ms"] > 250 or c["rtt_ms"] < 2 for c in test} == {True, False}
    assert min(c["fps"] for c in test) < min(c["fps"] for c in cal) or max(c["fps"] for c in test) > 25
    for kind in ("bulk_upload", "photo_backup", "iot_tls_burst", "download", "video_call", "browsing"):
        cls = DEVICES[kind]
        a = [cls.random_params(np.random.default_rng(i)) for i in range(30)]
        b = [cls.random_params(np.random.default_rng(i), ranges="test") for i in range(30)]
        assert a != b, kind
    up = [DEVICES["bulk_upload"].random_params(np.random.default_rng(i), ranges="test")["rate_bps"]
          for i in range(200)]
    assert max(up) > 20e6 and min(up) < 1.2e6
    with pytest.raises(ValueError):
        random_room(np.random.default_rng(0), ranges="tset")
    # forced camera kinds
    low = cams("calibration", 10, camera_kinds=["low_rate"])
    assert all(c["bitrate_bps"] <= 0.4e6 and c["fps"] <= 15 and c["delivery"] == "live" for c in low)
    mot = cams("test", 10, camera_kinds=["motion", "rtp"])
    assert all(c["delivery"] == "motion" or (c["transport"] == "udp" and c["rtp"]) for c in mot)
    assert set(CAMERA_PROFILES) >= {"low_rate", "motion", "live", "hotspot", "tls", "rtp", "p2p", "bframes"}
    # forced negative kinds, and separate routers on some access points
    sc = random_room(np.random.default_rng(3), camera=False, kinds=["download", "photo_backup"], n_negatives=4)
    assert {d.kind for d in sc.devices} - {"access_point"} <= {"download", "photo_backup"}
    routers = sum(d.params["separate_router"] for s in range(20)
                  for d in random_room(np.random.default_rng(s), n_negatives=0).devices if d.kind == "access_point")
    assert routers > 0
