"""The simulated analog video transmitter shows the physics a detector relies on:
line-rate sync structure in the FM discriminator (PAL vs NTSC), the field rate, an
occupied bandwidth inside Carson's estimate, audio subcarriers at the set deviation,
calibrated power, and blocks that join seamlessly."""
import numpy as np
import pytest

from sweeper.sim.emitters.analog_video import NTSC, PAL, AnalogVideo

F0 = 2432e6


def disc(x, fs):
    """FM discriminator: instantaneous frequency (Hz) between consecutive samples."""
    return np.angle(x[1:] * np.conj(x[:-1])) * fs / (2 * np.pi)


def peak_hz(sig, fs, lo, hi, pad=1):
    spec = np.abs(np.fft.rfft((sig - sig.mean()) * np.hanning(sig.size), pad * sig.size))
    f = np.fft.rfftfreq(pad * sig.size, 1 / fs)
    band = (f > lo) & (f < hi)
    return f[band][np.argmax(spec[band])]


def video(**kw):
    base = dict(freq_hz=F0, power_dbm=-40.0, seed=2, drift_hz=0.0)
    base.update(kw)
    return AnalogVideo(**base)


@pytest.mark.parametrize("std, line_hz, field_hz", [("PAL", 15625.0, 50.0), ("NTSC", 15734.2657, 59.94)])
def test_a_2mhz_slice_shows_the_line_and_field_rate(std, line_hz, field_hz):
    # what the sweeper sees: a 2.4 MHz window tuned onto the carrier
    fs = 2.4e6
    x = video(standard=std, picture="flat").render(F0, fs, 3.0, int(0.5 * fs))
    d = disc(x, fs)
    assert abs(peak_hz(d, fs, 14e3, 17e3) - line_hz) < 3
    assert abs(peak_hz(d, fs, 30, 80) - field_hz) < 1.0


def test_sync_tips_repeat_every_line_at_the_lowest_frequency():
    fs = 1024 * PAL.f_line  # 16 MS/s: a PAL line is exactly 1024 samples
    e = video(picture="scene", deviation_hz=4e6, subcarriers_hz=())
    d = disc(e.render(F0, fs, 0.0, 1024 * 400), fs)
    lines = d[: 1024 * 399].reshape(399, 1024)
    active = lines[60:280]  # inside one field's picture area
    tip = np.argmin(np.median(active, axis=0))
    # the minimum sits at the same place in every line, for 4.7 us, and it is the sync tip:
    lows = np.argmin(active, axis=1)
    width = np.mean(active < np.median(active[:, tip]) + 0.2e6, axis=0)
    assert np.mean(np.abs(((lows - tip + 512) % 1024) - 512) < 100) > 0.9
    assert 4.0e-6 < np.sum(width > 0.9) / fs < 5.2e-6
    # sync tip to peak white spans 2 x deviation: the tip lies ~deviation below the carrier
    assert -5.5e6 < np.median(active[:, tip]) < -2.5e6
    # consecutive lines are strongly alike (the detector's one-line autocorrelation)
    a, b = active[:-1].ravel(), active[1:].ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.7


@pytest.mark.parametrize("std", [PAL, NTSC])
def test_sync_edges_are_one_line_apart(std):
    fs = 16e6
    e = video(standard=std.name, picture="scene", colour=False, subcarriers_hz=(), line_jitter_ns=5.0)
    d = disc(e.render(F0, fs, 0.2, int(0.01 * fs)), fs)
    thr = np.percentile(d, 1) + 1e6  # about halfway up the sync pulse
    i = np.nonzero((d[:-1] > thr) & (d[1:] <= thr))[0]
    t = (i + (d[i] - thr) / (d[i] - d[i + 1])) / fs  # falling edges, interpolated
    dt = np.diff(t)
    line = dt[np.abs(dt * std.f_line - 1) < 0.1]
    assert line.size > 100
    assert abs(np.median(line) - 1 / std.f_line) < 20e-9
    assert np.std(line) < 40e-9  # a few ns of jitter per edge


