"""Simulated frames (events) -> captured bytes: a :class:`~sweeper.wifi.source.RawBatch`.

Link types: 127 (radiotap + 802.11, what a monitor-mode adapter delivers), 105 (bare
802.11) and 1 (Ethernet, as a wired mirror port of the venue's LAN sees the same
traffic: only data frames that cross the bridge, no retransmissions, no management or
control frames).

Each distinct header (radiotap layout, 802.11 frame type, and for beacons/probe
responses the BSS's SSID, channel and information elements) is built once with scapy;
then every frame's fields (addresses, FCfield bits, sequence number, QoS TID, CCMP packet
number, TSF, signal, rate, channel) are written with vectorised NumPy into one ``uint8``
buffer. Bodies of protected frames are random bytes (they are encrypted); clear-text
data frames (open networks, Ethernet) carry LLC/SNAP, an IPv4 header with the right
length, protocol and checksum, port numbers, and the RTP header of UDP media packets.
``origlen`` is always the full on-air length; with ``snaplen`` records are cut like
``tcpdump -s`` and the cut-off bytes are never produced.

On-air lengths (``fcs``: 4 more bytes at the end):

* protected data: radiotap + MAC header (24, 26 with QoS) + 8 CCMP + 8 LLC/SNAP + l3len + 8 MIC
* clear data: radiotap + MAC header + 8 LLC/SNAP + l3len
* null / QoS null: radiotap + 24 / 26; ACK: + 10; BlockAck: + 28
* beacon / probe response / probe request: radiotap + 24 + fixed fields and elements
  (SSID, rates, DS parameter set, TIM, RSN) + ``l3len`` bytes of vendor elements

Why one module of over 400 lines: every 802.11 frame layout the simulator writes, from
one template cache.
"""
from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

import numpy as np

from sweeper.sim.wifi import events as E
from sweeper.wifi.channels import channel_to_mhz
from sweeper.wifi.source import (LINKTYPE_ETHERNET, LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP, RawBatch)

#: radiotap layouts: "basic" (TSFT, Flags, Rate, Channel, dBm_AntSignal, Antenna) and
#: "ext" (as Intel iwlwifi / mt76 emit: three present words, radiotap namespace
#: continuation, RX flags and per-chain signal/antenna pairs)
RADIOTAP_LAYOUTS = ("basic", "ext")


@dataclass(frozen=True)
class CaptureProfile:
    """How the sniffer records frames: radiotap ``layout``, whether frames keep their
    ``fcs`` (radiotap Flags 0x10), whether control frames (ACK/BlockAck) are captured,
    the share of frames it misses (``loss``), the weakest signal it decodes, and
    whether A-MPDU subframes carry the PPDU start time (``ppdu_ts``)."""

    layout: str = "basic"
    fcs: bool = False
    control_frames: bool = True
    loss: float = 0.0
    sensitivity_dbm: float = -94.0
    ppdu_ts: bool = False

    @classmethod
    def random(cls, rng: np.random.Generator) -> "CaptureProfile":
        return cls(layout="ext" if rng.random() < 0.4 else "basic", fcs=bool(rng.random() < 0.3),
                   control_frames=bool(rng.random() < 0.75), loss=float(rng.uniform(0.0, 0.02)),
                   sensitivity_dbm=float(rng.uniform(-96.0, -88.0)), ppdu_ts=bool(rng.random() < 0.3))


# ---- radiotap ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Rt:
    raw: bytes
    tsft: int
    flags: int
    rate: int
    freq: int
    chflags: int
    signal: int
    chains: Tuple[int, ...]  # offsets of per-chain (signal, antenna) pairs


