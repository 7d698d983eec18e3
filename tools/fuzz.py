"""Coverage-guided fuzzing campaign over Sweeper's hostile-input entry points
(issue 15): ``./dev fuzz [-t SECONDS] [--target NAME]``.

It runs atheris (libFuzzer for Python: it instruments the bytecode of the ``sweeper``
package and keeps every input that reaches a new branch) over the targets of
tests/fuzz_targets.py, the same ones the CI's Hypothesis tests run: the pcap/pcapng
reader, the frame parser, the recording readers, SigMF metadata, the config loader and
the control datagram parser. The first byte of an input picks the target; the seeds in
tests/fuzz_corpus/seeds/ start the corpus.

An input that raises anything but the project's own errors, or breaks a property
(counts that do not add up, an absurd length, a non-finite sample), is saved once per
kind of failure (exception type and the sweeper line it escaped from) as
tests/fuzz_corpus/crashes/TARGET-TYPE-HASH.bin with its traceback beside it (.txt), and
the campaign goes on. Failures that are already known and reported
(``fuzz_targets.KNOWN_BUGS``) are counted, not saved again. A hang (10 s) or a crash of
the interpreter itself is saved by libFuzzer in the same folder (timeout-*, crash-*).

At the end it prints the cases run, cases per second, coverage (libFuzzer's ``cov``:
branches of sweeper's code reached; ``ft``: features, i.e. branches with hit counts),
the corpus size and the failures. Exit status 1 when a new failure was found.

The grown corpus lives in a work folder (default: $TMPDIR/sweeper-fuzz-corpus), kept
between runs so a campaign continues where the last one stopped; it is not committed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")
SEEDS = os.path.join(TESTS, "fuzz_corpus", "seeds")
CRASHES = os.path.join(TESTS, "fuzz_corpus", "crashes")


def child(args) -> None:
    """Inside the libFuzzer process: instrument sweeper, then fuzz until the time is up."""
    import atheris

    sys.path.insert(0, TESTS)
    with atheris.instrument_imports(include=["sweeper"]):
        import fuzz_targets as ft
        # import every module a target reaches, so all of it is instrumented
        import sweeper.config  # noqa: F401
        import sweeper.device.control  # noqa: F401
        import sweeper.rf.sources.recording  # noqa: F401
        import sweeper.wifi.frames  # noqa: F401
        import sweeper.wifi.pcapio  # noqa: F401
        import sweeper.wifi.radiotap  # noqa: F401
    names = sorted(ft.TARGETS) if not args.target else [args.target]
    targets = [ft.TARGETS[n] for n in names]
    seen = set()
    log = open(args.log, "a")

    def one_input(data: bytes) -> None:
        if not data:
            return
        i = data[0] % len(targets) if len(targets) > 1 else 0
        payload = data[1:]
        try:
            targets[i](payload)
        except Exception as exc:  # a bug: record it and go on fuzzing
            known = ft.known_bug(exc)
            tb = traceback.extract_tb(exc.__traceback__)
            ours = [f for f in tb if "/sweeper/" in f.filename.replace(os.sep, "/")
                    or f.filename.endswith("fuzz_targets.py")]
            where = f"{os.path.relpath(ours[-1].filename, ROOT)}:{ours[-1].lineno}" if ours else "?"
            what = str(exc).splitlines()[0][:80] if isinstance(exc, AssertionError) else ""
            sig = (names[i], type(exc).__name__, where, what)
            rec = {"target": names[i], "type": type(exc).__name__, "where": where,
                   "message": str(exc)[:200], "known": known}
            if sig not in seen:
                seen.add(sig)
                if not known:
                    digest = hashlib.sha1(payload).hexdigest()[:10]
                    base = os.path.join(CRASHES, f"{names[i]}-{type(exc).__name__}-{digest}")
                    os.makedirs(CRASHES, exist_ok=True)
                    with open(base + ".bin", "wb") as f:
                        f.write(payload)
                    with open(base + ".txt", "w") as f:
                        f.write(f"target {names[i]}: input {base}.bin\n")
                        f.write("".join(traceback.format_exception(exc)))
                    rec["saved"] = base + ".bin"
                log.write(json.dumps(rec) + "\n")
                log.flush()

    atheris.Setup([sys.argv[0], args.corpus, f"-max_total_time={args.time}", "-print_final_stats=1",
                   "-max_len=4096", "-timeout=10", "-rss_limit_mb=2048", "-print_pcs=0",
                   f"-artifact_prefix={CRASHES}/", f"-seed={args.seed}"], one_input)
    atheris.Fuzz()


def seed_corpus(corpus: str, target) -> None:
    """The seeds, each with its target's selector byte in front."""
    sys.path.insert(0, TESTS)
    import fuzz_targets as ft
    names = sorted(ft.TARGETS) if not target else [target]
    os.makedirs(corpus, exist_ok=True)
    for i, name in enumerate(names):
        d = os.path.join(SEEDS, name)
        for fn in sorted(os.listdir(d)):
            with open(os.path.join(d, fn), "rb") as f:
                data = bytes([i]) + f.read()
            with open(os.path.join(corpus, f"seed-{name}-{fn}"), "wb") as f:
                f.write(data)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Coverage-guided fuzzing of Sweeper's input readers.")
    p.add_argument("-t", "--time", type=int, default=300, help="seconds to fuzz (default 300)")
    p.add_argument("--target", default=None, help="one target only (default: all)")
    p.add_argument("--corpus", default=os.path.join(tempfile.gettempdir(), "sweeper-fuzz-corpus"),
                   help="work folder of the grown corpus (kept between runs)")
    p.add_argument("--seed", type=int, default=15, help="libFuzzer's random seed")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--log", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.time <= 0:
        print("fuzz: -t must be a positive number of seconds", file=sys.stderr)
        return 2
    if args.child:
        child(args)
        return 0
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("fuzz: atheris is not installed: run ./dev setup (it installs the test extras)", file=sys.stderr)
        return 2
    corpus = os.path.join(args.corpus, args.target or "all")
    seed_corpus(corpus, args.target)
    log = os.path.join(corpus, "..", f"failures-{os.getpid()}.jsonl")
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    scratch = tempfile.mkdtemp(prefix="sweeper-fuzz-", dir=shm)  # libFuzzer exits without cleaning up
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, TESTS, os.environ.get("PYTHONPATH", "")]),
               SWEEPER_FUZZ_SCRATCH=scratch)
    start = time.monotonic()
    runs = execs = cov = ft_ = corp = 0
    stops = []
    while True:  # libFuzzer stops at a hang or a hard crash: start it again on what is left
        left = int(args.time - (time.monotonic() - start))
        if left < 2:
            break
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "-t", str(left), "--corpus", corpus,
               "--log", log, "--seed", str(args.seed + len(stops))] + (["--target", args.target] if args.target else [])
        proc = subprocess.run(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                              errors="replace")
        err = proc.stderr
        m = re.search(r"stat::number_of_executed_units:\s*(\d+)", err)
        execs += int(m.group(1)) if m else 0
        last = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)", err)
        if last:
            cov, ft_, corp = (int(x) for x in last[-1])
        runs += 1
        if proc.returncode != 0:
            tail = [ln for ln in err.splitlines() if "ERROR" in ln or "artifact" in ln or "Error" in ln]
            stops.append(f"exit {proc.returncode}: " + " | ".join(tail[-3:])[:300])
    elapsed = time.monotonic() - start
    shutil.rmtree(scratch, ignore_errors=True)
    failures = []
    if os.path.exists(log):
        with open(log) as f:
            failures = [json.loads(ln) for ln in f if ln.strip()]
        os.remove(log)
    new = [f for f in failures if not f["known"]]
    known = [f for f in failures if f["known"]]
    print(f"fuzz: {execs} cases in {elapsed:.0f} s: {execs / max(elapsed, 1e-9):.0f} cases/s; "
          f"coverage {cov} edges, {ft_} features; corpus {corp} inputs ({corpus})")
    print(f"fuzz: {len(new)} new failure(s), {len(known)} known (fuzz_targets.KNOWN_BUGS), "
          f"{len(stops)} libFuzzer stop(s)")
    for f in new:
        print(f"  NEW   {f['target']}: {f['type']} at {f['where']}: {f['message'][:100]!r} -> {f['saved']}")
    for f in known:
        print(f"  known {f['target']}: {f['type']} at {f['where']} ({f['known']})")
    for s in stops:
        print(f"  stop  {s}")
    return 1 if new or stops else 0


if __name__ == "__main__":
    sys.exit(main())