def test_occupied_bandwidth_is_within_carson_and_power_is_calibrated():
    fs = 32e6
    e = video(picture="bars", deviation_hz=5e6, subcarriers_hz=(6.0e6, 6.5e6), preemphasis_db=10.0)
    x = e.render(F0, fs, 1.0, int(0.04 * fs))
    assert abs(10 * np.log10(np.mean(np.abs(x) ** 2)) - (-40.0)) < 0.1
    p = np.abs(np.fft.fftshift(np.fft.fft(x))) ** 2
    f = np.fft.fftshift(np.fft.fftfreq(x.size, 1 / fs))
    c = np.cumsum(p) / p.sum()
    obw = f[np.searchsorted(c, 0.995)] - f[np.searchsorted(c, 0.005)]
    assert 2e6 < obw <= e.carson_bandwidth_hz()
    lo, hi = e.span_hz()
    assert np.sum(p[(f + F0 < lo) | (f + F0 > hi)]) / p.sum() < 1e-3  # nothing outside the declared span


def test_audio_subcarrier_carries_the_set_deviations():
    fs = 32e6
    e = video(picture="flat", noise_level=0.0, subcarriers_hz=(6.5e6,), subcarrier_deviation_hz=0.5e6,
              audio="tone", tone_hz=1000.0, audio_deviation_hz=50e3)
    d = disc(e.render(F0, fs, 0.0, int(0.02 * fs)), fs)
    D = np.fft.fft(d)
    f = np.fft.fftfreq(d.size, 1 / fs)
    sub = np.fft.ifft(np.where((f > 6.2e6) & (f < 6.8e6), 2 * D, 0))
    # the discriminator's 1-sample difference attenuates 6.5 MHz by sinc(6.5/32)
    gain = np.sinc(6.5e6 / fs)
    assert abs(np.median(np.abs(sub)) / gain - 0.5e6) < 0.05e6
    inst = np.angle(sub[1:] * np.conj(sub[:-1])) * fs / (2 * np.pi)
    A = np.fft.rfft(inst)
    fa = np.fft.rfftfreq(inst.size, 1 / fs)
    A[fa > 5e3] = 0
    audio = np.fft.irfft(A, inst.size)[2000:-2000]
    assert abs((audio.max() - audio.min()) / 2 - 50e3) < 5e3
    assert abs(peak_hz(audio, fs, 200, 5000) - 1000) < 60


def test_blocks_join_and_repeat_exactly():
    e = video(picture="noisy")
    fs, n = 2.4e6, 60000
    whole = e.render(F0 + 1e6, fs, 7.0, 2 * n)
    a = e.render(F0 + 1e6, fs, 7.0, n)
    b = e.render(F0 + 1e6, fs, 7.0 + n / fs, n)
    joined = np.concatenate([a, b])
    assert np.max(np.abs(joined - whole)) < 1e-3 * np.sqrt(np.mean(np.abs(whole) ** 2))
    again = video(picture="noisy").render(F0 + 1e6, fs, 7.0, 2 * n)
    assert np.array_equal(again, whole)


def test_a_slice_gets_part_of_the_power_and_far_away_gives_nothing():
    e = video()
    fs = 2.4e6
    x = e.render(F0 + 3e6, fs, 0.0, 48000)
    p = np.mean(np.abs(x) ** 2) / 10 ** (-40 / 10)
    assert 0.01 < p < 0.5
    far = e.render(F0 + 40e6, fs, 0.0, 48000)
    assert not np.any(far)


def test_sync_polarity_and_standards_differ():
    fs = 16e6
    up = disc(video(picture="flat", subcarriers_hz=()).render(F0, fs, 0.0, 40000), fs)
    down = disc(video(picture="flat", subcarriers_hz=(), invert=True).render(F0, fs, 0.0, 40000), fs)
    # normal: the sync tips are the rare extreme on the low side; inverted: on the high side
    assert np.percentile(up, 3) < -2 * abs(np.percentile(up, 97))
    assert np.percentile(down, 97) > 2 * abs(np.percentile(down, 3))


