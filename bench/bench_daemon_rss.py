"""Device benchmark: peak memory of the daemon's full sweep on the hardware code paths.

    sudo .venv/bin/python bench/bench_daemon_rss.py      (or: ./dev bench)
    options: --wifi-s S (Wi-Fi sweep length, default 20), --band NAME (repeatable; default
    900MHz and 1.2GHz), --scene FILE (scene the rtl_tcp simulator serves; default the
    built-in room), --stream blink|rtp (the Wi-Fi traffic, below), --keep (also print
    the daemon's config and JSON). About 35 s.

What it measures: the peak resident memory (VmHWM, read by the process itself just before
it exits, as bench/_peak_rss.py does) of ``sweeper run --once --json`` sweeping RF and
Wi-Fi together, once. A Pi Zero 2 W has 512 MB of RAM shared with the GPU and the OS, so
the daemon's target is <= 120 MB. The sweep must go through the code the device runs in
the field, with no simulator inside the daemon's process:

* RF: ``rf.source: rtl_tcp``, the network dongle client (sweeper/rf/sources/rtltcp.py),
  against ``sweeper sim rtl-tcp`` serving the simulated scene from ANOTHER process, both
  with an antenna directly on the dongle (``--front-end direct``, ``rf.front_end:
  direct``), so the bands are the ones the tuner reaches directly (900MHz and 1.2GHz:
  about 250 hops at 2.4 MS/s, ~30 s).
* Wi-Fi: ``wifi.source: wired`` on one end of a veth pair: the AF_PACKET live capture
  (sweeper/wifi/capture.py) of a mirror port. The other end sits alone in a network
  namespace, where a sender process (this file with ``--send``) writes Ethernet frames
  into it in real time: the clip uploads of a real Blink Wi-Fi camera
  (../shared/data/wifi/tjoconnor-blink-cam-01.pcap, see its PROVENANCE.md: the ~100 s of
  the week where the camera uploads above 200 kbit/s, ~1.6 Mbit/s, back to back with
  their own timing inside each second, looped; frames zero-padded back to their original
  length). Without that file, or with ``--stream rtp``, it sends a synthetic RTP camera
  stream (25 frames/s, ~1.6 Mbit/s). The Blink's uploads end CLEAR in a 20 s sweep: back
  to back they are a bulk upload with no frame clock, and what marks this battery camera
  (`sweeper analyze` of the whole week: suspect) is clips after long silences. The RTP
  stream is judged a camera within seconds, so ``--stream rtp`` also exercises findings.
* Display, buzzer and buttons are disabled (nothing to drive here, and they would only
  add noise), MQTT is off, the history goes to a temporary directory.

The daemon runs as ``python -c`` calling ``sweeper.cli.main(["--config", CFG, "run",
"--once", "--json"])`` (what ``sweeper run`` runs), then reads its own VmHWM and the
``sweeper.*`` modules it imported, so the report can show that no simulator module was
loaded. The baseline is the peak of a process that only imports
``sweeper.cli``, measured the same way.

It needs root (a veth pair, a network namespace, raw sockets). It exits 1 when the
measurement is not valid: the daemon failed, a part's report is null or has problems,
or the Wi-Fi part parsed no frame. A missed memory target is reported, not an error.

Why one module of over 400 lines: the frame sender is this same file run with ``--send``
(in the namespace), so the benchmark stays one script beside the others.
"""
import argparse
import json
import os
import secrets
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
PY = sys.executable
BLINK_PCAP = os.path.join(ROOT, "..", "shared", "data", "wifi", "tjoconnor-blink-cam-01.pcap")
BLINK_MAC = bytes.fromhex("f4b85eff2b1b")  # the camera, per PROVENANCE.md
UPLOAD_BPS = 200e3  # a second of the capture is "uploading" above this (PROVENANCE.md)
TARGET_MB = 120.0
DAEMON_TIMEOUT_S = 180.0

