"""Analog video vs line-rate switching supplies: flag and detection rates per rate.

    .venv/bin/python bench/bench_video_supply.py [calibration|test] [video windows per cell] [supply windows per rate]
        [rates in MS/s, comma-separated]

``calibration`` draws the simulator's own parameter ranges with one seed set (the set
the thresholds in sweeper/rf/video.py were set on); ``test`` uses other seeds and other
parameter ranges (supplies with more jitter, dither and amplitude spread, longer rings,
rates across the whole line search; senders at other offsets). A supply counts as
flagged when any finding of kind analog_video has verdict camera or suspect; a sender
counts as detected when there is one (an on/off sender is drawn again until it is on for
10 ms or more of the window). Windows are 50 ms, in-window SNR 5-30 dB. It also
counts how often the colour standard is named right (colour cameras at 10 dB or more)
and any window given a wrong one.
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from detection_suite import make_case  # noqa: E402
from sweeper.rf.analysis import analyze_window, report  # noqa: E402
from sweeper.rf.classifiers import Context  # noqa: E402

RATES = [0.25e6, 1.024e6, 2.048e6, 2.4e6, 3.2e6, 20e6]
SNRS = [5, 8, 12, 20, 30]
VIDEO = ["PAL", "NTSC", "SECAM", "PAL-M", "on/off"]


LAST = {}


#: on/off senders count only when on for at least this share of the window (10 ms)
ON_MIN = 0.2


def flagged(case) -> bool:
    w = analyze_window(case.samples, case.sample_rate, case.center_hz)
    LAST["video"] = w.video
    f = report(w.emitters, Context(w.bin_hz, case.sample_rate))["findings"]
    return any(x["type"] == "analog_video" and x["verdict"] in ("camera", "suspect") for x in f)


def supply_params(rng, test: bool) -> dict:
    if not test:
        return {}
    return dict(rate_hz=float(rng.choice([15625.0, 4.5e6 / 286, rng.uniform(15.35e3, 16.05e3)])),
                jitter_ns=float(np.exp(rng.uniform(np.log(1), np.log(2000)))),
                dither=float(rng.choice([0.0, rng.uniform(0.005, 0.15)])),
                amp_spread_db=float(rng.uniform(0, 8)), decay_ns=float(np.exp(rng.uniform(np.log(30), np.log(1000)))))


def video_params(kind, rng, test: bool) -> dict:
    if kind != "on/off":
        return dict(standard=kind)
    p = dict(on_period_s=float(rng.uniform(0.02, 0.2)), on_fraction=float(rng.uniform(0.3, 0.8)),
             on_phase=float(rng.uniform(0, 1)))
    if test:
        p.update(on_period_s=float(rng.uniform(0.05, 1.0)), on_fraction=float(rng.uniform(0.4, 0.9)))
    return p


def run(test: bool, n: int, n_supply: int, rates=RATES):
    rng = np.random.default_rng(7071 if test else 1)
    print(f"{'test' if test else 'calibration'} set, {n_supply} supply and {n} video windows per (kind, rate)")
    for rate in rates:
        row = []
        t0 = time.time()
        bad = []
        k = 0
        for i in range(n_supply):
            snr = SNRS[i % len(SNRS)]
            case = None
            for attempt in range(6):  # a narrow ring far off-centre can miss a narrow window
                try:
                    case = make_case("switching_supply", rng, snr, rng.uniform(-3e6, 3e6) / (1 + attempt), rate,
                                     **supply_params(rng, test))
                    break
                except ValueError:
                    continue
            if flagged(case):
                k += 1
                e = case.emitter
                v = LAST["video"]
                bad.append((snr, round(e.rate_hz), round(e.dither, 3), e.edges, round(e.burst_hz),
                            f"kurtosis {v.kurtosis:.1f}", f"field z {v.field_z or 0:.1f}"))
        row.append(f"supply flagged {k}/{n_supply}")
        naming, missed = [], []
        for kind in VIDEO:
            hits = 0
            named = colour = wrong = 0
            for i in range(n):
                snr = SNRS[i % len(SNRS)]
                case = None
                for attempt in range(30):
                    try:
                        off = rng.uniform(-8e6, 8e6) / (1 + min(attempt, 5)) * (0.6 if test else 1.0)
                        case = make_case("analog_video", rng, snr, off, rate, **video_params(kind, rng, test))
                        e = case.emitter
                        if e.on_period_s > 0 and e._gate(rate, int(case.t0 * rate), case.samples.size).mean() < ON_MIN:
                            case = None  # a sender off for nearly all of the window is nothing to find
                            continue
                        break
                    except ValueError:
                        continue
                hit = flagged(case)
                hits += hit
                if not hit:
                    v = LAST["video"]
                    missed.append((kind, snr, round(case.offset_hz / 1e6, 1), round(v.line_score, 2),
                                   round(v.score, 2), round(v.kurtosis, 1), round(v.field_z or 0, 1)))
                got, std = LAST["video"].colour_standard, case.emitter.standard
                wrong += got is not None and got != std
                if case.emitter.colour and snr >= 10 and kind != "on/off":
                    colour += 1
                    named += got == std
            row.append(f"{kind} {hits}/{n}")
            if kind != "on/off":
                naming.append(f"{kind} {named}/{colour}")
            naming[-1:] = naming[-1:] + ([f"wrongly named {wrong}"] if wrong else [])
        print(f"{rate / 1e6:6.3f} MS/s: " + ", ".join(row) + f" ({time.time() - t0:.0f} s)", flush=True)
        if missed:
            print("   missed senders (kind, snr, offset MHz, line score, score, kurtosis, field z):", missed)
        if n:
            print("   colour standard named (colour cameras, SNR >= 10 dB): " + ", ".join(naming))
        if bad:
            print("   flagged supplies (snr, rate, dither, edges, burst Hz, evidence):", bad)


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "test"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    rates = [float(r) * 1e6 for r in sys.argv[4].split(",")] if len(sys.argv) > 4 else RATES
    run(which == "test", n, int(sys.argv[3]) if len(sys.argv) > 3 else n, rates)
