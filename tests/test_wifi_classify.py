"""The burst-level cues on sequences whose mechanism is known, and the classifier's
documented thresholds kept equal to the code."""
import re

import numpy as np
import pytest

from sweeper.wifi import bursts, classify
from sweeper.wifi.features import WINDOW_DTYPE, TrafficWindows
from sweeper.wifi.frames import FRAME_DTYPE, FTYPE_DATA, RTP_MARKER, RTP_VALID, RTP_VIDEO_PT

DURATION = 4.0


def _evidence(ts, l3, seed=0, rtp=None):
    order = np.argsort(ts, kind="stable")
    ts, l3 = np.asarray(ts, float)[order], np.asarray(l3, float)[order]
    if rtp is not None:
        rtp = tuple(np.asarray(a)[order] for a in rtp)
    ev = bursts.window_evidence(ts, l3, np.array([0]), np.array([ts.size]), np.array([0.0]),
                                np.array([DURATION]), np.random.default_rng(seed), rtp)
    return {k: float(v[0]) for k, v in ev.items()}


def _video(rng, fps=15.0, bitrate=1e6, jitter_s=0.002, gop=15, iratio=6.0, mtu=1500):
    """Frames on a crystal clock with independent jitter, each cut into MTU packets
    ending in a remainder, I-frames every ``gop`` frames."""
    k = np.arange(int(DURATION * fps))
    p = bitrate / 8 / fps * gop / (iratio + gop - 1)
    size = np.where(k % gop == 0, iratio * p, p) * np.exp(rng.normal(0, 0.2, k.size))
    ts, l3 = [], []
    for t, b in zip(k / fps + 0.01 + np.abs(rng.normal(0, jitter_s, k.size)), size):
        n_full, rem = divmod(int(b), mtu)
        sizes = [mtu] * n_full + ([rem] if rem else [])
        ts += list(t + 0.0002 * np.arange(len(sizes)))
        l3 += sizes
    return np.array(ts), np.array(l3, float)


def _bulk(rng, rate=5e6, rtt=0.04, mtu=1500):
    """ACK-clocked bulk upload: pairs of full segments at exponential spacing whose mean
    drifts with the round trip."""
    gaps = rng.exponential(2 * mtu * 8 / rate, int(DURATION * rate / (2 * mtu * 8)))
    t = np.cumsum(gaps * (1 + 0.3 * np.sin(np.arange(gaps.size) / 40)))
    t = t[t < DURATION - 0.01]
    return np.repeat(t, 2) + np.tile([0, 0.0001], t.size), np.full(2 * t.size, float(mtu))


def test_a_frame_clock_stands_out_from_its_shuffled_gaps():
    rng = np.random.default_rng(1)
    ev = _evidence(*_video(rng))
    assert ev["clock"] > 0.9
    assert ev["clock_z"] > 20
    assert abs(ev["frame_hz"] - 15.0) < 0.3
    assert ev["boundaries"] > 0.75  # frames end in a remainder (below 90% of an MTU 9 times in 10)
    assert ev["keyframe"] > 3  # one I-frame per second


def test_bulk_clumping_has_no_clock_and_no_boundaries():
    rng = np.random.default_rng(2)
    ev = _evidence(*_bulk(rng))
    assert ev["clock_margin"] < classify.RAMPS["clock"][1]
    assert ev["boundaries"] == 0.0


def test_a_clock_at_one_to_three_packets_per_frame():
    """150 kbit/s at 10 fps: about 1,900 bytes a frame."""
    rng = np.random.default_rng(3)
    ev = _evidence(*_video(rng, fps=10.0, bitrate=150e3, gop=20))
    assert ev["clock_z"] > classify.RAMPS["clock_lock"][2]
    assert abs(ev["frame_hz"] - 10.0) < 0.3
    assert ev["boundaries"] > 0.5


def test_frames_split_over_round_trips_keep_their_own_rate():
    """8 fps over TCP with a round trip of 1/24 s: every I-frame (and every third P-frame)
    is too big for the window, so its rest leaves one round trip later and lands on the
    24 Hz grid. The clock is still 8 Hz: the grid it fills."""
    rng = np.random.default_rng(4)
    k = np.arange(int(DURATION * 8))
    t0 = k / 8 + 0.01 + np.abs(rng.normal(0, 0.0015, k.size))
    ts, l3 = [], []
    for i, t in enumerate(t0):
        big = i % 7 == 0 or i % 3 == 0
        first = [1500] * (10 if big else 2) + [700]
        ts += list(t + 0.0002 * np.arange(len(first)))
        l3 += first
        if big:  # the rest, released by the ACKs a round trip later
            ts += list(t + 1 / 24 + 0.0002 * np.arange(6))
            l3 += [1500] * 5 + [400]
    ev = _evidence(np.array(ts), np.array(l3, float))
    assert abs(ev["frame_hz"] - 8.0) < 0.3, ev
    assert ev["grid_fill"] > 0.9


