"""IQ recordings (raw cu8/cs8/cf32, .npy, SigMF) and a source that plays them back.

Recordings let a sweep be re-run, shared and tested without hardware. Every problem
with a file (missing, wrong size, missing metadata, contradicting arguments) is an
:class:`~sweeper.errors.InputError` whose one-line message names the file.

:func:`open_recording` checks a file without loading it: a :class:`RecordingFile` then
reads it window by window (:meth:`RecordingFile.windows`) in bounded memory, whatever its
length: raw and SigMF data are read a piece at a time, an ``.npy`` is memory-mapped a
piece at a time. :func:`load_recording` loads (the start of) a file at once.

Why one module of over 400 lines: every recording format (cu8, cs8, cf32, .npy, SigMF)
ends in the same checked IQ source and the same one-line errors.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import re
import stat
import tokenize
from dataclasses import dataclass
from typing import Iterator, Optional, Tuple

import numpy as np

from sweeper.errors import InputError, terminal_safe
from sweeper.rf.convert import cs8_into, cu8_into
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
    truncated: bool = False  # the file holds more than was loaded
    trimmed: bool = False  # the file ended part-way through a sample, which was left out
    masked: int = 0  # samples not finite, beyond ABSURD or a lone spike, set to 0

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
        raise _fail(path, f"{what} {_short(rate)} is not a number: give it in samples per second") from None
    if not math.isfinite(value) or not MIN_SAMPLE_RATE <= value <= MAX_SAMPLE_RATE:
        raise _fail(
            path,
            f"{what} {_short(rate)} S/s is outside 0.2-25 MS/s: give it in samples per second "
            "(e.g. 2048000, not 2.048)",
        )
    return value


def _check_center(path, center, what="centre frequency") -> Optional[float]:
    if center is None:
        return None
    try:
        value = float(center)
    except (TypeError, ValueError):
        raise _fail(path, f"{what} {_short(center)} is not a number: give it in Hz") from None
    if not math.isfinite(value) or value < 0:
        raise _fail(path, f"{what} {_short(center)} is not a valid frequency: give it in Hz")
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


def _file_size(path: str, empty: str = "the recording holds no samples") -> int:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _fail(path, "no such file: check the path") from None
    except OSError as exc:
        raise _fail(path, f"cannot read it ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise _fail(path, "is a directory, not a regular file: give the path of a recording")
    if not stat.S_ISREG(st.st_mode):  # a named pipe would block, a device never end
        raise _fail(path, "is not a regular file (a pipe or a device?): give the path of a recording")
    if not os.access(path, os.R_OK):
        raise _fail(path, "cannot read it (permission denied): check its permissions")
    if st.st_size == 0:
        raise _fail(path, f"is empty: {empty}")
    return st.st_size


#: a float sample value (I or Q) beyond this is not a measurement: it is masked (set to 0
#: with its pair) and counted. A receiver's 8- to 16-bit ADC, scaled as every SDR tool
#: scales float samples (full scale 1.0), gives about 1.0 at most (1.008 in the real HackRF
#: captures in ../shared/data/rf); 1e3 leaves 60 dB for software gain or a tool that
#: scales differently. One sample of 1e20 (or inf, NaN) would otherwise swamp a window's
#: spectrum and hide every transmitter in it.
ABSURD = 1e3

#: file bytes read at a time (small enough to be decoded while still in cache) ...
PIECE_BYTES = 256 << 10
#: ... or memory-mapped at a time (.npy): either bounds memory for a file of any length
MAP_BYTES = 4 << 20


@dataclass(frozen=True)
class _Layout:
    """Where a file's samples are and how they are coded: interleaved I and Q values of
    dtype ``component`` from byte ``offset`` of ``data_path`` (``kind``: cu8, cs8, float,
    signed or unsigned integers of full scale ``scale``). An ``.npy`` is memory-mapped a
    piece at a time (``mapped``), a Fortran-ordered one (``fortran``) a block of columns
    at a time: its complex values (``complex_dtype``) or, for real I/Q pairs (None),
    its plane of I values followed by its plane of Q values."""

    data_path: str
    offset: int
    component: np.dtype
    kind: str
    scale: Optional[float] = None
    mapped: bool = False
    fortran: bool = False
    complex_dtype: Optional[np.dtype] = None

    @property
    def sample_bytes(self) -> int:
        return 2 * self.component.itemsize


def _decode(raw: np.ndarray, out: np.ndarray, layout: _Layout) -> None:
    """I/Q values of any component type into float32 ``out`` in [-1, 1] (float values
    as they are: :func:`_mask_absurd` follows)."""
    kind = layout.kind
    if kind == "cu8":
        cu8_into(raw, out)
    elif kind == "cs8":
        cs8_into(raw, out)
    elif kind == "float":
        with np.errstate(over="ignore", invalid="ignore"):  # 1e300 -> inf: masked next
            out[...] = raw
    elif kind == "signed":
        np.multiply(raw, np.float32(1.0 / layout.scale), out=out, dtype=np.float32)
    else:  # unsigned: offset binary
        np.subtract(raw, np.float32(layout.scale), out=out, dtype=np.float32)
        out *= np.float32(1.0 / layout.scale)


#: A glitch, not a signal: a run of at most SPIKE_SAMPLES samples whose power is
#: SPIKE_OVER_MEAN times the piece's mean (30 dB) and SPIKE_OVER_NEIGHBOURS times the
#: samples just outside it (20 dB). Noise passes 30 dB over its mean with probability
#: e^-1000, and a real transmitter rises and stays: a burst lasts far longer than 8
#: samples. Such a spike in a short float recording (a sample of 100 in the 2 ms real
#: 1.24 GHz capture) holds more energy than all the rest and flattens its spectrum. A
#: spark is also this short; its samples are dropped (and counted) with the glitches.
SPIKE_SAMPLES = 8
SPIKE_OVER_MEAN = 1000.0
SPIKE_OVER_NEIGHBOURS = 100.0


def _mask_absurd(values: np.ndarray) -> int:
    """Set the samples (I/Q pairs of float32 ``values``) with a value that is not finite
    or beyond ABSURD, or that are a short spike (SPIKE_SAMPLES), to 0; returns how many
    there were."""
    pairs = values.reshape(-1, 2)
    peak = float(np.max(values)) if values.size else 0.0
    low = float(np.min(values)) if values.size else 0.0
    masked = 0
    if not (max(peak, -low) <= ABSURD):  # also true for NaN (the fast path is two reductions)
        bad = ~(np.abs(pairs) <= np.float32(ABSURD)).all(axis=1)
        pairs[bad] = 0
        masked = int(np.count_nonzero(bad))
        peak, low = float(np.max(values)), float(np.min(values))
    n = len(pairs)
    if n < 3:
        return masked
    mean = float(np.dot(values, values)) / n  # mean power of a sample (I^2 + Q^2)
    if 2 * max(peak, -low) ** 2 <= SPIKE_OVER_MEAN * mean:  # nearly always: no sample can be a spike
        return masked
    power = np.einsum("ij,ij->i", pairs, pairs)
    high = power > SPIKE_OVER_MEAN * mean
    if not high.any():
        return masked
    edges = np.diff(high.astype(np.int8), prepend=0, append=0)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # runs [start, end)
    short = (ends - starts) <= SPIKE_SAMPLES
    starts, ends = starts[short], ends[short]
    # the samples just outside each run (at an edge of the piece, the one side there is)
    before = np.where(starts > 0, power[np.maximum(starts - 1, 0)], power[np.minimum(ends, n - 1)])
    after = np.where(ends < n, power[np.minimum(ends, n - 1)], before)
    peak = np.maximum.reduceat(power, starts) if len(starts) else power[:0]
    lone = peak > SPIKE_OVER_NEIGHBOURS * np.maximum(before, after)
    for a, b in zip(starts[lone], ends[lone]):  # a handful of runs at most
        pairs[a:b] = 0
    return masked + int(np.sum(ends[lone] - starts[lone]))


class RecordingFile:
    """A checked recording on disk, not loaded: ``rows`` separate captures of
    ``row_samples`` samples each (raw and SigMF files are one capture). ``warnings``
    says what was forgiven (a torn last sample)."""

    def __init__(self, path: str, fmt: str, sample_rate: float, center_hz: Optional[float],
                 layout: _Layout, rows: int, row_samples: int, warnings=()):
        self.path = path
        self.fmt = fmt
        self.sample_rate = sample_rate
        self.center_hz = center_hz
        self.layout = layout
        self.rows = int(rows)
        self.row_samples = int(row_samples)
        self.warnings = list(warnings)
        #: samples of the last read (or pass of :meth:`windows`) that were not finite,
        #: beyond ABSURD or a lone spike, and were set to 0
        self.masked = 0

    @property
    def n_samples(self) -> int:
        return self.rows * self.row_samples

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate

    @property
    def trimmed(self) -> bool:
        """The file ended part-way through a sample, which was left out."""
        return bool(self.warnings)

    def spans(self, max_samples: int):
        """(first sample, rows, samples per row) of the windows :meth:`windows` yields."""
        n_rows, m = self.rows, self.row_samples
        max_samples = max(1, int(max_samples))
        if m <= max_samples:  # groups of whole captures, as equal as they come
            groups = -(-n_rows // max(1, max_samples // m))
            per = -(-n_rows // groups)
            return [(r * m, min(per, n_rows - r), m) for r in range(0, n_rows, per)]
        pieces = -(-m // max_samples)  # each capture in equal pieces
        bounds = [j * m // pieces for j in range(pieces + 1)]
        return [(r * m + a, 1, b - a) for r in range(n_rows) for a, b in zip(bounds, bounds[1:])]

    def windows(self, max_samples: int) -> Iterator[Tuple[int, np.ndarray]]:
        """The whole recording in order as (first sample, complex64 (rows, samples))
        windows of at most ``max_samples``: equal pieces of a long capture, or groups of
        whole captures (a sample's time is its index over the rate, as if the captures
        were played back to back). Two windows are in memory at a time: a window's
        array stays valid while the next one is used, then it is reused, so copy what
        you keep longer."""
        spans = self.spans(max_samples)
        size = max(r * m for _, r, m in spans)
        bufs = [np.empty(size, np.complex64), np.empty(size if len(spans) > 1 else 0, np.complex64)]
        with self._reader() as read:
            for i, (start, r, m) in enumerate(spans):
                yield start, read(start, r * m, bufs[i % 2][: r * m]).reshape(r, m)

    def read(self, start: int, count: int) -> np.ndarray:
        """Samples ``start``..``start + count`` (over the captures in order) as complex64."""
        with self._reader() as read:
            return read(int(start), int(count), np.empty(int(count), np.complex64))

    def load(self, max_samples: int) -> "Recording":
        """At most ``max_samples`` samples (whole captures of a multi-capture file) in memory."""
        n_rows, m = self.rows, self.row_samples
        if n_rows * m <= max_samples:
            shape = (n_rows, m)
        elif m > max_samples:
            shape = (1, int(max_samples))
        else:
            shape = (int(max_samples) // m, m)
        x = self.read(0, shape[0] * shape[1]).reshape(shape)
        return Recording(x, self.sample_rate, self.center_hz, self.fmt, self.path,
                         truncated=x.size < self.n_samples, trimmed=self.trimmed, masked=self.masked)

    @contextlib.contextmanager
    def _reader(self):
        """A function (start, count, out) -> out filled with those samples, one piece of
        at most PIECE_BYTES of the file at a time."""
        lay = self.layout
        fh = None
        if not lay.mapped and not lay.fortran:
            try:
                fh = open(lay.data_path, "rb")
            except OSError as exc:
                raise _fail(lay.data_path, f"cannot read it ({exc.strerror or exc})") from None
        direct = lay.kind == "float" and lay.component == np.dtype("<f4") and np.little_endian
        step = max(1, (MAP_BYTES if lay.mapped else PIECE_BYTES) // lay.sample_bytes)
        scratch = np.empty(2 * min(step, self.n_samples), lay.component) if fh is not None and not direct else None
        self.masked = 0

        def read(start: int, count: int, out: np.ndarray) -> np.ndarray:
            values = out.view(np.float32)
            for a in range(0, count, step):
                n = min(step, count - a)
                dst = values[2 * a: 2 * (a + n)]
                if lay.fortran:
                    self._fortran_values(start + a, n, dst)
                elif lay.mapped:
                    try:
                        raw = np.memmap(lay.data_path, dtype=lay.component, mode="r",
                                        offset=lay.offset + (start + a) * lay.sample_bytes, shape=(2 * n,))
                    except (OSError, ValueError) as exc:
                        why = getattr(exc, "strerror", None) or exc
                        raise _fail(lay.data_path, f"cannot read it ({why})") from None
                    _decode(raw, dst, lay)
                    del raw  # unmapped: the pages read leave this process
                else:
                    fh.seek(lay.offset + (start + a) * lay.sample_bytes)
                    target = dst if direct else scratch[: 2 * n]
                    try:
                        got = fh.readinto(memoryview(target).cast("B"))
                    except OSError as exc:
                        raise _fail(lay.data_path, f"cannot read it ({exc.strerror or exc})") from None
                    if got != target.nbytes:
                        raise _fail(lay.data_path, "ended early: the file shrank while it was read")
                    if not direct:
                        _decode(target, dst, lay)
                if lay.kind == "float":
                    self.masked += _mask_absurd(dst)
            return out

        try:
            yield read
        finally:
            if fh is not None:
                fh.close()

    def _fortran_values(self, start: int, n: int, dst: np.ndarray) -> None:
        """I/Q values (float32 ``dst``) of samples start..start+n of a Fortran-ordered
        array, whose captures are not contiguous in the file: columns are. A block of
        columns (at most MAP_BYTES, or one column) is mapped at a time and unmapped."""
        lay, rows, m = self.layout, self.rows, self.row_samples
        item = (lay.complex_dtype or lay.component).itemsize
        width = max(1, (MAP_BYTES // item) // rows)  # columns mapped at a time
        r0, r1 = start // m, (start + n - 1) // m
        # the first and last (partial) captures, and the whole ones between them
        groups = [(r0, r0 + 1, start - r0 * m, m if r1 > r0 else start + n - r0 * m)]
        if r1 > r0 + 1:
            groups.append((r0 + 1, r1, 0, m))
        if r1 > r0:
            groups.append((r1, r1 + 1, 0, start + n - r1 * m))
        pairs = dst.reshape(n, 2)
        pos = 0
        for ra, rb, a, b in groups:
            out = pairs[pos: pos + (rb - ra) * (b - a)].reshape(rb - ra, b - a, 2)
            pos += (rb - ra) * (b - a)
            for c0 in range(a, b, width):
                c1 = min(b, c0 + width)
                try:
                    if lay.complex_dtype is not None:
                        block = np.memmap(lay.data_path, dtype=lay.complex_dtype, mode="r",
                                          offset=lay.offset + c0 * rows * item, shape=(c1 - c0, rows)).T[ra:rb]
                        planes = (block.real, block.imag)
                    else:
                        planes = tuple(np.memmap(lay.data_path, dtype=lay.component, mode="r",
                                                 offset=lay.offset + (k * rows * m + c0 * rows) * item,
                                                 shape=(c1 - c0, rows)).T[ra:rb] for k in (0, 1))
                except (OSError, ValueError) as exc:
                    why = getattr(exc, "strerror", None) or exc
                    raise _fail(lay.data_path, f"cannot read it ({why})") from None
                with np.errstate(over="ignore", invalid="ignore"):  # 1e300 -> inf: masked next
                    out[:, c0 - a: c1 - a, 0] = planes[0]
                    out[:, c0 - a: c1 - a, 1] = planes[1]
                del planes  # unmapped: the pages read leave this process
                block = None


def _interleaved(path: str, component: np.dtype, scale: Optional[float], kind: str, label: str):
    """(layout, samples, warnings) of a file of interleaved I/Q: an 8-bit file with an
    odd byte count lost its last Q value (the recorder stopped between I and Q), so
    that byte is left out with a warning; any other partial sample is an error."""
    size = _file_size(path)
    sample_bytes = 2 * component.itemsize
    warnings = []
    if size % sample_bytes:
        if sample_bytes != 2:
            raise _fail(
                path,
                f"size {size} bytes is not a whole number of {sample_bytes}-byte {label} samples: "
                "the file is truncated or the format is wrong",
            )
        warnings.append(f"{path}: {size} bytes is an odd number for {label} I/Q pairs: left out the "
                        "last byte (the recording stopped between an I and its Q)")
    total = size // sample_bytes
    if total == 0:
        raise _fail(path, f"holds no whole {label} sample ({size} byte{'s' if size != 1 else ''})")
    return _Layout(path, 0, component, kind, scale), total, warnings


def _raw_dtype(fmt: str):
    return {"cu8": (np.dtype(np.uint8), None, "cu8"),
            "cs8": (np.dtype(np.int8), None, "cs8"),
            "cf32": (np.dtype("<f4"), None, "float")}[fmt]


def load_recording(path, fmt: Optional[str] = None, sample_rate: Optional[float] = None,
                   center_hz: Optional[float] = None, max_samples: int = 2**25) -> Recording:
    """Load at most ``max_samples`` complex samples (``truncated`` tells if there was more).

    ``fmt`` overrides the extension (cu8, cs8/ci8, cf32/cfile/fc32, npy, sigmf). Raw and
    .npy files need ``sample_rate``; SigMF carries its own, and a given value must agree.
    To read a file of any length, use :func:`open_recording` and its windows.
    """
    if int(max_samples) <= 0:
        raise _fail(os.fspath(path), f"max_samples must be positive, not {max_samples}")
    return open_recording(path, fmt, sample_rate, center_hz).load(int(max_samples))


def open_recording(path, fmt: Optional[str] = None, sample_rate: Optional[float] = None,
                   center_hz: Optional[float] = None) -> RecordingFile:
    """Check a recording (format, size, metadata, arguments) without loading it.

    A missing, unreadable or empty file is reported before anything else.
    """
    path = os.fspath(path)
    fmt = _normalise_fmt(fmt, path)
    sig = _sigmf_paths(path)
    if fmt == "sigmf" and sig is None:
        sig = (path + ".sigmf-meta", path + ".sigmf-data")
    if sig is not None:
        if not os.path.exists(path) and not os.path.exists(sig[0]):
            _file_size(path)  # neither the file named nor its metadata: no such file
        return _open_sigmf(path, sig, fmt, sample_rate, center_hz)
    _file_size(path)  # a missing file is the first thing to fix
    if fmt is None:
        fmt = _guess_fmt(path)
    center = _check_center(path, center_hz)
    if sample_rate is None:
        raise _fail(path, f"a {fmt} file does not record its sample rate: give --sample-rate")
    rate = _check_rate(path, sample_rate)
    if fmt == "npy":
        layout, rows, m = _open_npy(path)
        return RecordingFile(path, fmt, rate, center, layout, rows, m)
    component, scale, kind = _raw_dtype(fmt)
    layout, total, warnings = _interleaved(path, component, scale, kind, fmt)
    return RecordingFile(path, fmt, rate, center, layout, 1, total, warnings)


_NPY_SHAPES = (
    "expected complex samples of shape (M,) or (N captures, M), or real I/Q pairs "
    "of shape (M, 2) or (N, M, 2)"
)


def _open_npy(path: str):
    """(layout, captures, samples per capture) of an .npy array, memory-mapped."""
    _file_size(path)
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError, OverflowError, SyntaxError, tokenize.TokenError) as exc:
        # numpy parses the header as a Python literal: a damaged one raises any of
        # these; its message may quote the header's bytes, so it is made printable
        detail = terminal_safe(" ".join(str(exc).split()))[:120]
        raise _fail(path, f"is not a readable .npy array ({detail})") from None
    if not isinstance(arr, np.ndarray):
        raise _fail(path, "holds several arrays (.npz?): save one array with numpy.save")
    if arr.dtype.kind == "c":
        if arr.ndim not in (1, 2):
            raise _fail(path, f"{_NPY_SHAPES}; got complex shape {arr.shape}")
        shape = arr.shape if arr.ndim == 2 else (1,) + arr.shape
        component = np.dtype(f"{arr.dtype.byteorder}f{arr.dtype.itemsize // 2}")
    elif arr.dtype.kind == "f" and arr.ndim in (2, 3) and arr.shape[-1] == 2:
        shape = arr.shape[:-1] if arr.ndim == 3 else (1, arr.shape[0])
        component = arr.dtype
    elif arr.dtype.kind in "iu" and arr.ndim in (2, 3) and arr.shape[-1] == 2:
        raise _fail(path, "integer I/Q pairs have no agreed scale: convert to float or "
                          f"complex ({_NPY_SHAPES})")
    else:
        raise _fail(path, f"{_NPY_SHAPES}; got {arr.dtype} shape {arr.shape}")
    n, m = shape
    if n == 0 or m == 0:
        raise _fail(path, f"holds no samples (shape {arr.shape})")
    if isinstance(arr, np.memmap) and arr.flags.c_contiguous:
        layout = _Layout(path, int(arr.offset), component, "float", mapped=True)
    elif isinstance(arr, np.memmap) and arr.flags.f_contiguous:  # captures are not contiguous
        layout = _Layout(path, int(arr.offset), component, "float", fortran=True,
                         complex_dtype=arr.dtype if arr.dtype.kind == "c" else None)
    else:
        raise _fail(path, f"is not a readable .npy array (layout {arr.shape} {arr.dtype})")
    del arr  # unmapped: pieces are mapped as they are read
    return layout, n, m


def _open_sigmf(path: str, paths, fmt, sample_rate, center_hz) -> RecordingFile:
    meta_path, data_path = paths
    if not os.path.exists(meta_path):
        raise _fail(path, f"no SigMF metadata {meta_path}: a SigMF recording needs both "
                          ".sigmf-meta and .sigmf-data")
    meta = _read_meta(meta_path)
    glob = meta.get("global") if isinstance(meta, dict) else None
    if not isinstance(glob, dict):
        raise _fail(meta_path, "has no \"global\" object: not SigMF metadata")
    datatype = glob.get("core:datatype")
    if not isinstance(datatype, str):
        raise _fail(meta_path, "has no core:datatype: say how samples are stored (e.g. \"cu8\")")
    channels = glob.get("core:num_channels", 1)
    if not isinstance(channels, int) or isinstance(channels, bool) or channels < 1:
        raise _fail(meta_path, f"core:num_channels {_short(channels)} is not a number of channels "
                               "(a whole number, at least 1)")
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
    freqs = [_check_center(meta_path, c["core:frequency"], f"captures[{i}] core:frequency")
             for i, c in enumerate(captures) if "core:frequency" in c]
    meta_center = freqs[0] if freqs else None
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
    layout, total, warnings = _interleaved(data_path, component, scale, kind, datatype)
    return RecordingFile(path, f"sigmf:{datatype}", rate, center, layout, 1, total, warnings)



#: SigMF metadata is a few kilobytes a few levels deep: far beyond is a mistake or an
#: attack (nesting that exhausts the parser's recursion, numbers of thousands of digits)
MAX_META_BYTES = 1 << 20
MAX_META_DEPTH = 32
MAX_META_DIGITS = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _read_meta(meta_path: str):
    """The parsed SigMF metadata, within MAX_META_BYTES, MAX_META_DEPTH and
    MAX_META_DIGITS, or a one-line error."""
    size = _file_size(meta_path, "SigMF metadata must be a JSON object with a \"global\" section")
    if size > MAX_META_BYTES:
        raise _fail(meta_path, f"{size} bytes is too large for SigMF metadata (at most {MAX_META_BYTES})")
    try:
        with open(meta_path, "rb") as fh:
            raw = fh.read(MAX_META_BYTES + 1)
    except OSError as exc:
        raise _fail(meta_path, f"cannot read it ({exc.strerror or exc})") from None
    # nesting depth with the strings left out (their brackets are text), before parsing
    bare = np.frombuffer(_JSON_STRING.sub(b'""', raw), np.uint8)
    step = (np.isin(bare, (ord("["), ord("{"))).astype(np.int32)
            - np.isin(bare, (ord("]"), ord("}"))).astype(np.int32))
    if step.size and int(np.cumsum(step).max()) > MAX_META_DEPTH:
        raise _fail(meta_path, f"is nested more than {MAX_META_DEPTH} levels deep: not SigMF metadata")

    def number(text: str):
        if len(text.lstrip("-").split(".")[0].split("e")[0].split("E")[0]) > MAX_META_DIGITS:
            raise _fail(meta_path, f"holds a number of more than {MAX_META_DIGITS} digits: not SigMF metadata")
        return text

    try:
        return json.loads(raw.decode("utf-8"), parse_int=lambda t: int(number(t)),
                          parse_float=lambda t: float(number(t)))
    except json.JSONDecodeError as exc:
        raise _fail(meta_path, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                               f"{exc.msg}): fix or regenerate the metadata") from None
    except UnicodeDecodeError as exc:
        raise _fail(meta_path, f"is not UTF-8 text (byte {exc.start} is invalid): not SigMF metadata") from None
    except RecursionError:  # cannot happen within MAX_META_DEPTH; never a traceback
        raise _fail(meta_path, "is nested too deeply: not SigMF metadata") from None


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
