"""Reading and writing capture files (classic pcap and pcapng) in batches.

The reader walks record headers with ``struct`` (the one per-record step that cannot be
vectorised, since each header says where the next one starts) and hands the parser a
:class:`RawBatch` that points into the file chunk it read, without copying records.
Damaged files never crash it: a truncated or absurd record ends the file with a count
in :class:`ReadStats`; unknown pcapng blocks are skipped. Only a file that is not a
capture at all raises :class:`InputError`.

The writer builds all record headers of a batch with NumPy, so the traffic simulator
and ``sweeper wifi --write`` can save long captures quickly.

Why one module of over 400 lines: both formats (and classic pcap's variants), read and
written, share the chunked reader, the batches of records and the one-line errors.
"""
from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass, field
from typing import BinaryIO, Dict, Iterator, List, Optional, Union

import numpy as np

from sweeper.errors import InputError
from sweeper.wifi.source import SUPPORTED_LINKTYPES, FrameSource, RawBatch

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
#: Alexey Kuznetzov's "modified" pcap (patched Linux libpcaps of the late 1990s): each
#: record header has 8 more bytes (interface index, protocol, packet type, padding).
#: libpcap reads it (sf-pcap.c); Wireshark writes it as "modified tcpdump".
PCAP_MAGIC_MODIFIED = 0xA1B2CD34
#: record header size by magic (libpcap reads these three, in either byte order)
PCAP_RECORD_HEADER = {PCAP_MAGIC_US: 16, PCAP_MAGIC_NS: 16, PCAP_MAGIC_MODIFIED: 24}
#: the link type is the low 26 bits of the header's field; the upper 6 say whether
#: frames carry an FCS (libpcap's LT_LINKTYPE)
LINKTYPE_MASK = 0x03FFFFFF
PCAPNG_SHB = 0x0A0D0D0A
PCAPNG_BOM = 0x1A2B3C4D
#: largest record we accept; anything bigger is corruption (the largest 802.11 frame
#: with radiotap is ~12 kB, a jumbo Ethernet frame 9 kB)
MAX_RECORD = 256 * 1024
#: bytes read per chunk: bounds memory for a capture of any length
CHUNK_BYTES = 4 << 20


@dataclass
class ReadStats:
    """What the reader met: records delivered and the damage it skipped."""

    records: int = 0
    truncated_records: int = 0  # a record cut short by the end of the file
    corrupt_records: int = 0  # an impossible length: the rest of the file is unreadable
    skipped_blocks: int = 0  # pcapng blocks we do not use (statistics, name resolution...)
    unsupported_linktype: Dict[int, int] = field(default_factory=dict)

    def damage(self) -> int:
        return self.truncated_records + self.corrupt_records


def _open(path: Union[str, os.PathLike]) -> BinaryIO:
    """The capture file, opened for reading; only a regular file is read (opening a
    named pipe does not wait: it would block, and a device would never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a capture file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = "is a directory" if stat.S_ISDIR(mode) else "is not a regular file (a pipe or a device?)"
        raise InputError(f"{path}: {what}, not a capture file")
    return os.fdopen(fd, "rb")


def sniff_format(head: bytes) -> Optional[str]:
    """'pcap', 'pcapng' or None from a file's first four bytes."""
    if len(head) < 4:
        return None
    le = struct.unpack("<I", head[:4])[0]
    be = struct.unpack(">I", head[:4])[0]
    if le in PCAP_RECORD_HEADER or be in PCAP_RECORD_HEADER:
        return "pcap"
    if le == PCAPNG_SHB:
        return "pcapng"
    return None


class _Chunks:
    """A file read in bounded chunks, keeping the unconsumed tail of the last one."""

    def __init__(self, f: BinaryIO):
        self.f = f
        self.buf = b""
        self.pos = 0  # consumed bytes of buf
        self.eof = False

    def fill(self, need: int) -> bool:
        """Make at least ``need`` unconsumed bytes available; False at end of file."""
        while len(self.buf) - self.pos < need and not self.eof:
            more = self.f.read(max(CHUNK_BYTES, need))
            if not more:
                self.eof = True
                break
            self.buf = self.buf[self.pos:] + more
            self.pos = 0
        return len(self.buf) - self.pos >= need


def _batch(linktype, ts, caplen, origlen, offset, buf, channel=0) -> RawBatch:
    return RawBatch(linktype, np.asarray(ts, np.float64), np.asarray(caplen, np.int64),
                    np.asarray(origlen, np.int64), np.asarray(offset, np.int64),
                    np.frombuffer(buf, np.uint8), channel)


