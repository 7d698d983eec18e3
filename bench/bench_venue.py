"""Venue benchmarks: recording a sweep, reading a year of history, rendering reports.

    .venv/bin/python bench/bench_venue.py      (or: ./dev bench)

Each figure is printed against a floor measured in the same run:
1. recording one sweep (observations compared with a baseline of the same size, the
   sweep row, spectra and sightings in one durable transaction) against a bare
   ``INSERT`` of the same record's JSON committed with the same durability (WAL,
   synchronous=FULL): the cost of one fsync'd commit is the floor nobody beats;
3. ``sweeper history`` and ``sweeper report`` (HTML, CSV, JSON) over a year of hourly
   sweeps, each a process of its own with its peak memory (a Pi Zero 2 W has 512 MB),
   against a bare Python process that SELECTs the same rows and dumps them as JSON.
"""
import json
import os
import subprocess
import sqlite3
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sweeper.config import default_config  # noqa: E402
from sweeper.device.sweeping import SweepOutcome  # noqa: E402
from sweeper.venue.history import HistoryStore, Retention  # noqa: E402
from sweeper.venue.recorder import Venue  # noqa: E402

YEAR = 8760  # hourly sweeps


def outcome(rng) -> SweepOutcome:
    """A busy room: 40 RF emitters, 60 Wi-Fi devices, 3 bands of spectrum, one camera."""
    emitters = [{"class": str(rng.choice(["carrier", "unknown", "bluetooth"])), "freq_hz": float(f),
                 "bandwidth_hz": 20e3, "snr_db": float(rng.uniform(5, 40)), "score": 0.8}
                for f in np.sort(rng.uniform(860e6, 2480e6, 40))]
    devices = [{"mac": ":".join(f"{b:02x}" for b in rng.integers(0, 256, 6)), "vendor": "Vendor Inc.",
                "ssid": "Guest", "channel": 6, "rssi_dbm": float(rng.uniform(-90, -40)),
                "avg_uplink_kbps": float(rng.uniform(0, 50)), "score": 0.1} for _ in range(60)]
    finding = {"type": "wifi_camera", "verdict": "camera", "score": 0.95, "mac": "24:0a:c4:5b:19:e2",
               "vendor": "Espressif Inc.", "ssid": "Guest", "channel": 6, "rssi_dbm": -55.0,
               "avg_uplink_kbps": 900.0, "reasons": ["steady upload 900 kbit/s"]}
    spectra = [{"band": b, "start_hz": lo, "stop_hz": lo + 80e6,
                "snr_db": [round(float(v), 1) for v in rng.uniform(0, 30, 512)]}
               for b, lo in (("900MHz", 880e6), ("1.2GHz", 1080e6), ("2.4GHz", 2400e6))]
    parts = {"RF": {"verdict": "CLEAR", "findings": [], "emitters": emitters, "spectra": spectra},
             "Wi-Fi": {"verdict": "CAMERA", "findings": [finding], "devices": devices}}
    return SweepOutcome("CAMERA", [dict(finding)], parts, {}, 40.0)


PEAK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_peak_rss.py")


def run(argv):
    """Seconds and peak memory (MB, VmHWM) of one command run through _peak_rss.py."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, PEAK, *argv], cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    secs = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv}: {proc.stderr}")
    return secs, float(proc.stderr.strip().splitlines()[-1].split()[0])


FLOOR = """
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT id, finished_at, room, verdict, findings, counts FROM sweeps ORDER BY finished_at DESC")
sys.stdout.write(json.dumps(rows.fetchall()))
with open("/proc/self/status") as f:
    print([int(x.split()[1]) / 1024 for x in f if x.startswith("VmHWM:")][0], file=sys.stderr)
"""


def main() -> int:
    rng = np.random.default_rng(1)
    cfg = default_config()
    with tempfile.TemporaryDirectory() as tmp:
        # 1. recording
        store = HistoryStore(os.path.join(tmp, "h.db"), Retention(keep_days=36500, max_mb=1000))
        venue = Venue(cfg, store)
        out = outcome(rng)
        first = venue.record(out, "Room 1", "timer", {"RF": "ok", "Wi-Fi": "ok"}, 1.7e9, 1.7e9 + 40)
        store.baseline_from_sweep(first["id"])
        t = [1.7e9]

        n = 50
        outcomes = [outcome(rng) for _ in range(n)]  # each with 60 new random Wi-Fi MACs
        start = time.perf_counter()
        for out in outcomes:
            t[0] += 3600
            last = venue.record(out, "Room 1", "timer", {"RF": "ok", "Wi-Fi": "ok"}, t[0] - 40, t[0])
        ours = (time.perf_counter() - start) / n
        bare = sqlite3.connect(os.path.join(tmp, "bare.db"), isolation_level=None)
        bare.execute("PRAGMA journal_mode=WAL")
        bare.execute("PRAGMA synchronous=FULL")
        bare.execute("CREATE TABLE t(x TEXT)")
        text = json.dumps(last)
        start = time.perf_counter()
        for _ in range(n):
            bare.execute("BEGIN")
            bare.execute("INSERT INTO t VALUES(?)", (text,))
            bare.execute("COMMIT")
        floor = (time.perf_counter() - start) / n

        # 2. a year of history
        year = HistoryStore(os.path.join(tmp, "year.db"), Retention(keep_days=36500, max_mb=1000))
        rec = {k: v for k, v in last.items() if k != "id"}  # a sweep after the baseline
        obs = store.observations(last["id"])
        for i in range(YEAR):  # sightings are not what this part measures: only the first sweep's
            rec["finished_at"] = 1.7e9 + 3600 * i
            rec["started_at"] = rec["finished_at"] - 40
            year.add(rec, obs if i == 0 else [])
        year.close()
        size = os.path.getsize(year.path)
        conf = os.path.join(tmp, "config.yaml")
        with open(conf, "w") as f:
            f.write(f"history:\n  path: {year.path}\n  keep_days: 36500\n  max_mb: 1000\n")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", FLOOR, year.path], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, check=True)
        floor_s, floor_mb = time.perf_counter() - start, float(proc.stderr.split()[-1])
        runs = {what: run(["--config", conf, *args])
                for what, args in (("history (table, newest 50)", ["history"]),
                                   ("history --json (all)", ["history", "--json", "--limit", str(YEAR)]),
                                   ("report HTML", ["report", "-o", os.path.join(tmp, "r.html")]),
                                   ("report CSV", ["report", "--format", "csv", "-o", os.path.join(tmp, "r.csv")]),
                                   ("report JSON", ["report", "--format", "json", "-o", os.path.join(tmp, "r.json")]))}
        html_mb = os.path.getsize(os.path.join(tmp, "r.html")) / 1e6
    print("Sweeper venue benchmarks")
    print(f"record one sweep (100 emitters vs a baseline, 3 spectra, durable): {ours * 1e3:.1f} ms; "
          f"bare durable INSERT of its JSON {floor * 1e3:.1f} ms ({ours / floor:.1f}x)")
    print(f"a year of hourly sweeps ({YEAR}, {size / 1e6:.0f} MB, {size / YEAR / 1e3:.1f} kB per sweep with its "
          f"spectrum): floor = a bare python SELECT of the rows dumped as JSON, {floor_s:.2f} s, {floor_mb:.0f} MB")
    for what, (secs, mb) in runs.items():
        print(f"  sweeper {what}: {secs:.2f} s ({secs / floor_s:.1f}x), peak memory {mb:.0f} MB")
    print(f"  (the HTML report is {html_mb:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
