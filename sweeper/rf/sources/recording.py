"""IQ recordings (raw cu8/cs8/cf32, .npy, SigMF) and a source that plays them back.

Recordings let a sweep be re-run, shared and tested without hardware. Every problem
with a file (wrong size, missing metadata, contradicting arguments) is an
:class:`~sweeper.errors.InputError` whose one-line message names the file.

Why one module of over 400 lines: every recording format (cu8, cs8, cf32, .npy, SigMF)
ends in the same checked IQ source and the same one-line errors.
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from typing import Optional

import numpy as np

from sweeper.errors import InputError
from sweeper.rf.convert import cs8_to_complex64, cu8_to_complex64
from sweeper.rf.sources.base import IQSource, TunerInfo

#: the sample rates a recording may claim (S/s): anything else is almost surely a typo
MIN_SAMPLE_RATE = 0.2e6
MAX_SAMPLE_RATE = 25e6

_FORMAT_ALIASES = {
    "cu8": "cu8", "u8": "cu8",
    "cs8": "cs8", "ci8": "cs8", "s8": "cs8",
    "cf32": "cf32", "cfile": "cf32", "fc32": "cf32", "cf32_le": "cf32", "f32": "cf32",
    "npy": "npy",
    "sigmf": "sigmf",
}
_EXTENSIONS = {
    ".cu8": "cu8", ".cs8": "cs8", ".ci8": "cs8",
    ".cf32": "cf32", ".cfile": "cf32", ".fc32": "cf32",
    ".npy": "npy",
    ".sigmf-meta": "sigmf", ".sigmf-data": "sigmf",
}
_RAW_EXTENSIONS = (".bin", ".raw", ".dat", ".iq")

# SigMF complex datatypes -> (numpy scalar dtype of one component, scale to [-1, 1])
_SIGMF_RE = re.compile(r"^(?P<kind>[rc])(?P<base>f64|f32|i32|i16|i8|u32|u16|u8)(?P<end>_le|_be)?$")


@dataclass
class Recording:
    """Complex samples loaded from a file: ``captures`` has shape (N, M), N separate
    captures of the same signal (a raw file is one capture)."""

    captures: np.ndarray
    sample_rate: float
    center_hz: Optional[float]
    fmt: str
    path: str
    truncated: bool = False

    @property
    def n_samples(self) -> int:
        return int(self.captures.size)

    @property
    def duration_s(self) -> float:
        return self.captures.shape[1] / self.sample_rate


def _fail(path, why: str) -> InputError:
    return InputError(f"{path}: {why}")


def _check_rate(path, rate, what="sample rate") -> float:
    try:
        value = float(rate)
    except (TypeError, ValueError):
        raise _fail(path, f"{what} {rate!r} is not a number: give it in samples per second") from None
    if not math.isfinite(value) or not MIN_SAMPLE_RATE <= value <= MAX_SAMPLE_RATE:
        raise _fail(
            path,
            f"{what} {rate!r} S/s is outside 0.2-25 MS/s: give it in samples per second "
            "(e.g. 2048000, not 2.048)",
        )
    return value


def _check_center(path, center, what="centre frequency") -> Optional[float]:
    if center is None:
        return None
    try:
        value = float(center)
    except (TypeError, ValueError):
        raise _fail(path, f"{what} {center!r} is not a number: give it in Hz") from None
    if not math.isfinite(value) or value < 0:
        raise _fail(path, f"{what} {center!r} is not a valid frequency: give it in Hz")
    return value


def _normalise_fmt(fmt: Optional[str], path) -> Optional[str]:
    if fmt is None:
        return None
    key = str(fmt).strip().lower()
    if key not in _FORMAT_ALIASES:
        raise _fail(path, f"unknown format {fmt!r}: use one of cu8, cs8, cf32, npy, sigmf")
    return _FORMAT_ALIASES[key]


def _sigmf_paths(path: str):
    """(meta, data) if ``path`` names a SigMF recording (either file or the base)."""
    if path.endswith(".sigmf") and os.path.isfile(path):
        raise _fail(path, "SigMF archives (.sigmf tar files) are not read directly: unpack "
                          "with `tar xf` and give the .sigmf-meta file")
    for suffix in (".sigmf-meta", ".sigmf-data"):
        if path.endswith(suffix):
            base = path[: -len(suffix)]
            return base + ".sigmf-meta", base + ".sigmf-data"
    if not os.path.exists(path) and os.path.exists(path + ".sigmf-meta"):
        return path + ".sigmf-meta", path + ".sigmf-data"
    return None


def _guess_fmt(path: str) -> str:
    lower = path.lower()
    for ext, fmt in _EXTENSIONS.items():
        if lower.endswith(ext):
            return fmt
    ext = os.path.splitext(lower)[1]
    if ext in _RAW_EXTENSIONS:
        raise _fail(path, f"a {ext} file can hold any sample format: give --format cu8, cs8 or cf32")
    raise _fail(
        path,
        f"cannot tell the sample format from the name{' (' + ext + ')' if ext else ''}: "
        "give --format cu8, cs8, cf32, npy or sigmf",
    )


def _file_size(path: str) -> int:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _fail(path, "no such file: check the path") from None
    except OSError as exc:
        raise _fail(path, f"cannot read it ({exc.strerror or exc})") from None
    if not os.path.isfile(path):
        raise _fail(path, "is not a regular file: give the path of a recording")
    if not os.access(path, os.R_OK):
        raise _fail(path, "cannot read it (permission denied): check its permissions")
    if st.st_size == 0:
        raise _fail(path, "is empty: the recording holds no samples")
    return st.st_size


def _read_array(path: str, dtype, count: int, offset_items: int = 0) -> np.ndarray:
    try:
        with open(path, "rb") as fh:
            if offset_items:
                fh.seek(offset_items * np.dtype(dtype).itemsize)
            return np.fromfile(fh, dtype=dtype, count=count)
    except OSError as exc:
        raise _fail(path, f"cannot read it ({exc.strerror or exc})") from None


def _finite(path: str, x: np.ndarray) -> np.ndarray:
    if not np.isfinite(x.view(np.float32) if x.dtype == np.complex64 else x).all():
        raise _fail(path, "contains NaN or infinite samples: the file is corrupt or not IQ data")
    return x


def _read_interleaved(path: str, component: np.dtype, scale: Optional[float], kind: str,
                      max_samples: int, label: str):
    """Read interleaved I/Q of any component type; returns (complex64 1-D, truncated)."""
    size = _file_size(path)
    sample_bytes = 2 * component.itemsize
    if size % sample_bytes:
        raise _fail(
            path,
            f"size {size} bytes is not a whole number of {sample_bytes}-byte {label} samples: "
            "the file is truncated or the format is wrong",
        )
    total = size // sample_bytes
    count = min(total, int(max_samples))
    truncated = count < total
    if kind == "cu8":
        x = cu8_to_complex64(_read_array(path, np.uint8, 2 * count))
    elif kind == "cs8":
        x = cs8_to_complex64(_read_array(path, np.uint8, 2 * count))
    else:
        raw = _read_array(path, component, 2 * count)
        if raw.dtype.kind == "f":  # native float32 without a copy when it already is
            x = _finite(path, raw.astype(np.float32, copy=False).view(np.complex64))
        else:
            f = raw.astype(np.float32)
            if kind == "unsigned":
                f -= np.float32(scale)
            f *= np.float32(1.0 / scale)
            x = f.view(np.complex64)
    return x, truncated


def _raw_dtype(fmt: str):
    return {"cu8": (np.dtype(np.uint8), None, "cu8"),
            "cs8": (np.dtype(np.int8), None, "cs8"),
            "cf32": (np.dtype("<f4"), None, "float")}[fmt]


def load_recording(path, fmt: Optional[str] = None, sample_rate: Optional[float] = None,
                   center_hz: Optional[float] = None, max_samples: int = 2**25) -> Recording:
    """Load at most ``max_samples`` complex samples (``truncated`` tells if there was more).

    ``fmt`` overrides the extension (cu8, cs8/ci8, cf32/cfile/fc32, npy, sigmf). Raw and
    .npy files need ``sample_rate``; SigMF carries its own, and a given value must agree.
    """
    path = os.fspath(path)
    if int(max_samples) <= 0:
        raise _fail(path, f"max_samples must be positive, not {max_samples}")
    fmt = _normalise_fmt(fmt, path)
    sig = _sigmf_paths(path)
    if fmt == "sigmf" and sig is None:
        sig = (path + ".sigmf-meta", path + ".sigmf-data")
    if sig is not None:
        return _load_sigmf(path, sig, fmt, sample_rate, center_hz, int(max_samples))
    if fmt is None:
        fmt = _guess_fmt(path)
    center = _check_center(path, center_hz)
    _file_size(path)  # a missing file is the first thing to fix
    if sample_rate is None:
        raise _fail(path, f"a {fmt} file does not record its sample rate: give --sample-rate")
    rate = _check_rate(path, sample_rate)
    if fmt == "npy":
        captures, truncated = _load_npy(path, int(max_samples))
    else:
        component, scale, kind = _raw_dtype(fmt)
        x, truncated = _read_interleaved(path, component, scale, kind, int(max_samples), fmt)
        captures = x.reshape(1, -1)
    return Recording(captures, rate, center, fmt, path, truncated)


_NPY_SHAPES = (
    "expected complex samples of shape (M,) or (N captures, M), or real I/Q pairs "
    "of shape (M, 2) or (N, M, 2)"
)


def _load_npy(path: str, max_samples: int):
    _file_size(path)
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        detail = " ".join(str(exc).split())[:120]
        raise _fail(path, f"is not a readable .npy array ({detail})") from None
    if not isinstance(arr, np.ndarray):
        raise _fail(path, "holds several arrays (.npz?): save one array with numpy.save")
    if arr.dtype.kind == "c":
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)
        elif arr.ndim != 2:
            raise _fail(path, f"{_NPY_SHAPES}; got complex shape {arr.shape}")
    elif arr.dtype.kind == "f" and arr.ndim in (2, 3) and arr.shape[-1] == 2:
        arr = arr if arr.ndim == 3 else arr.reshape((1,) + arr.shape)
    elif arr.dtype.kind in "iu" and arr.ndim in (2, 3) and arr.shape[-1] == 2:
        raise _fail(path, "integer I/Q pairs have no agreed scale: convert to float or "
                          f"complex ({_NPY_SHAPES})")
    else:
        raise _fail(path, f"{_NPY_SHAPES}; got {arr.dtype} shape {arr.shape}")
    n, m = arr.shape[0], arr.shape[1]
    if n == 0 or m == 0:
        raise _fail(path, f"holds no samples (shape {arr.shape})")
    truncated = False
    if n * m > max_samples:
        truncated = True
        if m > max_samples:
            arr, n, m = arr[:1, :max_samples], 1, max_samples
        else:
            n = max_samples // m
            arr = arr[:n]
    if arr.dtype.kind == "c":
        out = np.array(arr, dtype=np.complex64)
    else:
        out = np.array(arr, dtype=np.float32).view(np.complex64)[..., 0]
        out = np.ascontiguousarray(out)
    return _finite(path, out), truncated


def _load_sigmf(path: str, paths, fmt, sample_rate, center_hz, max_samples) -> Recording:
    meta_path, data_path = paths
    if not os.path.exists(meta_path):
        raise _fail(path, f"no SigMF metadata {meta_path}: a SigMF recording needs both "
                          ".sigmf-meta and .sigmf-data")
    _file_size(meta_path)
    try:
        with open(meta_path, "r", encoding="utf-8") as fh:
            meta = json.load(fh)
    except json.JSONDecodeError as exc:
        raise _fail(meta_path, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                               f"{exc.msg}): fix or regenerate the metadata") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(meta_path, f"cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    glob = meta.get("global") if isinstance(meta, dict) else None
    if not isinstance(glob, dict):
        raise _fail(meta_path, "has no \"global\" object: not SigMF metadata")
    datatype = glob.get("core:datatype")
    if not isinstance(datatype, str):
        raise _fail(meta_path, "has no core:datatype: say how samples are stored (e.g. \"cu8\")")
    channels = glob.get("core:num_channels", 1)
    if channels != 1:
        raise _fail(meta_path, f"has {channels} channels: only single-channel recordings are "
                               "supported; extract one channel first")
    component, scale, kind = _sigmf_dtype(meta_path, datatype)
    if fmt not in (None, "sigmf"):
        family = {"cu8": "cu8", "cs8": "cs8"}.get(kind) or (
            "cf32" if component == np.dtype("<f4") else None)
        if fmt != family:
            raise _fail(path, f"--format {fmt} contradicts the SigMF datatype {datatype!r}: "
                              "drop --format (SigMF says how it is stored)")

    meta_rate = glob.get("core:sample_rate")
    if meta_rate is None:
        if sample_rate is None:
            raise _fail(meta_path, "has no core:sample_rate: give --sample-rate")
        rate = _check_rate(path, sample_rate)
    else:
        rate = _check_rate(meta_path, meta_rate, "core:sample_rate")
        if sample_rate is not None:
            given = _check_rate(path, sample_rate)
            if not math.isclose(given, rate, rel_tol=1e-6):
                raise _fail(path, f"inconsistent input: --sample-rate {given:.0f} S/s but the SigMF "
                                  f"metadata says {rate:.0f} S/s: drop --sample-rate or fix "
                                  "the metadata")

    captures = meta.get("captures", [])
    if not isinstance(captures, list) or not all(isinstance(c, dict) for c in captures):
        raise _fail(meta_path, "\"captures\" must be a list of objects")
    freqs = [c.get("core:frequency") for c in captures if "core:frequency" in c]
    meta_center = _check_center(meta_path, freqs[0], "core:frequency") if freqs else None
    if len(set(freqs)) > 1:
        raise _fail(meta_path, "has captures at several frequencies: split it into one "
                               "recording per frequency")
    center = _check_center(path, center_hz)
    if meta_center is not None and center is not None and not math.isclose(
            center, meta_center, rel_tol=0, abs_tol=1.0):
        raise _fail(path, f"inconsistent input: --center-freq {center:.0f} Hz but the SigMF metadata "
                          f"says {meta_center:.0f} Hz: drop --center-freq or fix the metadata")
    if meta_center is not None:
        center = meta_center

    if not os.path.exists(data_path):
        raise _fail(path, f"no SigMF data file {data_path}: a SigMF recording needs both "
                          ".sigmf-meta and .sigmf-data")
    x, truncated = _read_interleaved(data_path, component, scale, kind, max_samples, datatype)
    return Recording(x.reshape(1, -1), rate, center, f"sigmf:{datatype}", path, truncated)


def _sigmf_dtype(meta_path: str, datatype: str):
    """(component dtype, full-scale, kind) for a SigMF core:datatype."""
    m = _SIGMF_RE.match(datatype.strip())
    if m is None:
        raise _fail(meta_path, f"core:datatype {datatype!r} is not a SigMF datatype "
                               "(e.g. cu8, ci16_le, cf32_le)")
    if m["kind"] == "r":
        raise _fail(meta_path, f"core:datatype {datatype!r} is real-valued: Sweeper needs "
                               "complex I/Q (c...)")
    base, end = m["base"], m["end"]
    if base in ("u8", "i8"):
        if end:
            raise _fail(meta_path, f"core:datatype {datatype!r}: 8-bit types take no _le/_be suffix")
        return (np.dtype(np.uint8), None, "cu8") if base == "u8" else (np.dtype(np.int8), None, "cs8")
    if not end:
        raise _fail(meta_path, f"core:datatype {datatype!r} needs a byte order: "
                               f"{datatype}_le or {datatype}_be")
    order = "<" if end == "_le" else ">"
    letter = {"f": "f", "i": "i", "u": "u"}[base[0]]
    dtype = np.dtype(f"{order}{letter}{int(base[1:]) // 8}")
    if letter == "f":
        return dtype, None, "float"
    bits = int(base[1:])
    if letter == "i":
        return dtype, float(2 ** (bits - 1)), "signed"
    return dtype, float(2 ** (bits - 1)), "unsigned"


class RecordingSource(IQSource):
    """Plays a :class:`Recording` as if it were a receiver parked at its centre: reads
    continue where the last one stopped, running through the captures in order."""

    def __init__(self, recording: Recording):
        self.recording = recording
        self._flat = recording.captures.reshape(-1)
        self._pos = 0
        self.name = f"recording {os.path.basename(recording.path)}"
        half = recording.sample_rate / 2
        c = recording.center_hz
        lo, hi = (c - half, c + half) if c is not None else (0.0, float("inf"))
        self._tuner = TunerInfo("recording", lo, hi, max_sample_rate=recording.sample_rate)

    @property
    def tuner(self) -> TunerInfo:
        return self._tuner

    @property
    def remaining(self) -> int:
        return self._flat.size - self._pos

    def tune(self, center_hz: float, sample_rate: float, gain_db: Optional[float] = None) -> None:
        rec = self.recording
        if not math.isclose(float(sample_rate), rec.sample_rate, rel_tol=1e-6):
            raise _fail(rec.path, f"was recorded at {rec.sample_rate:.0f} S/s and cannot be played "
                                  f"at {float(sample_rate):.0f} S/s: sweep it at its own rate")
        if rec.center_hz is not None and abs(float(center_hz) - rec.center_hz) > rec.sample_rate / 2:
            raise _fail(rec.path, f"covers {rec.center_hz - rec.sample_rate / 2:.0f}-"
                                  f"{rec.center_hz + rec.sample_rate / 2:.0f} Hz; cannot tune to "
                                  f"{float(center_hz):.0f} Hz: sweep only the recorded band")

    def read(self, n: int) -> np.ndarray:
        n = int(n)
        if n < 0:
            raise ValueError("n must be >= 0")
        if n > self.remaining:
            raise _fail(self.recording.path, f"end of recording: asked for {n} samples, "
                                             f"{self.remaining} left; use a longer recording")
        out = self._flat[self._pos:self._pos + n].copy()
        self._pos += n
        return out
