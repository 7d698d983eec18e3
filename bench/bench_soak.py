"""Soak benchmark: the long-lived daemon's memory over many sweeps (issue 15).

    sudo .venv/bin/python bench/bench_soak.py      (or: ./dev bench)
    options: --sweeps N (default 200), --minutes M (stop triggering after M minutes: a
    shorter run, said so in the report), --wifi-s S (wifi.duration_s, default 2),
    --stream rtp|blink (the Wi-Fi traffic, default rtp: a camera, so every sweep also
    has findings to rank, compare with the baseline and record). About 9 minutes.

What it measures: ``sweeper run`` (NOT ``--once``: one process that lives on, as systemd
runs it) asked for a sweep N times through its control socket with ``sweeper trigger``,
as the per-room timers do, each started when the previous one is in the history. After
each sweep it reads the daemon's resident memory (VmRSS, /proc/PID/status), and VmHWM at
the end. The sweeps go through the hardware code paths, set up by
bench/bench_daemon_rss.py (imported, not copied): RF is ``rf.source: rtl_tcp`` against
``sweeper sim rtl-tcp --front-end direct`` in another process, Wi-Fi is ``wifi.source:
wired`` on a veth pair fed by a sender process in a network namespace. Each sweep is
short so that 200 fit: one 20 MHz RF band (probe, 1230-1250 MHz, antenna on the dongle)
and a 2 s Wi-Fi capture. Display, buzzer, buttons and MQTT are off; the history goes to a
temporary directory with the default retention (keep_days 365: it grows by design, on
disk, and the report gives its size).

Figures: RSS after every 10th sweep, min/max; the growth over the last 100 sweeps (the
median of the 10 sweeps that end the warm-up against the median of the last 10; target
<= 5%) and the slope of a line fitted to them; the peak (VmHWM, target <= 120 MB);
sweeps per minute; the history's size. The daemon's process is ``python -c`` calling
``sweeper.cli.main(["--config", CFG, "run"])`` (what ``sweeper run`` runs) with a SIGUSR2
handler that writes the length of every container held by a ``sweeper`` module or by an
object of a ``sweeper`` class, and the cache sizes of lru_caches; it is read at the end
of the warm-up and after the last sweep, and the report lists every container that grew
between the two (a bounded cache stops growing once full: it is listed with its bound).

It exits 1 when the run is not a measurement: the daemon died or exited non-zero, a sweep
did not complete within its timeout, a sweep's RF or Wi-Fi part did not run or failed,
the Wi-Fi part heard nothing, or the sender sent nothing. A missed target is reported,
not an error.
"""
import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_daemon_rss as rss  # noqa: E402  (Veth, start_rtltcp, send, write_config, ...)

ROOT, BENCH, PY = rss.ROOT, rss.BENCH, rss.PY
TARGET_MB = rss.TARGET_MB
TARGET_GROWTH = 0.05
WINDOW = 100  # the growth is judged over the last this many sweeps
SWEEP_TIMEOUT_S = 120.0
BAND = {"name": "probe", "start_mhz": 1230, "stop_mhz": 1250}

# The daemon's process: exactly `sweeper --config CFG run`, plus a SIGUSR2 handler that
# writes what every container of sweeper's holds (one JSON line appended to $SOAK_SNAPSHOT).
DAEMON_CHILD = """\
import collections, gc, json, os, signal, sys, types

def _size(v):
    if isinstance(v, (dict, list, set, frozenset, collections.deque, bytearray)):
        return len(v)
    info = getattr(v, "cache_info", None)
    if callable(info):
        try:
            i = info()
            return i.currsize
        except Exception:
            return None
    return None

def snapshot(*_):
    try:
        _snapshot()
    except Exception as exc:  # a benchmark's probe must never stop the daemon
        with open(os.environ["SOAK_SNAPSHOT"], "a") as f:
            f.write(json.dumps({"error": repr(exc)}) + "\\n")

def _snapshot():
    sizes = {}
    for name, mod in list(sys.modules.items()):
        if not name.startswith("sweeper") or mod is None:
            continue
        for attr, v in list(vars(mod).items()):
            n = _size(v)
            if n is not None and not isinstance(v, type) and not attr.startswith("__"):
                sizes[f"{name}.{attr}"] = n
    objs = gc.get_objects()
    types_ = collections.Counter(type(o).__qualname__ for o in objs)
    for o in objs:  # what the weak references point at (they grew by ~2 a sweep)
        if type(o).__name__ == "ReferenceType":
            r = o()
            types_["weakref->" + (type(r).__qualname__ if r is not None else "dead")] += 1
    for o in objs:
        t = type(o)
        m = getattr(t, "__module__", None)
        if not isinstance(m, str) or not m.startswith("sweeper") or isinstance(o, (type, types.ModuleType)):
            continue
        for attr, v in list(getattr(o, "__dict__", {}).items()):
            n = _size(v)
            if n is not None:
                key = f"{t.__module__}.{t.__qualname__}.{attr}"
                sizes[key] = max(sizes.get(key, 0), n)
    with open(os.environ["SOAK_SNAPSHOT"], "a") as f:
        f.write(json.dumps({"objects": len(objs), "types": types_, "sizes": sizes}) + "\\n")

signal.signal(signal.SIGUSR2, snapshot)
from sweeper.cli import main
sys.exit(main(sys.argv[1:]))
"""


