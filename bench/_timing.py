"""Timing helper shared by the benchmarks."""
import time


def best_of(fn, repeats=7):
    """Fastest of ``repeats`` runs: the least disturbed by other work on the machine."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)
