"""Child process of bench_rf.py: one 2.4 GHz sweep through rtl_tcp; prints JSON."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _peak_rss import peak_rss_mb  # noqa: E402
from sweeper.config import config_bands, default_config  # noqa: E402
from sweeper.rf.bands import plan_sweep  # noqa: E402
from sweeper.rf.sources.rtltcp import RETUNE_FLUSH_BYTES, RtlTcpSource  # noqa: E402
from sweeper.rf.engine import Sweep, SweepSettings  # noqa: E402

cfg = default_config()
band = [b for b in config_bands(cfg) if b.name == "2.4GHz"]
settings = SweepSettings(sample_rate=cfg.rf.sample_rate, gain_db=None, dwell_s=cfg.rf.dwell_s,
                         settle_s=cfg.rf.settle_s, settle_samples=cfg.rf.settle_samples)
with RtlTcpSource("127.0.0.1", int(sys.argv[1])) as src:
    hops = plan_sweep(band, settings.sample_rate, cfg.rf.crop, (src.tuner.min_hz, src.tuner.max_hz))
    src.tune(hops[0].tune_hz, settings.sample_rate, settings.gain_db)
    src.read(int(settings.sample_rate * 0.05))  # connection warm-up, not part of the sweep
    t = time.perf_counter()
    result = Sweep(src, hops, settings).run()
    elapsed = time.perf_counter() - t
print(json.dumps({
    "hops": len(hops), "elapsed_s": elapsed,
    # settle + dwell, and the old tuning's bytes the client drops after each retune
    "floor_s": settings.physical_floor_s(len(hops)) + len(hops) * RETUNE_FLUSH_BYTES / 2 / settings.sample_rate,
    "verdict": result.verdict, "findings": result.findings,
    "max_rss_mb": peak_rss_mb(),
}))
