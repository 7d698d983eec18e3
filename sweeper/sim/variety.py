"""Random emitters with wide parameter spreads, for labelled detection test sets.

``random_emitter(kind, rng)`` draws every parameter a real device of that kind could
plausibly have (standards, deviations, picture content, audio subcarriers, colour,
pre-emphasis, sync levels, timing jitter, drift, duty cycles, constellations,
bandwidths, FFT sizes, guard intervals, mains frequency...), so detectors tuned on it
are not tuned on one textbook signal. With ``freq_hz=None`` a realistic frequency for
the kind is drawn too (for cameras, from the channel tables in sweeper/rf/channels.py).
"""
from __future__ import annotations

import math
from typing import List, Optional

import numpy as np

from sweeper.sim.emitters import EMITTERS, SimEmitter
from sweeper.rf.channels import VIDEO_CHANNELS_MHZ
from sweeper.sim.emitters.wifi import channel_freq_hz

KINDS: List[str] = list(EMITTERS)

def _logu(rng, lo, hi):
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _choice(rng, seq):
    return seq[int(rng.integers(0, len(seq)))]


def _video(rng):
    pic = _choice(rng, ["scene", "scene", "bars", "flat", "dark", "noisy"])
    p = dict(
        standard=_choice(rng, ["PAL", "PAL", "PAL", "NTSC", "NTSC"]),
        picture=pic,
        colour=bool(rng.random() < 0.8),
        deviation_hz=float(rng.uniform(1.5e6, 6.5e6)),
        invert=bool(rng.random() < 0.15),
        preemphasis_db=0.0 if rng.random() < 0.5 else float(rng.uniform(4, 14)),
        subcarriers_hz=_choice(rng, [(), (6.5e6,), (6.5e6,), (6.0e6,), (6.0e6, 6.5e6), (5.5e6,)]),
        subcarrier_deviation_hz=float(rng.uniform(0.15e6, 1.2e6)),
        audio=_choice(rng, ["tone", "speech", "music", "silence"]),
        audio_deviation_hz=float(rng.uniform(20e3, 80e3)),
        tone_hz=float(rng.uniform(300, 3000)),
        brightness=float(rng.uniform(0.1, 0.75)),
        noise_level=_logu(rng, 0.002, 0.12) if pic != "noisy" else float(rng.uniform(0.08, 0.3)),
        chroma_level=float(rng.uniform(0.4, 1.4)),
        sync_level=float(rng.uniform(0.75, 1.25)),
        sync_rise_ns=float(rng.uniform(100, 500)),
        line_jitter_ns=_logu(rng, 0.5, 120),
        clock_ppm=float(rng.uniform(-150, 150)),
        drift_hz=float(rng.uniform(0, 400e3)),
        drift_period_s=float(rng.uniform(5, 120)),
    )
    f = _choice(rng, VIDEO_CHANNELS_MHZ[_choice(rng, ["900", "1.2", "1.2", "2.4", "2.4", "2.4", "3.3", "5.8", "5.8"])])
    p.update(_video_response(_added_draws(rng)))
    return p, f * 1e6


#: share of random analog cameras whose auto-gain all but hides the light going off and
#: whose picture barely brightens under an LED (dark_level 0.85-0.95, flash_gain 1.03-1.1)
WEAK_RESPONSE_SHARE = 0.1


def _video_response(r) -> dict:
    """How an analog camera's picture follows the room (confirmation, issue 16): most
    lose most of their brightness in the dark (a partial auto-gain), some all but hide
    it (:data:`WEAK_RESPONSE_SHARE`); an LED near the lens brightens the picture."""
    weak = r.random() < WEAK_RESPONSE_SHARE
    return dict(
        sees_room=True,
        dark_level=float(r.uniform(0.85, 0.95)) if weak else float(r.uniform(0.05, 0.6)),
        flash_gain=float(r.uniform(1.03, 1.1)) if weak else float(r.uniform(1.2, 2.5)),
        exposure_s=0.0 if r.random() < 0.5 else _logu(r, 0.05, 1.0),
        response_delay_s=float(r.uniform(0.0, 0.1)) if r.random() < 0.7 else float(r.uniform(0.1, 0.6)),
        dc_coupled=bool(r.random() < 0.3),
    )


def _added_draws(rng: np.random.Generator) -> np.random.Generator:
    """A child generator for parameters added later: drawing them does not move ``rng``,
    so the older parameters (and whatever is drawn after them) keep their values."""
    try:
        return rng.spawn(1)[0]
    except (AttributeError, TypeError, ValueError):  # a bit generator without a seed sequence
        return np.random.default_rng(int(rng.integers(0, 1 << 62)))


