"""RF benchmarks: ratios against baselines measured in the same run.

    .venv/bin/python bench/bench_rf.py          (or: ./dev bench)

1. Analysis cost: 1 s of 2.4 MS/s cu8 through conversion, PSD, burst timing and the
   video detector, against a bare complex64 FFT of the same samples in 1024-point
   segments (target <= 1.5x), and as a multiple of real time (target >= 30x).
2. Sweep pacing: a 2.4 GHz band sweep through the rtl_tcp client against the
   simulator's rtl_tcp server streaming at the real sample rate, against the sweep's
   physical floor (settle + dwell per hop, and the old tuning's bytes the rtl_tcp
   client drops after each retune; target within 10%).
3. Peak memory (max RSS) of a full sweep process (target <= 120 MB).

Run pinned to one core (taskset) when available, so "one core" means one core.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import numpy as np

import _timing  # noqa: E402 (bench/ is the script directory)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sweeper.rf.analysis import analyze_window  # noqa: E402
from sweeper.rf.convert import cu8_to_complex64  # noqa: E402

RATE = 2.4e6


def best_of(fn, repeats=7):
    return _timing.best_of(fn, repeats)


def camera_cu8(seconds=1.0) -> bytes:
    """1 s of what a dongle tuned near the default room's camera delivers."""
    from sweeper.sim.frontend import RtlFrontEnd
    from sweeper.sim.scene import default_scene

    scene = default_scene()
    cam = next(e for e in scene.emitters if e.kind == "analog_video")
    x = scene.render(cam.freq_hz + 1e6, RATE, 0.0, int(seconds * RATE))
    return RtlFrontEnd(gain_db=30.0, seed=1).to_cu8(x, RATE).tobytes()


def bench_analysis():
    raw = camera_cu8()
    n = (len(raw) // 2 // 1024) * 1024

    def baseline():
        x = np.frombuffer(raw, dtype=np.uint8)  # noqa: F841 (same input, untouched)
        np.fft.fft(X[:n].reshape(-1, 1024), axis=1)

    X = cu8_to_complex64(raw)

    def full():
        x = cu8_to_complex64(raw)
        analyze_window(x, RATE, 0.0)

    full()  # warm FFT plans
    t_fft = best_of(baseline)
    t_full = best_of(full)
    w = analyze_window(cu8_to_complex64(raw), RATE, 0.0)
    return {
        "fft_1024_s": t_fft,
        "analysis_s": t_full,
        "ratio_vs_fft": t_full / t_fft,
        "x_realtime": 1.0 / t_full,
        "video_score": w.video.score,
    }


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def bench_sweep():
    """2.4 GHz sweep via rtl_tcp against a real-time simulator server (separate process)."""
    port = free_port()
    scene = os.path.join(ROOT, "tests", "data", "scene_rtltcp_2g4.yaml")
    server = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench", "_cached_server.py"), str(port),
                               scene], stdout=subprocess.PIPE, cwd=ROOT, text=True)
    try:
        server.stdout.readline()  # "ready" once every hop is pre-rendered
        _wait_port(port)
        cmd = [sys.executable, os.path.join(ROOT, "bench", "_sweep_child.py"), str(port)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
        return json.loads(out.stdout)
    finally:
        server.terminate()
        server.wait(5)


def _wait_port(port, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("simulator server did not start")


def main():
    print("Sweeper RF benchmarks (one process; ratios from this run)")
    a = bench_analysis()
    print(f"analysis of 1 s @ 2.4 MS/s cu8: {a['analysis_s'] * 1e3:.1f} ms; bare 1024-pt complex64 FFT: "
          f"{a['fft_1024_s'] * 1e3:.1f} ms; ratio {a['ratio_vs_fft']:.2f}x (target <= 1.5x); "
          f"{a['x_realtime']:.0f}x real time (target >= 30x); video score {a['video_score']:.2f}")
    s = bench_sweep()
    print(f"2.4 GHz sweep via rtl_tcp, real-time server: {s['hops']} hops in {s['elapsed_s']:.3f} s; physical "
          f"floor {s['floor_s']:.3f} s; ratio {s['elapsed_s'] / s['floor_s']:.3f} (target <= 1.10); "
          f"verdict {s['verdict']}")
    print(f"peak RSS of that sweep process: {s['max_rss_mb']:.1f} MB (target <= 120 MB)")
    demo = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "_peak_rss.py"), "demo", "--json"],
                          capture_output=True, text=True, cwd=ROOT)
    print(f"peak RSS of `sweeper demo` (full 3-band sweep, simulator in the same process): "
          f"{demo.stderr.strip().splitlines()[-1]}; verdict {json.loads(demo.stdout)['verdict']}")


if __name__ == "__main__":
    main()
