"""The sweep history: a power cut loses nothing recorded, damage is set aside, size is bounded."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from sweeper.errors import InputError
from sweeper.venue.history import HistoryStore, Retention, iso, parse_time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_record(t: float, room="Room 1", verdict="CLEAR", n_obs=20, seed=0):
    """A sweep record and its compared observations, as the recorder builds them."""
    rng = np.random.default_rng(seed)
    obs = [{"kind": "rf", "key": f"rf:{900 + i:.1f}", "label": f"carrier {900 + i} MHz", "class": "carrier",
            "freq_hz": (900 + i) * 1e6, "bandwidth_hz": 10e3, "power_db": float(rng.uniform(5, 40)),
            "verdict": "clear", "score": 0.9,
            "baseline": {"status": "new", "note": None, "key": f"rf:{900 + i:.1f}", "label": None,
                         "first_seen": iso(t), "last_seen": iso(t), "count": 1}} for i in range(n_obs)]
    spectra = [{"band": "900MHz", "start_hz": 900e6, "stop_hz": 928e6,
                "snr_db": [round(float(v), 1) for v in rng.uniform(0, 30, 512)]}]
    record = {"started_at": iso(t - 40), "finished_at": iso(t), "room": room, "device_id": "sweeper-test",
              "trigger": "timer", "simulated": False, "verdict": verdict, "raw_verdict": verdict, "elapsed_s": 40.0,
              "hardware": {"RF": "ok", "Wi-Fi": "ok"}, "problems": {}, "findings": [], "changes": [],
              "counts": {"findings": 0, "new": n_obs, "changed": 0, "known": 0}, "spectra": spectra}
    return record, obs


def test_a_sweep_round_trips_with_its_spectrum_and_sightings(tmp_path):
    t = time.time()
    with HistoryStore(str(tmp_path / "h.db")) as store:
        record, obs = make_record(t)
        sid = store.add(record, obs)
        back = store.sweep(sid)
        assert back["room"] == "Room 1" and back["verdict"] == "CLEAR" and back["finished_at"] == iso(t)
        sent = np.array(record["spectra"][0]["snr_db"])
        got = np.array(back["spectra"][0]["snr_db"], dtype=float)
        assert got.shape == sent.shape and np.max(np.abs(got - sent)) < 0.1  # float16 on disk
        assert store.observations(sid)[3]["freq_hz"] == 903e6
        sightings = store.sightings("Room 1")
        assert len(sightings) == 20 and sightings["rf:905.0"]["count"] == 1
        store.add(*make_record(t + 60))
        assert store.sightings("Room 1")["rf:905.0"]["count"] == 2
        assert store.sightings("Room 1")["rf:905.0"]["first_seen"] == iso(t)
        assert store.sightings("Room 2") == {}
        assert [r["id"] for r in store.sweeps()] == [sid + 1, sid]


WRITER = r"""
import sys, time
sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
from test_venue_history import make_record
from sweeper.venue.history import HistoryStore
store = HistoryStore({path!r})
t = 1.7e9
while True:
    t += 60
    sid = store.add(*make_record(t, n_obs=60))
    print(sid, flush=True)   # only after the commit returned
