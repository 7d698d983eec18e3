"""Analog-video confirmation campaign (issue 16): hit rates and false alarms of
``fm_response`` + ``lockin.confirm`` on labelled simulated cases (tests/confirm_fm_suite.py).

    PYTHONPATH=. .venv/bin/python bench/confirm_fm.py --set calibration --jobs 2 --out /tmp/cal.jsonl
    PYTHONPATH=. .venv/bin/python bench/confirm_fm.py --set test --jobs 2 --out /tmp/test.jsonl
    PYTHONPATH=. .venv/bin/python bench/confirm_fm.py --summary /tmp/test.jsonl

Each case is one line of JSON (resumable: cases already in ``--out`` are skipped).
Calibration seeds start at 0, test seeds at 500000 (and the test set uses its wider
ranges: dwell times, offsets, SNR). Cases per class: ``--camera-led``, ``--camera-lights``,
``--blind``, ``--absent``, ``--other`` (per other kind). A case costs ~1.5 s of CPU per
second of IQ (the simulator's FM video renders at tens of MS/s); lights cases run
``--lights-seconds`` (20 s: with 1-2 s dwells, 15 s often holds fewer than the 10 changes
the test needs).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tests.confirm_fm_suite import OTHER_KINDS, run_case, weak_responder as weak  # noqa: E402

SEED0 = {"calibration": 0, "test": 500000}


def _one(job):
    cls, seed, ranges, stim, seconds = job
    try:
        c = run_case(cls, seed, ranges, stim, duration_s=seconds)
    except Exception as exc:  # a case that cannot be built is reported, not fatal
        return dict(cls=cls, seed=seed, ranges=ranges, stimulus=stim, error=f"{type(exc).__name__}: {exc}")
    r = c.result
    return dict(cls=cls, seed=seed, ranges=ranges, stimulus=stim, snr_db=round(c.snr_db, 2),
                offset_mhz=round(c.offset_hz / 1e6, 3), watching=r.watching, p=r.p, feature=r.feature,
                strength=round(float(r.strength), 3), heard=round(float(r.heard_share), 2),
                delay_s=r.delay_s, seconds=round(c.seconds, 1), weak=weak(c.label),
                picture=c.label.get("picture"), standard=c.label.get("standard"),
                dark_level=c.label.get("dark_level"), flash_gain=c.label.get("flash_gain"),
                exposure_s=c.label.get("exposure_s"), response_delay_s=c.label.get("response_delay_s"),
                invert=c.label.get("invert"), deviation_mhz=(c.label.get("deviation_hz") or 0) / 1e6)


def jobs(ranges: str, args) -> list:
    s0 = SEED0[ranges]
    out = []
    for i in range(args.camera_led):
        out.append(("camera", s0 + i, ranges, "led", 10.0))
    for i in range(args.camera_lights):
        out.append(("camera", s0 + 10000 + i, ranges, "lights", args.lights_seconds))
    for i in range(args.blind):
        out.append(("blind", s0 + i, ranges, "led" if i % 2 == 0 else "lights",
                    10.0 if i % 2 == 0 else args.lights_seconds))
    for i in range(args.absent):
        out.append(("absent", s0 + i, ranges, "led", 10.0))
    for kind in OTHER_KINDS:
        for i in range(args.other):
            out.append((kind, s0 + i, ranges, "led", 10.0))
    # classes interleaved, so a campaign stopped early still has some of each
    by_class = {}
    for j in out:
        by_class.setdefault((j[0], j[3]), []).append(j)
    lists = list(by_class.values())
    return [lst[i] for i in range(max(map(len, lists))) for lst in lists if i < len(lst)]


def _rate(rows, key="yes"):
    n = len(rows)
    k = sum(r["watching"] == key for r in rows)
    return f"{k}/{n} = {k / n:.3f}" if n else "-"


def summary(rows) -> None:
    for r in rows:
        if "error" in r:
            print("  error:", r)
    rows = [r for r in rows if "error" not in r]
    for ranges in ("calibration", "test"):
        rs = [r for r in rows if r["ranges"] == ranges]
        if not rs:
            continue
        print(f"== {ranges}: {len(rs)} cases, mean {np.mean([r['seconds'] for r in rs]):.1f} s each")
        cams = [r for r in rs if r["cls"] == "camera"]
        for stim in ("led", "lights"):
            c = [r for r in cams if r["stimulus"] == stim]
            print(f"  camera sees the room, {stim}: yes {_rate([r for r in c if not r['weak']])}"
                  f" (weak responders: {_rate([r for r in c if r['weak']])})")
            for lo, hi in ((5, 10), (10, 20), (20, 31)):
                b = [r for r in c if lo <= r["snr_db"] < hi and not r["weak"]]
                print(f"    SNR {lo}-{hi} dB: yes {_rate(b)}")
            miss = [r for r in c if r["watching"] != "yes" and not r["weak"]]
            for r in miss:
                print("      miss:", {k: r[k] for k in ("seed", "snr_db", "offset_mhz", "watching", "p", "picture",
                                                          "dark_level", "flash_gain", "exposure_s",
                                                          "response_delay_s", "heard")})
        for cls in ["blind", "absent"] + list(OTHER_KINDS):
            c = [r for r in rs if r["cls"] == cls]
            if c:
                print(f"  {cls}: yes {_rate(c)}, unknown {_rate(c, 'unknown')}")
        neg = [r for r in rs if r["cls"] not in ("camera", "absent")]
        print(f"  all negatives: yes {_rate(neg)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=("calibration", "test"), default="calibration")
    ap.add_argument("--camera-led", type=int, default=40)
    ap.add_argument("--camera-lights", type=int, default=15)
    ap.add_argument("--blind", type=int, default=20)
    ap.add_argument("--absent", type=int, default=5)
    ap.add_argument("--other", type=int, default=3)
    ap.add_argument("--lights-seconds", type=float, default=20.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default="/tmp/confirm_fm.jsonl")
    ap.add_argument("--summary", help="only summarise this file")
    args = ap.parse_args(argv)
    if args.summary:
        with open(args.summary) as fh:
            summary([json.loads(line) for line in fh if line.strip()])
        return 0
    done = set()
    if os.path.exists(args.out):
        with open(args.out) as fh:
            for line in fh:
                if line.strip():
                    r = json.loads(line)
                    done.add((r["cls"], r["seed"], r["ranges"], r["stimulus"]))
    todo = [j for j in jobs(args.set, args) if j[:4] not in done]
    t0 = time.time()
    with Pool(args.jobs) as pool, open(args.out, "a") as fh:
        for row in pool.imap_unordered(_one, todo):
            fh.write(json.dumps(row) + "\n")
            fh.flush()
    print(f"{len(todo)} cases in {time.time() - t0:.0f} s", file=sys.stderr)
    with open(args.out) as fh:
        summary([json.loads(line) for line in fh if line.strip()])
    return 0


if __name__ == "__main__":
    sys.exit(main())