@functools.lru_cache(maxsize=None)
def _radiotap(layout: str, fcs: bool) -> _Rt:
    from scapy.compat import raw
    from scapy.layers.dot11 import RadioTap
    from scapy.layers.dot11 import RadioTapExtendedPresenceMask as Mask

    flags = 0x10 if fcs else 0
    if layout == "basic":
        p = RadioTap(present="TSFT+Flags+Rate+Channel+dBm_AntSignal+Antenna", mac_timestamp=0, Flags=flags, Rate=2,
                     ChannelFrequency=2412, ChannelFlags=0x00A0, dBm_AntSignal=-50, Antenna=0)
        rt = _Rt(raw(p), 8, 16, 17, 18, 20, 22, ())
    elif layout == "ext":
        p = RadioTap(present="TSFT+Flags+Rate+Channel+dBm_AntSignal+RXFlags+RadiotapNS+Ext",
                     Ext=[Mask(index=1, present="b37+b43+b61+Ext"), Mask(index=2, present="b69+b75")],
                     mac_timestamp=0, Flags=flags, Rate=2, ChannelFrequency=2412, ChannelFlags=0x00A0,
                     dBm_AntSignal=-50, RXFlags=0, notdecoded=bytes([0xCE, 0x00, 0xCE, 0x01]))
        rt = _Rt(raw(p), 16, 24, 25, 26, 28, 30, (34, 36))
    else:
        raise ValueError(f"radiotap layout must be one of {', '.join(RADIOTAP_LAYOUTS)}, not {layout!r}")
    b = rt.raw
    # scapy's Rate is in Mbit/s (2 -> 4 half-megabit units)
    assert b[rt.flags] == flags and b[rt.rate] == 4 and int.from_bytes(b[rt.freq:rt.freq + 2], "little") == 2412
    assert b[rt.signal] == 256 - 50 and len(b) == int.from_bytes(b[2:4], "little")
    return rt


# ---- 802.11 templates -------------------------------------------------------------------
@dataclass(frozen=True)
class _Tpl:
    """A frame's fixed bytes (radiotap included) and where its per-frame fields are."""

    raw: np.ndarray  # uint8
    rt: _Rt
    fc1: int  # FCfield byte
    addr1: int
    addr2: int  # -1 when absent
    addr3: int
    seq: int
    qos: int
    pn: int  # CCMP header start, -1 when absent
    tsf: int  # beacon/probe-response timestamp, -1 when absent
    ethertype: int  # SNAP ethertype (clear data), -1 when absent
    var: str  # "data" (l3len + 16 protected), "clear" (l3len), "" (fixed length)


_BASIC_RATES_24 = [0x82, 0x84, 0x8B, 0x96, 0x0C, 0x12, 0x18, 0x24]
_BASIC_RATES_5 = [0x8C, 0x12, 0x98, 0x24, 0xB0, 0x48, 0x60, 0x6C]


def _vendor_ies(n: int, seed: int) -> list:
    """``n`` bytes of vendor-specific elements (deterministic content)."""
    from scapy.layers.dot11 import Dot11Elt
    out = []
    r = np.random.default_rng(seed)
    while n >= 5:
        k = min(n - 2, 255)
        info = bytes([0x00, 0x50, 0xF2]) + r.bytes(k - 3) if k >= 3 else r.bytes(k)
        out.append(Dot11Elt(ID=221, info=info))
        n -= k + 2
    return out