def _read_pcap(f: BinaryIO, name: str, stats: ReadStats, batch_records: int) -> Iterator[RawBatch]:
    """Classic pcap as libpcap's sf-pcap.c reads it: the standard, nanosecond and
    Kuznetzov ("modified", 24-byte record headers) magics in either byte order, and the
    captured and original lengths swapped in files of version 2.0-2.2 and DG/UX's 543.0
    (and in version 2.3 when the captured length is the larger)."""
    head = f.read(24)
    if len(head) < 24:
        raise InputError(f"{name}: not a capture file (shorter than a pcap header)")
    magic = struct.unpack("<I", head[:4])[0]
    endian = "<" if magic in PCAP_RECORD_HEADER else ">"
    magic = struct.unpack(endian + "I", head[:4])[0]
    scale = 1e-9 if magic == PCAP_MAGIC_NS else 1e-6
    hdr_size = PCAP_RECORD_HEADER[magic]
    major, minor = struct.unpack(endian + "HH", head[4:8])
    swapped = "always" if (major == 2 and minor < 3) or (major, minor) == (543, 0) else (
        "maybe" if (major, minor) == (2, 3) else None)
    linktype = struct.unpack(endian + "I", head[20:24])[0] & LINKTYPE_MASK
    if linktype not in SUPPORTED_LINKTYPES:
        raise InputError(f"{name}: link type {linktype} is not supported "
                         f"(supported: {', '.join(f'{k} {v}' for k, v in SUPPORTED_LINKTYPES.items())})")
    caplen_at = struct.Struct(endian + "I").unpack_from
    # where the next record starts is the captured length: the original-length field
    # when an old file has them the other way round (2.3 "maybe": sorted out below)
    len_field = 12 if swapped == "always" else 8
    hdr_dtype = np.dtype([("sec", endian + "u4"), ("frac", endian + "u4"), ("cl", endian + "u4"),
                          ("ol", endian + "u4")])
    chunks = _Chunks(f)
    while True:
        chunks.fill(hdr_size + MAX_RECORD)  # one whole record is always in memory unless at EOF
        buf, off, end = chunks.buf, chunks.pos, len(chunks.buf)
        # the walk: only the captured length decides where the next header is; all
        # header fields, and the check for impossible lengths, are then done for the
        # whole batch at once (this loop is the reader's only per-record Python)
        headers: List[int] = []
        append = headers.append
        corrupt = truncated = False
        try:
            for _ in range(batch_records):
                cl = caplen_at(buf, off + len_field)[0]
                if swapped == "maybe":
                    cl = min(cl, caplen_at(buf, off + 12)[0])
                nxt = off + hdr_size + cl
                if nxt > end:
                    break
                append(off)
                off = nxt
        except struct.error:  # a header cut short
            pass
        if len(headers) < batch_records:  # the record at off did not fit
            if off + 16 <= end and caplen_at(buf, off + len_field)[0] > MAX_RECORD and not (
                    swapped == "maybe" and caplen_at(buf, off + 12)[0] <= MAX_RECORD):
                corrupt = True
            elif chunks.eof and off < end:
                truncated = True
        at = np.asarray(headers, np.int64)
        raw = np.frombuffer(buf, np.uint8)
        h = raw[at[:, None] + np.arange(16)].copy().view(hdr_dtype).ravel()
        cl_a, ol_a = h["cl"].astype(np.int64), h["ol"].astype(np.int64)
        if swapped == "always":
            cl_a, ol_a = ol_a, cl_a
        elif swapped == "maybe":
            cl_a, ol_a = np.minimum(cl_a, ol_a), np.maximum(cl_a, ol_a)
        impossible = np.flatnonzero(cl_a > MAX_RECORD)
        if impossible.size:  # corruption: nothing after it can be trusted
            corrupt, truncated = True, False
            keep = int(impossible[0])
            at, h, cl_a, ol_a = at[:keep], h[:keep], cl_a[:keep], ol_a[:keep]
        stats.corrupt_records += corrupt
        stats.truncated_records += truncated
        if at.size:
            stats.records += at.size
            yield RawBatch(linktype, h["sec"] + h["frac"] * scale, cl_a,
                           np.maximum(ol_a, cl_a), at + hdr_size, raw)
        stop = corrupt or truncated
        chunks.pos = off
        if stop or (chunks.eof and off >= end):
            return


