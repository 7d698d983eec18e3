"""locating.LeadMeter: readings of a walk in, bar, peak and trend out (pure)."""
import numpy as np

from sweeper.device import locating
from sweeper.device.locating import CLOSER, FARTHER, STEADY, LeadMeter


def walk(meter, start_db, slope_db_s, seconds, jitter_db=3.0, rate_hz=4, t0=0.0, seed=0):
    rng = np.random.default_rng(seed)
    lead = None
    for t in np.arange(0, seconds, 1 / rate_hz):
        lead = meter.update(t0 + t, start_db + slope_db_s * t + rng.normal(0, jitter_db))
    return lead


def test_walking_towards_reads_closer_and_away_reads_farther_through_multipath_jitter():
    """4 dB/s (a slow step towards a transmitter a few metres off) under 3 dB of jitter,
    read at the end of a 4-s walk each way."""
    closer = farther = 0
    for seed in range(40):
        m = LeadMeter("dBm")
        closer += walk(m, -80, 4.0, 4.0, seed=seed).trend == CLOSER
        farther += walk(m, -64, -4.0, 4.0, t0=4.0, seed=seed + 100).trend == FARTHER
    assert closer >= 37 and farther >= 37


def test_standing_still_is_steady_despite_jitter():
    steady = [walk(LeadMeter(), -60, 0.0, 6.0, seed=s).trend for s in range(100)]
    assert steady.count(STEADY) >= 94  # a false lead in at most a few of 100 still stands


def test_no_trend_before_there_is_enough_to_judge():
    m = LeadMeter()
    assert m.update(0.0, -50).trend == ""
    assert m.update(0.25, -45).trend == ""


def test_the_bar_moves_the_same_at_any_distance():
    """Auto-ranging: +10 dB moves the bar as far for a faint target as for a loud one."""
    moves = []
    for start in (-90.0, -40.0):
        m = LeadMeter()
        first = m.update(0.0, start).level
        later = [m.update(t, start + 10) for t in np.arange(0.25, 3, 0.25)][-1].level
        moves.append(later - first)
        assert 0.1 < first < 0.35  # room to come closer
    assert abs(moves[0] - moves[1]) < 1e-9 and moves[0] > 0.25


def test_range_widens_and_peak_holds():
    m = LeadMeter()
    m.update(0.0, -70)
    for t in np.arange(0.25, 4, 0.25):
        top = m.update(t, -70 + locating.RANGE_ABOVE_DB + 10)  # past the top of the first scale
    assert top.level == 1.0 and top.span_db[1] >= -70 + locating.RANGE_ABOVE_DB + 9
    for t in np.arange(4, 8, 0.25):
        back = m.update(t, -70)
    assert back.peak == 1.0 and back.level < 0.5


def test_not_heard_keeps_the_peak_and_says_so():
    m = LeadMeter("dBm")
    m.update(0.0, -60)
    m.update(0.5, -50)
    gone = m.update(1.0, None)
    assert gone.text == "not heard" and gone.level == 0.0 and gone.peak > 0 and gone.trend == ""
    assert m.update(1.2, float("nan")).text == "not heard"


def test_readme_numbers_are_the_code():
    import os

    from sweeper.config import default_config
    from sweeper.device import daemon
    from sweeper.rf import meter

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    readme = " ".join(open(os.path.join(root, "README.md")).read().split())
    g = "{:g}".format
    assert (f"({g(locating.RANGE_BELOW_DB)} dB below it to {g(locating.RANGE_ABOVE_DB)} dB above" in readme)
    assert f"the last {g(locating.TREND_WINDOW_S)} s of readings" in readme
    assert f"at least {g(locating.TREND_DB_PER_S)} dB/s" in readme
    assert f"({g(locating.TREND_T)} standard errors)" in readme
    assert f"or {g(daemon.POWEROFF_ASK_S)} s without an answer" in readme
    assert f"`display.sleep_after_s` ({g(default_config().display.sleep_after_s)} s)" in readme
    assert meter.HOPS_PER_READ == 12 and "a dozen tunings per reading" in readme
    assert meter.HOT_HOPS == 3 and "the three strongest spots" in readme