@functools.lru_cache(maxsize=4096)
def _template(layout: str, fcs: bool, kind: int, protected: bool, ssid: str = "", channel: int = 0,
              ie_bytes: int = 0, interval: int = 100) -> _Tpl:
    from scapy.compat import raw
    from scapy.layers.dot11 import (AKMSuite, Dot11, Dot11Beacon, Dot11CCMP, Dot11Elt, Dot11EltDSSSet, Dot11EltRates,
                                    Dot11EltRSN, Dot11ProbeReq, Dot11ProbeResp, Dot11QoS)
    from scapy.layers.l2 import LLC, SNAP

    rt = _radiotap(layout, fcs)
    A1, A2, A3 = "00:00:00:00:00:01", "00:00:00:00:00:02", "00:00:00:00:00:03"
    pn = tsf = eth = -1
    qos = -1
    var = ""
    if kind in (E.DATA, E.QOS_DATA):
        q = kind == E.QOS_DATA
        f = Dot11(type=2, subtype=8 if q else 0, FCfield=0x40 if protected else 0, addr1=A1, addr2=A2, addr3=A3)
        if q:
            f = f / Dot11QoS(TID=0)
        hl = 26 if q else 24
        if protected:
            f = f / Dot11CCMP(ext_iv=1, key_id=0, data=b"")
            pn = hl
            var = "data"
        else:
            f = f / LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0, code=0x0800)
            eth = hl + 6
            var = "clear"
        qos = 24 if q else -1
    elif kind in (E.NULL_DATA, E.QOS_NULL):
        q = kind == E.QOS_NULL
        f = Dot11(type=2, subtype=12 if q else 4, addr1=A1, addr2=A2, addr3=A3)
        if q:
            f = f / Dot11QoS(TID=0)
            qos = 24
    elif kind == E.ACK:
        f = Dot11(type=1, subtype=13, addr1=A1)
    elif kind == E.BLOCK_ACK:
        from scapy.packet import Raw
        # BA control (compressed bitmap, TID 0), starting sequence control, 64-bit bitmap
        f = Dot11(type=1, subtype=9, addr1=A1, addr2=A2) / Raw(b"\x04\x00\x00\x00" + b"\xff" * 8)
    elif kind in (E.BEACON, E.PROBE_RESP):
        rates = _BASIC_RATES_24 if channel <= 14 else _BASIC_RATES_5
        cap = 0x0401 | (0x0010 if protected else 0)
        body = (Dot11Beacon if kind == E.BEACON else Dot11ProbeResp)(timestamp=0, beacon_interval=interval, cap=cap)
        f = Dot11(type=0, subtype=8 if kind == E.BEACON else 5, addr1=A1, addr2=A2, addr3=A3) / body
        f = f / Dot11Elt(ID=0, info=ssid.encode("utf-8")[:32]) / Dot11EltRates(rates=rates)
        f = f / Dot11EltDSSSet(channel=channel)
        if kind == E.BEACON:
            f = f / Dot11Elt(ID=5, info=b"\x00\x01\x00\x00")  # TIM
        if protected:
            f = f / Dot11EltRSN(akm_suites=[AKMSuite(suite=2)])
        for ie in _vendor_ies(ie_bytes, zlib.crc32(ssid.encode()) ^ channel):
            f = f / ie
        tsf = 24
    elif kind == E.PROBE_REQ:
        f = Dot11(type=0, subtype=4, addr1=A1, addr2=A2, addr3=A3) / Dot11ProbeReq()
        f = f / Dot11Elt(ID=0, info=b"") / Dot11EltRates(rates=[0x02, 0x04, 0x0B, 0x16, 0x0C, 0x12, 0x18, 0x24])
        for ie in _vendor_ies(ie_bytes, ie_bytes):
            f = f / ie
    else:
        raise ValueError(f"unknown frame kind {kind}")
    b = raw(f)
    if kind in (E.DATA, E.QOS_DATA) and protected:
        assert len(b) == (26 if kind == E.QOS_DATA else 24) + 8
    has2 = kind not in (E.ACK,)
    has3 = kind not in (E.ACK, E.BLOCK_ACK)
    R = len(rt.raw)
    buf = np.frombuffer(rt.raw + b, np.uint8).copy()
    return _Tpl(buf, rt, R + 1, R + 4, R + 10 if has2 else -1, R + 16 if has3 else -1, R + 22 if has3 else -1,
                R + qos if qos >= 0 else -1, R + pn if pn >= 0 else -1, R + tsf if tsf >= 0 else -1,
                R + eth if eth >= 0 else -1, var)


# ---- vectorised field writers -----------------------------------------------------------
def _put_le(h: np.ndarray, off: int, vals: np.ndarray, nbytes: int) -> None:
    v = np.ascontiguousarray(vals, dtype="<u8").view(np.uint8).reshape(-1, 8)
    h[:, off:off + nbytes] = v[:, :nbytes]


def _put_be(h: np.ndarray, off: int, vals: np.ndarray, nbytes: int) -> None:
    v = np.ascontiguousarray(vals, dtype=">u8").view(np.uint8).reshape(-1, 8)
    h[:, off:off + nbytes] = v[:, 8 - nbytes:]


@functools.lru_cache(maxsize=1)
def _freq_table() -> np.ndarray:
    t = np.zeros(256, np.uint16)
    for ch in range(1, 200):
        try:
            t[ch] = channel_to_mhz(ch)
        except ValueError:
            t[ch] = 5000 + 5 * ch if ch > 14 else 0
    return t


def _mix(x: np.ndarray, salt: int) -> np.ndarray:
    """A cheap 32-bit hash of uint64 values (addresses -> IPs, ports)."""
    x = (x.astype(np.uint64) ^ np.uint64(salt)) * np.uint64(0x9E3779B97F4A7C15)
    return ((x >> np.uint64(29)) & np.uint64(0xFFFFFFFF)).astype(np.uint64)


def _lan_ip(mac: np.ndarray) -> np.ndarray:
    h = _mix(mac, 1)
    return np.uint64(0xC0A80000) | (((h >> np.uint64(8)) % np.uint64(4)) << np.uint64(8)) | \
        (np.uint64(2) + h % np.uint64(250))


