"""Detection quality on labelled simulated rooms that the thresholds were not set on.

bench/calibrate_wifi.py sets the classifier's thresholds on rooms of seeds 0-149 drawn
with the simulator's "calibration" parameter ranges. These tests score rooms of other
seeds drawn with its "test" ranges (shifted and wider: cameras of 0.12-12 Mbit/s at
5-30 fps, round trips to 400 ms, bulk uploads to 30 Mbit/s...), with every hard
negative present: bulk uploads (TCP Reno/CUBIC/BBR, QUIC, slow and policed uplinks),
photo backups, IoT TLS bursts, downloads, video calls, streaming, browsing, keepalives,
access points, routers. Hit rate and false alarms are asserted together
(tests/wifi_suite.py says what counts as what).

The bounds below are what this release measures with some slack, so that a regression
fails; they are not yet issue 12's acceptance (recall >= 0.99, <= 2% of camera-free rooms
alarmed): README, "What a sweep cannot find", lists what is missed and why.
"""
import numpy as np
import pytest

import wifi_suite as W
from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.devices import DEVICES
from sweeper.sim.wifi.room import DeviceSpec, WifiScene, random_room
from sweeper.wifi.analysis import TrafficAnalyzer
from sweeper.wifi.source import RawBatch

HARD_NEGATIVES = ("video_call", "bulk_upload", "video_stream", "browsing", "iot_keepalive", "access_point",
                  "phone_idle", "photo_backup", "iot_tls_burst", "download")
TEST_SEEDS = range(100000, 100090)


@pytest.fixture(scope="module")
def rooms():
    return [W.run_room(seed, "test") for seed in TEST_SEEDS]


@pytest.fixture(scope="module")
def suite(rooms):
    s = W.summarise(rooms)
    print("\n" + s.table())
    return s


def test_the_suite_holds_every_hard_negative(suite):
    for kind in HARD_NEGATIVES:
        assert suite.negatives[kind] >= 15, f"only {suite.negatives[kind]} {kind} in the suite"
    assert suite.positives >= 50


def test_recall_on_live_cameras_of_150_kbit_and_more(suite):
    assert suite.recall >= 0.92, suite.misses


def test_non_cameras_flagged(suite):
    assert suite.false_alarm_rate <= 0.01, dict(suite.alarms)
    for kind in HARD_NEGATIVES:  # no kind may be a reliable false alarm
        assert suite.alarms[kind] <= max(3, 0.04 * suite.negatives[kind]), (kind, suite.alarms[kind])


def test_camera_free_rooms_stay_clear(suite):
    assert suite.clear_rooms >= 25
    assert suite.clear_room_alarm_rate <= 0.12


def test_a_phone_live_streaming_video_is_reported_on_its_own(suite):
    """Its traffic is video: flagging it is not a false alarm, nor required."""
    assert suite.video >= 10


def test_same_rooms_without_a_radio_header_give_the_same_verdicts():
    seeds = range(100500, 100508)
    a = [W.run_room(s, "test", linktype=127) for s in seeds]
    b = [W.run_room(s, "test", linktype=105) for s in seeds]
    assert [[(t.mac, t.flagged) for t in r.transmitters] for r in a] == \
           [[(t.mac, t.flagged) for t in r.transmitters] for r in b]


def test_on_a_mirror_port_cameras_are_found_and_gateways_are_not():
    """Link type 1 (Ethernet): every camera whose video crosses the LAN is found; the
    gateway, whose MAC sources every download from the internet, is not a camera."""
    rooms = [W.run_room(s, "test", camera=s % 4 != 0, linktype=1,
                        kinds=("download", "video_stream", "bulk_upload", "browsing"), camera_kinds=("infra",))
             for s in range(100600, 100616)]
    s = W.summarise(rooms)
    print("\n" + s.table())
    assert s.positives >= 10
    assert s.recall >= 0.9, s.misses
    assert sum(s.alarms.values()) == 0, dict(s.alarms)
    gateways = [d for r in rooms for d in r.report["devices"] if d["role"] == "gateway"]
    assert gateways, "no gateway recognised on any mirror port"


