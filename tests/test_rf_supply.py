"""Line periodicity alone is not video: switching supplies whose edges repeat at or near
the line rate (line-locked at 15,625 / 15,734 Hz, or free-running with dither, one or
two edges, burst mode) are not flagged, while PAL, NTSC, SECAM, PAL-M and senders that
switch on and off within the window still are, at every supported rate. The simulated
supply itself is checked too. Bigger campaigns: bench/bench_video_supply.py."""
import re

import numpy as np
import pytest

from detection_suite import make_case
from sweeper.rf import video
from sweeper.rf.analysis import analyze_window, report
from sweeper.rf.classifiers import Context
from sweeper.rf.convert import cu8_to_complex64
from sweeper.sim.emitters import EMITTERS
from sweeper.sim.frontend import RtlFrontEnd

RATES = [0.25e6, 1.024e6, 2.048e6, 2.4e6, 3.2e6, 20e6]


def flagged(case):
    w = analyze_window(case.samples, case.sample_rate, case.center_hz)
    f = report(w.emitters, Context(w.bin_hz, case.sample_rate))["findings"]
    return [x for x in f if x["type"] == "analog_video" and x["verdict"] in ("camera", "suspect")]


@pytest.mark.parametrize("rate", RATES)
def test_line_rate_supplies_are_not_video(rate):
    rng = np.random.default_rng(int(rate) + 12)
    kinds = [dict(rate_hz=15625.0), dict(rate_hz=4.5e6 / 286, edges=2, duty=0.5, second_edge_db=0.0),
             dict(rate_hz=15.6e3, dither=0.03, dither_shape="triangle"), dict(rate_hz=15.7e3, dither=0.01,
                                                                           dither_shape="random"),
             dict(rate_hz=15625.0, burst_hz=300.0, burst_duty=0.5)]
    alarms = []
    for i, fixed in enumerate(kinds):
        case = make_case("switching_supply", rng, [5, 12, 30, 20, 8][i], rng.uniform(-2e6, 2e6), rate, **fixed)
        f = flagged(case)
        if f:
            alarms.append((fixed, f[0]["score"], f[0]["reasons"]))
    assert alarms == []


@pytest.mark.parametrize("rate", RATES)
def test_secam_pal_m_and_on_off_senders_are_still_found(rate):
    rng = np.random.default_rng(int(rate) + 99)
    missed = []
    for i, fixed in enumerate([dict(standard="SECAM"), dict(standard="PAL-M"),
                               dict(on_period_s=0.04, on_fraction=0.5, on_phase=float(rng.uniform(0, 1)))]):
        case = make_case("analog_video", rng, [6, 10, 14][i], rng.uniform(-1e6, 1e6), rate, **fixed)
        if not flagged(case):
            missed.append(fixed)
    assert missed == []


def test_a_line_locked_supply_at_2_4_msps_is_explained():
    rng = np.random.default_rng(3)
    case = make_case("switching_supply", rng, 20, 0.5e6, 2.4e6, rate_hz=15625.0, burst_hz=0.0)
    w = analyze_window(case.samples, case.sample_rate, case.center_hz)
    assert w.video.score == 0.0 and w.video.kurtosis > video.KURTOSIS_IMPULSIVE
    assert any("switching power supply" in r for r in w.video.reasons), w.video.reasons


def test_video_reports_field_structure_and_line_system():
    rng = np.random.default_rng(4)
    for std, system in (("PAL", "625/50"), ("NTSC", "525/60"), ("SECAM", "625/50"), ("PAL-M", "525/60")):
        case = make_case("analog_video", rng, 25, 0.0, 2.4e6, standard=std, picture="flat")
        w = analyze_window(case.samples, case.sample_rate, case.center_hz)
        assert w.video.field_z is not None and w.video.field_z > video.FIELD_Z_MIN, (std, w.video.field_z)
        assert w.video.line_system == system and w.video.standard in (std, system)