def _remote_ip(mac: np.ndarray) -> np.ndarray:
    h = _mix(mac, 2)
    first = np.uint64(20) + (h >> np.uint64(24)) % np.uint64(150)  # 20..169: public unicast space
    return (first << np.uint64(24)) | (h & np.uint64(0xFFFFFF))


def _group_ip(mac: np.ndarray) -> np.ndarray:
    low = mac & np.uint64(0x7FFFFF)
    ip = np.uint64(0xEF000000) | low  # 239.x.y.z
    ip = np.where(low == np.uint64(0xFB), np.uint64(0xE00000FB), ip)  # mDNS 224.0.0.251
    ip = np.where(mac == np.uint64(E.BROADCAST), np.uint64(0xFFFFFFFF), ip)
    return ip


def ip_headers(ev: np.ndarray, src_mac: np.ndarray, dst_mac: np.ndarray, ext_mac: np.ndarray,
               uplink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, 40) bytes: an IPv4 header (checksum included) and the start of the TCP or UDP
    header (ports; TCP data offset and ACK/PSH flags; UDP length, then the RTP header of
    media packets whose event carries one) of frames carried
    between ``src_mac`` and ``dst_mac``. The station end gets a LAN address, the far end
    a public address derived from the station (``ext_mac``); group destinations get their
    group address. Bytes past the packet's own length must be masked by the caller."""
    n = len(ev)
    h = np.frombuffer(rng.bytes(n * 40), np.uint8).reshape(n, 40).copy()
    h[:, :20] = 0
    h[:, 0] = 0x45
    _put_be(h, 2, ev["l3len"].astype(np.uint64), 2)
    _put_be(h, 4, (np.arange(n, dtype=np.uint64) * np.uint64(7919)) & np.uint64(0xFFFF), 2)
    h[:, 6] = 0x40  # DF
    h[:, 8] = 64
    h[:, 9] = ev["proto"]
    grp = E.is_group(dst_mac)
    lan_sta = _lan_ip(ext_mac)
    far = _remote_ip(ext_mac)
    src_ip = np.where(uplink, lan_sta, np.where(grp, _lan_ip(src_mac), far))
    dst_ip = np.where(grp, _group_ip(dst_mac), np.where(uplink, far, lan_sta))
    _put_be(h, 12, src_ip, 4)
    _put_be(h, 16, dst_ip, 4)
    words = h[:, :20].astype(np.uint32).reshape(n, 10, 2)
    s = (words[:, :, 0] << 8 | words[:, :, 1]).sum(axis=1)
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    _put_be(h, 10, (~s & 0xFFFF).astype(np.uint64), 2)
    # ports: the station's ephemeral port, the server's 443 (TCP) or a hashed UDP port
    eph = np.uint64(32768) + _mix(ext_mac, 3) % np.uint64(28000)
    srv = np.where(ev["proto"] == E.PROTO_TCP, np.uint64(443), np.uint64(1024) + _mix(ext_mac, 4) % np.uint64(60000))
    srv = np.where(grp, np.uint64(5353), srv)
    _put_be(h, 20, np.where(uplink, eph, srv), 2)
    _put_be(h, 22, np.where(uplink, srv, eph), 2)
    tcp = ev["proto"] == E.PROTO_TCP
    udp = ev["proto"] == E.PROTO_UDP
    # TCP: data offset 8 words (timestamps option) or 5, flags ACK (+PSH on data)
    h[:, 32] = np.where(tcp, np.where(ev["l3len"] >= 52, 0x80, 0x50), h[:, 32])
    h[:, 33] = np.where(tcp, np.where(ev["l3len"] > 52, 0x18, 0x10), h[:, 33])
    # UDP: length, no checksum
    ulen = np.maximum(ev["l3len"].astype(np.int64) - 20, 0).astype(np.uint64)
    v = np.ascontiguousarray(ulen, dtype=">u8").view(np.uint8).reshape(-1, 8)
    h[:, 24] = np.where(udp, v[:, 6], h[:, 24])
    h[:, 25] = np.where(udp, v[:, 7], h[:, 25])
    h[:, 26] = np.where(udp, 0, h[:, 26])
    h[:, 27] = np.where(udp, 0, h[:, 27])
    # RTP media (in the clear even under SRTP): the 12-byte header after the UDP header
    rtp = np.flatnonzero(udp & (ev["rtp"] != 0))
    if len(rtp):
        e = ev[rtp]
        r = h[rtp]
        r[:, 28] = 0x80  # version 2, no padding, no extension, no CSRC
        r[:, 29] = e["rtp"]
        _put_be(r, 30, e["rtp_seq"].astype(np.uint64), 2)
        _put_be(r, 32, e["rtp_ts"].astype(np.uint64), 4)
        _put_be(r, 36, e["ssrc"].astype(np.uint64), 4)
        h[rtp] = r
    return h


