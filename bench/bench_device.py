"""Device benchmarks: start-up to the ready screen, and idle CPU.

    .venv/bin/python bench/bench_device.py      (or: ./dev bench)

Starts ``sweeper run --simulate`` as systemd would (a NOTIFY_SOCKET to report READY=1)
and measures, in the same run:
1. seconds from process start to READY=1, which the daemon sends right after drawing
   the ready screen (target <= 5 s), against a bare ``python -c pass`` start;
2. CPU time the idle daemon uses over 10 s, in % of one core (target < 2%).
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IDLE_S = 10.0


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    t = time.monotonic()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.monotonic() - t
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(30)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        t = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "sweeper", "run", "--simulate"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            while True:
                msg = sock.recv(4096).decode()
                if "READY=1" in msg.split("\n"):
                    break
            ready = time.monotonic() - t
            c0, w0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(IDLE_S)
            idle = 100 * (cpu_seconds(proc.pid) - c0) / (time.monotonic() - w0)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    print("Sweeper device benchmarks (sweeper run --simulate)")
    print(f"start to ready screen (READY=1): {ready:.2f} s; bare interpreter start {bare:.2f} s "
          f"({ready / bare:.1f}x); target <= 5 s: {'ok' if ready <= 5 else 'MISSED'}")
    print(f"idle CPU over {IDLE_S:.0f} s: {idle:.2f}% of one core; target < 2%: {'ok' if idle < 2 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
