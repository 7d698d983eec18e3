"""`sweeper analyze` of whole recordings: speed and memory, against baselines measured in
the same run.

    .venv/bin/python bench/bench_analyze.py          (or: ./dev bench)

1. Speed: a 60 s 2.4 MS/s cu8 recording of a room visit (tests/recording_suite.py: the
   room's 2.4 GHz neighbours, a PAL camera on for 2 s) analysed whole, from the file to
   the merged report, as `sweeper analyze` does it; against a bare complex64 FFT of the
   same whole file in 1024-point segments (one np.fft.fft call per second of samples,
   as bench_rf.py's baseline; the samples already converted, so the baseline does not
   read or convert anything). Targets: >= 30x real time on one core, <= 1.5x the FFT.
   The FFT in cache-sized blocks of 128 segments (the fastest way numpy does it, and
   the way the analysis does it) is printed too: the analysis cannot be cheaper than that.
2. Memory: peak RSS of the `sweeper analyze` process on a 10-minute 2.4 MS/s recording
   (1.44 GB of cu8; noise: four seconds of the simulated dongle's noise repeated), then
   the same bytes as a SigMF recording, then a 10-minute complex64 .npy (11.5 GB,
   sparse: a second of noise every 20 s, the rest holes that read as zeros), against a
   60 s cu8 of the same noise and a bare `import sweeper.cli`. Target: <= 150 MB.

Run pinned to one core (taskset) when available, so "one core" means one core. The
files go to a temporary folder (set TMPDIR to choose where), deleted afterwards.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

import _timing  # noqa: E402 (bench/ is the script directory)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from recording_suite import CENTER_HZ, RATE, Background, camera_burst, write_recording  # noqa: E402
from sweeper.rf.convert import cu8_to_complex64  # noqa: E402
from sweeper.rf.sources.recording import open_recording  # noqa: E402
from sweeper.rf.timeline import analyze_windows, window_samples  # noqa: E402
from sweeper.sim.frontend import RtlFrontEnd  # noqa: E402

MINUTE = 60.0
TEN_MINUTES = 600.0
BURST_AT_S = 23.37


def analyse(path, fmt=None):
    rec = open_recording(path, fmt=fmt, sample_rate=RATE, center_hz=CENTER_HZ)
    windows = ((start / RATE, x) for start, x in rec.windows(window_samples(RATE)))
    return analyze_windows(windows, RATE, CENTER_HZ).report()


def fft_baselines(path):
    """(one call per second, blocks of 128 segments): seconds for the whole file."""
    per_call = blocked = 0.0
    step = int(RATE) * 2
    with open(path, "rb") as f:
        while True:
            raw = f.read(step)
            if not raw:
                break
            x = cu8_to_complex64(raw)
            seg = x[: x.size // 1024 * 1024].reshape(-1, 1024)
            per_call += _timing.best_of(lambda: np.fft.fft(seg, axis=1), 3)

            def in_blocks():
                for i in range(0, len(seg), 128):
                    np.fft.fft(seg[i:i + 128], axis=1)
            blocked += _timing.best_of(in_blocks, 3)
    return per_call, blocked


def bench_speed(tmp):
    path = os.path.join(tmp, "visit.cu8")
    t = time.perf_counter()
    write_recording(path, MINUTE, Background(), [(camera_burst(2.0), BURST_AT_S)])
    made = time.perf_counter() - t
    rep = analyse(path)  # warm: page cache, FFT plans
    t_analysis = min(_run_time(lambda: analyse(path)) for _ in range(3))
    t_fft, t_blocked = fft_baselines(path)
    os.unlink(path)
    return {"made_s": made, "analysis_s": t_analysis, "fft_s": t_fft, "fft_blocked_s": t_blocked,
            "findings": [(str(f["verdict"]), f["first_s"], f["last_s"]) for f in rep["findings"]]}


def _run_time(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def write_noise_cu8(path, seconds):
    """``seconds`` of the simulated dongle's noise: four distinct seconds, repeated."""
    fe = RtlFrontEnd(gain_db=43.9, seed=2)
    pool = [fe.to_cu8(np.zeros(int(RATE), np.complex64), RATE).tobytes() for _ in range(4)]
    with open(path, "wb") as f:
        for i in range(int(seconds)):
            f.write(pool[i % 4])