def test_a_camera_whose_frames_leave_in_four_flights_is_found_on_its_own_rate():
    """A miss of the December 2026 holdout (room 410013 of the test ranges): a TCP camera
    at 8 fps and 5 Mbit/s whose frames leave in several flights one round trip apart,
    so its onsets fall on a 32 Hz grid. With only the rate / 2 and / 3 tried, the clock
    was 32 Hz (grid fill 0.38) and the camera was missed; rate / 4 is its own 8 Hz."""
    import wifi_suite

    room = wifi_suite.run_room(410013, "test")
    (cam,) = [t for t in room.transmitters if t.mac == "40:6a:8e:76:e8:c3"]
    assert cam.role == "positive" and cam.label.get("fps") == 8.0
    clocked = cam.rows[cam.rows["clock"] > 0.5]
    assert np.median(np.abs(clocked["frame_hz"] - 8.0)) < 0.3, clocked["frame_hz"]
    assert cam.flagged == "camera"


def test_a_camera_leaves_the_channel_idle_between_frames_and_a_transfer_does_not():
    rng = np.random.default_rng(6)
    assert _evidence(*_video(rng, bitrate=8e6))["long_bursts"] == 0.0
    # a transfer with a full window on a fast link: segments back to back, now and
    # then a gap while the application refills its buffer
    t = np.cumsum(np.where(rng.random(6000) < 0.003, 0.05, 0.0006))
    t = t[t < DURATION]
    assert _evidence(t, np.full(t.size, 1500.0))["long_bursts"] > 0.8


def test_a_slow_camera_on_a_slow_link_still_leaves_the_channel_idle():
    """5 fps at 3 Mbit/s through a 4.5 Mbit/s uplink: each 75 kB frame takes ~130 ms to
    leave, then the channel idles until the next. Its bursts are longer than 0.1 s but
    well inside the 200 ms period: idle gaps (a fresh holdout's miss). A transfer that
    runs on for a whole period and more is still long."""
    rng = np.random.default_rng(3)
    ts, l3 = [], []
    for k in range(int(DURATION * 5)):
        t = k / 5 + 0.01 + abs(rng.normal(0, 0.002))
        n = 50 if k % 10 else 90  # I-frames: longer
        ts += list(t + np.arange(n) * 0.0026)  # one 1500-byte segment every 2.6 ms
        l3 += [1500] * (n - 1) + [600]
    ev = _evidence(np.array(ts), np.array(l3, float))
    assert abs(ev["frame_hz"] - 5.0) < 0.3 and ev["long_bursts"] < 0.5, ev
    # the same link kept busy: 350 ms runs with 50 ms pauses on a 2.5 Hz grid
    ts = np.concatenate([k / 2.5 + np.arange(135) * 0.0026 for k in range(int(DURATION * 2.5))])
    assert _evidence(ts, np.full(ts.size, 1500.0))["long_bursts"] > 0.9


def test_round_trip_spaced_flights_of_a_backup_are_not_frames():
    """A backup app, file after file: a few request packets one round trip (150 ms)
    apart, slow-start flights one round trip apart, then the window is full and the
    file runs on for 0.4 s; a pause, the next file. Onsets sit on a 6.7 Hz grid, but
    most bytes go in bursts far longer than a frame's."""
    rng = np.random.default_rng(7)
    rtt, seg = 0.15, 0.0006
    ts, l3 = [], []
    t = 0.05
    while t < DURATION:
        for size in rng.integers(300, 1200, 3):  # per-file requests, one a round trip
            ts.append(t)
            l3.append(float(size))
            t += rtt
        for n in (10, 20, 40):  # slow start: a flight a round trip
            ts += list(t + seg * np.arange(n))
            l3 += [1500.0] * n
            t += rtt
        n = int(0.4 / seg)  # the window is full: back to back
        ts += list(t + seg * np.arange(n))
        l3 += [1500.0] * (n - 1) + [700.0]
        t += 0.4 + rng.uniform(0.2, 0.5)
    keep = np.array(ts) < DURATION
    ev = _evidence(np.array(ts)[keep], np.array(l3)[keep])
    assert abs(ev["frame_hz"] - 1 / rtt) < 0.5  # the round trips do make a grid
    assert ev["long_bursts"] > 0.8
    row = np.zeros(1, WINDOW_DTYPE)
    row["long_bursts"] = ev["long_bursts"]
    assert classify.cues(row)["idle"][0] == 0.0


