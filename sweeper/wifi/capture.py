"""Live capture from a network interface with a raw AF_PACKET socket.

Only the first ``snaplen`` bytes of each frame (the headers) ever reach user space: the
kernel reports the true length through ``MSG_TRUNC`` and the payload stays behind. This
keeps the capture private (payloads are encrypted anyway) and cheap on a Pi.
"""
from __future__ import annotations

import errno
import fcntl
import math
import select
import socket
import struct
import time
from typing import Dict, Optional

import numpy as np

from sweeper.errors import HardwareError
from sweeper.wifi.monitor import MonitorInterface
from sweeper.wifi.source import (LINKTYPE_ETHERNET, LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP,
                                 FrameSource, RawBatch)

# Linux constants the socket module does not export on every Python version.
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_STATISTICS = 6
PACKET_IGNORE_OUTGOING = 23
SO_RCVBUFFORCE = 33
SO_TIMESTAMPNS = 35  # the "old" timespec of native longs
SIOCGIFFLAGS = 0x8913
IFF_UP = 0x1
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
ETH_P_8021Q = 0x8100

ARPHRD_ETHER = 1
#: kernel hardware types (ARPHRD_*) to pcap link types
ARPHRD_TO_LINKTYPE = {
    803: LINKTYPE_IEEE802_11_RADIOTAP,  # ARPHRD_IEEE80211_RADIOTAP: monitor mode
    801: LINKTYPE_IEEE802_11,  # ARPHRD_IEEE80211
    ARPHRD_ETHER: LINKTYPE_ETHERNET,
}
#: socket receive buffer: absorbs bursts while the analysis is busy
RCVBUF_BYTES = 8 << 20

_TIMESPEC = struct.Struct("@ll")
_AUXDATA = struct.Struct("=IIIHHHH")  # struct tpacket_auxdata
_STATS = struct.Struct("=II")  # struct tpacket_stats
_VLAN_TAG = struct.Struct("!HH")


