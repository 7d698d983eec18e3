"""Child of bench_wifi.py's memory check: feed a TrafficAnalyzer ``seconds`` of the
built-in room, rendered slice by slice and never stored, then print one JSON line.

Its own process, so the peak (VmHWM) is this capture's alone and not the parent's.

    python bench/_wifi_mem_child.py SECONDS [SEED]
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _peak_rss import peak_rss_mb  # noqa: E402

from sweeper.sim.wifi.room import default_wifi_scene  # noqa: E402
from sweeper.wifi.analysis import TrafficAnalyzer  # noqa: E402
from sweeper.wifi.source import LINKTYPE_IEEE802_11_RADIOTAP  # noqa: E402

SNAPLEN = 256  # as the live capture


def rss_now_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    seconds = float(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    scene = default_wifi_scene()
    rng = np.random.default_rng(seed)
    an = TrafficAnalyzer()
    start_mb = rss_now_mb()
    t = time.perf_counter()
    max_carry = 0
    first_peak = None
    for run, ev in scene.iter_events(seconds, rng):
        an.feed(run.render(ev, LINKTYPE_IEEE802_11_RADIOTAP, SNAPLEN, rng, 0))
        max_carry = max(max_carry, len(an.windows._carry))
        if first_peak is None:  # shows whether the peak is set at once or grows
            first_peak = peak_rss_mb()
    carry_end = len(an.windows._carry)  # before finish(), which empties it
    an.finish()
    verdict = an.report()["verdict"]
    print(json.dumps({
        "seconds": seconds,
        "frames": an.stats.records,
        "elapsed_s": time.perf_counter() - t,
        "rss_start_mb": start_mb,
        "peak_first_slice_mb": first_peak,
        "peak_rss_mb": peak_rss_mb(),
        "carry_frames": carry_end,
        "carry_frames_max": max_carry,
        "devices": len(an.devices),
        "devices_dropped": an.evicted,
        "ssids": len(an.ssids),
        "windows_scored": an.windows_scored,
        "verdict": verdict,
    }))


if __name__ == "__main__":
    main()
