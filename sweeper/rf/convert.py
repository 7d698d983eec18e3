"""Raw sample formats to complex64.

RTL-SDR dongles deliver unsigned 8-bit interleaved I/Q ("cu8"): value/127.5 - 1.
Conversion is one float32 pass over the bytes, then a complex64 view of the pairs
(measured faster than a 65,536-entry lookup table: bench/bench_rf.py).
"""
from __future__ import annotations

import numpy as np

_SCALE_U8 = np.float32(1.0 / 127.5)
_SCALE_S8 = np.float32(1.0 / 128.0)


def _bytes(buf, dtype) -> np.ndarray:
    raw = np.frombuffer(buf, dtype=dtype) if not isinstance(buf, np.ndarray) else buf.view(dtype).ravel()
    if raw.size % 2:
        raw = raw[:-1]  # a torn final I without its Q carries no sample
    return raw


def cu8_to_complex64(buf) -> np.ndarray:
    """Convert RTL-SDR unsigned 8-bit I/Q bytes (bytes, bytearray, memoryview or
    uint8 array) to a new complex64 array in [-1, 1]."""
    raw = _bytes(buf, np.uint8)
    return cu8_into(raw, np.empty(raw.size, np.float32)).view(np.complex64)


def cs8_to_complex64(buf) -> np.ndarray:
    """Convert signed 8-bit I/Q (HackRF's format) to a new complex64 array in [-1, 1)."""
    raw = _bytes(buf, np.int8)
    return cs8_into(raw, np.empty(raw.size, np.float32)).view(np.complex64)


def cu8_into(raw: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Unsigned 8-bit I/Q values (uint8) into ``out`` (float32, same length, e.g. a view
    of a complex64 buffer), with no temporary array; returns ``out``."""
    np.subtract(raw, np.float32(127.5), out=out, dtype=np.float32)
    out *= _SCALE_U8
    return out


def cs8_into(raw: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Signed 8-bit I/Q values into ``out`` (float32, same length); returns ``out``."""
    np.multiply(raw.view(np.int8), _SCALE_S8, out=out, dtype=np.float32)
    return out


def complex64_to_cu8(x: np.ndarray) -> np.ndarray:
    """Quantise complex samples to RTL-SDR cu8 bytes, clipping at full scale."""
    x = np.ascontiguousarray(x, dtype=np.complex64)
    out = x.view(np.float32) * np.float32(127.5)
    out += np.float32(127.5)
    np.rint(out, out=out)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)
