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
    f = _bytes(buf, np.uint8).astype(np.float32)
    f -= np.float32(127.5)
    f *= _SCALE_U8
    return f.view(np.complex64)


def cs8_to_complex64(buf) -> np.ndarray:
    """Convert signed 8-bit I/Q (HackRF's format) to a new complex64 array in [-1, 1)."""
    f = _bytes(buf, np.int8).astype(np.float32)
    f *= _SCALE_S8
    return f.view(np.complex64)


def complex64_to_cu8(x: np.ndarray) -> np.ndarray:
    """Quantise complex samples to RTL-SDR cu8 bytes, clipping at full scale."""
    x = np.ascontiguousarray(x, dtype=np.complex64)
    out = x.view(np.float32) * np.float32(127.5)
    out += np.float32(127.5)
    np.rint(out, out=out)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)