def _wifi(rng):
    std = _choice(rng, ["g", "n", "n", "ac"])
    bw = 40e6 if std != "g" and rng.random() < 0.2 else 20e6
    mcs = _choice(rng, ["mixed", "mixed", "bpsk", "qpsk", "16qam", "64qam"] + (["256qam"] if std == "ac" else []))
    p = dict(load="busy" if rng.random() < 0.7 else "idle", duty=float(rng.uniform(0.1, 0.8)), standard=std,
             bandwidth_hz=bw, mcs=mcs, short_gi=bool(rng.random() < 0.3), dsss_beacons=bool(rng.random() < 0.3),
             pa_backoff_db=float(rng.uniform(4, 30)), delay_spread_ns=float(rng.uniform(0, 150)),
             peer_db=float(rng.uniform(-25, 3)), cfo_hz=float(rng.uniform(-60e3, 60e3)))
    if rng.random() < 0.7:
        f = channel_freq_hz(int(rng.integers(1, 14)))
    else:
        f = channel_freq_hz(_choice(rng, [36, 40, 44, 48, 52, 56, 60, 64, 100, 104, 108, 112, 116, 120, 124, 128,
                                          132, 136, 140, 149, 153, 157, 161, 165]))
    return p, f


def _bluetooth(rng):
    mode = _choice(rng, ["br", "br", "ble_adv", "ble_conn"])
    p = dict(mode=mode, load=float(rng.uniform(0.1, 1.0)), packet=_choice(rng, ["dh1", "dh3", "dh5", "mixed"]),
             mod_index=float(rng.uniform(0.28, 0.35)) if mode == "br" else float(rng.uniform(0.45, 0.55)),
             ble_phy=_choice(rng, ["1M", "1M", "2M"]), adv_interval_s=_logu(rng, 0.02, 0.3),
             conn_interval_s=_logu(rng, 0.0075, 0.1), afh_channels=int(rng.integers(20, 80)),
             peer_db=float(rng.uniform(-20, 5)), cfo_hz=float(rng.uniform(-75e3, 75e3)))
    return p, 2441e6


def _microwave(rng):
    p = dict(mains_hz=_choice(rng, [50.0, 60.0]), sweep_hz=float(rng.uniform(8e6, 30e6)),
             conduction=float(rng.uniform(0.35, 0.5)), fm_noise_hz=float(rng.uniform(0.2e6, 2e6)),
             noise_db=float(rng.uniform(-40, -15)), noise_bw_hz=float(rng.uniform(20e6, 60e6)),
             inverter=bool(rng.random() < 0.2))
    return p, float(rng.uniform(2445e6, 2465e6))


def _carrier(rng):
    mod = _choice(rng, ["cw", "cw", "am", "nfm", "nfm", "ook", "fsk"])
    p = dict(modulation=mod, audio=_choice(rng, ["tone", "speech", "music", "silence"]),
             tone_hz=float(rng.uniform(300, 3000)),
             deviation_hz=float(rng.uniform(1.5e3, 5e3)) if mod != "fsk" else float(rng.uniform(5e3, 50e3)),
             am_depth=float(rng.uniform(0.3, 0.95)), bit_rate=_logu(rng, 300, 20e3),
             packet_bits=int(rng.integers(24, 200)), repeats=int(rng.integers(1, 8)),
             linewidth_hz=_logu(rng, 0.5, 3000), drift_hz=float(rng.uniform(0, 5e3)),
             drift_period_s=float(rng.uniform(5, 120)))
    if mod in ("ook", "fsk"):
        dur = p["repeats"] * (p["packet_bits"] + 12) / p["bit_rate"]
        p["burst_period_s"] = 0.0 if rng.random() < 0.25 else float(dur * rng.uniform(1.2, 6) + 0.01)
    f = _choice(rng, [27.185e6, 49.86e6, 315e6, 433.92e6, 446.1e6, 868.3e6, 915e6, 1125e6, 1575.42e6])
    return p, f + float(rng.uniform(-50e3, 50e3))


def _fm(rng):
    p = dict(programme=_choice(rng, ["music", "music", "speech", "tone", "silence"]), stereo=bool(rng.random() < 0.8),
             rds=bool(rng.random() < 0.7), loudness=float(rng.uniform(0.4, 1.1)),
             preemphasis_us=_choice(rng, [50.0, 50.0, 75.0, 0.0]), drift_hz=float(rng.uniform(0, 100)))
    return p, (875 + int(rng.integers(0, 206))) * 1e5


def _ofdm(rng):
    std = _choice(rng, ["lte_dl", "lte_dl", "lte_ul", "dvbt"])
    if std.startswith("lte"):
        p = dict(standard=std, bandwidth_hz=_choice(rng, [1.4e6, 3e6, 5e6, 10e6, 10e6, 15e6, 20e6]),
                 cp="normal" if rng.random() < 0.85 else "extended",
                 modulation=_choice(rng, ["qpsk", "16qam", "64qam"] + (["256qam"] if std == "lte_dl" else [])),
                 load=float(rng.uniform(0.05, 1.0)), duty=float(rng.uniform(0.05, 0.9)))
        f = float(rng.uniform(791e6, 960e6)) if rng.random() < 0.7 else float(rng.uniform(1710e6, 1760e6))
    else:
        p = dict(standard=std, bandwidth_hz=_choice(rng, [6e6, 7e6, 8e6, 8e6, 5e6]), fft=_choice(rng, [2048, 8192]),
                 guard=_choice(rng, [0.25, 0.125, 0.0625, 0.03125]), modulation=_choice(rng, ["qpsk", "16qam", "64qam"]))
        f = (474 + 8 * int(rng.integers(0, 40))) * 1e6
    return p, f


