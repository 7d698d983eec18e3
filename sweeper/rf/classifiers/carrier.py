"""Narrowband carriers: a few PSD bins wide and on most of the time (CW, key fobs,
cordless phones, spurs)."""

#: what one is, in words (baselines, reports)
LABEL = "carrier"
#: how a baseline keys it: "frequency", "band" (100 MHz block: it hops or sweeps), or
#: "raster" (its 5 MHz channel)
KEYED = "frequency"


def score(e, ctx):
    narrow = max(25e3, 4 * ctx.bin_hz)
    if e.bandwidth_hz > 4 * narrow:
        return 0.0, [f"too wide for a carrier ({e.bandwidth_hz / 1e3:.0f} kHz)"]
    s = 0.9 if e.bandwidth_hz <= narrow else 0.6
    reasons = [f"narrowband ({e.bandwidth_hz / 1e3:.1f} kHz)"]
    if e.bursts is not None and e.bursts.duty < 0.3:
        s -= 0.2
        reasons.append(f"intermittent (on {e.bursts.duty:.0%})")
    return s, reasons
