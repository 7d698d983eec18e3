"""Battery cameras that upload recorded clips when motion wakes them: the uploads are cut
into episodes, recurring short one-way uploads of similar size after silences make a
suspect (never a camera), and one-off uploads, app-paced IoT bursts and photo backups
do not. Labelled long rooms from the simulator give the hit rate and the false alarms."""
import numpy as np
import pytest

from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.room import random_room
from sweeper.wifi import clips
from sweeper.wifi.analysis import TrafficAnalyzer
from sweeper.wifi.features import WINDOW_DTYPE

CAM = 0xF4B85E000001


def rows_for(uploads, mac=CAM, step=0.25):
    """Gated window rows of one transmitter: each upload (start, seconds, kB/s) gives a
    row per 0.25-s slot carrying its share of the bytes."""
    out = []
    for start, secs, kb_per_s in uploads:
        t = start + step * np.arange(1, int(round(secs / step)) + 1)
        r = np.zeros(t.size, WINDOW_DTYPE)
        r["mac"], r["t_end"], r["dur"] = mac, t, 4.0
        r["slot_kb"], r["up_share"] = kb_per_s * step, 0.97
        out.append(r)
    return np.concatenate(out)


def test_episodes_cut_at_gaps_and_measure_size_and_peak():
    r = rows_for([(100.0, 2.0, 250.0), (130.0, 3.0, 100.0)])
    start, end, kb, share, peak = clips.episodes(r["t_end"], r["dur"], r["slot_kb"], r["up_share"])
    assert np.allclose(start, [100.0, 130.0]) and np.allclose(end, [102.0, 133.0])
    assert np.allclose(kb, [500.0, 300.0]) and np.allclose(share, 0.97)
    assert np.allclose(peak, [2000.0, 800.0])  # kbit/s of the busiest second


def track(rows, segment_start=0.0):
    t = clips.ClipTracker()
    t.start_segment(segment_start)
    hits = set(t.update(rows)) | set(t.close_all())  # the transmitters with recurring clips
    return t, hits


def test_recurring_clips_after_silence_make_a_suspicion():
    _, hits = track(rows_for([(30.0, 2.0, 250.0), (70.0, 2.5, 220.0)]))
    assert hits == {CAM}


@pytest.mark.parametrize("uploads,why", [
    ([(30.0, 2.0, 250.0)], "one upload is any file"),
    ([(30.0, 2.0, 250.0), (37.0, 2.0, 250.0)], "the second came after 5 s: a backup's next file"),
    ([(30.0, 4.0, 75.0), (70.0, 4.0, 75.0)], "paced at 600 kbit/s: an app writing, not a file leaving"),
    ([(30.0, 2.0, 250.0), (70.0, 2.0, 25.0)], "sizes 10x apart: not the same clip length"),
    ([(30.0, 2.0, 250.0), (400.0, 2.0, 250.0)], "further apart than the horizon"),
    ([(30.0, 30.0, 250.0), (100.0, 30.0, 250.0)], "30-s uploads of 7.5 MB: transfers, not clips"),
    ([(3.0, 2.0, 250.0), (20.0, 2.0, 250.0)], "the first came 3 s after listening began"),
])
def test_what_is_not_a_clip_camera(uploads, why):
    _, hits = track(rows_for(uploads))
    assert hits == set(), why


def test_time_on_other_channels_is_not_silence():
    """The hopper was away until 69 s: the upload at 70 s followed 1 s of listening."""
    t = clips.ClipTracker()
    t.start_segment(0.0)
    t.update(rows_for([(30.0, 2.0, 250.0)]))
    t.start_segment(69.0)
    assert t.update(rows_for([(70.0, 2.0, 250.0)])) == {} and t.close_all() == {}
    assert len(t.clips[CAM]) == 1


# ---- labelled long rooms -------------------------------------------------------------------

DURATION_S = 150.0
HARD_KINDS = ["iot_tls_burst", "photo_backup", "bulk_upload", "iot_keepalive", "phone_idle", "browsing"]


def clip_uploads_heard(ev, mac: int) -> int:
    """Ground truth from the simulator's events: uploads of >= 100 kB that came after
    >= 10 s without one (and >= 10 s into the capture)."""
    up = ev[(ev["ta"] == mac) & np.isin(ev["kind"], E.DATA_KINDS) & (ev["retry"] == 0) & (ev["l3len"] > 100)]
    if len(up) == 0:
        return 0
    o = np.argsort(up["ts"])
    t, size = up["ts"][o], up["l3len"][o].astype(float)
    first = np.flatnonzero(np.r_[True, np.diff(t) > 1.0])
    last = np.r_[first[1:] - 1, t.size - 1]
    kb = np.add.reduceat(size, first) / 1000
    quiet = t[first] - np.r_[0.0, t[last[:-1]]]
    return int(np.sum((kb >= clips.CLIP_MIN_KB) & (quiet >= clips.CLIP_QUIET_S)))


