"""What every simulated emitter is, and how one becomes receiver samples.

An emitter knows its RF centre, its received power and its seed, and can synthesise
itself at any internal sample rate on the global sample grid t = i / fs_in (i counted
from t = 0). :meth:`SimEmitter.render` picks an internal rate at which none of the
emitter's spectrum folds onto the receiver's window, asks the emitter for samples
already shifted so the window sits at 0 Hz, and band-limits/decimates them to the
output rate (see :mod:`sweeper.sim.dsp`). Everything random is drawn from generators
keyed by (seed, segment), so any block is reproducible on its own and consecutive
blocks join seamlessly.

Units: complex baseband in sqrt(mW): while transmitting, the mean |x|^2 of an
emitter's full signal is 10 ** (power_dbm / 10).
"""
from __future__ import annotations

import abc
import dataclasses
import difflib
import math
from collections import OrderedDict
from typing import Any, ClassVar, Dict, List, Optional, Tuple

import numpy as np

from sweeper.errors import InputError
from sweeper.sim import dsp

#: input samples per processing chunk (bounds memory: ~8 bytes x a few arrays of this)
CHUNK_IN = 1 << 18


class ParamError(InputError):
    """A bad emitter parameter; ``key`` is the parameter as written (e.g. ``freq_mhz``)."""

    def __init__(self, key: str, detail: str):
        self.key = key
        self.detail = detail
        super().__init__(f"{key}: {detail}")


