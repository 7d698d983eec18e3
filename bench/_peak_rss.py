"""Peak resident memory of this process (VmHWM). ru_maxrss is not used: after a
fork+exec it can still report the parent's peak. Run as a script it runs the
`sweeper` command with the given arguments and prints its peak to stderr."""
import os
import sys


def peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from sweeper.cli import main

    rc = main(sys.argv[1:])
    print(f"{peak_rss_mb():.1f} MB", file=sys.stderr)
    sys.exit(rc)
