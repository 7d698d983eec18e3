"""Analog FM video transmitter: what a cheap wireless camera / FPV sender radiates.

Composite PAL, NTSC, PAL-M or SECAM video (sync, equalising and broad pulses, colour
burst, chroma on the 4.43361875 / 3.579545 / 3.575611 MHz subcarrier, or SECAM's FM
subcarriers at 4.40625 / 4.25 MHz on alternate lines, picture content) plus optional FM audio
subcarriers at 6.0 / 6.5 MHz, optional pre-emphasis and a limiter, frequency-modulates
the carrier: f(t) = carrier + drift(t) + k * (v(t) - mean of v over the frame).
Sync tips sit at the low-frequency end (common practice, CCIR FM-TV) unless
``invert``; ``deviation_hz`` is the peak deviation, i.e. sync tip to peak white spans
2 x deviation.

How it is built (vectorised): a frame is a (lines x samples-per-line) array at the
internal rate. Each line starts at a fractional sample position (line timing with
jitter and clock error); its sync/blanking waveform is looked up from per-line-type
templates precomputed at 16 sub-sample phases, picture rows are interpolated onto the
sample columns, the chroma subcarrier is an outer product of per-line and per-column
phasors (so it stays locked to absolute time), the valid samples are compacted to one
stream and integrated to phase. The frame mean is removed (AC coupling with a frame
time constant), so the modulation phase returns to zero at every frame boundary: any
block can be rendered on its own and consecutive blocks join exactly. With
``dc_coupled`` the mean stays (a darker picture moves the whole carrier towards the
sync end); the phase then restarts at each frame's first sample (a small step in the
vertical sync, the price of rendering any block on its own).

A camera that sees the room follows ``stimulus`` (a confirmation's timeline, set as
an attribute): in ``dark`` intervals the picture's luminance falls to ``dark_level``
(a partial auto-gain; more sensor noise at the higher gain), in ``flash`` intervals it
rises by ``flash_gain`` plus a bloom around the LED, in ``motion`` intervals a hand
sweeps across it; ``response_delay_s`` later, approaching each level with the
auto-exposure time constant ``exposure_s``. The brightness at time t is a pure function
of t and the timeline, so blocks still render on their own. Colour bars (a pattern
generator) and ``sees_room: false`` do not follow the room; with no stimulus nothing
changes. With
``on_period_s`` the sender transmits only ``on_fraction`` of each period (a camera
switched on and off, or one that transmits on motion).

Why one module of over 400 lines: one composite-video FM sender (timing, picture,
colour, audio, on/off) whose parts feed one waveform.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Optional, Tuple

import numpy as np

from sweeper.sim import dsp
from sweeper.sim.emitters.base import SimEmitter, param

Q = 16  # sub-sample phases of the sync templates

# line types
ACT, BLK, EE, BB, BE, EB, E_, H2, H1E = range(9)
_PULSES = {  # (position in half-lines, kind) for each type; kinds: s=h-sync, e=equalising, b=broad
    ACT: [(0, "s")], BLK: [(0, "s")], H2: [(0, "s")], H1E: [(0, "s"), (1, "e")],
    EE: [(0, "e"), (1, "e")], BB: [(0, "b"), (1, "b")], BE: [(0, "b"), (1, "e")],
    EB: [(0, "e"), (1, "b")], E_: [(0, "e")],
}


def _runs(*spec):
    out = []
    for t, n in spec:
        out += [t] * n
    return np.array(out, np.int64)


@dataclass(frozen=True)
class VideoStandard:
    name: str
    lines: int
    f_line: float
    fsc: float
    sync_us: float
    eq_us: float
    burst_us: float  # burst start after the sync leading edge
    burst_cycles: int
    active_start_us: float
    active_us: float
    sync_level: float  # blanking = 0, white = 1
    setup: float
    burst_amp: float
    pal: bool
    types: Tuple[int, ...]
    fields: Tuple[Tuple[int, int], Tuple[int, int]]  # (first line index, rows) per field
    #: SECAM: no burst, no quadrature chroma; a frequency-modulated subcarrier carries
    #: D'r on one line and D'b on the next (rest frequencies fsc and SECAM_DB_HZ)
    secam: bool = False


PAL = VideoStandard(
    "PAL", 625, 15625.0, 4433618.75, 4.7, 2.35, 5.6, 10, 10.5, 52.0, -0.3 / 0.7, 0.0, 0.15 / 0.7, True,
    tuple(_runs((BB, 2), (BE, 1), (EE, 2), (BLK, 17), (H2, 1), (ACT, 287), (EE, 2), (EB, 1), (BB, 2), (EE, 2),
                (E_, 1), (BLK, 17), (ACT, 287), (H1E, 1), (EE, 2))),
    ((22, 288), (335, 288)),
)
NTSC = VideoStandard(
    "NTSC", 525, 4.5e6 / 286, 315e6 / 88, 4.7, 2.3, 5.3, 9, 9.4, 52.66, -0.4, 0.075, 0.2, False,
    tuple(_runs((EE, 3), (BB, 3), (EE, 3), (BLK, 11), (ACT, 242), (H1E, 1), (EE, 2), (EB, 1), (BB, 2), (BE, 1),
                (EE, 2), (E_, 1), (BLK, 10), (H2, 1), (ACT, 242))),
    ((20, 243), (282, 243)),
)
#: PAL-M (Brazil): 525/59.94 line timing and levels, PAL chroma (V switch, +-135 degree
#: burst) on a 3.575611 MHz subcarrier (227.25 x the line rate)
PAL_M = VideoStandard(
    "PAL-M", 525, 4.5e6 / 286, 227.25 * 4.5e6 / 286, 4.7, 2.3, 5.8, 9, 9.4, 52.66, -0.4, 0.075, 0.2, True,
    NTSC.types, NTSC.fields,
)
#: SECAM: 625/50 line timing as PAL; chroma as FM subcarriers, D'r at 4.40625 MHz and
#: D'b at 4.25 MHz on alternate lines, present from the back porch to the line's end
SECAM = VideoStandard(
    "SECAM", 625, 15625.0, 4.40625e6, 4.7, 2.35, 5.7, 0, 10.5, 52.0, -0.3 / 0.7, 0.0, 0.0, False,
    PAL.types, PAL.fields, secam=True,
)
SECAM_DB_HZ = 4.25e6
#: SECAM subcarrier deviation per unit D'r / D'b, and its amplitude (video units, at rest)
SECAM_DEV_HZ = {"r": 280e3, "b": 230e3}
SECAM_AMP = 0.115
STANDARDS = {"PAL": PAL, "NTSC": NTSC, "SECAM": SECAM, "PAL-M": PAL_M}
assert len(PAL.types) == 625 and len(NTSC.types) == 525

def _bars_rgb(pal: bool) -> np.ndarray:
    hi = 0.75
    rgb = np.array([[1, 1, 1], [1, 1, 0], [0, 1, 1], [0, 1, 0], [1, 0, 1], [1, 0, 0], [0, 0, 1], [0, 0, 0]], float) * hi
    if pal:
        rgb[0] = 1.0  # EBU 100/0/75/0
    return rgb


def _rgb_to_yc(rgb: np.ndarray):
    """(..., 3) RGB -> luma Y and chroma C = V - jU (PAL/NTSC U, V scaling)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = 0.493 * (b - y)
    v = 0.877 * (r - y)
    return y, (v - 1j * u)


