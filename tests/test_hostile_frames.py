"""Frames that someone hiding a camera could send (or a damaged capture could hold) to
blind or crash the Wi-Fi analysis: each is a minimal reproducer of issue 15's audit,
counted as damage and skipped, while the rest of the capture is still judged."""
import numpy as np

from sweeper.sim.wifi.room import default_wifi_scene
from sweeper.wifi.analysis import TrafficAnalyzer
from sweeper.wifi.source import RawBatch


def _camera_batch(seconds=8.0):
    scene = default_wifi_scene()
    return scene, scene.render(seconds, np.random.default_rng(3), channel=1, snaplen=128)


def _judge(*batches):
    an = TrafficAnalyzer()
    for b in batches:
        an.feed(b)
    an.finish()
    return an.report()


def _with(b, ts=None, origlen=None):
    return RawBatch(b.linktype, b.ts if ts is None else ts, b.caplen, b.origlen if origlen is None else origlen,
                    b.offset, b.data, b.channel)


def test_frames_dated_in_another_age_are_damage_and_the_camera_is_still_found():
    """The old key packed (sender << 40 | microseconds): frames 2^40 us apart in one
    batch collided and crashed the analysis (a negative repeat count)."""
    scene, b = _camera_batch()
    for jump in (2 ** 40 / 1e6, 1e13, 1e17, np.inf, np.nan, -5e9):
        ts = b.ts.copy()
        ts[ts.size // 2:] += jump
        rep = _judge(_with(b, ts=ts))
        assert [f["mac"] for f in rep["findings"] if f["verdict"] == "camera"] == scene.cameras(), jump
        if not np.isfinite(jump) or jump > 2 ** 32 or jump < 0:
            assert rep["frames"]["malformed"] >= ts.size // 2 - 1, jump


def test_an_impossible_frame_length_is_damage_not_a_ten_gigabit_upload():
    """An original length of 2^31 once wrapped int32 and read as an upload above 10 Gbit/s."""
    scene, b = _camera_batch()
    origlen = b.origlen.copy()
    origlen[::3] = 2 ** 31
    rep = _judge(_with(b, origlen=origlen))
    assert rep["frames"]["malformed"] >= origlen.size // 3
    fastest = max(d.get("uplink_kbps") or 0 for d in rep["devices"] + rep["findings"])
    assert fastest < 100_000  # nothing near 10 Gbit/s


def test_a_flood_of_made_up_addresses_does_not_grow_the_vendor_caches():
    from sweeper.wifi import oui

    an = TrafficAnalyzer()
    rng = np.random.default_rng(1)
    for _ in range(3):  # 3 x 5000 globally administered addresses with random makers
        macs = (rng.integers(0, 1 << 48, 5000) & ~(1 << 41)).astype(np.uint64)  # not locally administered
        hints = an._module_hints(macs)
        assert len(hints) == len(np.unique(macs))
    assert len(an._vendor_hint) <= oui.CACHE_MAX and len(oui._cache) <= oui.CACHE_MAX