def _cofdm(rng):
    p = dict(bandwidth_hz=_choice(rng, [2e6, 2.5e6, 4e6, 5e6, 6e6, 7e6, 8e6]), fft=_choice(rng, [1024, 2048, 4096, 8192]),
             guard=_choice(rng, [0.25, 0.125, 0.0625, 0.03125]), modulation=_choice(rng, ["qpsk", "16qam", "64qam"]))
    band = _choice(rng, ["2.4", "2.4", "5.8", "1.2", "uhf"])
    f = {"2.4": rng.uniform(2405e6, 2475e6), "5.8": rng.uniform(5730e6, 5870e6), "1.2": rng.uniform(1100e6, 1360e6),
         "uhf": rng.uniform(300e6, 880e6)}[band]
    return p, float(f)


def _gsm(rng):
    link = "uplink" if rng.random() < 0.75 else "downlink"
    p = dict(link=link, timeslot=int(rng.integers(0, 8)), dtx=bool(rng.random() < 0.4),
             hop_channels=1 if rng.random() < 0.6 else int(rng.integers(2, 9)), cfo_hz=float(rng.uniform(-300, 300)))
    if rng.random() < 0.8:
        f = (890.2e6 if link == "uplink" else 935.2e6) + 200e3 * int(rng.integers(0, 124))
    else:
        f = (1710.2e6 if link == "uplink" else 1805.2e6) + 200e3 * int(rng.integers(0, 300))
    return p, f


def _noise(rng):
    rate = float(rng.uniform(15.0e3, 16.5e3)) if rng.random() < 0.2 else _logu(rng, 10e3, 500e3)
    p = dict(rate_hz=rate, jitter=float(rng.uniform(0, 0.2)), bandwidth_hz=_logu(rng, 1e6, 30e6),
             gate_hz=_choice(rng, [0.0, 100.0, 120.0]), gate_duty=float(rng.uniform(0.2, 1.0)))
    return p, float(rng.uniform(30e6, 1700e6))


def _supply(rng):
    """Line-locked (exactly the PAL or NTSC line rate, stable) or free-running near it,
    with or without spread-spectrum dither, one or both edges ringing, burst mode."""
    locked = rng.random() < 0.4
    p = dict(rate_hz=_choice(rng, [15625.0, 4.5e6 / 286]) if locked else float(rng.uniform(14.5e3, 17e3)),
             dither=0.0 if locked or rng.random() < 0.3 else float(rng.uniform(0.01, 0.10)),
             dither_hz=_logu(rng, 50, 5000), dither_shape=_choice(rng, ["triangle", "random"]),
             jitter_ns=_logu(rng, 1, 50) if locked else _logu(rng, 1, 500),
             edges=int(rng.integers(1, 3)), duty=float(rng.uniform(0.1, 0.9)),
             second_edge_db=float(rng.uniform(-12, 0)), amp_spread_db=float(rng.uniform(0, 4)),
             bandwidth_hz=float(rng.uniform(5e6, 40e6)), ring_spread=float(rng.uniform(0, 1)),
             decay_ns=_logu(rng, 30, 300))
    if rng.random() < 0.25:
        p.update(burst_hz=_logu(rng, 30, 1500), burst_duty=float(rng.uniform(0.2, 0.8)))
    return p, _choice(rng, [400e6, 1.2e9, float(rng.uniform(30e6, 2500e6))])


_DRAW = {"analog_video": _video, "wifi": _wifi, "bluetooth": _bluetooth, "microwave": _microwave,
         "carrier": _carrier, "fm_broadcast": _fm, "ofdm_broadcast": _ofdm, "cofdm_video": _cofdm, "gsm": _gsm,
         "noise_burst": _noise, "switching_supply": _supply}


def random_params(kind: str, rng: np.random.Generator) -> dict:
    """The randomly drawn parameters alone (SI units), plus a typical ``freq_hz``."""
    if kind not in _DRAW:
        raise ValueError(f"unknown emitter kind {kind!r}; kinds: {', '.join(KINDS)}")
    p, f = _DRAW[kind](rng)
    p["freq_hz"] = f
    return p


def random_emitter(kind: str, rng: np.random.Generator, freq_hz: Optional[float] = None,
                   power_dbm: float = 0.0) -> SimEmitter:
    """An emitter of ``kind`` with widely drawn parameters (see module docs)."""
    p = random_params(kind, rng)
    if freq_hz is not None:
        p["freq_hz"] = float(freq_hz)
    p["power_dbm"] = float(power_dbm)
    p["seed"] = int(rng.integers(0, 1 << 31))
    return EMITTERS[kind](**p)