# The daemon's process: exactly `sweeper --config CFG run --once --json`, then its own peak.
DAEMON_CHILD = """\
import json, sys
sys.path.insert(0, {bench!r})
from _peak_rss import peak_rss_mb
from sweeper.cli import main
rc = main(sys.argv[1:])
sys.stdout.flush()
mods = sorted(m for m in sys.modules if m.startswith("sweeper."))
print("BENCH-RESULT " + json.dumps({{"rc": rc, "peak_mb": peak_rss_mb(), "modules": mods}}),
      file=sys.stderr)
sys.exit(rc)
"""
BASELINE_CHILD = """\
import sys
sys.path.insert(0, {bench!r})
from _peak_rss import peak_rss_mb
import sweeper.cli
print(peak_rss_mb())
"""


# --------------------------------------------------------------------------- sender


def blink_schedule(path):
    """[(t, header bytes, original length)] of the Blink camera's upload seconds, played
    back to back: second k of the selection starts at t = k, records keep their offset
    within their second. Frames are rebuilt to their original length when sent."""
    with open(path, "rb") as f:
        raw = f.read()
    magic, _, _, _, _, _, linktype = struct.unpack_from("<IHHiIII", raw)
    if magic != 0xA1B2C3D4 or linktype != 1:
        raise SystemExit(f"{path}: not a little-endian Ethernet pcap")
    recs, off = [], 24
    while off + 16 <= len(raw):
        sec, usec, caplen, origlen = struct.unpack_from("<IIII", raw, off)
        off += 16
        recs.append((sec, usec, raw[off:off + caplen], origlen))
        off += caplen
    cam_bytes = {}
    for sec, _, data, origlen in recs:
        if data[6:12] == BLINK_MAC:
            cam_bytes[sec] = cam_bytes.get(sec, 0) + origlen
    uploading = sorted(s for s, b in cam_bytes.items() if b * 8 > UPLOAD_BPS)
    slot = {s: k for k, s in enumerate(uploading)}
    out = [(slot[sec] + usec * 1e-6, data, origlen) for sec, usec, data, origlen in recs if sec in slot]
    return out, float(len(uploading)), f"Blink camera clip uploads ({os.path.basename(path)})"


def synthetic_schedule(seconds=60.0, fps=25, kbps=1500):
    """A camera's RTP/UDP video stream (a bigger frame every 2 s) and the viewer's RTCP."""
    cam, viewer = bytes.fromhex("02c0ffee0001"), bytes.fromhex("02c0ffee0002")

    ips = {cam: bytes([192, 168, 1, 20]), viewer: bytes([192, 168, 1, 10])}

    def udp(src, dst, size):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, size - 14, 0, 0x4000, 64, 17, 0, ips[src], ips[dst])
        rtp = struct.pack("!HHHHBBH", 5004, 5004, size - 34, 0, 0x80, 96, 0)
        return dst + src + b"\x08\x00" + ip + rtp

    out, per_frame = [], int(kbps * 1000 / 8 / fps)
    for i in range(int(seconds * fps)):
        t = i / fps
        size = per_frame * (6 if i % (2 * fps) == 0 else 1)  # an I-frame every 2 s
        while size > 0:
            n = min(size, 1400)
            out.append((t, udp(cam, viewer, n + 42), n + 42))
            size -= n
            t += 0.0004
        if i % fps == 0:
            out.append((i / fps + 0.01, udp(viewer, cam, 90), 90))
    return out, seconds, f"synthetic RTP camera stream ({kbps} kbit/s)"


