"""Microwave ovens: the magnetron runs on one half of each mains cycle, so the
emission is on about half the time at 50 or 60 Hz, wide and drifting, near 2.45 GHz."""

#: what one is, in words (baselines, reports)
LABEL = "microwave oven"
#: how a baseline keys it: "frequency", "band" (100 MHz block: it hops or sweeps), or
#: "raster" (its 5 MHz channel)
KEYED = "band"

OVEN_RANGE_HZ = (2.40e9, 2.50e9)


def score(e, ctx):
    b = e.bursts
    if b is None or b.bursts < 2:
        return 0.0, ["no mains-rate bursts"]
    reasons = []
    s = 0.0
    if b.period_s is not None:
        for mains in (50.0, 60.0):
            if abs(b.period_s * mains - 1.0) < 0.12:
                s += 0.45 + 0.2 * b.regularity
                reasons.append(f"bursts repeat at {1 / b.period_s:.0f} Hz (mains {mains:.0f} Hz)")
                break
    if 0.2 <= b.duty <= 0.75:
        s += 0.1
        reasons.append(f"on {b.duty:.0%} of the time")
    if e.bandwidth_hz >= 1e6:
        s += 0.1
    if ctx.rf_known and OVEN_RANGE_HZ[0] <= e.freq_hz <= OVEN_RANGE_HZ[1]:
        s += 0.15
        reasons.append("near 2.45 GHz")
    return min(s, 1.0), reasons or ["no mains-rate bursts"]
