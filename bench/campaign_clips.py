"""Clip-uploading cameras over long captures: hit rate and false alarms of the clip rule.

    .venv/bin/python bench/campaign_clips.py [rooms per set] [seconds per room]

The clip rule (sweeper/wifi/clips.py) needs minutes of capture, which the 10-s rooms
of bench/calibrate_wifi.py never give. Here every room lasts ``seconds`` (default 240):

* camera-free rooms of the hard negatives (IoT TLS bursts, photo backups, bulk uploads,
  IoT keepalives, idle phones, browsing, downloads, video calls), in the simulator's
  calibration and test ranges: any transmitter made a suspect by its clips is a false
  alarm (window-based flags are counted apart);
* rooms with one clip-uploading camera triggered every 15-60 s, test ranges: a hit when
  the camera uploaded at least two clips after silences (from the simulator's events)
  and was found as a suspect.
"""
from __future__ import annotations

import collections
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import test_wifi_clips as T  # noqa: E402
from sweeper.sim.wifi import events as E  # noqa: E402
from sweeper.sim.wifi.room import random_room  # noqa: E402
from sweeper.wifi.analysis import TrafficAnalyzer  # noqa: E402

KINDS = ["iot_tls_burst", "photo_backup", "bulk_upload", "iot_keepalive", "phone_idle", "browsing", "download",
         "video_call"]


def clear_rooms(seeds, ranges, seconds):
    total, flagged, clip_flagged = collections.Counter(), collections.Counter(), collections.Counter()
    for seed in seeds:
        rng = np.random.default_rng(seed)
        room = random_room(rng, camera=False, n_negatives=6, ranges=ranges, kinds=KINDS)
        an = TrafficAnalyzer()
        for run, ev in room.iter_events(seconds, rng):
            an.feed(run.render(ev, 127, None, rng, 0))
        an.finish()
        labels = room.labels()
        for info in labels.values():
            total[info["kind"]] += 1
        for f in an.report()["findings"]:
            kind = labels.get(f["mac"], {}).get("kind", "unlabelled")
            flagged[kind] += 1
            if "short one-way uploads" in f["reasons"][0]:
                clip_flagged[kind] += 1
                print(f"  clip suspect: room {seed} ({ranges}), {kind} {f['mac']}: {f['reasons'][0]}")
    return total, flagged, clip_flagged


def main(argv):
    n = int(argv[1]) if len(argv) > 1 else 40
    seconds = float(argv[2]) if len(argv) > 2 else 240.0
    for ranges, base in (("calibration", 2000), ("test", 1000)):
        t = time.time()
        total, flagged, clip_flagged = clear_rooms(range(base, base + n), ranges, seconds)
        print(f"{ranges}: {n} camera-free rooms of {seconds:.0f} s ({time.time() - t:.0f} s): "
              f"clip suspects {sum(clip_flagged.values())}/{sum(total.values())} transmitters "
              f"{dict(clip_flagged)}; flagged by window cues {sum(flagged.values()) - sum(clip_flagged.values())}")
    T.DURATION_S = seconds
    hits = positives = 0
    t = time.time()
    for seed in range(3000, 3000 + n):
        labels, found, ev = T.long_room(seed, camera=True)
        for mac, info in labels.items():
            if info["camera"] and T.clip_uploads_heard(ev, E.mac_to_int(mac)) >= 2:
                positives += 1
                hits += mac in found and found[mac]["verdict"] == "suspect"
    print(f"clip cameras: {hits}/{positives} found as suspects ({n} rooms, {time.time() - t:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
