"""Benchmark helper: the simulator's rtl_tcp server with every hop pre-rendered.

Rendering a wide FM video signal in 3.4 ms blocks costs the simulator about twice
real time, so a live server cannot keep real-time pace near the camera and the sweep
would measure the simulator. Here each hop's samples (settle + dwell, from the same
scene and front end) are rendered once before serving; the server then streams them
at the real sample rate, so what is measured is the sweep: retune latency, settle
discards and whether analysis overlaps capture.

    python bench/_cached_server.py PORT SCENE   (prints "ready" when serving)
"""
import sys
import os

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sweeper.config import config_bands, default_config  # noqa: E402
from sweeper.rf.bands import plan_sweep  # noqa: E402
from sweeper.sim.rtltcp_server import RtlTcpServer  # noqa: E402
from sweeper.sim.scene import load_scene  # noqa: E402
from sweeper.rf.sources.simulated import render_cu8  # noqa: E402

port, scene_path = int(sys.argv[1]), sys.argv[2]
cfg = default_config()
hops = plan_sweep([b for b in config_bands(cfg) if b.name == "2.4GHz"], cfg.rf.sample_rate, cfg.rf.crop)
live = render_cu8(load_scene(scene_path))
n = int(0.08 * cfg.rf.sample_rate)
cache = {round(h.tune_hz): live(h.tune_hz, cfg.rf.sample_rate, None, 0.0, n) for h in hops}


def render(center_hz, sample_rate, gain_db, t0, count):
    buf = cache.get(round(center_hz))
    if buf is None:
        return live(center_hz, sample_rate, gain_db, t0, count)
    start = (int(round(t0 * sample_rate)) * 2) % buf.size
    idx = (start + np.arange(2 * count)) % buf.size
    return buf[idx]


server = RtlTcpServer(render, port=port, realtime=True)
print("ready", flush=True)
server.serve_forever()