def send(interface, stream):
    """Write the schedule into ``interface`` in real time, looped, until SIGTERM; then
    print what was sent as one JSON line."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    if stream == "blink" and os.path.exists(BLINK_PCAP):
        sched, period, what = blink_schedule(BLINK_PCAP)
    else:
        sched, period, what = synthetic_schedule()
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    sock.bind((interface, 0))
    print(json.dumps({"ready": True, "stream": what, "period_s": period}), flush=True)
    sent = nbytes = errors = 0
    t0 = time.monotonic()
    loop = 0
    while not stop:
        for t, data, origlen in sched:
            due = t0 + loop * period + t
            while not stop:
                wait = due - time.monotonic()
                if wait <= 0:
                    break
                time.sleep(min(wait, 0.05))
            if stop:
                break
            try:
                sock.send(data.ljust(origlen, b"\0"))
                sent += 1
                nbytes += origlen
            except OSError:
                errors += 1
        loop += 1
    elapsed = time.monotonic() - t0
    print(json.dumps({"frames": sent, "bytes": nbytes, "errors": errors, "seconds": round(elapsed, 2),
                      "mbit_s": round(nbytes * 8 / max(elapsed, 1e-9) / 1e6, 3)}), flush=True)


# --------------------------------------------------------------------------- set-up


def sh(*cmd, check=True):
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {proc.stderr.strip() or proc.returncode}")
    return proc


class Veth:
    """A veth pair: ``capture`` end for the daemon in this namespace, ``inject`` end alone
    in a fresh network namespace (nothing else talks on it); IPv6 off on both so the
    kernel's own router solicitations do not cross."""

    def __init__(self):
        tag = secrets.token_hex(3)
        self.capture, self.inject, self.ns = f"swbA{tag}", f"swbB{tag}", f"swbench-{tag}"
        self.made_ns = self.made_link = False

    def __enter__(self):
        try:
            sh("ip", "netns", "add", self.ns)
            self.made_ns = True
        except RuntimeError as exc:
            print(f"note: no network namespace ({exc}); both veth ends stay here", file=sys.stderr)
            self.ns = None
        sh("ip", "link", "add", self.capture, "type", "veth", "peer", "name", self.inject)
        self.made_link = True
        if self.ns:
            sh("ip", "link", "set", self.inject, "netns", self.ns)
        for end in (self.capture, self.inject):
            self.run_in(end, "sh", "-c", f"echo 1 > /proc/sys/net/ipv6/conf/{end}/disable_ipv6", check=False)
            self.run_in(end, "ip", "link", "set", end, "up")
        return self

    def run_in(self, end, *cmd, check=True):
        return sh(*self.prefix(end), *cmd, check=check)

    def prefix(self, end):
        return ["ip", "netns", "exec", self.ns] if (self.ns and end == self.inject) else []

    def __exit__(self, *exc):
        if self.made_link:
            sh("ip", "link", "del", self.capture, check=False)  # takes its peer with it
        if self.made_ns:
            sh("ip", "netns", "del", self.ns, check=False)


def stop_process(proc, timeout=10.0):
    """SIGTERM, then SIGKILL; returns its remaining stdout."""
    if proc is None:
        return ""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out or ""


def read_line(proc, stream, timeout, what):
    """One line from a child's pipe, or RuntimeError after ``timeout`` s / on exit."""
    ready, _, _ = select.select([stream], [], [], timeout)
    line = stream.readline() if ready else ""
    if not line:
        raise RuntimeError(f"{what} did not start (exit code {proc.poll()})")
    return line


def start_rtltcp(scene, log_path):
    """``sweeper sim rtl-tcp`` on a free port in its own process (its messages to a file);
    returns (proc, port) once it serves."""
    cmd = [PY, "-m", "sweeper", "sim", "rtl-tcp", "--host", "127.0.0.1", "--port", "0", "--front-end", "direct"]
    if scene:
        cmd += ["--scene", os.path.abspath(scene)]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with open(log_path) as f:
            for line in f:
                if "serving" in line and "rtl_tcp on" in line:
                    return proc, int(line.rsplit(":", 1)[1])
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    with open(log_path) as f:
        said = f.read().strip()
    stop_process(proc)
    raise RuntimeError(f"the rtl_tcp simulator did not start: {said[-500:] or 'no output'}")


def write_config(path, port, interface, wifi_s, bands, history):
    """The daemon's YAML (JSON is YAML): only what differs from the built-in defaults."""
    cfg = {
        "rf": {"source": "rtl_tcp", "rtl_tcp": {"host": "127.0.0.1", "port": port, "timeout_s": 10},
               "bands": bands, "front_end": "direct"},
        "wifi": {"source": "wired", "interface": interface, "duration_s": wifi_s},
        "display": {"enabled": False},
        "buzzer": {"enabled": False},
        "buttons": {"enabled": False},
        "history": {"enabled": True, "path": history},
        "mqtt": {"enabled": False},
        "venue": {"device_id": "bench"},
    }
    with open(path, "w") as f:
        f.write("# bench/bench_daemon_rss.py: the daemon's sweep on the hardware code paths\n")
        json.dump(cfg, f, indent=2)
    return cfg