def write_sparse_npy(path, seconds):
    """A complex64 .npy of ``seconds``: a second of noise every 20 s, holes elsewhere."""
    n = int(round(seconds * RATE))
    arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.complex64, shape=(n,))
    fe = RtlFrontEnd(gain_db=43.9, seed=3)
    second = cu8_to_complex64(fe.to_cu8(np.zeros(int(RATE), np.complex64), RATE))
    for start in range(0, n, 20 * int(RATE)):
        arr[start:start + second.size] = second[: n - start]
        arr.flush()
    del arr


def peak_rss(*args):
    """(peak RSS in MB, stdout) of `sweeper ARGS` in its own process."""
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "_peak_rss.py"), *args],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return float(out.stderr.strip().splitlines()[-1].split()[0]), out.stdout


def bench_memory(tmp):
    rate = ["--sample-rate", str(RATE), "--json"]
    res = {"import": peak_rss("config")[0]}
    short = os.path.join(tmp, "minute.cu8")
    write_noise_cu8(short, MINUTE)
    res["cu8_60s"] = peak_rss("analyze", short, *rate)[0]
    os.unlink(short)
    long = os.path.join(tmp, "ten_minutes.cu8")
    write_noise_cu8(long, TEN_MINUTES)
    t = time.perf_counter()
    res["cu8_600s"], out = peak_rss("analyze", long, *rate)
    res["cu8_600s_time"] = time.perf_counter() - t
    res["cu8_600s_windows"] = json.loads(out)["windows"]
    base = os.path.join(tmp, "ten_minutes")
    os.rename(long, base + ".sigmf-data")
    with open(base + ".sigmf-meta", "w") as f:
        json.dump({"global": {"core:datatype": "cu8", "core:sample_rate": RATE, "core:version": "1.0.0"},
                   "captures": [{"core:sample_start": 0, "core:frequency": CENTER_HZ}], "annotations": []}, f)
    res["sigmf_600s"] = peak_rss("analyze", base + ".sigmf-meta", "--json")[0]
    os.unlink(base + ".sigmf-data")
    npy = os.path.join(tmp, "ten_minutes.npy")
    write_sparse_npy(npy, TEN_MINUTES)
    res["npy_600s"], out = peak_rss("analyze", npy, *rate)
    res["npy_600s_windows"] = json.loads(out)["windows"]
    os.unlink(npy)
    return res


def main(argv):
    """``speed`` or ``memory`` runs only that part."""
    parts = [a for a in argv if a in ("speed", "memory")] or ["speed", "memory"]
    print("Sweeper `analyze` benchmarks (one process; ratios from this run)")
    tmp = tempfile.mkdtemp(prefix="sweeper-bench-analyze-")
    try:
        if "speed" in parts:
            speed(bench_speed(tmp))
        if "memory" in parts:
            memory(bench_memory(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def speed(s):
    print(f"whole-file analysis of a 60 s 2.4 MS/s cu8 (a room visit, a camera on 2 s; found: "
          f"{s['findings']}): {s['analysis_s']:.2f} s, {MINUTE / s['analysis_s']:.1f}x real time "
          f"(target >= 30x); bare complex64 1024-pt FFT of the same whole file, one call per second: "
          f"{s['fft_s']:.2f} s, ratio {s['analysis_s'] / s['fft_s']:.2f}x (target <= 1.5x); the same FFT in "
          f"blocks of 128 segments: {s['fft_blocked_s']:.2f} s, ratio {s['analysis_s'] / s['fft_blocked_s']:.2f}x")


def memory(m):
    print(f"peak RSS of `sweeper analyze`: 10-minute 2.4 MS/s cu8 (1.44 GB, {m['cu8_600s_windows']} windows, "
          f"{m['cu8_600s_time']:.0f} s) {m['cu8_600s']:.1f} MB (target <= 150 MB); the same as SigMF "
          f"{m['sigmf_600s']:.1f} MB; a 10-minute complex64 .npy (11.5 GB, sparse) {m['npy_600s']:.1f} MB; "
          f"a 60 s cu8 {m['cu8_60s']:.1f} MB; a bare `import sweeper.cli` {m['import']:.1f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