def test_a_renewal_process_with_alike_gaps_is_not_a_clock():
    """Gaps of 40 +- 8 ms, independent (an RTT clock): its phase wanders, so the
    shuffles lock as well as the original does."""
    rng = np.random.default_rng(4)
    t = np.cumsum(rng.normal(0.04, 0.008, 100))
    t = t[t < DURATION]
    ev = _evidence(t, np.full(t.size, 1400.0))
    assert ev["clock_margin"] < 0.06


def test_rtp_markers_on_a_90_khz_clock():
    rng = np.random.default_rng(5)
    ts, l3 = _video(rng, fps=25.0)
    # one packet per frame marked: frame k at 90000 * k / 25
    frame_start = np.r_[True, np.diff(ts) > 0.005]
    last = np.r_[frame_start[1:], True]
    k = np.cumsum(frame_start) - 1
    flags = np.where(last, RTP_VALID | RTP_MARKER | RTP_VIDEO_PT, RTP_VALID | RTP_VIDEO_PT).astype(np.uint8)
    rtp_ts = (123456 + k * 3600).astype(np.uint32)
    ev = _evidence(ts, l3, rtp=(flags, rtp_ts, np.full(ts.size, 7, np.uint32)))
    assert ev["rtp_video"] > 0.9
    # an 8 kHz (audio) clock on the same markers is not video
    ev = _evidence(ts, l3, rtp=(flags, (k * 320).astype(np.uint32), np.full(ts.size, 7, np.uint32)))
    assert ev["rtp_video"] == 0.0


def test_frames_weeks_apart_in_one_batch_do_not_break_the_windows():
    """Sorting keys stride senders by the batch's span: 2^40 us apart cannot overlap."""
    f = np.zeros(60, FRAME_DTYPE)
    f["ftype"] = FTYPE_DATA
    f["ta"] = np.repeat([0x0200000000A1, 0x0200000000A2], 30)
    f["ra"] = 0x0200000000FF
    f["ts"] = np.r_[np.linspace(0, 1.5, 30), 2 ** 40 / 1e6 + np.linspace(0, 1.5, 30)]
    f["l3len"] = 1400
    tw = TrafficWindows()
    rows = np.concatenate([tw.push(f[:30]), tw.push(f[30:]), tw.flush()])
    assert rows.dtype == WINDOW_DTYPE


def test_a_key_frame_vouches_for_its_stream_until_the_next_gop():
    rows = np.zeros(4, WINDOW_DTYPE)
    rows["mac"] = 5
    rows["t_end"] = [1.0, 6.0, 12.5, 14.0]
    rows["keyframe"] = [6.0, 1.2, 1.1, 1.3]
    rows["clock_margin"] = 0.5
    rows["clock_z"] = 30
    memory = {}
    carried = classify.carry_key_frames(rows, memory)
    assert carried == pytest.approx([6.0, 6.0, 6.0, 1.3])  # 13 s after it: forgotten
    # across calls (batches), the memory carries it
    later = rows[1:2].copy()
    later["t_end"] = 11.0
    assert classify.carry_key_frames(later, memory) == pytest.approx([6.0])
    # a key frame in a window without a frame clock proves nothing
    rows["clock_margin"] = 0.0
    rows["clock_z"] = 0.0
    assert classify.carry_key_frames(rows, {}) == pytest.approx(rows["keyframe"])


def test_the_documented_thresholds_are_the_code():
    doc = classify.__doc__
    table = re.search(r"(=+  =+  =+  =+  =+\n.*?\n=+  =+  =+  =+  =+\n.*?\n=+  =+  =+  =+  =+)", doc, re.S)
    assert table is not None, "the ramp table is missing from sweeper/wifi/classify.py's docstring"
    assert table.group(1).strip() == classify.ramps_table().strip()


@pytest.mark.parametrize("cue", sorted(classify.RAMPS))
def test_each_cue_rules_something_out(cue):
    assert classify.RULES_OUT.get(cue), f"say what {cue} rules out"