def param(default, doc: str, *, choices=None, lo=None, hi=None, unit: Optional[str] = None):
    """A documented emitter parameter. ``unit`` ("MHz", "kHz") is how YAML writes a
    ``*_hz`` field (``deviation_hz`` <- ``deviation_mhz``); lo/hi are in Hz/SI."""
    meta = {"doc": doc, "choices": choices, "lo": lo, "hi": hi, "unit": unit,
            "ptype": type(default) if not isinstance(default, (list, tuple)) else tuple}
    if isinstance(default, (list, tuple)):
        return dataclasses.field(default_factory=lambda d=tuple(default): tuple(d), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


_SCALE = {"_hz": 1.0, "_khz": 1e3, "_mhz": 1e6, "_ghz": 1e9}


def _split_unit(key: str) -> Tuple[str, float]:
    for suffix in ("_ghz", "_mhz", "_khz"):
        if key.endswith(suffix):
            return key[: -len(suffix)] + "_hz", _SCALE[suffix]
    return key, 1.0


def _yaml_name(f: dataclasses.Field) -> str:
    unit = f.metadata.get("unit")
    if f.name.endswith("_hz") and unit:
        return f.name[:-3] + "_" + unit.lower()
    return f.name


@dataclasses.dataclass(eq=False)
class SimEmitter(abc.ABC):
    """One radio source in a scene (see the module docstring for units)."""

    kind: ClassVar[str] = ""
    #: bursty emitters: the decimator skips silent blocks
    SPARSE: ClassVar[bool] = False
    freq_hz: float = param(2.4e9, "RF centre frequency (the carrier for analog video)", lo=1e5, hi=1e11,
                           unit="MHz")
    power_dbm: float = param(-50.0, "received power at the antenna while transmitting", lo=-200.0, hi=30.0)
    seed: int = param(0, "random seed: the same seed gives the same signal")
    name: str = param("", "a label for this emitter (reports, test sets)")

    # ---- parameters -------------------------------------------------------------
    def __post_init__(self):
        self._cache: Dict[Any, "OrderedDict[Any, Any]"] = {}
        self._setup()

    def _setup(self) -> None:
        """Derived values and cross-parameter checks (raise ParamError)."""

    @classmethod
    def param_docs(cls) -> Dict[str, str]:
        """YAML key -> documentation, for error messages and docs."""
        out = {}
        for f in dataclasses.fields(cls):
            if f.init and "doc" in f.metadata:
                out[_yaml_name(f)] = f.metadata["doc"]
        return out

    @classmethod
    def _pre_params(cls, params: Dict[str, Any]) -> Dict[str, Any]:
        """Hook: translate kind-specific keys (e.g. Wi-Fi ``channel``) before checking."""
        return params

    @classmethod
    def from_params(cls, params: Dict[str, Any]) -> "SimEmitter":
        """Build from a scene-file mapping: frequencies as ``*_mhz`` / ``*_khz`` (or ``*_hz``),
        other keys as the dataclass fields. Raises :class:`ParamError` naming the key."""
        params = dict(params)
        params.pop("kind", None)
        params = cls._pre_params(params)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
        kwargs: Dict[str, Any] = {}
        for key, val in params.items():
            if not isinstance(key, str):
                raise ParamError(str(key), "parameter names must be text")
            name, scale = _split_unit(key)
            f = fields.get(name)
            if f is None or (scale != 1.0 and not name.endswith("_hz")):
                allowed = sorted(_yaml_name(x) for x in fields.values())
                close = difflib.get_close_matches(key, allowed + [a[:-4] + "_hz" for a in allowed
                                                                  if a.endswith("_mhz")], n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ParamError(key, f"unknown parameter for kind {cls.kind!r}{hint}; allowed: {', '.join(allowed)}")
            if name in kwargs:
                raise ParamError(key, f"given twice (as {name} in another unit)")
            kwargs[name] = _coerce(f, key, val, scale)
        return cls(**kwargs)

    def params(self) -> Dict[str, Any]:
        """The parameters (SI units) as a plain dict: labels for test sets."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        d["kind"] = self.kind
        return d

    def _check(self, key: str, ok: bool, detail: str) -> None:
        if not ok:
            raise ParamError(key, detail)

    # ---- spectrum / timing ------------------------------------------------------
    @abc.abstractmethod
    def span_hz(self) -> Tuple[float, float]:
        """RF range outside which this emitter contributes nothing."""

    def _half_span(self) -> float:
        lo, hi = self.span_hz()
        return max(self.freq_hz - lo, hi - self.freq_hz)

    def _min_rate(self, offset: float, fs: float) -> float:
        """Lowest internal rate at which nothing folds onto the window (see dsp docs)."""
        return self._half_span() + abs(offset) + 0.55 * fs

    def _synth_rate(self, min_rate: float, fs: float) -> float:
        """Internal rate to synthesise at; default: the smallest multiple of fs above
        ``min_rate`` (the exact, cheapest path)."""
        return fs * max(1, math.ceil(min_rate / fs - 1e-9))

    @abc.abstractmethod
    def _synth(self, fs_in: float, i_start: int, count: int, offset: float) -> Optional[np.ndarray]:
        """Samples i_start..i_start+count-1 at t = i/fs_in, complex64 sqrt(mW), shifted
        up by ``offset`` Hz (= freq_hz - tuned centre); None when silent throughout."""

    # ---- rendering --------------------------------------------------------------
    def render(self, center_hz: float, sample_rate: float, t0: float, n: int) -> np.ndarray:
        """This emitter alone, as an ideal receiver tuned to ``center_hz`` sees it over
        [t0, t0 + n / sample_rate): complex64 sqrt(mW), band-limited to the window.

        t0 is snapped to the output sample grid (k / sample_rate), so consecutive blocks
        (t0 advancing by n / sample_rate) join exactly."""
        n = int(n)
        fs = float(sample_rate)
        out = np.zeros(max(n, 0), np.complex64)
        if n <= 0:
            return out
        lo, hi = self.span_hz()
        if hi <= center_hz - fs / 2 or lo >= center_hz + fs / 2:
            return out
        m0 = int(round(t0 * fs))
        offset = self.freq_hz - center_hz
        fs_in = float(self._synth_rate(self._min_rate(offset, fs), fs))
        ratio = fs_in / fs
        M = int(round(ratio))
        if M >= 1 and abs(ratio - M) < 1e-9 * ratio:
            dec = dsp.decimator(M, int(round(1e9 / M)))
            step = max(1024, CHUNK_IN // M)
            for k0 in range(0, n, step):
                nc = min(step, n - k0)
                x = self._synth(fs_in, M * (m0 + k0) - dec.pad, M * nc + 2 * dec.pad, offset)
                if x is not None:
                    out[k0: k0 + nc] = dec.run(x, nc, self.SPARSE)
            return out
        # fractional path: decimate by D to fs_mid >= 2.5 fs, then interpolate
        D = max(1, int(ratio / 2.5))
        fs_mid = fs_in / D
        dec = dsp.decimator(D, int(round(1e9 * fs / fs_in)))
        r = fs_mid / fs
        step = max(1024, CHUNK_IN // max(1, int(ratio)))
        T = dsp.INTERP.TAPS
        for k0 in range(0, n, step):
            nc = min(step, n - k0)
            idx = np.arange(m0 + k0, m0 + k0 + nc, dtype=np.int64)
            j_lo = int(math.floor((m0 + k0) * r)) - T
            pos = idx * r - j_lo  # float64; relative, so precise
            n_mid = int(math.floor(pos[-1])) + T + 2
            x = self._synth(fs_in, D * j_lo - dec.pad, D * n_mid + 2 * dec.pad, offset)
            if x is None:
                continue
            mid = dec.run(x, n_mid, self.SPARSE)
            out[k0: k0 + nc] = dsp.INTERP.run(mid, pos)
        return out

    # ---- small shared helpers -------------------------------------------------------
    def _amp(self) -> float:
        return 10.0 ** (self.power_dbm / 20.0)

    def _cached(self, key, make, size: int = 8):
        """Memoise ``make()`` under ``key``; one LRU of ``size`` entries per key[0]
        category (frames, templates, epochs...) so they do not evict each other."""
        cat = key[0] if isinstance(key, tuple) else key
        c = self._cache.get(cat)
        if c is None:
            c = self._cache[cat] = OrderedDict()
        if key in c:
            c.move_to_end(key)
            return c[key]
        val = make()
        c[key] = val
        while len(c) > size:
            c.popitem(last=False)
        return val


def _coerce(f: dataclasses.Field, key: str, val: Any, scale: float) -> Any:
    meta = f.metadata
    ptype = meta.get("ptype", float)
    unit = meta.get("unit") if f.name.endswith("_hz") else None
    shown = unit or ("Hz" if f.name.endswith("_hz") else "")
    ushow = {"MHz": 1e6, "kHz": 1e3}.get(unit or "", 1.0)

    def num(v, what=key):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ParamError(key, f"must be a number, not {v!r}")
        if isinstance(v, float) and not math.isfinite(v):
            raise ParamError(key, f"must be a finite number, not {v!r}")
        return float(v) * scale

    def bounds(v):
        lo, hi = meta.get("lo"), meta.get("hi")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            rng_txt = f"{lo / ushow:g} to {hi / ushow:g}{' ' + shown if shown else ''}"
            raise ParamError(key, f"must be between {rng_txt}, not {v / scale:g}")
        return v

    if ptype is bool:
        if not isinstance(val, bool):
            raise ParamError(key, f"must be true or false, not {val!r}")
        return val
    if ptype is int:
        if isinstance(val, bool) or not isinstance(val, int):
            raise ParamError(key, f"must be a whole number, not {val!r}")
        return int(bounds(val))
    if ptype is float:
        return bounds(num(val))
    if ptype is str:
        choices = meta.get("choices")
        if not isinstance(val, str):
            raise ParamError(key, f"must be text{' (one of ' + ', '.join(choices) + ')' if choices else ''}, not {val!r}")
        if choices:
            for c in choices:
                if c.lower() == val.lower():
                    return c
            close = difflib.get_close_matches(val, list(choices), n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParamError(key, f"{val!r} is not allowed{hint}; allowed: {', '.join(choices)}")
        return val
    if ptype is tuple:
        if isinstance(val, (int, float)) and not isinstance(val, bool):
            val = [val]
        if not isinstance(val, (list, tuple)):
            raise ParamError(key, f"must be a list of numbers, not {val!r}")
        return tuple(bounds(num(v)) for v in val)
    return val


# ---- bursts -------------------------------------------------------------------------

@dataclasses.dataclass
class Burst:
    """One transmission: start/duration in seconds, plus whatever the kind needs."""

    start: float
    dur: float
    freq: float = 0.0  # offset of this burst's centre from the emitter's freq_hz
    power_db: float = 0.0  # relative to power_dbm
    half_bw: float = 1e6  # half of its occupied width (for skipping it when outside the window)
    key: Tuple[int, ...] = ()
    info: Dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def end(self) -> float:
        return self.start + self.dur


class BurstEmitter(SimEmitter):
    """Emitters made of bursts scheduled per fixed-length epoch (deterministic per epoch)."""

    EPOCH_S: ClassVar[float] = 0.1  # bursts never cross an epoch boundary
    SPARSE: ClassVar[bool] = True
    _fs_out: float = 0.0

    def render(self, center_hz: float, sample_rate: float, t0: float, n: int) -> np.ndarray:
        self._fs_out = float(sample_rate)
        return super().render(center_hz, sample_rate, t0, n)

    def _wanted(self, b: "Burst", fs_in: float, offset: float) -> bool:
        """Whether burst ``b`` can reach the window: it must, to be synthesised at fs_in
        without folding, sit within fs_in - fs_out/2 of the window centre."""
        o = abs(offset + b.freq)
        return o - b.half_bw < self._fs_out / 2 and fs_in > o + b.half_bw + self._fs_out / 2

    def _epoch_s(self) -> float:
        return self.EPOCH_S

    @abc.abstractmethod
    def _epoch(self, e: int) -> List[Burst]:
        """All bursts starting in [e*EPOCH_S, (e+1)*EPOCH_S), ending before the next epoch."""

    def bursts_between(self, t_a: float, t_b: float) -> List[Burst]:
        E = self._epoch_s()
        out: List[Burst] = []
        for e in range(int(math.floor(t_a / E)), int(math.floor(t_b / E)) + 1):
            for b in self._cached(("epoch", e), lambda e=e: self._epoch(e), size=16):
                if b.end > t_a and b.start < t_b:
                    out.append(b)
        return out

    def wanted_bursts(self, fs_in: float, i_start: int, count: int, offset: float) -> List[Burst]:
        """Bursts overlapping input samples [i_start, i_start + count) that can reach
        the window (what every bursty emitter's synthesis loops over)."""
        t_a, t_b = i_start / fs_in, (i_start + count) / fs_in
        return [b for b in self.bursts_between(t_a, t_b) if self._wanted(b, fs_in, offset)]

    def _cpm(self, b: "Burst"):
        """For continuous-phase (GFSK/GMSK) kinds: burst ``b``'s (symbols, modulation
        index, Gaussian BT, symbol rate, carrier offset Hz, ramp seconds)."""
        raise NotImplementedError

    def _synth_cpm(self, fs_in: float, i_start: int, count: int, offset: float):
        """Sum of the continuous-phase bursts that reach the window (Bluetooth, GSM):
        each burst's phase track is built once per burst and reused across blocks."""
        out = None
        amp = self._amp()
        for b in self.wanted_bursts(fs_in, i_start, count, offset):
            i0 = max(i_start, int(math.ceil(b.start * fs_in)))
            i1 = min(i_start + count, int(math.ceil(b.end * fs_in)))
            if i1 <= i0:
                continue
            nsym, h, bt, rate, cfo, ramp = self._cpm(b)
            tax, ph = self._cached(("trk",) + b.key, lambda b=b, nsym=nsym, h=h, bt=bt: dsp.cpm_track(
                dsp.rng_for(self.seed, *b.key).integers(0, 2, nsym) * 2 - 1, h, bt), size=64)
            tt = np.arange(i0, i1) / fs_in - b.start
            p = np.interp(tt * rate, tax, ph).astype(np.float32)
            p += dsp.ramp_phase(offset + b.freq + cfo, fs_in, i0, i1 - i0)
            x = dsp.expj(p, amp * 10 ** (b.power_db / 20))
            x *= dsp.raised_ramp(tt, b.dur, ramp)
            if out is None:
                out = np.zeros(count, np.complex64)
            out[i0 - i_start: i1 - i_start] += x
        return out

    def duty_cycle(self, t_a: float, t_b: float) -> float:
        """Fraction of [t_a, t_b) in which a burst is on (bursts may overlap: counted once)."""
        bs = sorted(self.bursts_between(t_a, t_b), key=lambda b: b.start)
        on, cur_s, cur_e = 0.0, None, None
        for b in bs:
            s, e = max(b.start, t_a), min(b.end, t_b)
            if cur_e is None or s > cur_e:
                if cur_e is not None:
                    on += cur_e - cur_s
                cur_s, cur_e = s, e
            else:
                cur_e = max(cur_e, e)
        if cur_e is not None:
            on += cur_e - cur_s
        return on / (t_b - t_a)