def _read_pcapng(f: BinaryIO, name: str, stats: ReadStats, batch_records: int) -> Iterator[RawBatch]:
    chunks = _Chunks(f)
    endian = "<"
    interfaces: List[tuple] = []  # (linktype, ts scale)
    pending: Dict[int, list] = {}  # linktype -> [ts, caplen, origlen, offset]

    def flush(buf):
        for lt, (ts, cl, ol, of) in pending.items():
            if ts:
                stats.records += len(ts)
                yield _batch(lt, ts, cl, ol, of, buf)
        pending.clear()

    first = True
    while True:
        chunks.fill(12 + MAX_RECORD)
        buf, off, end = chunks.buf, chunks.pos, len(chunks.buf)
        count = 0
        stop = False
        while off + 12 <= end and count < batch_records:
            btype = struct.unpack_from(endian + "I", buf, off)[0]
            if btype == PCAPNG_SHB:
                bom = struct.unpack_from("<I", buf, off + 8)[0]
                if bom == PCAPNG_BOM:
                    endian = "<"
                elif bom == struct.unpack(">I", struct.pack("<I", PCAPNG_BOM))[0]:
                    endian = ">"
                else:
                    if first:
                        raise InputError(f"{name}: not a capture file (bad pcapng byte-order magic)")
                    stats.corrupt_records += 1
                    stop = True
                    break
                interfaces = []  # a new section starts new interface numbering
            elif first:
                raise InputError(f"{name}: not a capture file (pcapng without a section header)")
            first = False
            blen = struct.unpack_from(endian + "I", buf, off + 4)[0]
            if blen < 12 or blen % 4 or blen > MAX_RECORD + 64:
                stats.corrupt_records += 1
                stop = True
                break
            if off + blen > end:
                if chunks.eof:
                    stats.truncated_records += 1
                    stop = True
                break  # refill and carry on
            body = off + 8
            if btype == 1 and blen >= 20:  # interface description
                linktype = struct.unpack_from(endian + "H", buf, body)[0]
                scale = 1e-6
                opt, oend = body + 8, off + blen - 4
                while opt + 4 <= oend:
                    code, olen = struct.unpack_from(endian + "HH", buf, opt)
                    if code == 0:
                        break
                    if code == 9 and olen >= 1 and opt + 5 <= oend:  # if_tsresol
                        v = buf[opt + 4]
                        scale = 2.0 ** -(v & 0x7F) if v & 0x80 else 10.0 ** -v
                    opt += 4 + ((olen + 3) & ~3)
                interfaces.append((linktype, scale))
            elif btype == 6 and blen >= 32:  # enhanced packet
                iface, hi, lo, cl, ol = struct.unpack_from(endian + "IIIII", buf, body)
                if iface >= len(interfaces) or cl > blen - 32:
                    stats.corrupt_records += 1
                else:
                    lt, scale = interfaces[iface]
                    if lt not in SUPPORTED_LINKTYPES:
                        stats.unsupported_linktype[lt] = stats.unsupported_linktype.get(lt, 0) + 1
                    else:
                        p = pending.setdefault(lt, [[], [], [], []])
                        p[0].append(((hi << 32) | lo) * scale)
                        p[1].append(cl)
                        p[2].append(ol if ol >= cl else cl)
                        p[3].append(body + 20)
                        count += 1
            elif btype == 3 and blen >= 16:  # simple packet: no timestamp, interface 0
                ol = struct.unpack_from(endian + "I", buf, body)[0]
                cl = min(ol, blen - 16)
                if not interfaces:
                    stats.corrupt_records += 1
                else:
                    lt = interfaces[0][0]
                    if lt in SUPPORTED_LINKTYPES:
                        p = pending.setdefault(lt, [[], [], [], []])
                        p[0].append(0.0)
                        p[1].append(cl)
                        p[2].append(ol)
                        p[3].append(body + 4)
                        count += 1
                    else:
                        stats.unsupported_linktype[lt] = stats.unsupported_linktype.get(lt, 0) + 1
            elif btype != PCAPNG_SHB:
                stats.skipped_blocks += 1
            off += blen
        if chunks.eof and 0 < end - off < 12:
            stats.truncated_records += 1
            stop = True
        yield from flush(buf)
        chunks.pos = off
        if stop or (chunks.eof and off >= end):
            return