def _from_ds_capture(sender: str, source: str, seconds: float = 8.0, seed: int = 3):
    """Monitor-mode frames of an access point ``sender`` sending a video stream to a
    phone, with ``source`` in the third address (from-DS: the source address)."""
    from scapy.all import Dot11, Dot11QoS, RadioTap, raw

    from sweeper.wifi.frames import mac_from_str
    from sweeper.wifi.source import RawBatch
    rng = np.random.default_rng(seed)
    ts, l3 = [], []
    for i in range(int(seconds / DURATION)):
        t, s = _video(rng, fps=20.0, bitrate=1.5e6)
        ts.append(t + i * DURATION)
        l3.append(s)
    ts, l3 = np.concatenate(ts), np.concatenate(l3)
    head = raw(RadioTap(present="Channel+dBm_AntSignal", ChannelFrequency=2437, ChannelFlags=0xa0,
                        dBm_AntSignal=-50)
               / Dot11(type=2, subtype=8, FCfield=0x42, addr1="da:a1:19:00:00:01", addr2=sender, addr3=source)
               / Dot11QoS())
    on_air = l3.astype(int) + 26 + 8 + 16 + len(head)  # + MAC header, LLC/SNAP, CCMP
    batch = RawBatch.from_records(127, [(float(t), head + bytes([1, 0, 0, 0x20, 0, 0, 0, 0]), int(n))
                                        for t, n in zip(ts, on_air)])
    from sweeper.wifi.analysis import TrafficAnalyzer
    an = TrafficAnalyzer()
    an.feed(batch)
    an.finish()
    return an.report(), mac_from_str(sender)


def test_an_access_point_relaying_a_stream_is_not_the_camera():
    """The same frame-clocked stream sent by an access point: from its own address (a
    camera that is its own access point) it is a camera; from the router's (the AP
    relays a stream someone in the room watches) it is not the AP's upload."""
    ap = "00:11:22:33:44:55"
    own, _ = _from_ds_capture(ap, ap)
    assert [f["mac"] for f in own["findings"]] == [ap] and own["findings"][0]["verdict"] == "camera"
    relayed, _ = _from_ds_capture(ap, "00:11:22:33:44:00")
    assert relayed["findings"] == [] and relayed["verdict"] == "CLEAR"
    assert [d["uplink_kbps"] for d in relayed["devices"] if d["mac"] == ap] == [0.0]


def test_the_docs_state_the_idle_gap_limit_as_the_code_has_it():
    import os
    limit = f"{bursts.LONG_BURST_S:g} s"
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read()
    para = " ".join(readme[readme.index("* **Idle gaps.**"):].split("\n* ")[0].split())
    assert f"bursts shorter than {limit}" in para
    assert f"bursts of > {limit}" in classify.RULES_OUT["idle"]
    assert f"longer than {limit}" in " ".join(classify.reasons(_row_with(long_bursts=1.0), False, None))


def _row_with(**values):
    row = np.zeros(1, WINDOW_DTYPE)
    for k, v in values.items():
        row[k] = v
    return row[0]


@pytest.mark.parametrize("kbps, camera", [(500.0, False), (2500.0, True)])
def test_key_frames_are_asked_only_at_rates_timed_records_reach(kbps, camera):
    """A stream on a frame clock whose I-frames do not show in the capture (a long GOP,
    or CBR that caps them): at 500 kbit/s it is what an IoT device writing TLS records
    on a timer also sends, so it is no camera; at 2.5 Mbit/s no timed writer sends that
    much and it is one."""
    ev = _evidence(*_video(np.random.default_rng(11), fps=15.0, bitrate=kbps * 1e3, gop=10 ** 6, iratio=1.0))
    assert ev["keyframe"] < classify.RAMPS["keyframes"][1]  # no key frame in the window
    row = _row_with(up_kbps=kbps, up_share=0.99, steadiness=1.0, **{k: ev[k] for k in bursts.EVIDENCE_FIELDS})
    score = float(classify.window_scores(np.asarray(row).reshape(1), np.zeros(1, bool), np.zeros(1, bool))[0])
    said = " ".join(classify.reasons(row, False, None))
    if camera:
        assert score >= classify.CAMERA_SCORE and "long GOP" in said
    else:
        assert score == 0.0 and "no key frame" in said


def test_readme_states_the_clock_and_idle_rules_as_the_code_has_them():
    import os

    readme = " ".join(open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                        "README.md")).read().split())
    assert f"up to {bursts.IDLE_SHARE:g} of a slow frame period" in readme
    assert bursts.SUBHARMONICS == 6 and "also tries the rate / 4, / 5 and / 6" in readme
