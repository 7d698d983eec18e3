"""The simulated RTL-SDR front end: 8-bit quantisation, the DC spike, clipping,
thermal noise at the right level, IQ imbalance and automatic gain."""
import numpy as np

from sweeper.rf.convert import cu8_to_complex64
from sweeper.sim.frontend import FULL_SCALE_DBM, R820T_GAINS_DB, RtlFrontEnd

FS = 2.4e6


def tone(dbm, n=65536, f=300e3):
    return (np.exp(2j * np.pi * f * np.arange(n) / FS) * 10 ** (dbm / 20)).astype(np.complex64)


def dbfs(y):
    return 10 * np.log10(np.mean(np.abs(y) ** 2))


def test_output_is_interleaved_unsigned_bytes_on_256_levels():
    fe = RtlFrontEnd(gain_db=30.0, seed=1)
    raw = fe.to_cu8(tone(-60), FS)
    assert raw.dtype == np.uint8 and raw.size == 2 * 65536
    y = cu8_to_complex64(raw)
    levels = np.unique(np.round(y.real * 127.5 + 127.5, 3))
    assert np.allclose(levels, np.round(levels))  # only the 256 cu8 levels
    assert len(np.unique(raw)) > 20


def test_dc_offset_makes_the_centre_spike():
    fe = RtlFrontEnd(gain_db=40.0, seed=2, dc_offset=0.02 + 0.01j)
    y = cu8_to_complex64(fe.to_cu8(np.zeros(65536, np.complex64), FS))
    p = np.abs(np.fft.fft(y)) ** 2
    assert p[0] > 1000 * np.median(p)
    clean = RtlFrontEnd(gain_db=40.0, seed=2, dc_offset=0.0, adc_noise_lsb=0.0)
    y0 = cu8_to_complex64(clean.to_cu8(np.zeros(65536, np.complex64), FS))
    assert np.abs(np.fft.fft(y0)[0]) ** 2 < 0.1 * p[0]


def test_thermal_noise_floor_follows_kTB_noise_figure_and_gain():
    fe = RtlFrontEnd(gain_db=49.6, noise_figure_db=6.0, dc_offset=0.0, adc_noise_lsb=0.0, seed=3,
                     iq_gain_imbalance=0.0, iq_phase_deg=0.0)
    y = cu8_to_complex64(fe.to_cu8(np.zeros(1 << 17, np.complex64), FS))
    expect = -174 + 6 + 10 * np.log10(FS) - (FULL_SCALE_DBM - 49.6)  # about -30 dBFS
    assert abs(dbfs(y) - expect) < 1.0
    assert -33 < expect < -27


def test_strong_signals_clip_at_full_scale():
    fe = RtlFrontEnd(gain_db=49.6, seed=4)
    raw = fe.to_cu8(tone(-30), FS)  # 45 dB over full scale
    assert np.mean((raw == 0) | (raw == 255)) > 0.5
    quiet = RtlFrontEnd(gain_db=0.0, seed=4).to_cu8(tone(-40), FS)
    assert np.mean((quiet == 0) | (quiet == 255)) == 0


def test_auto_gain_puts_the_rms_near_minus_15_dbfs():
    for dbm in (-90.0, -60.0, -40.0):
        fe = RtlFrontEnd(gain_db=None, seed=5)
        y = cu8_to_complex64(fe.to_cu8(tone(dbm), FS))
        assert fe.last_gain_db in R820T_GAINS_DB
        if fe.last_gain_db < R820T_GAINS_DB[-1]:
            assert -20.5 < dbfs(y) < -14  # at or just below the target (the gain steps are coarse)
    weak, strong = RtlFrontEnd(seed=6), RtlFrontEnd(seed=6)
    weak.to_cu8(tone(-100), FS)
    y = cu8_to_complex64(strong.to_cu8(tone(-20), FS))
    assert weak.last_gain_db == 49.6 and strong.last_gain_db == 0.0  # out of range: the gain can go no lower
    assert dbfs(y) > -3


def test_iq_imbalance_makes_an_image_at_minus_f():
    fe = RtlFrontEnd(gain_db=20.0, seed=7, iq_gain_imbalance=0.05, iq_phase_deg=3.0)
    y = cu8_to_complex64(fe.to_cu8(tone(-50, f=300e3), FS))
    p = np.abs(np.fft.fft(y)) ** 2
    f = np.fft.fftfreq(y.size, 1 / FS)
    sig = p[np.argmin(np.abs(f - 300e3))]
    img = p[np.argmin(np.abs(f + 300e3))]
    assert -40 < 10 * np.log10(img / sig) < -20  # a few % imbalance: an image 25-35 dB down
