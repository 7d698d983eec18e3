"""Detection quality on labelled windows: hit rate on analog video (PAL and NTSC, both
RTL-SDR rates, carrier offsets up to +-8 MHz -- outside the window --, in-window SNR
5-20 dB) and false alarms on every hard-negative kind, through the same analysis
the product runs (analyze_window + report), with the simulator's wide random
parameters and the RTL-SDR front end."""
import numpy as np
import pytest

from detection_suite import NEGATIVE_KINDS, make_case
from sweeper.rf.analysis import analyze_window, report
from sweeper.rf.classifiers import Context

OFFSETS_HZ = [0, 1e6, -2e6, 3e6, -4e6, 5e6, -6e6, 7e6, -8e6, 8e6]
SNRS_DB = [5, 7, 10, 14, 20, 30]
RATES = [2.048e6, 2.4e6]


def findings(case):
    w = analyze_window(case.samples, case.sample_rate, case.center_hz)
    return report(w.emitters, Context(w.bin_hz, case.sample_rate))["findings"]


def _case(kind, rng, snr, offset, rate, **fixed):
    """A window with something of ``kind`` in it (a bursty or narrow emitter can miss
    a 50 ms window entirely: draw again, nearer the centre)."""
    for attempt in range(6):
        try:
            return make_case(kind, rng, snr, offset / (1 + attempt), rate, **fixed)
        except ValueError:
            continue
    return None


@pytest.fixture(scope="module")
def positives():
    rng = np.random.default_rng(20261125)
    out = []
    for standard in ("PAL", "NTSC"):
        for rate in RATES:
            for offset in OFFSETS_HZ:
                for snr in SNRS_DB:
                    case = _case("analog_video", rng, snr, offset, rate, standard=standard)
                    if case is not None:
                        out.append((case, findings(case)))
    return out


def test_analog_video_is_detected_across_offsets_and_snr(positives):
    missed = [(c.emitter.standard, c.sample_rate, c.offset_hz, c.snr_db, c.emitter.picture)
              for c, f in positives if not f]
    hit_rate = 1 - len(missed) / len(positives)
    assert len(positives) >= 230
    # target 99%: measured over 1,000 such windows in the issue note
    assert hit_rate >= 0.99, missed
    # offsets where the carrier is outside the window are among the hits
    outside = [f for c, f in positives if abs(c.offset_hz) > c.sample_rate / 2]
    assert sum(1 for f in outside if f) / len(outside) >= 0.97


LINE_SYSTEM = {"PAL": "625/50", "SECAM": "625/50", "NTSC": "525/60", "PAL-M": "525/60"}


def test_line_system_is_told_and_no_colour_standard_is_guessed(positives):
    """A 2 MHz window cannot see the 3.6-4.4 MHz chroma: it names the line system only."""
    wrong = [(c.emitter.standard, f[0]["standard"], f[0]["line_system"]) for c, f in positives
             if f and (f[0]["line_system"] != LINE_SYSTEM[c.emitter.standard]
                       or f[0]["standard"] not in (c.emitter.standard, LINE_SYSTEM[c.emitter.standard]))]
    assert wrong == []


def test_strong_close_cameras_are_certain(positives):
    near = [f for c, f in positives if c.snr_db >= 14 and abs(c.offset_hz) < c.sample_rate / 2]
    assert near and all(f and f[0]["verdict"] == "camera" for f in near)


@pytest.mark.parametrize("kind", NEGATIVE_KINDS)
def test_hard_negatives_raise_no_alarm(kind):
    rng = np.random.default_rng(sum(map(ord, kind)))
    alarms, total = [], 0
    for i in range(16):
        snr = [5, 15, 30, 45][i % 4]
        spread = 0.8e6 if kind in ("carrier", "fm_broadcast", "gsm") else 3e6
        case = _case(kind, rng, snr, rng.uniform(-spread, spread), RATES[i % 2])
        if case is None:
            continue
        total += 1
        f = findings(case)
        if f:
            alarms.append((snr, f[0]["score"], f[0]["reasons"][:1]))
    assert total >= 12
    # at most 1% over all kinds: with 16 windows a kind, none may alarm
    assert alarms == []


@pytest.mark.parametrize("rate", [0.25e6, 1e6, 10e6, 20e6])
def test_any_rate_from_quarter_to_twenty_megasamples(rate):
    """Recordings come from RTL-SDRs and HackRFs: 0.25 to 20 MS/s."""
    rng = np.random.default_rng(int(rate))
    hits = 0
    for standard in ("PAL", "NTSC"):
        for offset in (0.0, 3e6):
            case = _case("analog_video", rng, 12, offset, rate, standard=standard)
            f = findings(case)
            hits += bool(f)
    assert hits >= 3
    for kind in ("wifi", "carrier", "ofdm_broadcast"):
        case = _case(kind, rng, 30, 0.3e6, rate)
        if case is not None:
            assert findings(case) == [], kind


@pytest.mark.parametrize("standard", ["PAL", "NTSC", "SECAM", "PAL-M"])
def test_a_20msps_window_names_the_colour_standard_from_the_chroma(standard):
    """At 20 MS/s the whole FM signal and its 3.6-4.4 MHz chroma are in the window: the
    colour system is named (bench/bench_video_supply.py measures the rate over many
    windows); a black-and-white camera is never given one."""
    rng = np.random.default_rng(sum(map(ord, standard)))
    named = []
    for snr in (12, 16, 22):
        case = _case("analog_video", rng, snr, rng.uniform(-2e6, 2e6), 20e6, standard=standard, colour=True)
        f = findings(case)
        named.append(f[0]["standard"] if f else None)
    assert named == [standard] * 3
    bw = _case("analog_video", rng, 20, 0.0, 20e6, standard=standard, colour=False, seconds=0.03)
    f = findings(bw)
    assert f and f[0]["standard"] == f[0]["line_system"] == LINE_SYSTEM[standard], f
    assert any("no " in r and "colour subcarrier" in r for r in f[0]["reasons"]), f[0]["reasons"]


def test_a_2_4msps_window_names_no_colour_standard_and_says_why():
    rng = np.random.default_rng(24)
    for standard in ("PAL", "NTSC", "SECAM", "PAL-M"):
        f = findings(_case("analog_video", rng, 20, 0.0, 2.4e6, standard=standard, colour=True, seconds=0.03))
        assert f and f[0]["standard"] == f[0]["line_system"] == LINE_SYSTEM[standard], f
        assert any("cannot be told at 2.4 MS/s" in r for r in f[0]["reasons"]), f[0]["reasons"]