"""


def test_killing_the_writer_mid_sweep_loses_nothing_already_recorded(tmp_path):
    """SIGKILL at random moments stands in for a power cut (synchronous=FULL makes the
    commit durable on disk; the kill shows no committed sweep or half sweep is lost)."""
    path = str(tmp_path / "h.db")
    rng = np.random.default_rng(7)
    acknowledged = []
    for _ in range(4):
        code = WRITER.format(root=ROOT, tests=os.path.join(ROOT, "tests"), path=path)
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while len(acknowledged) < 3 + 3 * _ and time.monotonic() < deadline:
            acknowledged.append(int(proc.stdout.readline()))
        time.sleep(rng.uniform(0.0, 0.05))  # somewhere inside a later transaction
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        acknowledged += [int(x) for x in proc.stdout.read().split()]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = {r[0] for r in db.execute("SELECT id FROM sweeps")}
    assert set(acknowledged) <= ids
    # every sweep that is there is whole: its spectrum and its 60 sightings' updates
    assert db.execute("SELECT count(*) FROM sweeps WHERE id NOT IN (SELECT sweep_id FROM spectra)").fetchone()[0] == 0
    counts = {r[0] for r in db.execute("SELECT count FROM sightings")}
    assert counts == {len(ids)}
    db.close()
    with HistoryStore(path) as store:  # and it opens as a history again
        assert store.moved_aside is None and len(store.sweeps(limit=1000)) == len(ids)


def test_a_damaged_database_is_set_aside_and_a_new_one_started(tmp_path):
    path = tmp_path / "h.db"
    path.write_bytes(b"this is not a database, an SD card ate it" * 100)
    warnings = []
    with HistoryStore(str(path), warn=warnings.append) as store:
        assert store.moved_aside and open(store.moved_aside, "rb").read().startswith(b"this is not")
        assert "damaged" in warnings[0] and store.moved_aside in warnings[0]
        sid = store.add(*make_record(time.time()))
        assert store.sweep(sid)["verdict"] == "CLEAR"


def test_a_history_cut_short_is_set_aside_too(tmp_path):
    path = str(tmp_path / "h.db")
    with HistoryStore(path) as store:
        for i in range(30):
            store.add(*make_record(1.7e9 + 60 * i))
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 3])
    warnings = []
    with HistoryStore(path, warn=warnings.append) as store:
        assert store.moved_aside is not None and warnings
        assert store.sweeps() == []


def test_old_sweeps_go_after_keep_days_but_friendly_sightings_stay(tmp_path):
    now = time.time()
    with HistoryStore(str(tmp_path / "h.db"), Retention(keep_days=30)) as store:
        old, obs = make_record(now - 40 * 86400, n_obs=3)
        store.add(old, obs)
        store.baseline_from_sweep(store.sweeps()[0]["id"])
        store.add(*make_record(now - 50 * 86400, n_obs=2, room="Room 2"))  # older still: pruned on insert
        store.add(*make_record(now, n_obs=0))
        assert [r["finished_at"] for r in store.sweeps()] == [iso(now)]
        assert len(store.baseline("Room 1")) == 3  # the baseline outlives the sweeps it came from
        assert store.sightings("Room 2") == {}  # unfriendly and not heard for 30+ days


def test_the_number_of_sweeps_is_capped(tmp_path):
    with HistoryStore(str(tmp_path / "h.db"), Retention(max_sweeps=10)) as store:
        for i in range(25):
            store.add(*make_record(1.7e9 + 60 * i, n_obs=2))
        ids = [r["id"] for r in store.sweeps(limit=100)]
    assert ids == list(range(25, 15, -1))


def test_the_file_stays_under_max_mb(tmp_path):
    path = str(tmp_path / "h.db")
    with HistoryStore(path, Retention(max_mb=1.0)) as store:
        for i in range(400):  # ~6 KB each: 2.4 MB unbounded
            store.add(*make_record(1.7e9 + 60 * i, n_obs=60, seed=i))
        kept = store.sweeps(limit=1000)
    assert 50 < len(kept) < 400 and kept[0]["finished_at"] == iso(1.7e9 + 60 * 399)
    size = os.path.getsize(path) + (os.path.getsize(path + "-wal") if os.path.exists(path + "-wal") else 0)
    assert size < 1.0e6 * 1.3, size


def test_filters_and_times(tmp_path):
    base = parse_time("2026-11-01")
    with HistoryStore(str(tmp_path / "h.db"), Retention(keep_days=36500)) as store:
        for day in range(10):
            store.add(*make_record(base + day * 86400, room="A" if day % 2 else "B", n_obs=1))
        assert len(store.sweeps(room="A")) == 5
        assert len(store.sweeps(since=parse_time("2026-11-05"), until=parse_time("2026-11-07T00:00"))) == 3
        assert store.rooms() == ["A", "B"]
    assert abs(parse_time("7d") - (time.time() - 7 * 86400)) < 5
    with pytest.raises(InputError, match="not a time"):
        parse_time("last tuesday")


def test_a_missing_history_is_a_clear_error_for_readers(tmp_path):
    with pytest.raises(InputError, match="no sweep history"):
        HistoryStore(str(tmp_path / "none.db"), create=False)


def test_damage_found_while_recording_sets_the_file_aside_and_records_anyway(tmp_path, monkeypatch):
    """A big history is not fully checked at start-up; damage met later is handled then."""
    import sweeper.venue.history as history

    path = str(tmp_path / "h.db")
    with HistoryStore(path) as store:
        for i in range(40):
            store.add(*make_record(1.7e9 + 60 * i, n_obs=40, seed=i))
    raw = bytearray(open(path, "rb").read())
    page = 4096
    for p in range(2, len(raw) // page):  # scribble over every page but the header and schema
        raw[p * page + 8: p * page + 200] = b"\xa5" * 192
    open(path, "wb").write(bytes(raw))
    monkeypatch.setattr(history, "QUICK_CHECK_MAX_BYTES", 0)
    warnings = []
    with HistoryStore(path, warn=warnings.append) as store:
        assert store.moved_aside is None  # not noticed yet
        sid = store.add(*make_record(1.7e9 + 9999))
        assert store.moved_aside is not None and "damaged" in warnings[-1]
        assert [r["id"] for r in store.sweeps()] == [sid]


@pytest.mark.parametrize("spoil", [
    lambda rec: rec.update(room=None),  # NOT NULL: an IntegrityError
    lambda rec: rec.update(elapsed_s={"not": "a number"}),  # cannot bind: a ProgrammingError
])
def test_one_bad_record_is_refused_and_the_healthy_history_kept(tmp_path, spoil):
    """Every DatabaseError once counted as damage: one bad record moved a healthy history aside."""
    path = str(tmp_path / "h.db")
    warnings = []
    with HistoryStore(path, warn=warnings.append) as store:
        first = store.add(*make_record(1.7e9))
        record, observations = make_record(1.7e9 + 60, seed=1)
        spoil(record)
        with pytest.raises(InputError, match="refused a sweep record"):
            store.add(record, observations)
        assert store.moved_aside is None and warnings == []
        assert not [f for f in os.listdir(tmp_path) if "damaged" in f]
        again = store.add(*make_record(1.7e9 + 120, seed=2))  # the store is still open and writing
        assert [r["id"] for r in store.sweeps()] == [again, first]


def test_two_set_asides_in_one_second_keep_both_copies(tmp_path):
    path = tmp_path / "h.db"
    kept = []
    for i in range(2):
        path.write_bytes(b"this is not a database, copy %d" % i * 200)
        with HistoryStore(str(path)) as store:
            kept.append(store.moved_aside)
    assert kept[0] != kept[1]
    assert sorted(open(k, "rb").read()[:40] for k in kept) == [b"this is not a database, copy 0this is no",
                                                              b"this is not a database, copy 1this is no"]