def long_room(seed: int, camera: bool):
    rng = np.random.default_rng(seed)
    room = random_room(rng, camera=camera, n_cameras=1, n_negatives=5, ranges="test",
                       camera_kinds=["clip"], kinds=HARD_KINDS)
    for spec in room.devices:
        if spec.kind == "camera":  # someone moving in view: a trigger every 15-60 s
            spec.params["clip_gap_s"] = float(rng.uniform(15.0, 60.0))
            spec.params["start_s"] = 0.0
    an = TrafficAnalyzer()
    parts = []
    for run, ev in room.iter_events(DURATION_S, rng):
        parts.append(ev[np.isin(ev["kind"], E.DATA_KINDS)])
        an.feed(run.render(ev, 127, None, rng, 0))
    an.finish()
    ev = E.concat(parts)
    found = {f["mac"]: f for f in an.report()["findings"]}
    return room.labels(), found, ev


@pytest.fixture(scope="module")
def long_rooms():
    return [long_room(seed, camera=seed % 2 == 0) for seed in range(500, 512)]


def test_clip_cameras_found_and_hard_negatives_left_alone(long_rooms):
    hits = positives = flagged = negatives = 0
    for labels, found, ev in long_rooms:
        for mac, info in labels.items():
            if info["camera"]:
                if clip_uploads_heard(ev, E.mac_to_int(mac)) >= 2:
                    positives += 1
                    f = found.get(mac)
                    hits += f is not None and f["verdict"] == "suspect"
                continue
            negatives += 1
            flagged += mac in found
        unlabelled = [m for m in found if m not in labels]
        flagged += len(unlabelled)
    assert positives >= 4 and negatives >= 80
    assert hits >= positives - 1, (hits, positives)
    assert flagged <= 1, (flagged, negatives)  # bench/campaign_clips.py runs more rooms


def test_clip_suspicion_says_what_it_is(long_rooms):
    f = next(f for labels, found, _ in long_rooms for m, f in found.items()
             if labels.get(m, {}).get("camera"))
    assert f["verdict"] == "suspect" and f["score"] == clips.CLIP_SCORE
    assert "short one-way uploads of similar size" in f["reasons"][0]
    assert any("not proof" in r for r in f["reasons"])


def test_readme_states_the_clip_rule_as_the_code_has_it():
    import os
    text = open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read()
    para = text[text.index("**Clip-uploading cameras**"):]
    para = " ".join(para[:para.index("\n\n")].split())
    assert f"within {clips.CLIP_HORIZON_S / 60:.0f} minutes" in para
    assert f"at most {clips.CLIP_MAX_S:.0f} s, {clips.CLIP_MIN_KB:.0f} kB-{clips.CLIP_MAX_KB / 1000:.0f} MB" in para
    assert f"at {clips.CLIP_MIN_PEAK_KBPS / 1000:.0f} Mbit/s or more in their busiest second" in para
    assert f"within {clips.CLIP_SIZE_RATIO:.0f}x of each other" in para
    assert f"each after {clips.CLIP_QUIET_S:.0f} s or more of silence" in para
    assert f"(score {clips.CLIP_SCORE})" in para
    assert clips.CLIP_REPEATS == 2 and "Two or more" in para


def test_a_spray_of_uploading_macs_keeps_memory_bounded():
    """Someone hiding a camera may spray random MACs that each upload once."""
    t = clips.ClipTracker()
    t.start_segment(0.0)
    for i in range(3 * clips.MAX_TRACKED // 100):
        batch = np.concatenate([rows_for([(20.0 + 30.0 * i, 1.0, 250.0)], mac=CAM + 1000 * i + j)
                                for j in range(100)])
        t.update(batch)
    assert len(t._last_end) <= clips.MAX_TRACKED + 100
    assert len(t.clips) <= clips.MAX_TRACKED + 100


def test_the_reasons_name_the_clips_that_recurred_not_a_lone_later_one():
    """Two clips, then one more an hour later: the suspicion stands, and its reasons
    still count the two that recurred."""
    an = TrafficAnalyzer()
    rows = rows_for([(30.0, 2.0, 250.0), (70.0, 2.0, 240.0), (3700.0, 2.0, 250.0)])
    from sweeper.wifi.analysis import Transmitter
    an.devices[CAM] = Transmitter(CAM, 0.0, 3702.0, frames=1000)
    an.clips.start_segment(0.0)
    found = an.clips.update(rows)
    found.update(an.clips.close_all())
    an._mark_clips(found)
    d = an.devices[CAM]
    assert d.score == clips.CLIP_SCORE and len(d.clips) == 2
    assert clips.reasons(d.clips)[0].startswith("2 short one-way uploads")
