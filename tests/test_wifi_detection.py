"""Detection quality on labelled simulated rooms: hit rate and false alarms together.

Rooms come from the simulator's ``random_room``: 1-4 access points (some carrying
IPTV multicast or unicast), a random mix of the hard negatives (video calls, bulk
uploads, DASH streaming, browsing, IoT keepalives, probing phones) and, in two rooms
out of three, 1-2 hidden cameras with random codec, bitrate, frame rate, GOP, rate
control, transport, pacing, infra or hotspot mode, start time and link impairments.

Ground truth comes from the simulator's own events (not from our parser): a camera is a
positive when it streams live video at >= 256 kbit/s for at least three consecutive
seconds of the capture. Cameras that only upload recorded clips (battery models) look
like any bulk upload and are outside what traffic shape can tell (README, limits).
"""
import collections

import numpy as np
import pytest

from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.devices import DEVICES
from sweeper.sim.wifi.room import DeviceSpec, WifiScene, random_room
from sweeper.wifi.analysis import TrafficAnalyzer
from sweeper.wifi.source import RawBatch

HARD_NEGATIVES = ("video_call", "bulk_upload", "video_stream", "browsing", "iot_keepalive",
                  "access_point", "phone_idle")
ROOMS = 120
CAPTURE_S = 10.0


def _capture(room, rng, duration, linktype=127, channel=None):
    """Render a room; returns (events heard, batch)."""
    parts, run = [], None
    for run, ev in room.iter_events(duration, rng, channel):
        parts.append(ev)
    ev = E.concat(parts)
    batch = run.render(ev, linktype, None, rng, channel or 0)
    return (run.wired(ev) if linktype == 1 else ev), batch


def _streams_live_video(ev, mac: int) -> bool:
    """>= 256 kbit/s of unicast data for 3 consecutive seconds, from the simulator's events."""
    up = ev[(ev["ta"] == mac) & np.isin(ev["kind"], (E.DATA, E.QOS_DATA)) & (ev["retry"] == 0)
            & ((ev["ra"] >> np.uint64(40)) & np.uint64(1) == 0)]
    if len(up) == 0:
        return False
    kbps = np.bincount(np.floor(up["ts"]).astype(int), weights=up["l3len"]) * 8 / 1000
    run = best = 0
    for ok in kbps >= 256:
        run = run + 1 if ok else 0
        best = max(best, run)
    return best >= 3


def _analyse(batch):
    an = TrafficAnalyzer()
    an.feed(batch)
    an.finish()
    return an.report()


def _score_rooms(seeds, linktype=127):
    """(hits, misses, negatives per kind, false alarms per kind) over rooms ``seeds``."""
    hits, misses, negatives, alarms = [], [], collections.Counter(), collections.Counter()
    for seed in seeds:
        rng = np.random.default_rng(seed)
        room = random_room(rng, camera=seed % 3 != 2, max_start_s=2.0)
        ev, batch = _capture(room, rng, CAPTURE_S, linktype)
        flagged = {f["mac"]: f for f in _analyse(batch)["findings"]}
        specs = {E.int_to_mac(d.mac): d for d in room.devices}
        for mac, info in room.labels().items():
            if info["camera"]:
                spec = specs.get(mac)
                live = spec is None or spec.params.get("delivery", "live") == "live"
                if live and _streams_live_video(ev, E.mac_to_int(mac)):
                    (hits if mac in flagged else misses).append((seed, mac))
                continue
            negatives[info["kind"]] += 1
            if mac in flagged:
                alarms[info["kind"]] += 1
        # anything flagged that is not a labelled device (e.g. a probing phone's random MAC)
        alarms["unlabelled"] += sum(1 for m in flagged if m not in room.labels())
    return hits, misses, negatives, alarms


@pytest.fixture(scope="module")
def suite():
    return _score_rooms(range(ROOMS))


def test_labelled_suite_covers_every_hard_negative(suite):
    _, _, negatives, _ = suite
    for kind in HARD_NEGATIVES:
        assert negatives[kind] >= 20, f"only {negatives[kind]} {kind} in the suite"


