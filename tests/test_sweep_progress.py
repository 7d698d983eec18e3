"""The device's one progress figure (issue 18): proportional to the time left, never
standing still, 1.0 only when the sweep is over; and `run --once` shows it on a terminal."""
import dataclasses
import os
import time

from conftest import ROOT, run_on_a_terminal
from device_harness import quick_config
from sweeper.assembly import device_parts
from sweeper.device.sweeping import PROGRESS_EVERY_S, CombinedSweep, Hardware, ProgressEstimate


def _figures(estimate, reports, end, step=PROGRESS_EVERY_S):
    """Drive an estimate on a made-up clock: ``reports(t)`` gives {part: fraction or "done"}."""
    out, t = [], 0.0
    while t < end:
        t = round(t + step, 6)
        for name, fraction in reports(t).items():
            if fraction == "done":
                if name not in estimate.finished:
                    estimate.finish(name)
            else:
                estimate.report(name, fraction, t)
        out.append((t, estimate.tick(t)))
    return out


def test_a_fast_part_does_not_make_the_figure_race_ahead_of_a_slow_one():
    # the simulated Wi-Fi renders its 40 s in 4 s while the RF takes 20 s: the old
    # average of the two sat at 90% for half the sweep
    estimate = ProgressEstimate({"RF": 20.0, "Wi-Fi": 40.0}, start=0.0)
    figures = _figures(estimate, lambda t: {"RF": min(t / 20, 1.0) if t < 20 else "done",
                                            "Wi-Fi": t / 4 if t < 4 else "done"}, 20.0)
    for t, figure in figures[:-1]:
        assert abs(figure - t / 20) < 0.12, (t, figure)
        assert figure < 1.0
    assert figures[-1] == (20.0, 1.0)


def test_the_figure_follows_a_part_that_slows_down_without_standing_still():
    # a part that goes fast, then slowly (a simulated camera takes long to render): the
    # figure slows with it, and still moves at every tick
    estimate = ProgressEstimate({"RF": 10.0}, start=0.0)

    def rf(t):
        return {"RF": t / 10 if t <= 5 else 0.5 + (t - 5) / 30 if t < 20 else "done"}
    figures = dict(_figures(estimate, rf, 20.0))
    assert figures[12.5] < 0.85  # not 99% for the last 15 s, as an average rate would say
    for t in (8.0, 10.0, 12.0, 14.0, 16.0, 18.0):  # the rest is shared out over the time left
        assert figures[t + 2.0] - figures[t] > 0.02
    assert figures[19.75] < 1.0 and figures[20.0] == 1.0


def test_a_part_that_has_said_nothing_yet_counts_for_its_expected_time():
    estimate = ProgressEstimate({"LAN": 25.0, "RF": 5.0}, start=0.0)
    figures = _figures(estimate, lambda t: {"RF": min(t / 5, 1.0) if t < 5 else "done"}, 5.0)
    assert figures[-1][1] < 0.35  # 5 s of 25: the LAN scan is still to come


def test_a_simulated_sweep_reports_a_figure_that_moves_to_the_end():
    """The device's own code path (its parts, simulated): the figure never goes back,
    comes at least every 2 s, and is 1.0 only once, at the end."""
    cfg = quick_config()
    cfg = dataclasses.replace(cfg, rf=dataclasses.replace(cfg.rf, bands=("900MHz",)),
                              wifi=dataclasses.replace(cfg.wifi, channels=(1, 6), duration_s=3.0))
    hardware = Hardware(device_parts(cfg, simulate=True, camera=False))
    hardware.probe()
    events = []
    start = time.monotonic()
    try:
        result = CombinedSweep(cfg, hardware, lambda f, label: events.append((time.monotonic(), f, label))).run()
    finally:
        hardware.close()
    end = time.monotonic()
    assert result.reports["rf"] is not None and result.reports["wifi"] is not None
    times = [start] + [t for t, _, _ in events]
    assert max(b - a for a, b in zip(times, times[1:])) <= 2.0
    figures = [f for _, f, _ in events]
    assert all(b >= a for a, b in zip(figures, figures[1:]))
    assert figures[-1] == 1.0 and all(f < 1.0 for f in figures[:-1])
    assert end - events[-1][0] < 1.0  # the 1.0 is the sweep's end, not a figure long before it
    labels = {label for _, _, label in events}
    assert any("MHz" in label for label in labels) and any("Wi-Fi" in label for label in labels)
    halfway = [f for t, f, _ in events if t - start >= (end - start) / 2][0]
    assert 0.2 < halfway < 0.8


def test_run_once_shows_its_progress_on_a_terminal_only(tmp_path):
    conf = tmp_path / "sweeper.yaml"
    conf.write_text(f"history:\n  path: {tmp_path / 'h.db'}\nrf:\n  bands: [900MHz]\n"
                    "wifi:\n  channels: [1, 6]\n  duration_s: 3\n")
    rc, out, term = run_on_a_terminal("--config", str(conf), "run", "--once", "--simulate", "--clear")
    assert rc == 0 and "CLEAR" in out and "sweeping" not in out
    lines = term.split("\r")
    assert any(line.startswith("sweeping ") and "%" in line for line in lines)
    assert any("MHz" in line for line in lines) and "sweeping 100%" in term
    conf.write_text(conf.read_text() + "output:\n  quiet: true\n")
    rc, out, term = run_on_a_terminal("--config", str(conf), "run", "--once", "--simulate", "--clear")
    assert rc == 0 and "sweeping" not in term


def test_the_readme_says_the_progress_numbers_of_the_code():
    from sweeper.device import sweeping

    readme = " ".join(open(os.path.join(ROOT, "README.md")).read().split())
    assert f"from its own pace over its last {sweeping.RATE_WINDOW_S:g} s" in readme
    assert sweeping.TRUST_RATE_AFTER == 0.1 and "until it has done a tenth" in readme
    assert 1 / sweeping.PROGRESS_EVERY_S == 4 and "four times a second" in readme