def _fractal(rng, h, w, beta=2.0):
    """Natural-looking 1/f^beta texture, zero mean, unit std."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.sqrt(fy * fy + fx * fx)
    f[0, 0] = 1.0
    spec = (rng.standard_normal((h, w // 2 + 1)) + 1j * rng.standard_normal((h, w // 2 + 1))) / f ** (beta / 2)
    spec[0, 0] = 0
    img = np.fft.irfft2(spec, (h, w))
    return (img - img.mean()) / (img.std() + 1e-12)


def _upsample(img: np.ndarray, r: int, out: Optional[np.ndarray] = None) -> np.ndarray:
    """(R, W) -> (R, (W-1)*r) by linear interpolation (r samples per pixel), into
    ``out`` (a 2-D float32 view with unit column stride) if given. Strided passes for
    small r, one broadcast pass for larger r (no gathers, no BLAS)."""
    R, W = img.shape
    if out is None:
        out = np.empty((R, (W - 1) * r), np.float32)
    y0 = img[:, :-1]
    if r == 1:
        out[...] = y0
        return out
    d = img[:, 1:] - y0
    if r <= 4:
        for s in range(r):
            o = out[:, s::r]
            np.multiply(d, np.float32(s / r), out=o)
            o += y0
    else:
        o = np.lib.stride_tricks.as_strided(out, (R, W - 1, r), (out.strides[0], r * out.strides[1], out.strides[1]))
        np.multiply(d[:, :, None], (np.arange(r, dtype=np.float32) / r)[None, None, :], out=o)
        o += y0[:, :, None]
    return out


def _resize(img, h, w):
    """Bilinear resize (small images, once per emitter)."""
    H, Wd = img.shape
    y = np.clip((np.arange(h) + 0.5) * H / h - 0.5, 0, H - 1)
    x = np.clip((np.arange(w) + 0.5) * Wd / w - 0.5, 0, Wd - 1)
    y0 = np.minimum(y.astype(int), H - 2)
    x0 = np.minimum(x.astype(int), Wd - 2)
    wy = (y - y0)[:, None]
    wx = (x - x0)[None, :]
    a = img[y0][:, x0] * (1 - wx) + img[y0][:, x0 + 1] * wx
    b = img[y0 + 1][:, x0] * (1 - wx) + img[y0 + 1][:, x0 + 1] * wx
    return a * (1 - wy) + b * wy


def _brightness_pieces(timeline, dark_level: float, flash_gain: float):
    """The room as the camera's exposure sees it: (starts, target brightness, flash,
    motion) per piece of ``timeline``, time outside its intervals the plain lit room."""
    starts, targets, flash, motion = [], [], [], []
    end = None
    for iv in timeline.intervals:
        if end is not None and iv.start_s > end + 1e-9:
            starts.append(end), targets.append(1.0), flash.append(False), motion.append(False)
        starts.append(iv.start_s)
        targets.append(dark_level if iv.kind == "dark" else flash_gain if iv.kind == "flash" else 1.0)
        flash.append(iv.kind == "flash"), motion.append(iv.kind == "motion")
        end = iv.end_s
    if end is not None:
        starts.append(end), targets.append(1.0), flash.append(False), motion.append(False)
    return np.array(starts, float), np.array(targets, float), np.array(flash), np.array(motion)


@dataclass(eq=False)
class AnalogVideo(SimEmitter):
    """FM-modulated composite video (PAL, NTSC, SECAM, PAL-M) with optional audio
    subcarriers, optionally switching on and off."""

    kind: ClassVar[str] = "analog_video"

    standard: str = param("PAL", "video standard", choices=("PAL", "NTSC", "SECAM", "PAL-M"))
    picture: str = param("scene", "picture content: colour bars, a room with someone moving, a flat wall, "
                         "a dark room, a noisy low-light sensor", choices=("bars", "scene", "flat", "dark", "noisy"))
    colour: bool = param(True, "colour camera (burst + chroma); false for black-and-white")
    deviation_hz: float = param(4e6, "peak deviation (sync tip to peak white spans twice this)", lo=0.5e6, hi=10e6,
                                unit="MHz")
    invert: bool = param(False, "sync tips at the high-frequency end instead of the low one")
    preemphasis_db: float = param(0.0, "video pre-emphasis high-frequency boost (0 = none; CCIR 405 is ~10-14)",
                                  lo=0.0, hi=16.0)
    subcarriers_hz: tuple = param((6.5e6,), "audio FM subcarriers above the video (e.g. [6.0, 6.5]; [] for none)",
                                  lo=4.8e6, hi=9e6, unit="MHz")
    subcarrier_deviation_hz: float = param(0.5e6, "main-carrier deviation caused by each audio subcarrier",
                                           lo=0.0, hi=3e6, unit="MHz")
    audio: str = param("tone", "audio on the subcarriers", choices=("tone", "speech", "music", "silence"))
    audio_deviation_hz: float = param(50e3, "subcarrier deviation by the audio", lo=0.0, hi=200e3, unit="kHz")
    tone_hz: float = param(1000.0, "audio test tone frequency", lo=50.0, hi=15e3)
    brightness: float = param(0.45, "average picture level of flat/scene pictures (0 black .. 1 white)",
                              lo=0.0, hi=1.0)
    noise_level: float = param(0.02, "sensor noise, std in luma units (0..1 white)", lo=0.0, hi=0.5)
    chroma_level: float = param(1.0, "colour saturation scale", lo=0.0, hi=2.0)
    sync_level: float = param(1.0, "sync depth relative to nominal (cheap cameras vary)", lo=0.5, hi=1.5)
    sync_rise_ns: float = param(250.0, "sync edge rise time", lo=50.0, hi=1000.0)
    line_jitter_ns: float = param(8.0, "line timing jitter (rms)", lo=0.0, hi=500.0)
    clock_ppm: float = param(0.0, "camera crystal error: line rate = nominal x (1 - ppm/1e6)", lo=-500.0, hi=500.0)
    drift_hz: float = param(50e3, "slow carrier wander amplitude", lo=0.0, hi=5e6, unit="kHz")
    drift_period_s: float = param(20.0, "period of the slow carrier wander", lo=0.5, hi=3600.0)
    on_period_s: float = param(0.0, "the sender switches on and off with this period (0 = always on)",
                               lo=0.0, hi=3600.0)
    on_fraction: float = param(1.0, "fraction of each on/off period it transmits", lo=0.02, hi=1.0)
    on_phase: float = param(0.0, "where in its on/off period the sender is at t = 0 (0..1)", lo=0.0, hi=1.0)
    dc_coupled: bool = param(False, "DC-coupled video: the carrier's mean frequency follows the picture's "
                             "level (its phase restarts at each frame, in the vertical sync); false: AC-coupled")
    # how its picture follows the room it sees (the stimulus of a confirmation)
    sees_room: bool = param(True, "it sees the room the stimulus is made in (false: next door, in a drawer, "
                            "facing a wall)")
    dark_level: float = param(0.25, "picture brightness with the lights off as a share of lit, once its "
                              "auto-gain has settled (near 1: an auto-gain that hides the change)", lo=0.0, hi=1.0)
    flash_gain: float = param(1.5, "picture brightness while an LED near the lens is lit, as a multiple of "
                              "the plain picture (plus a bloom around the LED)", lo=1.0, hi=4.0)
    exposure_s: float = param(0.0, "auto-exposure time constant: the brightness settles on a new level this "
                              "slowly (0 = at once)", lo=0.0, hi=5.0)
    response_delay_s: float = param(0.02, "delay from the room to the picture it sends (about a field; more "
                                    "with frame buffers)", lo=0.0, hi=2.0)

    #: what the room looked like when (a ``sweeper.confirm.stimulus.Timeline``) or None;
    #: a camera that sees the room follows it (see :meth:`_view`)
    @property
    def stimulus(self):
        return self._stimulus

    @stimulus.setter
    def stimulus(self, timeline) -> None:
        self._stimulus = timeline
        self._cache = {}  # cached frames were rendered for the old room
        self._levels = None if timeline is None else _brightness_pieces(timeline, self.dark_level, self.flash_gain)

    def _setup(self) -> None:
        self._stimulus = None
        self._levels = None
        self._std = STANDARDS[self.standard]
        st = self._std
        for f in self.subcarriers_hz:
            self._check("subcarriers_mhz", 4.8e6 <= f <= 9e6, f"subcarrier {f / 1e6:g} MHz outside 4.8-9 MHz")
        self._check("subcarriers_mhz", len(self.subcarriers_hz) <= 3, "at most 3 audio subcarriers")
        self._TH = (1.0 / st.f_line) * (1.0 + self.clock_ppm * 1e-6)
        self._TF = self._TH * st.lines
        self._white = 1.0
        self._sync = st.sync_level * self.sync_level
        self._khz = 2.0 * self.deviation_hz / (self._white - self._sync)  # Hz per video unit
        self._sc_amp = self.subcarrier_deviation_hz / self._khz
        self._fmod_max = max([5.5e6] + [f + 2 * self.audio_deviation_hz + 15e3 for f in self.subcarriers_hz])
        rng = dsp.rng_for(self.seed, 1)
        self._drift_ph = rng.uniform(0, 2 * np.pi, 2)
        self._audio_spec = self._make_audio(rng)
        self._pic_rng_seed = int(rng.integers(1 << 31))

    # ---- spectrum -------------------------------------------------------------------
    def _core_half(self) -> float:
        """Half-width holding all but ~-40 dB of the power (peak excursion + modulation)."""
        return 1.35 * self.deviation_hz * (1 + 0.03 * self.preemphasis_db) + self._fmod_max + 0.5e6 + self.drift_hz

    def span_hz(self) -> Tuple[float, float]:
        # out to about -60 dBc: sync-edge splatter and second-order subcarrier sidebands
        fsc = max(self.subcarriers_hz, default=0.0)
        extra = max(2.3 * self.deviation_hz, fsc * min(2.0, 1.5 * self.subcarrier_deviation_hz / 1e6))
        half = self._core_half() + extra + 0.5e6
        return self.freq_hz - half, self.freq_hz + half

    def _min_rate(self, offset: float, fs: float) -> float:
        # Near the carrier the window holds >= 40 dB more than the far tails that could
        # fold onto it, so only the core must not fold; out in the tails, the whole span.
        core = self._core_half()
        tail = self._half_span()
        a = abs(offset)
        guard = core + (tail - core) * min(1.0, max(0.0, (a - 0.5 * core) / (0.5 * core)))
        guard = max(guard, min(tail, a + 4e6))
        return max(guard + a + 0.55 * fs, 2.1 * self._fmod_max)

    def carson_bandwidth_hz(self) -> float:
        """2 x (peak deviation + highest modulating frequency)."""
        fm = max([5.0e6] + list(self.subcarriers_hz))
        return 2.0 * (self.deviation_hz + fm)

    # ---- slow carrier drift -----------------------------------------------------------
    def _drift(self, t: np.ndarray):
        """(phase, frequency) of the slow wander at times t."""
        P, A = self.drift_period_s, self.drift_hz
        w1, w2 = 2 * np.pi / P, 2 * np.pi * 2.7 / P
        p1, p2 = self._drift_ph
        f = A * (0.7 * np.sin(w1 * t + p1) + 0.3 * np.sin(w2 * t + p2))
        ph = -A * P * (0.7 * np.cos(w1 * t + p1) + (0.3 / 2.7) * np.cos(w2 * t + p2))
        return ph, f

    # ---- audio ----------------------------------------------------------------------
    def _make_audio(self, rng):
        if self.audio == "silence" or self.audio_deviation_hz == 0:
            return []
        if self.audio == "tone":
            return [(self.tone_hz, 1.0, 0.0, 0.0)]
        if self.audio == "speech":
            f0 = rng.uniform(90, 250)
            return [(f0 * h, 0.8 / h, rng.uniform(0, 2 * np.pi), rng.uniform(2.5, 5.0)) for h in range(1, 6)]
        notes = 220.0 * 2 ** (rng.integers(0, 24, 4) / 12.0)
        return [(f, 0.35, rng.uniform(0, 2 * np.pi), rng.uniform(0.3, 1.5)) for f in notes]

    def _audio_phase(self, t: np.ndarray) -> np.ndarray:
        """Phase deviation of the subcarrier by the audio (rad) at times t (float64)."""
        out = np.zeros(t.shape, np.float64)
        for f, a, ph, env_hz in self._audio_spec:
            amp = self.audio_deviation_hz * a / f
            if env_hz:
                amp = amp * (0.55 + 0.45 * np.sin(2 * np.pi * env_hz * t + ph))
            out += amp * np.sin(2 * np.pi * f * t + ph)
        return out

    # ---- timing -------------------------------------------------------------------------
    def _jitter(self, F: int) -> np.ndarray:
        def make():
            r = dsp.rng_for(self.seed, 11, F)
            return r.standard_normal(self._std.lines) * (self.line_jitter_ns * 1e-9)
        return self._cached(("jit", F), make, size=8)

    def _frame_start(self, F: int, fs: float) -> int:
        T = F * self._std.lines * self._TH + self._jitter(F)[0]
        return int(math.ceil(T * fs - 1e-9))

    # ---- templates ----------------------------------------------------------------------
    def _templates(self, fs: float):
        return self._cached(("tmpl", fs), lambda: self._make_templates(fs), size=4)

    def _make_templates(self, fs: float):
        st = self._std
        TH = self._TH
        P = int(math.ceil(fs * TH + 4 * self.line_jitter_ns * 1e-9 * fs)) + 3
        us = 1e-6
        tr = self.sync_rise_ns * 1e-9
        half = TH / 2
        widths = {"s": st.sync_us * us, "e": st.eq_us * us, "b": half - st.sync_us * us}
        j = np.arange(P)
        tau = (j[None, :] + np.arange(Q)[:, None] / Q + 0.5 / Q) / fs  # (Q, P)
        lvl = np.zeros((9, Q, P), np.float32)
        for ty, pulses in _PULSES.items():
            v = np.zeros((Q, P))
            for pos, kind in pulses:
                ts = pos * half
                v += dsp.smooth_step((tau - ts) / tr) - dsp.smooth_step((tau - ts - widths[kind]) / tr)
            lvl[ty] = v * self._sync
        ta, tb = st.active_start_us * us, (st.active_start_us + st.active_us) * us
        wa = 150e-9
        n_act = (tb - ta) * fs  # active samples per line
        # pictures are generated on a pixel grid that maps onto every rl-th sample column,
        # so upsampling is a few strided passes (no gathers); chroma uses the same grid
        # (its noise is pre-smoothed to chroma bandwidth)
        rl = max(1, int(n_act // 360))
        rc = rl
        ja = int(round(ta * fs))
        Wl = int(math.ceil(n_act / rl)) + 2
        Wc = int(math.ceil(n_act / rc)) + 2
        Ll, Lc = (Wl - 1) * rl, (Wc - 1) * rc
        P = max(P, ja + max(Ll, Lc) + 1)

        def mask(L, lo, hi):
            t = (ja + np.arange(L)) / fs
            return (dsp.smooth_step((t - lo) / wa) - dsp.smooth_step((t - hi) / wa)).astype(np.float32)

        def edges(m):
            """(head, tail) index where the mask stops/starts being 1, and the mask."""
            ones = np.nonzero(m > 1 - 1e-6)[0]
            return (int(ones[0]), int(ones[-1]) + 1, m) if ones.size else (m.size, m.size, m)

        ml, mc = mask(Ll, ta, tb), mask(Lc, ta, tb)
        ratio_l = {H2: mask(Ll, half + 1e-6, tb), H1E: mask(Ll, ta, half - 1.5e-6)}
        ratio_c = {H2: mask(Lc, half + 1e-6, tb), H1E: mask(Lc, ta, half - 1.5e-6)}
        bs = st.burst_us * us
        be = bs + st.burst_cycles / st.fsc
        jbs = int(bs * fs) - 2 if self.colour else ja
        nbc = int(math.ceil(be * fs)) + 3 - jbs if self.colour else 0
        tb_cols = (jbs + np.arange(nbc)) / fs
        bmask = (dsp.smooth_step((tb_cols - bs) / 300e-9) - dsp.smooth_step((tb_cols - be) / 300e-9)).astype(np.float32)
        jend = ja + max(Ll, Lc)
        senv = None
        if st.secam and self.colour:
            ts = (jbs + np.arange(jend - jbs)) / fs
            senv = (dsp.smooth_step((ts - bs) / 300e-9) - dsp.smooth_step((ts - tb) / 300e-9)).astype(np.float32)
        return dict(senv=senv, P=P, lvl=np.ascontiguousarray(np.pad(lvl, ((0, 0), (0, 0), (0, P - lvl.shape[2])))),
                    ja=ja, jbs=jbs, jend=jend, rl=rl, rc=rc, Wl=Wl, Wc=Wc, Ll=Ll, Lc=Lc,
                    xl=(np.arange(Wl) * rl / n_act), xc=(np.arange(Wc) * rc / n_act),
                    el=edges(ml), ec=edges(mc), ratio_l=ratio_l, ratio_c=ratio_c,
                    bmask=bmask, nbc=nbc,
                    colph=((2 * np.pi * st.fsc / fs) * np.arange(jbs, jend)).astype(np.float32),
                    ramp=np.arange(P, dtype=np.float32))

    # ---- pictures ---------------------------------------------------------------------
    def _noise_pool(self, n: int, cplx: bool):
        """A pool of pre-drawn noise; each field reads a random window of it (cheap
        temporal noise that never repeats in the same place)."""
        def make():
            r = dsp.rng_for(self.seed, 22, n, int(cplx))
            if cplx:  # chroma noise: about a quarter of the luma bandwidth
                w = (r.standard_normal(3 * n + 3) + 1j * r.standard_normal(3 * n + 3))
                w = np.convolve(w, np.ones(4) / 2.0, mode="valid")[: 3 * n] * math.sqrt(0.5)
                return w.astype(np.complex64)
            return r.standard_normal(3 * n, np.float32)
        return self._cached(("pool", n, cplx), make, size=4)

    def _background(self, R: int, xl: np.ndarray, xc: np.ndarray):
        def make():
            rng = dsp.rng_for(self._pic_rng_seed, 5)
            base = _fractal(rng, 96, 128, 2.2)
            img = 0.5 + 0.18 * base
            # a window, a dark piece of furniture, a lamp-lit gradient
            yy, xx = np.mgrid[0:96, 0:128] / np.array([96.0, 128.0])[:, None, None]
            wx, wy = rng.uniform(0.05, 0.6), rng.uniform(0.05, 0.4)
            img += 0.35 * ((xx > wx) & (xx < wx + 0.25) & (yy > wy) & (yy < wy + 0.3))
            fx, fy = rng.uniform(0.0, 0.7), rng.uniform(0.5, 0.8)
            img -= 0.25 * ((xx > fx) & (xx < fx + 0.3) & (yy > fy))
            img *= 1.0 - 0.35 * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2)  # vignetting
            img = (img - img.mean()) + self.brightness
            Yfull = _resize(img, 2 * R, 128 * 8)
            cols = np.clip((xl * 1024).astype(int), 0, 1023)
            Y = np.stack([Yfull[p::2][:, cols] for p in (0, 1)])
            hue = _fractal(rng, 24, 32, 2.5)
            sat = 0.08 + 0.05 * _fractal(rng, 24, 32, 2.5)
            Cimg = sat * np.exp(1j * (hue + rng.uniform(0, 6.28)))
            Cr = _resize(Cimg.real, 2 * R, 256)
            Ci = _resize(Cimg.imag, 2 * R, 256)
            colc = np.clip((xc * 256).astype(int), 0, 255)
            C = np.stack([(Cr + 1j * Ci)[p::2][:, colc] for p in (0, 1)])
            return Y.astype(np.float32), C.astype(np.complex64)
        return self._cached(("bg", R, xl.size, xc.size), make, size=2)

    def _picture(self, gf: int, fp: int, R: int, xl: np.ndarray, xc: np.ndarray):
        """(luma (R or 1, len(xl)), chroma V-jU (R or 1, len(xc))) of global field gf,
        sampled at horizontal positions xl / xc (0..1 across the active line)."""
        st = self._std
        t = gf * self._TF / 2
        kind = self.picture
        Wl, Wc = xl.size, xc.size
        if kind == "bars":
            def make():
                rgb = _bars_rgb(st.pal)

                def at(x):
                    pos = np.clip(x, 0, 0.9999) * 8 - 0.5
                    i0 = np.clip(np.floor(pos).astype(int), 0, 7)
                    w = np.clip((pos - i0 - 0.5) * 25 + 0.5, 0, 1)[:, None]  # ~0.25 us edges
                    i1 = np.minimum(i0 + 1, 7)
                    return _rgb_to_yc(rgb[i0] * (1 - w) + rgb[i1] * w)
                y, _ = at(xl)
                _, c = at(xc)
                return y[None, :].astype(np.float32), c[None, :].astype(np.complex64)
            Y, C = self._cached(("bars", Wl, Wc), make)
        elif kind in ("flat", "dark"):
            level = self.brightness if kind == "flat" else min(self.brightness, 0.06)
            Y = (level * (1 - 0.3 * (xl - 0.5) ** 2))[None, :].astype(np.float32)
            C = np.full((1, Wc), 0.02 * np.exp(1j * (self.seed % 7)), np.complex64)
        else:
            Ybg, Cbg = self._background(R, xl, xc)
            Y, C = Ybg[fp], Cbg[fp]
            gain = 1.0 if kind == "scene" else 0.35
            flick = 1.0 + 0.03 * math.sin(2 * np.pi * 1.3 * t)
            Y = Y * np.float32(gain * flick)
            C = C.copy()
            # someone walking about
            rs = dsp.rng_for(self._pic_rng_seed, 6)
            per = rs.uniform(8, 30, 4)
            ph = rs.uniform(0, 2 * np.pi, 4)
            cx = 0.5 + 0.35 * math.sin(2 * np.pi * t / per[0] + ph[0])
            cy = 0.55 + 0.1 * math.sin(2 * np.pi * t / per[1] + ph[1])
            yy = ((np.arange(R) * 2 + fp + 0.5) / (2 * R))[:, None].astype(np.float32)
            for x, img, val in ((xl, Y, None), (xc, C, 0.12 * np.exp(1j * ph[2]))):
                sel = np.nonzero(np.abs(x - cx) < 0.08)[0]
                if sel.size == 0:
                    continue
                x0, x1 = sel[0], sel[-1] + 1
                xx = x[None, x0:x1].astype(np.float32)
                d = ((xx - cx) / 0.07) ** 2 + ((yy - cy) / 0.3) ** 2
                body = dsp.smooth_step((1.0 - d) * 2)
                if val is None:
                    img[:, x0:x1] += body * (np.float32(0.25 * gain) - img[:, x0:x1] * 0.5)
                else:
                    img[:, x0:x1] += (body * val).astype(np.complex64)
            if kind == "noisy":
                C *= np.float32(0.5)
        noise = self.noise_level if kind != "noisy" else max(self.noise_level, 0.08)
        if self._levels is not None:
            Y, C, level = self._seen(Y, C, t, fp, R, xl, xc)
            if level < 1.0:  # a darker scene at a higher gain: more visible sensor noise
                noise = noise * min(3.0, max(level, 0.1) ** -0.5)
        if noise > 0:
            rn = dsp.rng_for(self.seed, 21, gf)
            pl = self._noise_pool(R * Wl, False)
            pc = self._noise_pool(R * Wc, True)
            o1 = int(rn.integers(0, pl.size - R * Wl))
            o2 = int(rn.integers(0, pc.size - R * Wc))
            Y = Y + pl[o1: o1 + R * Wl].reshape(R, Wl) * np.float32(noise)
            C = C + pc[o2: o2 + R * Wc].reshape(R, Wc) * np.float32(0.5 * noise)
            np.clip(Y, -0.05, 1.05, out=Y)
        return Y, C

    # ---- the room it sees ---------------------------------------------------------------
    def _view(self, t: float) -> Optional[Tuple[float, bool, bool]]:
        """(brightness factor, LED lit, waving) of the picture at time t, or None when
        there is no stimulus or it does not see the room. A pure function of t and the
        timeline (any block renders on its own): the room ``response_delay_s`` earlier,
        the brightness approaching each state's level with the auto-exposure time constant
        (the level at each piece's start follows from the pieces before it)."""
        if self._levels is None or not self.sees_room or self.picture == "bars":  # bars: a pattern generator
            return None
        starts, targets, flash, motion = self._levels
        t = t - self.response_delay_s
        k = int(np.searchsorted(starts, t, side="right")) - 1
        if k < 0:
            return 1.0, False, False
        tau = self.exposure_s
        if tau <= 0:
            return float(targets[k]), bool(flash[k]), bool(motion[k])
        level = 1.0  # the level at the start of piece k, each piece a first-order approach
        for j in range(k):  # a few dozen pieces
            level = targets[j] + (level - targets[j]) * math.exp(-(starts[j + 1] - starts[j]) / tau)
        level = targets[k] + (level - targets[k]) * math.exp(-(t - starts[k]) / tau)
        return float(level), bool(flash[k]), bool(motion[k])

    def _bloom(self, fp: int, R: int, xl: np.ndarray) -> np.ndarray:
        """The glare of an LED near the lens: a bright soft spot (rows of field fp)."""
        def make():
            r = dsp.rng_for(self._pic_rng_seed, 7)
            cx, cy = r.uniform(0.2, 0.8), r.uniform(0.2, 0.8)
            yy = ((np.arange(R) * 2 + fp + 0.5) / (2 * R))[:, None]
            d = ((xl[None, :] - cx) / 0.18) ** 2 + ((yy - cy) / 0.25) ** 2
            return np.exp(-d).astype(np.float32)
        return self._cached(("bloom", fp, R, xl.size), make, size=2)

    def _seen(self, Y: np.ndarray, C: np.ndarray, t: float, fp: int, R: int, xl: np.ndarray, xc: np.ndarray):
        """The picture (luma, chroma) after what the room did at time t (see _view)."""
        view = self._view(t)
        if view is None:
            return Y, C, 1.0
        level, lit, waving = view
        Y = Y * np.float32(level)
        C = C * np.float32(min(level, 1.0))
        if lit:  # the LED's glare, on top of the brighter picture
            Y = Y + self._bloom(fp, R, xl) * np.float32(0.5 * (self.flash_gain - 1.0))
        if waving:  # a hand waved in front of it: a dark shape sweeping about twice a second
            yy = ((np.arange(R) * 2 + fp + 0.5) / (2 * R))[:, None].astype(np.float32)
            cx = 0.5 + 0.35 * math.sin(2 * np.pi * 2.1 * t)
            d = ((xl[None, :].astype(np.float32) - cx) / 0.12) ** 2 + ((yy - 0.45) / 0.35) ** 2
            body = dsp.smooth_step((1.0 - d) * 2).astype(np.float32)
            Y = Y + body * (np.float32(0.15 * level) - Y * np.float32(0.7))
        np.clip(Y, -0.05, 1.05, out=Y)
        return Y, C, level

    # ---- one frame of modulation phase ------------------------------------------------
    def _frame(self, F: int, fs: float):
        return self._cached(("frame", F, fs), lambda: self._make_frame(F, fs), size=3)

    def _make_frame(self, F: int, fs: float):
        st = self._std
        NL = st.lines
        tm = self._templates(fs)
        P = tm["P"]
        k0 = F * NL
        J = np.append(self._jitter(F), self._jitter(F + 1)[0])
        T = (k0 + np.arange(NL + 1)) * self._TH + J
        s = T * fs
        a = np.ceil(s - 1e-9).astype(np.int64)
        frac = a - s
        cnt = np.diff(a)
        types = np.asarray(st.types)
        q = np.clip((frac[:NL] * Q).astype(np.int64), 0, Q - 1)
        v = tm["lvl"][types, q]  # (NL, P) sync/blanking

        ja, jbs, jend = tm["ja"], tm["jbs"], tm["jend"]
        rl, rc, Ll, Lc = tm["rl"], tm["rc"], tm["Ll"], tm["Lc"]
        colour = self.colour
        h0, h1, ml = tm["el"]
        c0, c1, mc = tm["ec"]
        cscale = np.float32(self.chroma_level * (1 - st.setup))
        nch, n0 = jend - jbs, ja - jbs
        if self.subcarriers_hz and self._sc_amp > 0:
            step = 16
            nc = -(-P // step) + 1
            mcols = step * np.arange(nc)
            aud = self._audio_phase((a[:NL, None] + mcols[None, :]) / fs)
            daud = np.diff(aud, axis=1)
        # one field (half the lines) at a time, to bound the temporaries
        for fp, (l0, R) in enumerate(st.fields):
            r0, r1 = (0, NL // 2 + 1) if fp == 0 else (NL // 2 + 1, NL)
            Y, C = self._picture(2 * F + fp, fp, R, tm["xl"], tm["xc"])
            # luma: linear interpolation onto the sample columns, then the window edges
            yl = _upsample(Y, rl)
            if st.setup:
                yl += np.float32(st.setup)
            yl[:, :h0] *= ml[:h0]
            yl[:, h1:] *= ml[h1:]
            v[l0: l0 + R, ja: ja + Ll] += yl
            if colour:
                Cr = np.zeros((r1 - r0, nch), np.float32)
                Ci = np.zeros((r1 - r0, nch), np.float32)
                C = C * cscale
                p0 = l0 - r0
                for part, dst in ((C.real, Cr), (C.imag, Ci)):
                    if part.shape[0] == R:
                        _upsample(part, rc, dst[p0: p0 + R, n0: n0 + Lc])
                    else:
                        dst[p0: p0 + R, n0: n0 + Lc] = _upsample(part, rc)
                    dst[p0: p0 + R, n0: n0 + c0] *= mc[:c0]
                    dst[p0: p0 + R, n0 + c1: n0 + Lc] *= mc[c1:]
            for i in range(l0, l0 + R):
                ty = st.types[i]
                if ty in (H2, H1E):
                    r = i - l0 if yl.shape[0] > 1 else 0
                    v[i, ja: ja + Ll] -= yl[r] * (1 - tm["ratio_l"][ty] / np.maximum(ml, 1e-6))
                    if colour:
                        keep = tm["ratio_c"][ty] / np.maximum(mc, 1e-6)
                        Cr[i - r0, n0: n0 + Lc] *= keep
                        Ci[i - r0, n0: n0 + Lc] *= keep
            del yl
            if colour and st.secam:
                self._secam_chroma(v, tm, a, k0, r0, r1, Cr, Ci, types, fs)
                del Cr, Ci
            elif colour:
                # burst, on every line that has one (active, blank and half lines)
                nbc = tm["nbc"]
                has_b = np.isin(types[r0:r1], (ACT, BLK, H2, H1E))
                A = np.float32(st.burst_amp)
                bm = tm["bmask"][None, :]
                if st.pal:  # +-135 degrees: V - jU = A/sqrt2 (1 + j) before the V switch
                    Cr[has_b, :nbc] += bm * (A / np.float32(math.sqrt(2)))
                    Ci[has_b, :nbc] += bm * (A / np.float32(math.sqrt(2)))
                else:  # 180 degrees: U = -A
                    Ci[has_b, :nbc] += bm * A
                # chroma = Re(C * exp(j 2 pi fsc t)) on the absolute sample clock
                rowph = (2 * np.pi * ((st.fsc / fs * a[r0:r1]) % 1.0)).astype(np.float32)
                ph = rowph[:, None] + tm["colph"][None, :]
                Er = np.cos(ph)
                Ei = np.sin(ph, out=ph)
                if st.pal:  # V switch: the V axis (cos) flips on alternate lines
                    Er[(k0 + r0 + 1) % 2::2] *= np.float32(-1)
                Er *= Cr
                Ei *= Ci
                Er -= Ei
                v[r0:r1, jbs:jend] += Er
                del Er, Ei, Cr, Ci, ph
            if self.subcarriers_hz and self._sc_amp > 0:
                # subcarrier phase 2*pi*f*t + audio phase, exact every 16 samples (absolute
                # clock), linear in between (the audio phase is smooth on that scale)
                for fsc in self.subcarriers_hz:
                    r = fsc / fs
                    b0 = 2 * np.pi * ((r * a[r0:r1]) % 1.0) + aud[r0:r1, 0]
                    knots = np.empty((r1 - r0, nc), np.float32)
                    knots[:, 0] = b0
                    knots[:, 1:] = b0[:, None] + np.cumsum(2 * np.pi * r * step + daud[r0:r1], axis=1)
                    ph = _upsample(knots, step)[:, :P]
                    np.cos(ph, out=ph)
                    ph *= np.float32(self._sc_amp)
                    v[r0:r1] += ph
                    del ph
        # compact the valid samples of each line into one stream (padded to 1024-blocks)
        if int(cnt.max()) > v.shape[1]:  # a line stretched by jitter past the templates: blanking
            v = np.pad(v, ((0, 0), (0, int(cnt.max()) - v.shape[1])))
        valid = np.arange(v.shape[1])[None, :] < cnt[:, None]
        n = int(cnt.sum())
        B = 1024
        nb = -(-n // B)
        dp = np.zeros(nb * B, np.float32)
        x = dp[:n]
        x[:] = v[valid]
        del v
        if self.preemphasis_db > 0:
            # band-limited high shelf: +preemphasis_db between ~1.5 and ~6 MHz, flat
            # below and rolling back off above (the sender's video low-pass)
            g = 10 ** (self.preemphasis_db / 20) - 1
            K = max(2, int(round(0.5e-6 * fs)))
            Jm = max(1, int(round(fs / 7e6)))
            c = np.concatenate([[0.0], np.cumsum(np.concatenate([np.zeros(K), x]), dtype=np.float64)])
            ma_k = (c[K + 1:] - c[1:-K]) / K
            ma_j = (c[K + 1:] - c[K + 1 - Jm: c.size - Jm]) / Jm
            x += (np.float32(g) * (ma_j - ma_k)).astype(np.float32)
        np.clip(x, self._sync - 0.1, 1.3, out=x)  # the transmitter's deviation limiter
        if self.dc_coupled:  # the carrier sits at freq_hz for a typical lit picture's mean level
            mean = 0.75 * self.brightness + 0.09 * self._sync
        else:
            mean = float(np.mean(x, dtype=np.float64))
        k = 2 * np.pi * self._khz / fs * (-1.0 if self.invert else 1.0)
        x -= np.float32(mean)
        x *= np.float32(k)
        # blockwise cumulative phase: float32 within 1024-sample blocks, float64 block bases
        cs = np.cumsum(dp.reshape(nb, B), axis=1)
        tot = cs[:, -1].astype(np.float64)
        base = np.concatenate([[0.0], np.cumsum(tot)[:-1]])
        if not self.dc_coupled:
            resid = float(np.sum(tot))  # ~0: spread it so the frame ends exactly at phase 0
            base -= resid * (np.arange(nb) + 1) * B / n
        cs += np.mod(base, 2 * np.pi).astype(np.float32)[:, None]
        return int(a[0]), cs.reshape(-1)[:n]

    def _secam_chroma(self, v, tm, a, k0, r0, r1, Cr, Ci, types, fs):
        """Add SECAM's FM chroma to rows r0:r1 of ``v``: on alternate lines a subcarrier
        at 4.40625 MHz swung by D'r = -1.902 (R-Y), or at 4.25 MHz by D'b = 1.505 (B-Y),
        integrated to phase along the line (locked to absolute time at its start)."""
        jbs, jend = tm["jbs"], tm["jend"]
        rows = np.arange(r0, r1)
        dr = ((k0 + rows) % 2 == 0)[:, None]
        # Cr holds V = 0.877 (R-Y), Ci holds -U = -0.493 (B-Y) (scaled by chroma_level)
        d = np.where(dr, (-1.902 / 0.877) * Cr, (1.505 / 0.493) * Ci)
        np.clip(d, -1.5, 1.5, out=d)
        rest = np.where(dr[:, 0], self._std.fsc, SECAM_DB_HZ)
        dev = np.where(dr[:, 0], SECAM_DEV_HZ["r"], SECAM_DEV_HZ["b"]).astype(np.float32)
        step = (2 * np.pi / fs) * (rest[:, None] + dev[:, None] * d)
        ph0 = 2 * np.pi * ((rest * (a[r0:r1] + jbs) / fs) % 1.0)
        ph = np.cumsum(step, axis=1) + ph0[:, None]
        sc = np.cos(ph).astype(np.float32) * tm["senv"][None, :] * np.float32(SECAM_AMP * min(1.0, self.chroma_level))
        has = np.isin(types[r0:r1], (ACT, BLK, H2, H1E))
        v[r0:r1, jbs:jend] += sc * has[:, None]

    # ---- synthesis ---------------------------------------------------------------------
    def _synth(self, fs_in: float, i_start: int, count: int, offset: float) -> Optional[np.ndarray]:
        if self._off_throughout(fs_in, i_start, count):
            return None  # switched off: nothing to render (the gate would zero it all)
        phase = dsp.carrier_phase(offset, fs_in, i_start, count, self._drift if self.drift_hz else None)
        F = int(math.floor(i_start / fs_in / self._TF))
        while self._frame_start(F, fs_in) > i_start:
            F -= 1
        while self._frame_start(F + 1, fs_in) <= i_start:
            F += 1
        pos, end = i_start, i_start + count
        while pos < end:
            a0, ph = self._frame(F, fs_in)
            lo = pos - a0
            take = min(end - pos, ph.size - lo)
            phase[pos - i_start: pos - i_start + take] += ph[lo: lo + take]
            pos += take
            F += 1
        out = dsp.expj(phase, self._amp())
        if self.on_period_s > 0 and self.on_fraction < 1:
            out *= self._gate(fs_in, i_start, count)
        return out

    def _off_throughout(self, fs_in: float, i_start: int, count: int) -> bool:
        """The on/off sender is off (past its ramps) for all of these samples."""
        if not (self.on_period_s > 0 and self.on_fraction < 1):
            return False
        P, on, ramp = self.on_period_s, self.on_fraction * self.on_period_s, 1e-5
        t0, t1 = i_start / fs_in, (i_start + count) / fs_in
        u0 = (t0 / P + self.on_phase) % 1.0 * P
        return t1 - t0 < P and on + ramp <= u0 and u0 + (t1 - t0) <= P - ramp

    def _gate(self, fs_in: float, i_start: int, count: int) -> np.ndarray:
        """1 while the sender is on, 0 while off, with 2 us ramps (a PA switching)."""
        t = np.arange(i_start, i_start + count) / fs_in
        P, on = self.on_period_s, self.on_fraction * self.on_period_s
        u = np.mod(t / P + self.on_phase, 1.0) * P  # seconds into the period
        ramp = 2e-6
        g = dsp.smooth_step(u / ramp) - dsp.smooth_step((u - on) / ramp)
        return np.clip(g, 0.0, 1.0).astype(np.float32)