def test_recall_on_cameras_of_256_kbit_and_more(suite):
    hits, misses, _, _ = suite
    n = len(hits) + len(misses)
    assert n >= 60
    recall = len(hits) / n
    print(f"\nrecall {len(hits)}/{n} = {recall:.3f}; missed {misses}")
    assert recall >= 0.99, misses


def test_false_alarms_on_non_cameras(suite):
    _, _, negatives, alarms = suite
    total = sum(negatives.values())
    rate = sum(alarms.values()) / total
    print(f"\nfalse alarms {sum(alarms.values())}/{total} = {rate:.4f}: {dict(alarms)}")
    assert rate <= 0.01, dict(alarms)
    for kind in HARD_NEGATIVES:  # no single kind may be a reliable false alarm
        assert alarms[kind] <= max(2, 0.05 * negatives[kind]), (kind, alarms[kind], negatives[kind])


def test_same_rooms_without_a_radio_header_and_on_the_wire():
    """Link type 105 (no radiotap) gives the same verdicts as radiotap on the same rooms;
    a wired mirror port (Ethernet) finds every camera whose video crosses the LAN
    (hotspot cameras never reach it) with no more false alarms."""
    seeds = range(500, 530)
    ref_hits, ref_misses, _, ref_alarms = _score_rooms(seeds, 127)
    hits, misses, _, alarms = _score_rooms(seeds, 105)
    assert (hits, misses, alarms) == (ref_hits, ref_misses, ref_alarms)
    hits, misses, _, alarms = _score_rooms(seeds, 1)
    assert len(hits) >= 10 and not misses, misses
    assert sum(alarms.values()) <= sum(ref_alarms.values())


def _one_camera_room(seed, rc):
    rng = np.random.default_rng(seed)
    room = random_room(rng, camera=False, n_negatives=3)
    cls = DEVICES["camera"]
    p = cls.random_params(rng)
    p.update(bitrate_bps=1e6, start_s=0.0, stop_s=-1.0, delivery="live", rc=rc)
    ap = next(i for i, d in enumerate(room.devices) if d.kind == "access_point")
    mac = E.random_device_mac(rng, "camera", 0.0)
    channel = room.devices[ap].channel
    if p["mode"] == "ap":
        spec = DeviceSpec("camera", cls.check_params(p), mac, channel, -60.0, "camera", ssid="IPC",
                          peer_mac=E.random_local_mac(rng), peer_rssi_dbm=-50.0)
    else:
        spec = DeviceSpec("camera", cls.check_params(p), mac, channel, -60.0, "camera", ap=ap)
    return WifiScene(room.devices + [spec], room.capture), mac, channel, rng


def _time_to_verdict(seed, rc="cbr"):
    """Seconds of capture the sweeper needs on the channel of a 1 Mbit/s camera that was
    already streaming when it arrived (fed in 0.25 s batches, like the live path)."""
    scene, mac, channel, rng = _one_camera_room(seed, rc)
    arrive = float(rng.uniform(3, 8))
    _, b = _capture(scene, rng, arrive + 4, channel=channel)
    an = TrafficAnalyzer()
    an.start_segment(arrive, channel)
    for k in range(16):
        sel = np.flatnonzero((b.ts >= arrive + k * 0.25) & (b.ts < arrive + (k + 1) * 0.25))
        an.feed(RawBatch(b.linktype, b.ts[sel], b.caplen[sel], b.origlen[sel], b.offset[sel], b.data, channel))
    an.finish()
    d = an.devices.get(mac)
    return (d.camera_at - arrive) if d is not None and d.camera_at is not None else np.inf


def test_time_to_verdict_for_a_1_mbit_camera():
    """Acceptance: at most 2.7 s of capture on its channel (DeWiCam: 99% within 2.7 s)."""
    t = np.array([_time_to_verdict(seed) for seed in range(100)])
    within = np.mean(t <= 2.7)
    finite = t[np.isfinite(t)]
    print(f"\ntime to verdict: median {np.median(finite):.2f} s, 90% {np.percentile(finite, 90):.2f} s, "
          f"99% {np.percentile(finite, 99):.2f} s, within 2.7 s: {within:.0%}")
    assert within >= 0.99