# ---- assembly ---------------------------------------------------------------------------
def _scatter(data: np.ndarray, offset: np.ndarray, caplen: np.ndarray, start: int, block: np.ndarray) -> None:
    """Write ``block`` (n, w) at ``offset + start`` of each record, up to ``caplen``
    bytes of the record."""
    n, w = block.shape
    if n == 0 or w == 0:
        return
    col = np.arange(start, start + w)
    idx = offset[:, None] + col[None, :]
    room = caplen - start
    if int(room.min()) >= w:
        data[idx] = block
    else:
        m = col[None, :] < caplen[:, None]
        data[idx[m]] = block[m]


def _offsets(caplen: np.ndarray) -> np.ndarray:
    off = np.zeros(len(caplen), np.int64)
    if len(caplen) > 1:
        np.cumsum(caplen[:-1], out=off[1:])
    return off


def render(events: np.ndarray, linktype: int = LINKTYPE_IEEE802_11_RADIOTAP, snaplen: Optional[int] = None, *,
           profile: Optional[CaptureProfile] = None, bss: Optional[Mapping[int, object]] = None,
           rng: Optional[np.random.Generator] = None, channel: int = 0, tsf0: int = 0) -> RawBatch:
    """Captured records of ``events`` (time-ordered) as a :class:`RawBatch`.

    ``profile`` gives the radiotap layout and FCS flag (default: basic, no FCS); ``bss``
    maps BSSIDs to :class:`~sweeper.sim.wifi.devices.base.Bss` (SSID, channel, security,
    beacon elements of beacons and probe responses); ``rng`` draws the encrypted bodies;
    ``channel`` is stored in the batch; ``tsf0`` (us) is added to radiotap TSFT.
    """
    profile = profile or CaptureProfile()
    rng = rng if rng is not None else np.random.default_rng(0)
    ev = np.asarray(events)
    if ev.dtype != E.EVENT_DTYPE:
        raise TypeError("events must be an EVENT_DTYPE array")
    if linktype == LINKTYPE_ETHERNET:
        return _render_ethernet(ev, snaplen, rng, channel)
    if linktype not in (LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP):
        raise ValueError(f"cannot render link type {linktype}")
    n = len(ev)
    if n == 0:
        return RawBatch.empty(linktype, channel)
    with_rt = linktype == LINKTYPE_IEEE802_11_RADIOTAP
    fcs = bool(profile.fcs)
    layout = profile.layout
    bss = bss or {}
    kind = ev["kind"]
    prot = ev["protected"].astype(bool)
    isdata = (kind == E.DATA) | (kind == E.QOS_DATA)
    mgmt = (kind == E.BEACON) | (kind == E.PROBE_RESP) | (kind == E.PROBE_REQ)
    # template groups: (kind, protected) for data/null/control; (kind, bssid, l3len) for management
    key = (kind.astype(np.int64) * 2 + (prot & isdata)).astype(np.int64)
    if mgmt.any():
        mk = np.zeros(n, [("k", "u1"), ("b", "u8"), ("l", "i4")])
        mk["k"], mk["b"], mk["l"] = kind, np.where(kind == E.PROBE_REQ, 0, ev["bssid"]), ev["l3len"]
        u, inv = np.unique(mk[mgmt], return_inverse=True)
        key[mgmt] = 1000 + inv.ravel()
    else:
        u = None
    keys, ginv = np.unique(key, return_inverse=True)
    ginv = ginv.ravel()
    tpls = []
    for kv in keys:
        if kv >= 1000:
            k, b, ln = u[kv - 1000]
            k = int(k)
            if k == E.PROBE_REQ:
                tpls.append(_template(layout, fcs, k, False, ie_bytes=int(ln)))
            else:
                info = bss.get(int(b))
                if info is not None:
                    tpls.append(_template(layout, fcs, k, bool(info.protected), info.ssid, int(info.channel),
                                          int(ln), int(getattr(info, "beacon_interval_tu", 100))))
                else:
                    ch = int(ev["channel"][np.flatnonzero(key == kv)[0]]) or 6
                    tpls.append(_template(layout, fcs, k, True, "net-%04x" % (int(b) & 0xFFFF), ch, int(ln)))
        else:
            tpls.append(_template(layout, fcs, int(kv // 2), bool(kv % 2)))
    rt_len = len(tpls[0].rt.raw) if with_rt else 0
    skip = 0 if with_rt else len(tpls[0].rt.raw)  # template bytes not written (105: no radiotap)
    fixed = np.array([len(t.raw) - skip for t in tpls], np.int64)[ginv]
    var_kind = np.array([{"data": 1, "clear": 2, "": 0}[t.var] for t in tpls])[ginv]
    l3 = ev["l3len"].astype(np.int64)
    origlen = fixed + np.where(var_kind == 1, l3 + E.LLC_SNAP + 8, np.where(var_kind == 2, l3, 0)) + (4 if fcs else 0)
    caplen = origlen if snaplen is None else np.minimum(origlen, int(snaplen))
    offset = _offsets(caplen)
    total = int(caplen.sum())
    data = np.frombuffer(rng.bytes(total), np.uint8).copy()
    ts = ev["ts"]
    tsft = np.round(ts * 1e6).astype(np.int64) + int(tsf0)
    freq = _freq_table()[ev["channel"]]
    rate = np.minimum(ev["rate"], 255)
    for g, t in enumerate(tpls):
        rows = np.flatnonzero(ginv == g)
        if not len(rows):
            continue
        e = ev[rows]
        h = np.repeat(t.raw[None, skip:], len(rows), axis=0)
        o = -skip
        if with_rt:
            rt = t.rt
            _put_le(h, rt.tsft, tsft[rows].astype(np.uint64), 8)
            h[:, rt.rate] = rate[rows]
            _put_le(h, rt.freq, freq[rows].astype(np.uint64), 2)
            cck = (e["channel"] <= 14) & (rate[rows] <= 22)
            chf = np.where(e["channel"] > 14, 0x0140, np.where(cck, 0x00A0, 0x0480)).astype(np.uint64)
            _put_le(h, rt.chflags, chf, 2)
            sig = e["rssi"].astype(np.int8).view(np.uint8)
            h[:, rt.signal] = sig
            for c, co in enumerate(rt.chains):
                h[:, co] = (e["rssi"].astype(np.int16) - c * 2 - 1).clip(-128, 127).astype(np.int8).view(np.uint8)
        fc1 = (e["to_ds"] & 1) | ((e["from_ds"] & 1) << 1) | ((e["retry"] & 1) << 3) | ((e["protected"] & 1) << 6)
        h[:, t.fc1 + o] = fc1.astype(np.uint8)
        ra = e["ra"]
        if t.addr2 >= 0:  # duration: SIFS + ACK for unicast frames that expect one
            dur = np.where(E.is_group(ra) | (e["kind"] == E.BLOCK_ACK), 0, 44).astype(np.uint64)
            _put_le(h, t.fc1 + 1 + o, dur, 2)
        h[:, t.addr1 + o: t.addr1 + o + 6] = E.mac_bytes(ra)
        if t.addr2 >= 0:
            h[:, t.addr2 + o: t.addr2 + o + 6] = E.mac_bytes(e["ta"])
        if t.addr3 >= 0:
            a3 = np.where(e["a3"] != 0, e["a3"], e["bssid"])
            h[:, t.addr3 + o: t.addr3 + o + 6] = E.mac_bytes(a3)
            _put_le(h, t.seq + o, (e["seq"].astype(np.uint64) & np.uint64(0xFFF)) << np.uint64(4), 2)
        if t.qos >= 0:
            h[:, t.qos + o] = e["tid"] & 0x0F
        if t.pn >= 0:
            # packet number: rises with time and per frame, per transmitter
            pn = (tsft[rows].astype(np.uint64) // np.uint64(50)) + _mix(e["ta"], 5) % np.uint64(1 << 30)
            v = np.ascontiguousarray(pn, dtype="<u8").view(np.uint8).reshape(-1, 8)
            h[:, t.pn + o] = v[:, 0]
            h[:, t.pn + o + 1] = v[:, 1]
            h[:, t.pn + o + 4: t.pn + o + 8] = v[:, 2:6]
        if t.tsf >= 0:
            tsf_b = tsft[rows].astype(np.uint64) + (_mix(e["ta"], 6) % np.uint64(1 << 38))
            _put_le(h, t.tsf + o, tsf_b, 8)
        if t.ethertype >= 0:
            et = np.where(e["proto"] == 58, 0x86DD, np.where((e["proto"] == 0) & (e["l3len"] == 28), 0x0806, 0x0800))
            _put_be(h, t.ethertype + o, et.astype(np.uint64), 2)
        _scatter(data, offset[rows], caplen[rows], 0, h)
        if t.var == "clear":
            ipm = (e["l3len"] >= 20) & (e["proto"] != 58) & ~((e["proto"] == 0) & (e["l3len"] == 28))
            if ipm.any():
                sel = rows[ipm]
                es = e[ipm]
                up = es["to_ds"].astype(bool)
                src = np.where(es["a3"] != 0, es["a3"], es["ta"])
                src = np.where(up, es["ta"], src)
                dst = np.where(up, np.where(es["a3"] != 0, es["a3"], es["bssid"]), es["ra"])
                ext = np.where(up, es["ta"], es["ra"])
                lim = np.minimum(caplen[sel], h.shape[1] + es["l3len"].astype(np.int64))
                _scatter(data, offset[sel], lim, h.shape[1], ip_headers(es, src, dst, ext, up, rng))
    if fcs:
        full = np.flatnonzero(caplen == origlen)
        if len(full):
            crc = np.empty(len(full), np.uint32)
            mv = memoryview(data)
            offs = (offset[full] + rt_len).tolist()
            ends = (offset[full] + origlen[full] - 4).tolist()
            crc32 = zlib.crc32
            for i, (a, b) in enumerate(zip(offs, ends)):
                crc[i] = crc32(mv[a:b])
            pos = (offset[full] + origlen[full] - 4)[:, None] + np.arange(4)[None, :]
            data[pos] = crc.astype("<u4").view(np.uint8).reshape(-1, 4)
    return RawBatch(linktype, ts.astype(np.float64).copy(), caplen.astype(np.int64), origlen.astype(np.int64),
                    offset, data, int(channel))


def wired_mask(ev: np.ndarray) -> np.ndarray:
    """Frames that appear on the wired side of the access point: data frames with a
    body, first transmissions only."""
    k = ev["kind"]
    return ((k == E.DATA) | (k == E.QOS_DATA)) & (ev["l3len"] > 0) & (ev["retry"] == 0)


def _render_ethernet(ev: np.ndarray, snaplen: Optional[int], rng: np.random.Generator, channel: int) -> RawBatch:
    ev = ev[wired_mask(ev)]
    n = len(ev)
    if n == 0:
        return RawBatch.empty(LINKTYPE_ETHERNET, channel)
    up = ev["to_ds"].astype(bool)
    down = ev["from_ds"].astype(bool) & ~up
    third = np.where(ev["a3"] != 0, ev["a3"], ev["bssid"])
    dst = np.where(up, third, ev["ra"])
    src = np.where(down, third, ev["ta"])
    ext = np.where(up, ev["ta"], ev["ra"])
    origlen = 14 + ev["l3len"].astype(np.int64)
    caplen = origlen if snaplen is None else np.minimum(origlen, int(snaplen))
    offset = _offsets(caplen)
    data = np.frombuffer(rng.bytes(int(caplen.sum())), np.uint8).copy()
    h = np.zeros((n, 14), np.uint8)
    h[:, 0:6] = E.mac_bytes(dst)
    h[:, 6:12] = E.mac_bytes(src)
    arp = (ev["proto"] == 0) & (ev["l3len"] == 28)
    v6 = ev["proto"] == 58
    _put_be(h, 12, np.where(v6, 0x86DD, np.where(arp, 0x0806, 0x0800)).astype(np.uint64), 2)
    _scatter(data, offset, caplen, 0, h)
    ipm = (ev["l3len"] >= 20) & ~arp & ~v6
    if ipm.any():
        sel = np.flatnonzero(ipm)
        _scatter(data, offset[sel], caplen[sel], 14, ip_headers(ev[sel], src[sel], dst[sel], ext[sel], up[sel], rng))
    return RawBatch(LINKTYPE_ETHERNET, ev["ts"].astype(np.float64).copy(), caplen.astype(np.int64),
                    origlen.astype(np.int64), offset, data, int(channel))