# --------------------------------------------------------------------------- bench


def baseline_mb():
    out = subprocess.run([PY, "-c", BASELINE_CHILD.format(bench=BENCH)], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=60)
    return float(out.stdout.strip())


def run_daemon(cfg_path):
    """(rc, JSON outcome or None, child's end-of-run figures or None, stderr lines, wall s)."""
    cmd = [PY, "-c", DAEMON_CHILD.format(bench=BENCH), "--config", cfg_path, "run", "--once", "--json"]
    t = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=DAEMON_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return None, None, None, err.splitlines() + [f"(killed after {DAEMON_TIMEOUT_S:.0f} s)"], \
            time.monotonic() - t
    wall = time.monotonic() - t
    result, lines = None, []
    for line in proc.stderr.splitlines():
        if line.startswith("BENCH-RESULT "):
            result = json.loads(line[len("BENCH-RESULT "):])
        else:
            lines.append(line)
    try:
        outcome = json.loads(proc.stdout)
    except ValueError:
        outcome = None
    return proc.returncode, outcome, result, lines, wall


def check(rc, outcome, result, sent):
    """Why this run is not a measurement of both hardware paths ([] when it is)."""
    bad = []
    if rc != 0:
        bad.append(f"the daemon exited with {rc}")
    if result is None:
        bad.append("the daemon did not report its peak memory")
    if outcome is None:
        return bad + ["the daemon printed no JSON outcome"]
    hardware = outcome.get("hardware") or {}
    for key, name in (("rf", "RF"), ("wifi", "Wi-Fi")):
        if outcome.get(key) is None:
            bad.append(f"the {name} part did not run (its report is null): "
                       f"{hardware.get(name, 'hardware missing')}")
    for name, why in (outcome.get("problems") or {}).items():
        bad.append(f"the {name} part failed mid-sweep: {why}")
    rf, wifi = outcome.get("rf") or {}, outcome.get("wifi") or {}
    if outcome.get("rf") is not None and not rf.get("hops"):
        bad.append("the RF part swept no hop")
    if outcome.get("wifi") is not None and not (wifi.get("frames") or {}).get("parsed"):
        bad.append("the Wi-Fi part parsed no frame")
    if result is not None:
        sims = [m for m in result["modules"] if m.startswith("sweeper.sim")]
        if sims:
            bad.append(f"simulator modules were loaded in the daemon: {', '.join(sims)}")
    if not sent or not sent.get("frames"):
        bad.append("the frame sender sent nothing")
    return bad


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wifi-s", type=float, default=20.0, help="wifi.duration_s (default 20)")
    ap.add_argument("--band", action="append", help="rf band (repeatable; default 900MHz, 1.2GHz)")
    ap.add_argument("--scene", help="scene for the rtl_tcp simulator (default: the built-in room)")
    ap.add_argument("--stream", choices=["blink", "rtp"], default="blink",
                    help="Wi-Fi traffic: the Blink camera's recorded uploads (default; a synthetic "
                    "RTP camera stream when the recording is absent), or the synthetic stream")
    ap.add_argument("--keep", action="store_true", help="also print the config and the daemon's JSON")
    ap.add_argument("--send", metavar="IF", help=argparse.SUPPRESS)  # the sender process
    args = ap.parse_args(argv)
    if args.send:
        send(args.send, args.stream)
        return 0
    if os.geteuid() != 0:
        print("bench_daemon_rss: needs root (a veth pair, a network namespace, raw sockets): "
              "run it with sudo", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up (finally:) when stopped
    bands = args.band or ["900MHz", "1.2GHz"]
    t_start = time.monotonic()
    base = baseline_mb()
    server = sender = None
    tail = []
    try:
        with tempfile.TemporaryDirectory(prefix="sweeper-bench-") as tmp, Veth() as veth:
            try:
                server, port = start_rtltcp(args.scene, os.path.join(tmp, "rtltcp.log"))
                sender = subprocess.Popen(veth.prefix(veth.inject) + [PY, os.path.abspath(__file__), "--send",
                                                                       veth.inject, "--stream", args.stream],
                                          cwd=ROOT, stdout=subprocess.PIPE, text=True)
                stream = json.loads(read_line(sender, sender.stdout, 60, "the frame sender"))["stream"]
                cfg_path = os.path.join(tmp, "config.yaml")
                write_config(cfg_path, port, veth.capture, args.wifi_s, bands, os.path.join(tmp, "history.db"))
                rc, outcome, result, errlines, wall = run_daemon(cfg_path)
            finally:
                tail = stop_process(sender).strip().splitlines()
                stop_process(server)
            if args.keep:
                with open(cfg_path) as f:
                    print(f.read())
                print(json.dumps(outcome, indent=2))
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        print(f"bench_daemon_rss: error: {exc}", file=sys.stderr)
        return 1
    try:
        sent = json.loads(tail[-1]) if tail else {}
    except ValueError:
        sent = {}
    total = time.monotonic() - t_start

    bad = check(rc, outcome, result, sent)
    peak = result["peak_mb"] if result else float("nan")
    print("Sweeper daemon memory benchmark (sweeper run --once --json; hardware code paths)")
    print(f"RF: rtl_tcp client -> `sweeper sim rtl-tcp` (another process), bands {', '.join(bands)}; "
          f"Wi-Fi: wired AF_PACKET capture on {veth.capture} (veth), {args.wifi_s:g} s")
    print(f"frames sent into the veth: {sent.get('frames', 0)} ({sent.get('mbit_s', 0):.2f} Mbit/s over "
          f"{sent.get('seconds', 0):.1f} s, {sent.get('errors', 0)} send errors): {stream}")
    if outcome is not None:
        rf, wifi = outcome.get("rf"), outcome.get("wifi")
        if rf is not None:
            print(f"RF heard: {rf.get('hops', 0)} hops in {rf.get('elapsed_s', 0):.1f} s, "
                  f"{len(rf.get('emitters', []))} emitters, {len(rf.get('findings', []))} findings; "
                  f"verdict {rf['verdict']}")
        if wifi is not None:
            fr = wifi.get("frames") or {}
            print(f"Wi-Fi heard: {fr.get('records', 0)} frames ({fr.get('parsed', 0)} parsed) in "
                  f"{wifi.get('elapsed_s', 0):.1f} s, {len(wifi.get('devices', [])) + len(wifi.get('findings', []))} "
                  f"transmitters, {len(wifi.get('findings', []))} findings; verdict {wifi['verdict']}")
            for f in wifi.get("findings", []):
                print(f"  {f['verdict']} {f['score']:.2f} {f['mac']} {f.get('vendor') or ''} "
                      f"{f.get('uplink_kbps', 0):.0f} kbit/s up")
        print(f"sweep verdict: {outcome.get('verdict')} ({len(outcome.get('findings', []))} findings, "
              f"sweep {outcome.get('elapsed_s', 0):.1f} s)")
    if result is not None:
        sims = [m for m in result["modules"] if m.startswith("sweeper.sim")]
        print(f"simulator modules in the daemon's process: {', '.join(sims) or 'none'}")
    print(f"peak RSS (VmHWM) of the daemon's sweep: {peak:.1f} MB; bare `import sweeper.cli`: {base:.1f} MB; "
          f"ratio {peak / base:.2f}x")
    verdict = "not judged (see below)" if bad else "PASS" if peak <= TARGET_MB else "FAIL"
    print(f"target <= {TARGET_MB:.0f} MB: {verdict}")
    print(f"wall time: daemon {wall:.1f} s, whole benchmark {total:.1f} s")
    if bad:
        for line in errlines[-15:]:
            print(f"  daemon stderr: {line}")
        for why in bad:
            print(f"NOT A MEASUREMENT: {why}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
