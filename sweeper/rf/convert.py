"""Raw sample formats to complex64.

RTL-SDR dongles deliver unsigned 8-bit interleaved I/Q ("cu8"): value/127.5 - 1.
A 65,536-entry table maps each little-endian (I, Q) byte pair, read as one uint16,
straight to its complex64 value: one gather per sample, no arithmetic.
"""
from __future__ import annotations

import numpy as np

_LEVELS_U8 = (np.arange(256, dtype=np.float32) - np.float32(127.5)) / np.float32(127.5)
_LEVELS_S8 = np.arange(-128, 128, dtype=np.float32) / np.float32(128.0)
_LEVELS_S8 = np.roll(_LEVELS_S8, -128)  # index by the uint8 view of an int8


def _pair_table(levels: np.ndarray) -> np.ndarray:
    pair = np.arange(65536, dtype=np.uint32)
    i = levels[pair & 0xFF]  # first byte in memory is I (little-endian low byte)
    q = levels[pair >> 8]
    return (i + 1j * q).astype(np.complex64)


_CU8_TABLE = None
_CS8_TABLE = None


def _table(kind: str) -> np.ndarray:
    global _CU8_TABLE, _CS8_TABLE
    if kind == "cu8":
        if _CU8_TABLE is None:
            _CU8_TABLE = _pair_table(_LEVELS_U8)
        return _CU8_TABLE
    if _CS8_TABLE is None:
        _CS8_TABLE = _pair_table(_LEVELS_S8)
    return _CS8_TABLE


def _pairs(buf) -> np.ndarray:
    raw = np.frombuffer(buf, dtype=np.uint8)
    if raw.size % 2:
        raw = raw[:-1]  # a torn final I without its Q carries no sample
    return raw.view("<u2")


def cu8_to_complex64(buf) -> np.ndarray:
    """Convert RTL-SDR unsigned 8-bit I/Q bytes (bytes, bytearray, memoryview or
    uint8 array) to complex64 in [-1, 1]."""
    return _table("cu8")[_pairs(buf)]


def cs8_to_complex64(buf) -> np.ndarray:
    """Convert signed 8-bit I/Q (HackRF's format) to complex64 in [-1, 1)."""
    return _table("cs8")[_pairs(buf)]


def complex64_to_cu8(x: np.ndarray) -> np.ndarray:
    """Quantise complex samples to RTL-SDR cu8 bytes, clipping at full scale."""
    x = np.asarray(x, dtype=np.complex64)
    out = np.empty(2 * x.size, dtype=np.float32)
    out[0::2] = x.real
    out[1::2] = x.imag
    np.multiply(out, 127.5, out=out)
    np.add(out, 127.5, out=out)
    np.rint(out, out=out)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)