def vm(pid, key):
    """VmRSS / VmHWM of ``pid`` in MB (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def last_sweep(db_path):
    """(id, hardware, problems, counts, spectra rows) of the newest sweep, read-only; None before the first."""
    if not os.path.exists(db_path):
        return None
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        try:
            row = db.execute("SELECT id, hardware, problems, counts, elapsed_s FROM sweeps ORDER BY id DESC LIMIT 1"
                             ).fetchone()
            if row is None:
                return None
            spectra = db.execute("SELECT count(*) FROM spectra WHERE sweep_id = ?", (row[0],)).fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return None  # not created yet, or busy: the next poll sees it
    return row[0], json.loads(row[1]), json.loads(row[2]), json.loads(row[3]), spectra, row[4]


def sweep_problem(rec):
    """Why this sweep is not one on both hardware paths (None when it is)."""
    sid, hardware, problems, counts, spectra, _ = rec
    bad = [f"{n}: {why}" for n, why in hardware.items() if why != "ok"]
    bad += [f"{n} failed mid-sweep: {why}" for n, why in problems.items()]
    if not spectra:
        bad.append("the RF part recorded no spectrum")
    if not counts.get("wifi_devices"):
        bad.append(f"the Wi-Fi part heard no transmitter (counts {counts})")
    return f"sweep {sid}: " + "; ".join(bad) if bad else None


def snapshot(proc, path, timeout=30.0):
    """Ask the daemon for its container sizes (SIGUSR2); the new JSON line, or None."""
    before = os.path.getsize(path) if os.path.exists(path) else 0
    proc.send_signal(signal.SIGUSR2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > before:
            time.sleep(0.2)
            with open(path) as f:
                f.seek(before)
                line = f.readline()
            if line.endswith("\n"):
                return json.loads(line)
        time.sleep(0.1)
    return None


def grown(first, last):
    """[(name, before, after)] of the containers that grew between two snapshots."""
    if not first or not last:
        return []
    out = []
    for name, after in sorted(last["sizes"].items()):
        before = first["sizes"].get(name, 0)
        if after > before:
            out.append((name, before, after))
    return out


def slope(ys):
    """Least-squares slope of ys against 0..n-1."""
    n = len(ys)
    mx, my = (n - 1) / 2, sum(ys) / n
    den = sum((x - mx) ** 2 for x in range(n))
    return sum((x - mx) * (y - my) for x, y in enumerate(ys)) / den if den else 0.0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweeps", type=int, default=200, help="sweeps to run (default 200)")
    ap.add_argument("--minutes", type=float, help="stop triggering after this many minutes")
    ap.add_argument("--wifi-s", type=float, default=2.0, help="wifi.duration_s (default 2)")
    ap.add_argument("--stream", choices=["rtp", "blink"], default="rtp",
                    help="Wi-Fi traffic: a synthetic RTP camera (default) or the Blink camera's uploads")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("bench_soak: needs root (a veth pair, a network namespace, raw sockets): run it with sudo",
              file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    base = rss.baseline_mb()
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    os.environ["PYTHONPATH"] = env["PYTHONPATH"]  # the simulator and the sender, too
    server = sender = daemon = None
    rows, bad, snaps, tail, log_lines = [], [], [], [], []
    hwm = None
    rc = None
    try:
        with tempfile.TemporaryDirectory(prefix="sweeper-soak-") as tmp, rss.Veth() as veth:
            try:
                server, port = rss.start_rtltcp(None, os.path.join(tmp, "rtltcp.log"))
                sender = subprocess.Popen(veth.prefix(veth.inject) + [PY, rss.__file__, "--send", veth.inject,
                                                                       "--stream", args.stream],
                                          cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env)
                stream = json.loads(rss.read_line(sender, sender.stdout, 60, "the frame sender"))["stream"]
                cfg_path, db_path = os.path.join(tmp, "config.yaml"), os.path.join(tmp, "history.db")
                rss.write_config(cfg_path, port, veth.capture, args.wifi_s, [BAND], db_path)
                run_dir = os.path.join(tmp, "run")
                os.mkdir(run_dir, 0o750)
                env["RUNTIME_DIRECTORY"] = run_dir
                env["SOAK_SNAPSHOT"] = snap_path = os.path.join(tmp, "snapshots.jsonl")
                daemon_log = open(os.path.join(tmp, "daemon.log"), "w")
                daemon = subprocess.Popen([PY, "-c", DAEMON_CHILD, "--config", cfg_path, "run"], cwd=ROOT,
                                          env=env, stdout=daemon_log, stderr=subprocess.STDOUT)
                sock = os.path.join(run_dir, "control.sock")
                deadline = time.monotonic() + 60
                while not os.path.exists(sock) and daemon.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.1)
                if not os.path.exists(sock):
                    daemon_log.flush()
                    with open(daemon_log.name) as f:
                        said = f.read().strip()[-800:]
                    raise RuntimeError(f"the daemon did not open its control socket {sock}: {said or 'no output'}")
                rss_idle = vm(daemon.pid, "VmRSS")
                trigger = [PY, "-m", "sweeper", "--config", cfg_path, "trigger"]
                warmup = args.sweeps - WINDOW if args.sweeps > WINDOW else args.sweeps // 2
                t0 = time.monotonic()
                last_id = 0
                for i in range(1, args.sweeps + 1):
                    if args.minutes and time.monotonic() - t0 > args.minutes * 60:
                        break
                    t = time.monotonic()
                    trig = subprocess.run(trigger, cwd=ROOT, env=env, timeout=60, capture_output=True, text=True)
                    t_trig = time.monotonic() - t
                    if trig.returncode != 0:
                        bad.append(f"`sweeper trigger` failed at sweep {i} (exit {trig.returncode}): "
                                   f"{trig.stderr.strip()[-300:]}")
                        break
                    rec = None
                    while time.monotonic() - t < SWEEP_TIMEOUT_S and daemon.poll() is None:
                        rec = last_sweep(db_path)
                        if rec and rec[0] > last_id:
                            break
                        rec = None
                        time.sleep(0.05)
                    if rec is None:
                        bad.append(f"sweep {i} did not complete within {SWEEP_TIMEOUT_S:.0f} s"
                                   if daemon.poll() is None else f"the daemon died at sweep {i} "
                                   f"(exit {daemon.returncode})")
                        break
                    last_id = rec[0]
                    why = sweep_problem(rec)
                    if why:
                        bad.append(why)
                    rows.append((i, vm(daemon.pid, "VmRSS"), time.monotonic() - t, rec[5], t_trig))
                    if i == warmup or i == args.sweeps:
                        snaps.append((i, snapshot(daemon, snap_path)))
                    if i % 10 == 0:
                        print(f"  ... sweep {i}: {rows[-1][1]:.1f} MB", file=sys.stderr, flush=True)
                wall = time.monotonic() - t0
                if rows and (not snaps or snaps[-1][0] != rows[-1][0]):
                    snaps.append((rows[-1][0], snapshot(daemon, snap_path)))
                hwm = vm(daemon.pid, "VmHWM")
                db_sizes = {s: os.path.getsize(db_path + s) if os.path.exists(db_path + s) else 0
                            for s in ("", "-wal", "-shm")}
                db_bytes = sum(db_sizes.values())
                alive = daemon.poll() is None
                daemon.send_signal(signal.SIGTERM)
                try:
                    rc = daemon.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                    rc = daemon.wait()
                    bad.append("the daemon did not stop within 30 s of SIGTERM")
                if not alive:
                    bad.append(f"the daemon was not running at the end (exit {daemon.returncode})")
                elif rc != 0:
                    bad.append(f"the daemon exited with {rc} on SIGTERM")
                daemon_log.close()
                with open(daemon_log.name) as f:
                    log_lines = f.read().splitlines()
            finally:
                if daemon is not None and daemon.poll() is None:
                    daemon.kill()
                    daemon.wait()
                tail = rss.stop_process(sender).strip().splitlines()
                rss.stop_process(server)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        print(f"bench_soak: error: {exc}", file=sys.stderr)
        return 1
    try:
        sent = json.loads(tail[-1]) if tail else {}
    except ValueError:
        sent = {}
    if not sent.get("frames"):
        bad.append("the frame sender sent nothing")

    n = len(rows)
    print("Sweeper soak benchmark (sweeper run, a long-lived daemon; sweeps triggered with `sweeper trigger`)")
    print(f"RF: rtl_tcp client -> `sweeper sim rtl-tcp --front-end direct` (another process), band "
          f"{BAND['name']} {BAND['start_mhz']}-{BAND['stop_mhz']} MHz; Wi-Fi: wired AF_PACKET capture on a "
          f"veth, {args.wifi_s:g} s per sweep; frames sent: {sent.get('frames', 0)} "
          f"({sent.get('mbit_s', 0):.2f} Mbit/s, {sent.get('errors', 0)} errors): {stream}")
    short = f" (of {args.sweeps} asked: stopped after --minutes {args.minutes:g})" if n < args.sweeps and not bad \
        else ""
    print(f"sweeps completed: {n}{short}; {n / (wall / 60):.1f} sweeps/minute "
          f"({wall / max(n, 1):.2f} s each from trigger to record; the daemon's sweep "
          f"{statistics.median(r[3] for r in rows):.2f} s, `sweeper trigger` {statistics.median(r[4] for r in rows):.2f} s, "
          f"medians)" if n else "sweeps completed: 0")
    if n:
        mbs = [r[1] for r in rows]
        print(f"RSS idle before the first sweep: {rss_idle:.1f} MB; bare `import sweeper.cli`: {base:.1f} MB")
        print("RSS after sweep (MB):")
        marks = [r for r in rows if r[0] == 1 or r[0] % 10 == 0 or r[0] == n]
        for k in range(0, len(marks), 7):
            print("  " + "  ".join(f"#{i:<3d} {mb:6.1f}" for i, mb, *_ in marks[k:k + 7]))
        lo, hi = min(rows, key=lambda r: r[1]), max(rows, key=lambda r: r[1])
        print(f"min {lo[1]:.1f} MB (sweep {lo[0]}), max {hi[1]:.1f} MB (sweep {hi[0]})")
        win = min(WINDOW, n // 2)
        if win >= 10:
            ref = statistics.median(mbs[n - win - 10:n - win]) if n - win >= 10 else mbs[n - win - 1]
            end = statistics.median(mbs[-10:])
            growth = end / ref - 1
            per = slope(mbs[-win:]) * 1024
            verdict = "PASS" if growth <= TARGET_GROWTH else "FAIL"
            print(f"growth over the last {win} sweeps (after a {n - win}-sweep warm-up): {ref:.1f} -> {end:.1f} MB "
                  f"(medians of 10), {growth * 100:+.1f}%; fitted slope {per:+.1f} KB/sweep; "
                  f"target <= {TARGET_GROWTH * 100:.0f}%: {verdict}")
        else:
            print("growth: too few sweeps to judge (needs 20)")
        peak = hwm if hwm is not None else float("nan")
        print(f"peak RSS (VmHWM) over the run: {peak:.1f} MB; ratio to bare import {peak / base:.2f}x; "
              f"target <= {TARGET_MB:.0f} MB: {'PASS' if peak <= TARGET_MB else 'FAIL'}")
        print(f"history: {db_bytes / 1024:.0f} KiB for {n} sweeps ({db_bytes / n / 1024:.1f} KiB/sweep): the "
              f"database {db_sizes[''] / 1024:.0f} KiB, its write-ahead log {db_sizes['-wal'] / 1024:.0f} KiB "
              f"(kept under 4 MiB) and index {db_sizes['-shm'] / 1024:.0f} KiB; retention keep_days 365, "
              "max_sweeps 20000, max_mb 100: it grows on disk by design, up to those bounds")
    if len(snaps) >= 2 and snaps[0][1] and snaps[-1][1]:
        (ia, a), (ib, b) = snaps[0], snaps[-1]
        print(f"containers of sweeper's modules and objects: {len(b['sizes'])} watched; Python objects "
              f"{a['objects']} after sweep {ia}, {b['objects']} after sweep {ib}")
        g = grown(a, b)
        for name, x, y in g:
            print(f"  grew: {name}: {x} -> {y}")
        if not g:
            print(f"  none grew between sweep {ia} and sweep {ib}")
        dt = sorted(((b["types"].get(k, 0) - a["types"].get(k, 0), k) for k in set(a["types"]) | set(b["types"])),
                    reverse=True)
        print("  Python object types that grew most: " + (", ".join(f"{k} {d:+d}" for d, k in dt[:6] if d > 0)
                                                        or "none"))
        top = sorted(b["sizes"].items(), key=lambda kv: -kv[1])[:5]
        print("  largest: " + ", ".join(f"{k} {v}" for k, v in top))
    else:
        print("containers: no snapshot")
        if rows:
            bad.append("the daemon did not answer the container snapshot")
    if bad:
        for line in log_lines[-15:]:
            print(f"  daemon log: {line}")
        for why in bad[:20]:
            print(f"NOT A MEASUREMENT: {why}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