def test_an_rtp_camera_on_the_wire_is_found_by_its_90_khz_clock():
    hits = 0
    for seed in range(100700, 100710):
        room = W.run_room(seed, "test", camera=True, linktype=1, camera_kinds=("rtp",))
        for t in room.transmitters:
            if t.role == "positive" and t.flagged != "none":
                finding = next(f for f in room.report["findings"] if f["mac"] == t.mac)
                hits += any("90 kHz" in r for r in finding["reasons"])
    assert hits >= 5


def _one_camera_room(seed, bitrate):
    rng = np.random.default_rng(seed)
    room = random_room(rng, camera=False, n_negatives=3)
    cls = DEVICES["camera"]
    p = cls.random_params(rng)
    p.update(bitrate_bps=bitrate, start_s=0.0, stop_s=-1.0, delivery="live")
    if bitrate < 400e3:
        p.update(fps=float(rng.choice([5.0, 8.0, 10.0, 12.0, 15.0])))
    ap = next(i for i, d in enumerate(room.devices) if d.kind == "access_point")
    mac = E.random_device_mac(rng, "camera", 0.0)
    channel = room.devices[ap].channel
    if p["mode"] == "ap":
        spec = DeviceSpec("camera", cls.check_params(p), mac, channel, -60.0, "camera", ssid="IPC",
                          peer_mac=E.random_local_mac(rng), peer_rssi_dbm=-50.0)
    else:
        spec = DeviceSpec("camera", cls.check_params(p), mac, channel, -60.0, "camera", ap=ap)
    return WifiScene(room.devices + [spec], room.capture), mac, channel, rng, p


def time_to_verdict(seed, bitrate, limit_s):
    """Seconds of capture the sweeper needs on the channel of a camera that was already
    streaming when it arrived (fed in 0.25 s batches, like the live path)."""
    scene, mac, channel, rng, p = _one_camera_room(seed, bitrate)
    arrive = float(rng.uniform(3, 8))
    _, b = W.capture(scene, rng, arrive + limit_s + 1, channel=channel)
    an = TrafficAnalyzer()
    an.start_segment(arrive, channel)
    for k in range(int((limit_s + 1) / 0.25)):
        sel = np.flatnonzero((b.ts >= arrive + k * 0.25) & (b.ts < arrive + (k + 1) * 0.25))
        an.feed(RawBatch(b.linktype, b.ts[sel], b.caplen[sel], b.origlen[sel], b.offset[sel], b.data, channel))
    an.finish()
    d = an.devices.get(mac)
    return ((d.camera_at - arrive) if d is not None and d.camera_at is not None else np.inf), p


@pytest.mark.parametrize("bitrate, limit_s, share", [(1e6, 2.7, 0.95), (200e3, 5.0, 0.95)])
def test_time_to_verdict(bitrate, limit_s, share):
    """Issue 12 asks for a 1 Mbit/s camera within 2.7 s of capture on its channel and a
    200 kbit/s one within 5 s (random codec, GOP, transport). Cameras wait for their
    first key frame: a GOP longer than the limit can take up to a GOP (README)."""
    t, gop = zip(*[(lambda r: (r[0], r[1]["gop_s"]))(time_to_verdict(seed, bitrate, 8.0)) for seed in range(50)])
    t, gop = np.array(t), np.array(gop)
    finite = t[np.isfinite(t)]
    print(f"\n{bitrate / 1e3:.0f} kbit/s: median {np.median(finite):.2f} s, 90% {np.percentile(finite, 90):.2f} s, "
          f"99% {np.percentile(finite, 99):.2f} s, within {limit_s} s: {np.mean(t <= limit_s):.0%}; "
          f"with GOP <= 2 s: {np.mean(t[gop <= 2] <= limit_s):.0%}; found within 8 s: {np.mean(np.isfinite(t)):.0%}")
    assert np.mean(t <= limit_s) >= share
    assert np.mean(t[gop <= 2] <= limit_s) >= 0.95
