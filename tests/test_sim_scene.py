"""Scene files (validation with file, line and key), the built-in rooms, and the
simulated dongle: tuning range, stream clock, downconverters (a high-side one mirrors
the spectrum) and the rtl_tcp render helper."""
import numpy as np
import pytest

from sweeper.errors import HardwareError, InputError
from sweeper.rf.bands import Downconverter
from sweeper.sim.emitters import EMITTERS
from sweeper.sim.scene import Scene, clear_scene, default_scene, load_scene
from sweeper.rf.sources.simulated import SimulatedSource, render_cu8


def write(tmp_path, text, name="scene.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def error_of(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as ei:
        load_scene(path)
    return str(ei.value)


GOOD = """\
name: test
noise_figure_db: 5
emitters:
  - kind: carrier
    freq_mhz: 100.3
    power_dbm: -50
  - kind: wifi
    channel: 6
    power_dbm: -40
    load: idle
"""


def test_a_good_scene_loads(tmp_path):
    s = load_scene(write(tmp_path, GOOD))
    assert s.name == "test" and s.noise_figure_db == 5.0 and s.downconverter is None
    assert [e.kind for e in s.emitters] == ["carrier", "wifi"]
    assert s.emitters[0].freq_hz == 100.3e6 and s.emitters[1].freq_hz == 2437e6


@pytest.mark.parametrize("text, line, key, words", [
    (GOOD.replace("noise_figure_db: 5", "noise_figur_db: 5"), 2, "noise_figur_db", "did you mean 'noise_figure_db'"),
    (GOOD.replace("kind: carrier", "kind: carier"), 4, "emitters[0].kind", "did you mean 'carrier'"),
    (GOOD.replace("power_dbm: -50", "powr_dbm: -50"), 6, "emitters[0].powr_dbm", "did you mean 'power_dbm'"),
    (GOOD.replace("load: idle", "load: sometimes"), 10, "emitters[1].load", "allowed: idle, busy"),
    (GOOD.replace("freq_mhz: 100.3", "freq_mhz: fast"), 5, "emitters[0].freq_mhz", "must be a number"),
    (GOOD.replace("channel: 6", "channel: 15"), 8, "emitters[1].channel", "no Wi-Fi channel 15"),
    (GOOD + "downconverter: {lo_mhz: 2000, injection: sideways}\n", 11, "downconverter.injection", "low or high"),
    (GOOD + "downconverter: {lo: 2000}\n", 11, "downconverter.lo", "allowed: lo_mhz, injection"),
    (GOOD.replace("    power_dbm: -50\n", "    power_dbm: -50\n    deviation_khz: 900\n"), 7,
     "emitters[0].deviation_khz", "between 0.1 to 100 kHz"),
])
def test_scene_errors_name_file_line_and_key(tmp_path, text, line, key, words):
    msg = error_of(tmp_path, text)
    assert msg.startswith(str(tmp_path / "scene.yaml") + f":{line}: {key}"), msg
    assert words in msg, msg


def test_structural_errors_are_explained(tmp_path):
    assert "emitters: missing" in error_of(tmp_path, "name: x\n")
    assert "scene.yaml:2:1: not valid YAML" in error_of(tmp_path, "emitters: [\n")
    assert "must be a list" in error_of(tmp_path, "emitters: 3\n")
    assert "kind: missing" in error_of(tmp_path, "emitters:\n  - freq_mhz: 100\n")
    with pytest.raises(InputError, match="scene file not found"):
        load_scene(str(tmp_path / "nope.yaml"))


def test_the_default_room_has_a_camera_and_the_clear_room_does_not():
    room, clear = default_scene(), clear_scene()
    kinds = [e.kind for e in room.emitters]
    assert kinds.count("analog_video") == 1 and "analog_video" not in [e.kind for e in clear.emitters]
    for k in ("wifi", "bluetooth", "microwave", "carrier", "ofdm_broadcast", "gsm", "fm_broadcast"):
        assert k in kinds
    cam = next(e for e in room.emitters if e.kind == "analog_video")
    assert cam.standard == "PAL" and cam.freq_hz in (2432e6, 2450e6) and -60 < cam.power_dbm < -30
    # the clear room is the same room minus the camera
    assert [e.params() for e in room.without("analog_video").emitters] == [e.params() for e in clear.emitters]


def test_the_room_renders_a_strong_camera_at_2432_mhz():
    room = default_scene()
    fs = 2.4e6
    on_cam = room.render(2432e6, fs, 0.1, 24000)
    clear = clear_scene().render(2432e6, fs, 0.1, 24000)
    assert np.mean(np.abs(on_cam) ** 2) > 10 * np.mean(np.abs(clear) ** 2)
    quiet = room.render(2300e6, fs, 0.1, 24000)
    assert not np.any(quiet)


def scene_with_tone(rf_hz):
    tone = EMITTERS["carrier"].from_params({"freq_mhz": rf_hz / 1e6, "power_dbm": -50, "modulation": "cw",
                                            "drift_hz": 0, "linewidth_hz": 0})
    return Scene([tone])


def peak_offset(x, fs):
    w = np.fft.fft(x * np.hanning(x.size))
    w[0] = 0  # ignore the DC spike
    return np.fft.fftfreq(x.size, 1 / fs)[np.argmax(np.abs(w))]


@pytest.mark.parametrize("injection, lo, tune, expect", [
    ("low", 1600e6, 850e6, +0.3e6),    # IF = RF - LO keeps the orientation
    ("high", 3000e6, 550e6, -0.3e6),   # IF = LO - RF mirrors it
])
def test_simulated_source_through_a_downconverter(injection, lo, tune, expect):
    src = SimulatedSource(scene_with_tone(2450.3e6), seed=1)
    src.set_downconverter(Downconverter(lo, injection))
    src.tune(tune, 2.4e6, 30.0)
    src.read(4096)  # settling
    x = src.read(1 << 15)
    assert x.dtype == np.complex64 and x.size == 1 << 15
    assert abs(peak_offset(x, 2.4e6) - expect) < 2e3


def test_a_scene_downconverter_is_used_unless_the_engine_overrides_it(tmp_path):
    s = load_scene(write(tmp_path, """\
downconverter: {lo_mhz: 3000, injection: high}
emitters:
  - {kind: carrier, freq_mhz: 2450.3, power_dbm: -50, modulation: cw, drift_hz: 0}
"""))
    assert s.downconverter == Downconverter(3000e6, "high")
    src = SimulatedSource(s)
    src.tune(550e6, 2.4e6, 30.0)
    src.read(4096)
    assert abs(peak_offset(src.read(1 << 15), 2.4e6) + 0.3e6) < 2e3
    src.set_downconverter(None)  # no converter: 550 MHz is empty
    src.tune(550e6, 2.4e6, 30.0)
    src.read(4096)
    assert abs(peak_offset(src.read(1 << 15), 2.4e6) + 0.3e6) > 10e3


def test_simulated_source_behaves_like_a_dongle():
    src = SimulatedSource(default_scene(), seed=2)
    assert src.tuner.min_hz == 24e6 and src.tuner.max_hz == 1766e6
    with pytest.raises(HardwareError, match="1766"):
        src.tune(2432e6, 2.4e6)
    with pytest.raises(HardwareError, match="sample rate"):
        src.tune(100e6, 500e3)
    with pytest.raises(HardwareError, match="tune"):
        SimulatedSource(default_scene()).read(10)
    src.tune(98.1e6, 2.4e6)  # auto gain
    a = src.read(24000)
    assert src.clock_s == pytest.approx(0.01)
    b = src.read(24000)
    assert src.clock_s == pytest.approx(0.02)
    assert src.gain_db is not None and a.dtype == np.complex64
    levels = np.unique(np.round(b.real * 127.5 + 127.5, 3))
    assert np.allclose(levels, np.round(levels))  # went through cu8
    assert abs(peak_offset(b, 2.4e6)) < 150e3  # the FM station at 98.1 MHz


def test_render_cu8_serves_an_rtl_tcp_server():
    render = render_cu8(default_scene())
    raw = render(98.1e6, 2.4e6, None, 0.0, 16384)
    assert raw.dtype == np.uint8 and raw.size == 2 * 16384
    raw2 = render(98.1e6, 2.4e6, 20.0, 16384 / 2.4e6, 16384)
    assert raw2.size == 2 * 16384
