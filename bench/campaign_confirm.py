"""Confirmation campaign (issue 16): how often ``watching: yes`` on labelled simulated rooms.

    .venv/bin/python bench/campaign_confirm.py [--rooms N] [--stimulus led|lights]
        [--ranges calibration|test] [--seed S] [--duration S] [--workers W]

Rooms come from tests/confirm_suite.py (random rooms, cameras streaming live, a third
of them not seeing the room, a random stimulus schedule, the capture parked on a
camera's channel, every transmitter with traffic tested through the product's parser).
Thresholds were set on calibration seeds (1000+); report on test ranges with other
seeds (500000+): ``--ranges test --seed 500000``.

Prints, per group: cameras that see the room by rate control (VBR, CBR), and apart:
low-rate cameras (150-400 kbit/s) and cameras that barely respond (response gain < 0.2,
a simulated 10%); then every kind of transmitter that does not see the room (cameras
elsewhere, uploads, calls, streams...) with its share called ``yes``.
"""
import argparse
import collections
import os
import sys
import time
from multiprocessing import Pool

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

from confirm_suite import run_room  # noqa: E402


def _one(job):
    seed, ranges, stimulus, duration = job
    return [(c.positive, c.kind, c.rc, c.kbps, float(c.label.get("response_gain", 1.0)), c.result.watching,
             c.result.p) for c in run_room(seed, ranges, stimulus, duration)]


def group(positive, kind, rc, kbps, gain) -> str:
    if not positive:
        return f"not seeing: {kind}"
    if gain < 0.2:
        return "seeing, barely responds"
    if kbps < 400:
        return f"seeing, low rate {rc.upper()}"
    return f"seeing, {rc.upper()}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rooms", type=int, default=100)
    ap.add_argument("--stimulus", choices=["led", "lights"], default="led")
    ap.add_argument("--ranges", choices=["calibration", "test"], default="test")
    ap.add_argument("--seed", type=int, default=500000)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of stimulus (default 30)")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args(argv)
    duration = a.duration
    t0 = time.time()
    jobs = [(a.seed + i, a.ranges, a.stimulus, duration) for i in range(a.rooms)]
    with Pool(a.workers) as pool:
        rows = [r for room in pool.map(_one, jobs) for r in room]
    counts = collections.defaultdict(collections.Counter)
    for positive, kind, rc, kbps, gain, watching, p in rows:
        counts[group(positive, kind, rc, kbps, gain)][watching] += 1
    print(f"confirmation campaign: {a.rooms} rooms, stimulus {a.stimulus}, {duration:g} s, ranges {a.ranges}, "
          f"seeds {a.seed}-{a.seed + a.rooms - 1}, {time.time() - t0:.0f} s")
    print(f"{'group':42s} {'n':>5s} {'yes':>7s} {'no_response':>12s} {'unknown':>8s}")
    for name in sorted(counts, key=lambda g: (g.startswith("not"), g)):
        c = counts[name]
        n = sum(c.values())
        print(f"{name:42s} {n:5d} {c['yes'] / n:7.1%} {c['no_response'] / n:12.1%} {c['unknown'] / n:8.1%}")
    neg = [r for r in rows if not r[0]]
    print(f"every transmitter that does not see the room: {sum(r[5] == 'yes' for r in neg)}/{len(neg)} called yes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
