"""Radiotap headers (radiotap.org), parsed for a whole batch at once.

A radiotap header is ``version, pad, length (LE16), present words...`` followed by the
fields the present bits announce, each aligned to its natural size relative to the start
of the header. Bit 31 of a present word says another word follows (extended bitmaps,
including the per-antenna and vendor namespaces real adapters emit), so where the
fields begin depends on how long that chain is. The fields we use (TSFT, Flags, Rate,
Channel, FHSS, antenna signal: bits 0-5 of the first word) come first in the default
namespace, so their offsets follow from the chain length and those six bits alone, and
can be computed for every record with array arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Flags field bits
F_CFP, F_SHORTPRE, F_WEP, F_FRAG, F_FCS, F_DATAPAD, F_BADFCS, F_SHORTGI = (
    0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80)

#: longest chain of present words we accept (real adapters use 1-4)
MAX_PRESENT_WORDS = 16

#: (bit, size, alignment) of the leading fields, in order
_LEADING_FIELDS = ((0, 8, 8),  # TSFT
                   (1, 1, 1),  # Flags
                   (2, 1, 1),  # Rate (500 kbit/s units)
                   (3, 4, 2),  # Channel: frequency (LE16 MHz) + flags (LE16)
                   (4, 2, 1),  # FHSS
                   (5, 1, 1))  # dBm antenna signal (int8)
BIT_FLAGS, BIT_RATE, BIT_CHANNEL, BIT_ANTSIGNAL = 1, 2, 3, 5


@dataclass
class RadiotapFields:
    ok: np.ndarray  # bool: header valid
    truncated: np.ndarray  # bool: the capture is shorter than the header
    length: np.ndarray  # int64 it_len (where the 802.11 frame starts)
    flags: np.ndarray  # int64 Flags field (0 when absent)
    rate: np.ndarray  # int64 500 kbit/s units (0 when absent)
    freq: np.ndarray  # int64 MHz (0 when absent)
    antsignal: np.ndarray  # float32 dBm (NaN when absent)


def _le16(data, idx):
    return data[idx].astype(np.int64) | (data[idx + 1].astype(np.int64) << 8)


def _le32(data, idx):
    return _le16(data, idx) | (_le16(data, idx + 2) << 16)


def parse(data: np.ndarray, base: np.ndarray, caplen: np.ndarray) -> RadiotapFields:
    """Parse the radiotap header of each record starting at ``data[base]``.

    ``data`` must extend at least 64 bytes past the last record (gathers near the end
    read padding that is then masked out).
    """
    n = base.shape[0]
    truncated = caplen < 8
    b = np.where(truncated, 0, base)
    version_ok = data[b] == 0
    length = _le16(data, b + 2)
    malformed = ~truncated & (~version_ok | (length < 8))
    truncated |= ~malformed & (length > caplen)
    ok = ~truncated & ~malformed
    length = np.where(ok, length, 8)
    b = np.where(ok, base, 0)

    # walk the chain of present words: word k exists while word k-1 has bit 31 set
    word0 = _le32(data, b + 4)
    nwords = np.ones(n, np.int64)
    more = (word0 >> 31) & 1 == 1
    for k in range(1, MAX_PRESENT_WORDS):
        if not more.any():
            break
        inside = 8 + 4 * k + 4 <= length  # the next word must lie inside the header
        bad = more & ~inside
        ok &= ~bad
        more &= inside
        nwords += more
        w = _le32(data, np.where(more, b + 4 + 4 * k, b))
        more &= (w >> 31) & 1 == 1
    ok &= ~more  # a chain longer than MAX_PRESENT_WORDS is not a real adapter's

    # offsets of the leading fields, each aligned relative to the header start
    cur = 4 + 4 * nwords
    offsets = {}
    for bit, size, align in _LEADING_FIELDS:
        present = (word0 >> bit) & 1 == 1
        aligned = (cur + align - 1) & ~(align - 1)
        offsets[bit] = np.where(present, aligned, -1)
        cur = np.where(present, aligned + size, cur)
    ok &= cur <= length  # the fields must fit inside the header they are announced in

    def field(bit, reader):
        off = offsets[bit]
        use = ok & (off >= 0)
        return use, reader(data, np.where(use, b + off, 0))

    use, flags = field(BIT_FLAGS, lambda d, i: d[i].astype(np.int64))
    flags = np.where(use, flags, 0)
    use, rate = field(BIT_RATE, lambda d, i: d[i].astype(np.int64))
    rate = np.where(use, rate, 0)
    use, freq = field(BIT_CHANNEL, _le16)
    freq = np.where(use, freq, 0)
    use, sig = field(BIT_ANTSIGNAL, lambda d, i: d[i].view(np.int8).astype(np.float32))
    antsignal = np.where(use, sig, np.float32(np.nan)).astype(np.float32)
    return RadiotapFields(ok=ok, truncated=truncated & ~malformed, length=length, flags=flags,
                          rate=rate, freq=freq, antsignal=antsignal)
