"""Bluetooth: ~1 MHz wide GFSK packets of at most a few ms, hopping, so each channel
is on only briefly."""

#: what one is, in words (baselines, reports)
LABEL = "Bluetooth"
#: how a baseline keys it: "frequency", "band" (100 MHz block: it hops or sweeps), or
#: "raster" (its 5 MHz channel)
KEYED = "band"

BT_RANGE_HZ = (2.400e9, 2.4835e9)


def score(e, ctx):
    b = e.bursts
    if not (0.3e6 <= e.bandwidth_hz <= 3e6):
        return 0.0, [f"not Bluetooth's ~1 MHz width ({e.bandwidth_hz / 1e6:.2f} MHz)"]
    if b is None or b.bursts == 0 or b.continuous:
        return 0.1, ["not bursty"]
    reasons = [f"~1 MHz wide ({e.bandwidth_hz / 1e6:.2f} MHz)"]
    s = 0.35
    if b.max_on_s <= 6e-3 and b.duty <= 0.5:
        s += 0.3
        reasons.append(f"short packets ({b.mean_on_s * 1e3:.2f} ms), on {b.duty:.0%}")
    if ctx.rf_known:
        if BT_RANGE_HZ[0] <= e.freq_hz <= BT_RANGE_HZ[1]:
            s += 0.2
            reasons.append("in the 2.4 GHz ISM band")
        else:
            s -= 0.2
    return max(min(s, 1.0), 0.0), reasons
