"""The analyzer streams: batch boundaries do not change verdicts, memory does not grow
with the capture, and a flood of random MAC addresses cannot exhaust it."""
import numpy as np

from sweeper.sim.wifi.room import default_wifi_scene
from sweeper.wifi.analysis import TrafficAnalyzer
from sweeper.wifi.frames import mac_from_str
from sweeper.wifi.source import RawBatch


def _slices(batch, step):
    t0 = float(batch.ts[0])
    k = np.floor((batch.ts - t0) / step).astype(int)
    for i in range(k.max() + 1):
        sel = np.flatnonzero(k == i)
        yield RawBatch(batch.linktype, batch.ts[sel], batch.caplen[sel], batch.origlen[sel],
                       batch.offset[sel], batch.data, batch.channel)


def _verdicts(an):
    rep = an.report()
    return {f["mac"]: (f["verdict"], f["score"]) for f in rep["findings"]}, rep


def test_batch_boundaries_do_not_change_the_result():
    scene = default_wifi_scene()
    batch = scene.render(12.0, np.random.default_rng(3), channel=1, snaplen=128)
    whole = TrafficAnalyzer()
    whole.feed(batch)
    whole.finish()
    expected, rep = _verdicts(whole)
    assert list(expected) == scene.cameras()
    for step in (0.05, 0.25, 1.7):
        an = TrafficAnalyzer()
        for part in _slices(batch, step):
            an.feed(part)
        an.finish()
        got, _ = _verdicts(an)
        assert got == expected, step
        assert an.windows_scored == whole.windows_scored


def test_memory_is_bounded_by_one_window_not_the_capture():
    scene = default_wifi_scene()
    run = scene.build()
    rng = np.random.default_rng(5)
    an = TrafficAnalyzer()
    cfg = an.window_cfg
    carried = []
    t = 0.0
    while t < 60.0:  # a minute of a busy channel, half a second at a time
        ev = run.hear(run.step(t, t + 0.5, rng), 1, rng)
        an.feed(run.render(ev, 127, 128, rng, 1))
        t += 0.5
        carry = an.windows._carry
        carried.append(len(carry))
        if len(carry):
            assert carry["ts"].min() >= t - cfg.window_s - 2 * cfg.step_s - 0.5
    assert max(carried[20:]) < 3 * np.median(carried[20:])  # flat, not growing
    assert len(an.devices) < 100
    assert list(_verdicts(an)[0]) == scene.cameras()


def test_random_mac_flood_is_capped_and_the_camera_still_found():
    """Someone hiding a camera sprays frames from 60,000 random MACs."""
    scene = default_wifi_scene()
    cam = scene.cameras()[0]
    batch = scene.render(8.0, np.random.default_rng(9), channel=1, snaplen=128)
    rng = np.random.default_rng(1)
    n = 60000
    frames = []
    # hand-made radiotap + data frames whose transmitter is random each time
    hdr = bytes([0, 0, 8, 0, 0, 0, 0, 0])
    macs = rng.integers(0, 2 ** 48, n, dtype=np.uint64)
    ts = np.sort(rng.uniform(float(batch.ts[0]), float(batch.ts[-1]), n))
    for i in range(n):
        body = bytes([0x08, 0x01, 0, 0]) + bytes.fromhex("00112233445a") + int(macs[i]).to_bytes(6, "big") \
            + bytes(6) + bytes(2)
        frames.append((float(ts[i]), hdr + body, len(hdr + body) + 100))
    flood = RawBatch.from_records(127, frames)
    # one capture, flood and room interleaved in time
    ts_all = np.concatenate([flood.ts, batch.ts])
    order = np.argsort(ts_all, kind="stable")
    mixed = RawBatch(127, ts_all[order], np.concatenate([flood.caplen, batch.caplen])[order],
                     np.concatenate([flood.origlen, batch.origlen])[order],
                     np.concatenate([flood.offset, batch.offset + flood.data.size])[order],
                     np.concatenate([flood.data, batch.data]), 1)
    an = TrafficAnalyzer(max_devices=2000)
    for part in _slices(mixed, 0.25):
        an.feed(part)
    an.finish()
    assert len(an.devices) <= 2000 and an.evicted > 0
    found, rep = _verdicts(an)
    assert list(found) == [cam] and rep["devices_dropped"] == an.evicted
    assert mac_from_str(cam) in an.devices
