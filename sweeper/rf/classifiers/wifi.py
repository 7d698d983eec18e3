"""Wi-Fi: wideband (20/40 MHz OFDM, flat-topped) and bursty (frames, then silence)."""

#: what one is, in words (baselines, reports)
LABEL = "Wi-Fi"
#: how a baseline keys it: "frequency", "band" (100 MHz block: it hops or sweeps), or
#: "raster" (its 5 MHz channel)
KEYED = "raster"

WIFI_RANGES_HZ = ((2.401e9, 2.495e9), (5.15e9, 5.895e9))


def score(e, ctx):
    reasons = []
    wide = e.bandwidth_hz >= 10e6 or (e.fills_window and e.bandwidth_hz >= 0.6 * ctx.window_hz)
    if not wide:
        return 0.0, [f"narrower than Wi-Fi ({e.bandwidth_hz / 1e6:.1f} MHz)"]
    s = 0.45
    reasons.append(f"wideband ({e.bandwidth_hz / 1e6:.1f} MHz{'+' if e.fills_window else ''})")
    b = e.bursts
    if b is not None and b.bursts >= 1 and b.duty < 0.95:
        s += 0.25
        reasons.append(f"bursty (on {b.duty:.0%}, {b.bursts} bursts, mean {b.mean_on_s * 1e3:.1f} ms)")
    if e.flatness > 0.6:
        s += 0.1
        reasons.append("flat-topped spectrum (OFDM)")
    if ctx.rf_known and any(lo <= e.freq_hz <= hi for lo, hi in WIFI_RANGES_HZ):
        s += 0.15
        reasons.append("in a Wi-Fi band")
    return min(s, 1.0), reasons