def test_documented_thresholds_equal_the_code():
    """The threshold table in sweeper/rf/video.py's comments states the constants."""
    text = open(video.__file__).read()
    row = re.search(r"# power kurtosis\s+(\S+)\s+(\S+)", text)
    assert (float(row[1]), float(row[2])) == (video.KURTOSIS_FM, video.KURTOSIS_IMPULSIVE)
    row = re.search(r"below 0\.54 MS/s: (\S+) and (\S+) x samples", text)
    assert (float(row[1]), float(row[2])) == (video.KURTOSIS_FM_PER_SAMPLE, video.KURTOSIS_IMPULSIVE_PER_SAMPLE)
    assert abs(video.KURTOSIS_FM / video.KURTOSIS_FM_PER_SAMPLE / video.PAL_LINE_S - 0.54e6) < 0.03e6
    row = re.search(r"#\s+(\S+)\s+(\S+)\s+at 10 MS/s and more", text)
    assert (float(row[1]), float(row[2])) == (video.KURTOSIS_FM_WIDE, video.KURTOSIS_IMPULSIVE_WIDE)
    assert video.WIDE_WINDOW_RATE == 10e6
    row = re.search(r"# field margin\s+(\S+)\s+(\S+)", text)
    assert (float(row[1]), float(row[2])) == (video.FIELD_Z_MIN, video.FIELD_Z_FULL)


# ---- the simulated supply ------------------------------------------------------------

def make(**kw):
    base = dict(freq_hz=400e6, power_dbm=-30.0, seed=5)
    base.update(kw)
    return EMITTERS["switching_supply"](**base)


def test_supply_power_is_calibrated_and_edges_repeat_at_the_set_rate():
    e = make(rate_hz=15625.0, jitter_ns=0.0, amp_spread_db=0.0, ring_spread=0.0, decay_ns=60.0)
    fs = 200e6
    x = e.render(400e6, fs, 1.0, int(0.004 * fs))
    assert abs(10 * np.log10(np.mean(np.abs(x) ** 2)) + 30.0) < 0.3
    p = np.abs(x) ** 2
    peaks = np.nonzero((p > 0.3 * p.max()) & (p >= np.roll(p, 1)) & (p > np.roll(p, -1)))[0]
    assert np.allclose(np.diff(peaks) / fs, 64e-6, atol=0.02e-6)


def test_supply_dither_spreads_the_period_and_bursts_gate_it():
    e = make(rate_hz=15.6e3, dither=0.05, dither_hz=500.0, jitter_ns=0.0)
    t = e._edge_times(np.arange(2000.0))
    period = np.diff(t) * 15.6e3
    assert 0.93 < period.min() < 0.97 and 1.03 < period.max() < 1.07
    b = make(burst_hz=100.0, burst_duty=0.3)
    fs = 2.4e6
    x = b.render(400e6, fs, 0.0, int(0.1 * fs))
    on = np.abs(x).reshape(100, -1).max(axis=1) > 0
    assert 0.25 < on.mean() < 0.6  # 3 ms on in 10, blocks of 1 ms partly on count


def test_supply_blocks_join():
    e = make(edges=2, dither=0.04, dither_shape="random")
    fs, n = 2.4e6, 30000
    whole = e.render(400e6 + 1e6, fs, 3.0, 2 * n)
    a = e.render(400e6 + 1e6, fs, 3.0, n)
    b = e.render(400e6 + 1e6, fs, 3.0 + n / fs, n)
    rms = np.sqrt(np.mean(np.abs(whole) ** 2))
    assert np.max(np.abs(np.concatenate([a, b]) - whole)) < 1e-3 * rms


@pytest.mark.xfail(strict=True, reason="known weakness, found while building whole-recording analysis: the "
                   "envelope-kurtosis gate is taken over the whole window's power, so a steady signal beside "
                   "the supply (here a carrier 10 dB stronger) hides its impulses and the supply passes as FM video")
def test_a_line_rate_supply_beside_a_steady_carrier_is_not_video():
    rate, n = 2.4e6, 120_000
    supply = EMITTERS["switching_supply"](freq_hz=2433e6, power_dbm=-100.0, seed=5, rate_hz=15625.0)
    carrier = EMITTERS["carrier"](freq_hz=2433.6e6, power_dbm=-90.0, seed=6, modulation="cw")
    x = supply.render(2433e6, rate, 0.0, n) + carrier.render(2433e6, rate, 0.0, n)
    samples = cu8_to_complex64(RtlFrontEnd(gain_db=43.9, seed=1).to_cu8(x, rate))
    w = analyze_window(samples, rate, 2433e6)
    f = report(w.emitters, Context(w.bin_hz, rate))["findings"]
    assert f == [], [x["reasons"][:2] for x in f]