def read_capture(path: Union[str, os.PathLike], stats: Optional[ReadStats] = None,
                 batch_records: int = 65536) -> Iterator[RawBatch]:
    """Yield the records of a pcap or pcapng file in batches of at most ``batch_records``.

    Raises :class:`InputError` (with the file name) for a file that cannot be read or is
    not a capture in a supported link type; damage inside the file goes to ``stats``.
    """
    stats = stats if stats is not None else ReadStats()
    name = os.fspath(path)
    with _open(path) as f:
        try:
            head = f.read(4)
        except OSError as exc:
            raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
        fmt = sniff_format(head)
        if fmt is None:
            raise InputError(f"{name}: not a pcap or pcapng capture")
        f.seek(0)
        reader = _read_pcap if fmt == "pcap" else _read_pcapng
        yield from reader(f, name, stats, batch_records)
    if fmt == "pcapng" and stats.records == 0 and stats.unsupported_linktype:
        kinds = ", ".join(str(k) for k in stats.unsupported_linktype)
        raise InputError(f"{name}: link type {kinds} is not supported "
                         f"(supported: {', '.join(f'{k} {v}' for k, v in SUPPORTED_LINKTYPES.items())})")


class PcapReplaySource(FrameSource):
    """A capture file as a frame source (one batch per call, no real-time pacing)."""

    def __init__(self, path, batch_records: int = 65536):
        self.path = os.fspath(path)
        self.name = f"capture file {self.path}"
        self.stats = ReadStats()
        self._it = read_capture(path, self.stats, batch_records)
        self._done = False
        self._first: Optional[RawBatch] = None
        try:
            self._first = next(self._it)
        except StopIteration:
            self._done = True
        self.linktype = self._first.linktype if self._first is not None else 0

    def read_batch(self, timeout: float = 0.25) -> Optional[RawBatch]:
        if self._first is not None:
            b, self._first = self._first, None
            return b
        if self._done:
            return None
        try:
            return next(self._it)
        except StopIteration:
            self._done = True
            return None

    def close(self) -> None:
        self._done = True
        self._it.close()


class PcapWriter:
    """Write batches to a classic pcap file (microsecond timestamps, little-endian).

    Records longer than ``snaplen`` are cut to it, keeping their original length (as
    tcpdump ``-s`` does): the sweeper never needs payloads, so saved captures can stay
    header-only.
    """

    def __init__(self, target, linktype: int, snaplen: int = 65535):
        self._own = not hasattr(target, "write")
        self._f = open(target, "wb") if self._own else target
        self.linktype = linktype
        self.snaplen = int(snaplen)
        self.records = 0
        self._f.write(struct.pack("<IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0, self.snaplen, linktype))

    def write(self, batch: RawBatch) -> None:
        n = len(batch)
        if n == 0:
            return
        if batch.linktype != self.linktype:
            raise ValueError(f"batch link type {batch.linktype} != file link type {self.linktype}")
        cl = np.minimum(batch.caplen, self.snaplen).astype(np.int64)
        hdr = np.zeros(n, dtype=[("sec", "<u4"), ("usec", "<u4"), ("cl", "<u4"), ("ol", "<u4")])
        ts = np.asarray(batch.ts, np.float64)
        sec = np.floor(ts)
        usec = np.rint((ts - sec) * 1e6)
        carry = usec >= 1e6
        hdr["sec"] = (sec + carry).astype(np.uint64)
        hdr["usec"] = np.where(carry, 0, usec).astype(np.uint64)
        hdr["cl"] = cl
        hdr["ol"] = np.maximum(batch.origlen, cl)
        rec_len = 16 + cl
        out_start = np.zeros(n, np.int64)
        np.cumsum(rec_len[:-1], out=out_start[1:])
        out = np.empty(int(rec_len.sum()), np.uint8)
        # scatter the 16-byte headers
        hb = hdr.view(np.uint8).reshape(n, 16)
        out[(out_start[:, None] + np.arange(16)).ravel()] = hb.ravel()
        # gather the record bytes: destination and source index of every byte
        total = int(cl.sum())
        if total:
            rep_dst = np.repeat(out_start + 16, cl)
            rep_src = np.repeat(batch.offset.astype(np.int64), cl)
            within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cl) - cl, cl)
            out[rep_dst + within] = batch.data[rep_src + within]
        self._f.write(out.tobytes())
        self.records += n

    def close(self) -> None:
        if self._own and not self._f.closed:
            self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def write_pcap(path, batches, linktype: Optional[int] = None, snaplen: int = 65535) -> int:
    """Write one batch or an iterable of batches to ``path``; returns the record count."""
    if isinstance(batches, RawBatch):
        batches = [batches]
    it = iter(batches)
    first = next(it, None)
    lt = linktype if linktype is not None else (first.linktype if first is not None else 127)
    with PcapWriter(path, lt, snaplen) as w:
        if first is not None:
            w.write(first)
        for b in it:
            w.write(b)
        return w.records