class AfPacketSource(FrameSource):
    """Frames arriving on ``interface`` (a monitor interface in the field).

    ``linktype`` defaults to the interface's own (radiotap for monitor mode). When a
    :class:`MonitorInterface` is passed as ``monitor``, the source owns it: channels are
    tuned through it and :meth:`close` restores the adapter.
    """

    def __init__(self, interface: str, *, linktype: Optional[int] = None, snaplen: int = 256,
                 monitor: Optional[MonitorInterface] = None, batch_frames: int = 4096):
        if snaplen < 16 or batch_frames < 1:
            raise ValueError("snaplen must be >= 16 and batch_frames >= 1")
        self.interface = interface
        self.snaplen = snaplen
        self.batch_frames = batch_frames
        self.monitor = monitor
        self.channel = monitor.channel if monitor is not None else 0
        self.name = monitor.describe() if monitor is not None else f"live capture on {interface}"
        self._totals = {"packets": 0, "drops": 0}
        try:
            self._sock, hatype = self._open_socket(interface)
        except BaseException:
            if monitor is not None:
                monitor.close()
            raise
        if linktype is None:
            if hatype not in ARPHRD_TO_LINKTYPE:
                self.close()
                raise HardwareError(
                    f"{interface} has hardware type {hatype}, which the sweeper cannot parse: capture "
                    "on a monitor-mode interface (radiotap headers) or an Ethernet interface")
            linktype = ARPHRD_TO_LINKTYPE[hatype]
        self.linktype = linktype
        # the kernel strips 802.1Q tags from Ethernet frames; put them back like libpcap does
        if hatype == ARPHRD_ETHER:
            self._sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        self._ancbufsize = socket.CMSG_SPACE(_TIMESPEC.size) + socket.CMSG_SPACE(_AUXDATA.size)
        self._poll = select.poll()
        self._poll.register(self._sock, select.POLLIN)
        self._buf = bytearray(batch_frames * snaplen)
        self._view = memoryview(self._buf)
        self._ts = np.empty(batch_frames, np.float64)
        self._caplen = np.empty(batch_frames, np.int64)
        self._origlen = np.empty(batch_frames, np.int64)
        self._offset = np.empty(batch_frames, np.int64)

    def _open_socket(self, interface: str):
        """A raw socket bound to ``interface``, and the interface's ARPHRD type."""
        # Protocol 0 until bind: an ETH_P_ALL socket would queue frames from every
        # interface in the gap before bind() narrows it to ours.
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        except PermissionError:
            raise HardwareError(f"capture on {interface} needs CAP_NET_RAW: run as root or through "
                                "the sweeper service") from None
        try:
            try:
                sock.bind((interface, ETH_P_ALL))
            except OSError as e:
                if e.errno in (errno.ENODEV, errno.ENXIO):
                    raise HardwareError(f"no network interface {interface}: check the name with `ip link`, "
                                        "or plug the adapter in") from None
                raise HardwareError(f"cannot capture on {interface}: {e.strerror}") from None
            hatype = sock.getsockname()[3]
            ifreq = fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, struct.pack("16sH22x", interface.encode(), 0))
            if not struct.unpack_from("16xH", ifreq)[0] & IFF_UP:
                raise HardwareError(f"{interface} is down: bring it up with `ip link set {interface} up`")
            try:
                sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_BYTES)
            except PermissionError:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            try:  # frames this machine sends are not traffic in the room (Linux >= 4.20)
                sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
            except OSError:
                pass
        except BaseException:
            sock.close()
            raise
        return sock, hatype

    @property
    def can_tune(self) -> bool:
        return self.monitor is not None

    def set_channel(self, channel: int) -> None:
        if self.monitor is not None:
            self.monitor.set_channel(channel)
            self.channel = channel

    def read_batch(self, timeout: float = 0.25) -> Optional[RawBatch]:
        """Wait up to ``timeout`` for a frame, then take everything queued (up to batch_frames)."""
        sock = self._sock
        if sock is None:
            return None
        if not self._poll.poll(max(0, math.ceil(timeout * 1000))):
            return RawBatch.empty(self.linktype, self.channel)
        snap, view, buf = self.snaplen, self._view, self._buf
        ts, caplen, origlen, offset = self._ts, self._caplen, self._origlen, self._offset
        flags = socket.MSG_TRUNC | socket.MSG_DONTWAIT
        n = pos = 0
        while n < self.batch_frames:
            try:
                size, ancdata, _, _ = sock.recvmsg_into([view[pos:pos + snap]], self._ancbufsize, flags)
            except BlockingIOError:
                break
            except OSError as e:
                raise self._lost(e) from None
            cap = min(size, snap)
            stamp = None
            for level, kind, data in ancdata:
                if kind == SO_TIMESTAMPNS and level == socket.SOL_SOCKET:
                    sec, nsec = _TIMESPEC.unpack_from(data)
                    stamp = sec + nsec * 1e-9
                elif kind == PACKET_AUXDATA and level == SOL_PACKET:
                    status, _, _, _, _, tci, tpid = _AUXDATA.unpack_from(data)
                    if status & TP_STATUS_VLAN_VALID or tci:
                        if not status & TP_STATUS_VLAN_TPID_VALID:
                            tpid = ETH_P_8021Q
                        cap = _insert_vlan_tag(buf, pos, cap, snap, tpid, tci)
                        size += 4
            ts[n] = time.time() if stamp is None else stamp
            caplen[n], origlen[n], offset[n] = cap, size, pos
            pos += cap
            n += 1
        # copies: the next batch reuses these buffers
        return RawBatch(self.linktype, ts[:n].copy(), caplen[:n].copy(), origlen[:n].copy(),
                        offset[:n].copy(), np.frombuffer(buf, np.uint8, pos).copy(), self.channel)

    def _lost(self, error: OSError) -> HardwareError:
        if error.errno in (errno.ENETDOWN, errno.ENODEV, errno.ENXIO):
            return HardwareError(f"{self.interface} went away ({error.strerror}): check the adapter is "
                                 f"plugged in and `ip link show {self.interface}` says UP")
        return HardwareError(f"capture on {self.interface} failed: {error.strerror}")

    def stats(self) -> Dict[str, int]:
        """Frames the kernel saw for this socket and how many it dropped (queue full), since open."""
        if self._sock is not None:
            packets, drops = _STATS.unpack(self._sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, _STATS.size))
            # reading resets the kernel counters, so keep running totals
            self._totals["packets"] += packets
            self._totals["drops"] += drops
        return dict(self._totals)

    def close(self) -> None:
        if self._sock is not None:
            self.stats()
            self._sock.close()
            self._sock = None
        if self.monitor is not None:
            self.monitor.close()


def _insert_vlan_tag(buf: bytearray, pos: int, cap: int, snap: int, tpid: int, tci: int) -> int:
    """Put an 802.1Q tag back after the MAC addresses of the record at ``pos``; new caplen."""
    new_cap = min(cap + 4, snap)
    if new_cap > 16:
        buf[pos + 16:pos + new_cap] = bytes(buf[pos + 12:pos + new_cap - 4])
    buf[pos + 12:pos + 16] = _VLAN_TAG.pack(tpid, tci)
    return new_cap