def _lines_from_sync(d, n_line):
    """The discriminator cut into lines starting at the sync tip (rows of n_line)."""
    rows = d[: (d.size // n_line) * n_line].reshape(-1, n_line)
    tip = int(np.argmin(np.median(rows, axis=0)))
    m = (d.size - tip) // n_line
    return d[tip: tip + m * n_line].reshape(m, n_line)


def test_secam_chroma_rests_at_4_40625_and_4_25_mhz_on_alternate_lines():
    fs = 1024 * PAL.f_line  # a 625-line line is exactly 1024 samples
    e = video(standard="SECAM", picture="flat", deviation_hz=3e6, subcarriers_hz=())
    lines = _lines_from_sync(disc(e.render(F0, fs, 1.0, 1024 * 360), fs), 1024)[20:300]
    seg = lines[:, 250:1000]  # the picture part of each line
    spec = np.abs(np.fft.rfft((seg - seg.mean(axis=1, keepdims=True)) * np.hanning(750), 8192, axis=1))
    f = np.fft.rfftfreq(8192, 1 / fs)
    band = (f > 3.9e6) & (f < 4.8e6)
    peak = f[band][np.argmax(spec[:, band], axis=1)]
    even, odd = peak[::2], peak[1::2]
    a, b = (even, odd) if np.median(even) > np.median(odd) else (odd, even)
    assert np.mean(np.abs(a - 4.40625e6) < 20e3) > 0.9 and np.mean(np.abs(b - 4.25e6) < 20e3) > 0.9
    # and no PAL burst at 4.43 MHz
    whole = disc(e.render(F0, fs, 1.0, 1 << 18), fs)
    assert abs(peak_hz(whole, fs, 4.1e6, 4.6e6) - 4.43361875e6) > 20e3


def test_pal_m_has_525_line_timing_and_a_pal_switched_3_5756_mhz_burst():
    fs = 16e6
    e = video(standard="PAL-M", picture="flat", deviation_hz=3e6, subcarriers_hz=())
    d = disc(e.render(F0, fs, 2.0, int(0.05 * fs)), fs)
    assert abs(peak_hz(d, fs, 14e3, 17e3, pad=4) - 4.5e6 / 286) < 3
    spec = np.abs(np.fft.rfft((d - d.mean()) * np.hanning(d.size))) ** 2
    bin_hz = fs / d.size

    def line(f):
        i = int(round(f / bin_hz))
        return spec[i - 2: i + 3].max()

    fsc, fh = 227.25 * 4.5e6 / 286, 4.5e6 / 286
    floor = np.median(spec[int(3.5e6 / bin_hz): int(3.65e6 / bin_hz)])
    assert line(fsc) > 100 * floor  # the burst's U part
    assert line(fsc + fh / 2) > 30 * floor and line(fsc - fh / 2) > 30 * floor  # the V switch
    assert line(3.579545e6) < 10 * floor  # not NTSC's subcarrier


def test_an_on_off_sender_transmits_its_fraction_of_each_period():
    fs = 2.4e6
    gated = video(on_period_s=0.05, on_fraction=0.4, on_phase=0.3).render(F0, fs, 5.0, int(0.4 * fs))
    always = video().render(F0, fs, 5.0, int(0.4 * fs))
    # the same signal, switched: per 1 ms block all of it or none of it
    share = (np.abs(gated.reshape(400, -1)) ** 2).sum(axis=1) / (np.abs(always.reshape(400, -1)) ** 2).sum(axis=1)
    on = share > 0.5
    assert abs(on.mean() - 0.4) < 0.01
    assert np.mean((share > 0.99) | (share < 0.01)) > 0.97
    starts = np.nonzero(np.diff(on.astype(int)) == 1)[0]
    assert np.allclose(np.diff(starts), 50, atol=1)
