"""Vectorised frame parser: a :class:`RawBatch` in, a NumPy structured array of headers out.

Every step works on all records of a batch at once (gathers at per-record offsets), so
parsing costs a few dozen array operations per batch rather than Python per frame. It
reads headers only: addresses, frame control, sizes, timing and radiotap receive
information. Payload bytes are never looked at beyond the first information element of a
beacon (the network name).

Link types: 127 (radiotap + 802.11, what a monitor interface gives), 105 (802.11
without radiotap) and 1 (Ethernet, e.g. a venue's mirror port; a wired frame counts as a
data frame sent by its source address). A record too short for the header it claims
is counted as truncated, an impossible one as malformed; either is skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Tuple

import numpy as np

from sweeper.wifi import radiotap
from sweeper.wifi.source import (LINKTYPE_ETHERNET, LINKTYPE_IEEE802_11,
                                 LINKTYPE_IEEE802_11_RADIOTAP, RawBatch)

FRAME_DTYPE = np.dtype([
    ("ts", "f8"),  # capture time, seconds
    ("ta", "u8"),  # transmitter address (48 bits, big-endian packed); 0 when absent
    ("ra", "u8"),  # receiver address
    ("bssid", "u8"),  # BSSID the frame belongs to; 0 when unknown (wired, WDS)
    ("length", "i4"),  # frame length on the air/wire (no radiotap, no FCS)
    ("l3len", "i4"),  # estimated network-layer bytes carried; -1 for non-data frames
    ("rssi", "f4"),  # dBm; NaN when unknown
    ("freq", "u2"),  # MHz; 0 when unknown
    ("rate", "u2"),  # legacy rate in 500 kbit/s units; 0 when unknown
    ("ftype", "u1"),  # 0 management, 1 control, 2 data, 3 extension
    ("subtype", "u1"),
    ("fcflags", "u1"),  # 802.11 frame-control flags byte (FC_* below); 0 for Ethernet
    ("qos", "u1"),  # QOS_PRESENT | QOS_AMSDU
    ("path", "u1"),  # PATH_*: where the IP addresses (wired) or 802.11 addresses say it goes
    # wired captures only (RTP headers; 0 elsewhere)
    ("rtp", "u1"),  # RTP_VALID | RTP_MARKER | RTP_VIDEO_PT
    ("rtp_ts", "u4"),  # RTP timestamp (media clock)
    ("ssrc", "u4"),  # RTP synchronisation source
])

FTYPE_MGMT, FTYPE_CTRL, FTYPE_DATA = 0, 1, 2
SUBTYPE_PROBE_REQ, SUBTYPE_PROBE_RESP, SUBTYPE_BEACON = 4, 5, 8
FC_TO_DS, FC_FROM_DS, FC_MORE_FRAG, FC_RETRY = 0x01, 0x02, 0x04, 0x08
FC_PWR_MGT, FC_MORE_DATA, FC_PROTECTED, FC_ORDER = 0x10, 0x20, 0x40, 0x80
QOS_PRESENT, QOS_AMSDU = 0x01, 0x02
#: ``path``: unknown (no IPv4 header), LAN host to the internet (an upload), internet to a
#: LAN host (forwarded by the gateway: not the source MAC's own traffic), LAN to LAN. On
#: the air, an access point's data frame whose source address is not the access point
#: itself is FORWARDED too: it relays the router's or another station's packets
PATH_UNKNOWN, PATH_UP, PATH_FORWARDED, PATH_LOCAL = 0, 1, 2, 3
#: ``rtp``: a UDP payload that starts like an RTP header (version 2, sane payload type),
#: its marker bit (set on the last packet of a video frame), a dynamic or video payload type
RTP_VALID, RTP_MARKER, RTP_VIDEO_PT = 0x01, 0x02, 0x04

#: bytes added to a network-layer packet when it travels in an 802.11 data frame
LLC_SNAP = 8
CCMP_OVERHEAD = 16  # 8-byte CCMP/GCMP header + 8-byte MIC
TKIP_OVERHEAD = 20  # 8-byte IV/ExtIV + 8-byte MIC + 4-byte ICV
WEP_OVERHEAD = 8  # 4-byte IV + 4-byte ICV


@dataclass
class ParseStats:
    """Counts of what the parser met; everything not ``parsed`` was skipped."""

    records: int = 0
    parsed: int = 0
    truncated: int = 0  # too short for the header it claims
    malformed: int = 0  # impossible radiotap or 802.11 version
    bad_fcs: int = 0  # the receiver says the checksum failed: contents unreliable
    by_linktype: Dict[int, int] = field(default_factory=dict)

    def add(self, other: "ParseStats") -> None:
        for name in ("records", "parsed", "truncated", "malformed", "bad_fcs"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for k, v in other.by_linktype.items():
            self.by_linktype[k] = self.by_linktype.get(k, 0) + v

    def skipped(self) -> int:
        return self.truncated + self.malformed + self.bad_fcs


def mac_to_str(mac: int) -> str:
    return ":".join(f"{b:02x}" for b in int(mac).to_bytes(6, "big"))


def mac_from_str(text: str) -> int:
    return int(text.replace(":", "").replace("-", ""), 16)


def is_group(mac):
    """Group (multicast/broadcast) address: the I/G bit of the first octet."""
    return (np.asarray(mac, np.uint64) >> np.uint64(40)) & np.uint64(1) == 1


def is_local(mac):
    """Locally administered address (phones randomise these): the U/L bit."""
    return (np.asarray(mac, np.uint64) >> np.uint64(41)) & np.uint64(1) == 1


def _u8(data: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return data[idx].astype(np.int64)


def _le16(data: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return data[idx].astype(np.int64) | (data[idx + 1].astype(np.int64) << 8)


_MAC_COLS = np.arange(6)


def _mac(data: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Six bytes at each index as a big-endian 48-bit integer: one gather into the low
    bytes of 8-byte rows, read back as big-endian uint64."""
    rows = np.zeros((idx.shape[0], 8), np.uint8)
    rows[:, 2:] = data[idx[:, None] + _MAC_COLS]
    return rows.view(">u8").ravel().astype(np.uint64)


def _padded(batch: RawBatch, need: int) -> np.ndarray:
    """The batch buffer with ``need`` zero bytes appended, so fixed-size gathers near the
    end of the last record never index out of range (results there are masked out)."""
    return np.concatenate([batch.data, np.zeros(need, np.uint8)])


def parse_batch(batch: RawBatch) -> Tuple[np.ndarray, ParseStats, Dict[int, str]]:
    """Parse every record of ``batch``.

    Returns ``(frames, stats, ssids)``: the headers of the records that parsed (in
    capture order, ``FRAME_DTYPE``), what was skipped and why, and the network names
    seen in beacons and probe responses (``{bssid: ssid}``).
    """
    n = len(batch)
    stats = ParseStats(records=n, by_linktype={batch.linktype: n} if n else {})
    if n == 0:
        return np.zeros(0, FRAME_DTYPE), stats, {}
    if batch.linktype == LINKTYPE_ETHERNET:
        frames, ok = _parse_ethernet(batch, stats)
        bad = ok & (_bad_time(batch.ts) | (batch.origlen.astype(np.int64) > MAX_WIRED_LEN))
        stats.malformed += int(bad.sum())
        ok &= ~bad
        stats.parsed = int(ok.sum())
        return frames[ok], stats, {}
    if batch.linktype not in (LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP):
        stats.malformed = n
        return np.zeros(0, FRAME_DTYPE), stats, {}

    data = _padded(batch, 64)
    base = batch.offset.astype(np.int64)
    caplen = batch.caplen.astype(np.int64)
    frames = np.zeros(n, FRAME_DTYPE)
    frames["ts"] = batch.ts
    frames["rssi"] = np.nan
    if batch.linktype == LINKTYPE_IEEE802_11_RADIOTAP:
        rt = radiotap.parse(data, base, caplen)
        ok = rt.ok
        stats.truncated += int(rt.truncated.sum())
        stats.malformed += int((~rt.ok & ~rt.truncated).sum())
        hdr_len = rt.length
        fcs = np.where(rt.flags & radiotap.F_FCS, 4, 0)
        pad = (rt.flags & radiotap.F_DATAPAD) != 0
        bad_fcs = ok & ((rt.flags & radiotap.F_BADFCS) != 0)
        frames["rssi"] = rt.antsignal
        frames["freq"] = rt.freq
        frames["rate"] = rt.rate
    else:
        ok = np.ones(n, bool)
        hdr_len = np.zeros(n, np.int64)
        fcs = np.zeros(n, np.int64)
        pad = np.zeros(n, bool)
        bad_fcs = np.zeros(n, bool)

    h = base + hdr_len  # start of the 802.11 header
    avail = caplen - hdr_len  # captured 802.11 bytes
    air = batch.origlen.astype(np.int64) - hdr_len - fcs  # 802.11 frame length on the air
    no_header = ok & (avail < 2)
    stats.truncated += int(no_header.sum())
    ok &= ~no_header
    h_safe = np.where(ok, h, 0)
    fc0 = _u8(data, h_safe)
    fc1 = _u8(data, h_safe + 1)
    ftype = (fc0 >> 2) & 3
    subtype = fc0 >> 4
    bad_version = ok & ((fc0 & 3) != 0)
    stats.malformed += int(bad_version.sum())
    ok &= ~bad_version

    is_data = ftype == FTYPE_DATA
    is_ctrl = ftype == FTYPE_CTRL
    four_addr = is_data & ((fc1 & 3) == 3)
    qos = is_data & ((subtype & 8) != 0)
    # control frames: ACK and CTS carry only the receiver; RTS, PS-Poll, BlockAck(Req)
    # and CF-End carry a transmitter too
    ctrl_ta = is_ctrl & np.isin(subtype, (8, 9, 10, 11, 14, 15))
    need = np.where(is_ctrl, np.where(ctrl_ta, 16, 10), 24)
    need = need + np.where(four_addr, 6, 0) + np.where(qos, 2, 0)
    short = ok & (avail < need)
    stats.truncated += int(short.sum())
    ok &= ~short
    # the frame on the air must at least hold the header it has, and no more than the
    # longest frame there is; and it must have been captured at a possible time
    bad_len = ok & ((air < need) | (air > MAX_80211_LEN) | _bad_time(batch.ts))
    stats.malformed += int(bad_len.sum())
    ok &= ~bad_len
    stats.bad_fcs += int((ok & bad_fcs).sum())
    ok &= ~bad_fcs

    h_safe = np.where(ok, h, 0)
    has_ta = ~is_ctrl | ctrl_ta
    a1 = _mac(data, h_safe + 4)
    a2 = np.where(has_ta, _mac(data, h_safe + 10), np.uint64(0))
    a3 = np.where(is_ctrl, np.uint64(0), _mac(data, h_safe + 16))
    frames["ra"] = a1
    frames["ta"] = a2
    to_ds = (fc1 & FC_TO_DS) != 0
    from_ds = (fc1 & FC_FROM_DS) != 0
    bssid = np.where(~is_data | (~to_ds & ~from_ds), a3,
                     np.where(to_ds & ~from_ds, a1, np.where(~to_ds & from_ds, a2, np.uint64(0))))
    frames["bssid"] = np.where(is_ctrl, np.uint64(0), bssid)
    # from-DS data: the third address is the source. An access point relaying the
    # router's (the internet's) or another station's packets is not sending its own;
    # a camera that is its own access point sends from its own address
    relayed = is_data & ~to_ds & from_ds & (a3 != a2)
    frames["path"] = np.where(relayed, PATH_FORWARDED, PATH_UNKNOWN)
    frames["ftype"] = ftype
    frames["subtype"] = subtype
    frames["fcflags"] = fc1
    frames["length"] = np.minimum(air, _I4_MAX)

    qos_off = h_safe + 24 + np.where(four_addr, 6, 0)
    qos_b0 = np.where(qos, _u8(data, qos_off), 0)
    frames["qos"] = np.where(qos, QOS_PRESENT, 0) | np.where((qos_b0 & 0x80) != 0, QOS_AMSDU, 0)

    # the data frame's body and the network-layer bytes inside it
    mac_hdr = 24 + np.where(four_addr, 6, 0) + np.where(qos, 2, 0)
    mac_hdr += np.where(qos & ((fc1 & FC_ORDER) != 0), 4, 0)  # HT control
    mac_hdr += np.where(pad, (-mac_hdr) % 4, 0)
    body = air - mac_hdr
    protected = (fc1 & FC_PROTECTED) != 0
    iv3_idx = np.where(ok & protected & (avail >= mac_hdr + 4), h_safe + mac_hdr + 3, 0)
    ext_iv = (_u8(data, iv3_idx) & 0x20) != 0
    iv1 = _u8(data, np.maximum(iv3_idx - 2, 0))
    iv0 = _u8(data, np.maximum(iv3_idx - 3, 0))
    tkip = ext_iv & (iv1 == ((iv0 | 0x20) & 0x7F))
    known_iv = iv3_idx > 0
    crypto = np.where(~protected, 0,
                      np.where(~known_iv | (ext_iv & ~tkip), CCMP_OVERHEAD,
                               np.where(tkip, TKIP_OVERHEAD, WEP_OVERHEAD)))
    has_body = is_data & ((subtype & 4) == 0)  # null-data subtypes carry nothing
    l3 = np.where(has_body, np.maximum(body - crypto - LLC_SNAP, 0), np.where(is_data, 0, -1))
    frames["l3len"] = np.minimum(l3, _I4_MAX)

    stats.parsed = int(ok.sum())
    ssids = _ssids(data, frames, ok, ftype, subtype, h_safe, avail)
    return frames[ok], stats, ssids


def _ssids(data, frames, ok, ftype, subtype, h, avail) -> Dict[int, str]:
    """Network names from beacons/probe responses, one per BSSID in the batch.

    The SSID element is the first element of the body (after 12 bytes of fixed fields).
    """
    sel = ok & (ftype == FTYPE_MGMT) & ((subtype == SUBTYPE_BEACON) | (subtype == SUBTYPE_PROBE_RESP))
    sel &= avail >= 24 + 12 + 2
    idx = np.flatnonzero(sel)
    if idx.size == 0:
        return {}
    ie = h[idx] + 36
    good = (data[ie] == 0) & (data[ie + 1] <= 32)
    idx, ie = idx[good], ie[good]
    ln = data[ie + 1].astype(np.int64)
    good = avail[idx] >= 38 + ln
    idx, ie, ln = idx[good], ie[good], ln[good]
    _, first = np.unique(frames["bssid"][idx], return_index=True)
    out: Dict[int, str] = {}
    for j in first:  # one per distinct network: a handful per batch
        raw = data[ie[j] + 2: ie[j] + 2 + ln[j]].tobytes()
        out[int(frames["bssid"][idx[j]])] = printable_ssid(raw)
    return out


def printable_ssid(raw: bytes) -> str:
    """An SSID as text that is safe to print: anyone can name a network with terminal
    escape sequences or bidi overrides (ESC[2J, U+202E) to garble a log, a terminal or a
    report; such characters (and invalid UTF-8) become U+FFFD, NULs are dropped."""
    text = raw.decode("utf-8", "replace").replace("\x00", "")
    return text if text.isprintable() else "".join(c if c.isprintable() else "\ufffd" for c in text)


def _parse_ethernet(batch: RawBatch, stats: ParseStats):
    n = len(batch)
    data = _padded(batch, 80)
    base = batch.offset.astype(np.int64)
    caplen = batch.caplen.astype(np.int64)
    ok = caplen >= 14
    stats.truncated += int((~ok).sum())
    b = np.where(ok, base, 0)
    frames = np.zeros(n, FRAME_DTYPE)
    frames["ts"] = batch.ts
    frames["ra"] = _mac(data, b)
    frames["ta"] = _mac(data, b + 6)
    ethertype = (_u8(data, b + 12) << 8) | _u8(data, b + 13)
    vlan = np.isin(ethertype, (0x8100, 0x88A8)) & (caplen >= 18)
    l2 = 14 + np.where(vlan, 4, 0)
    ethertype = np.where(vlan, (_u8(data, b + 16) << 8) | _u8(data, b + 17), ethertype)
    origlen = batch.origlen.astype(np.int64)
    frames["length"] = np.minimum(origlen, _I4_MAX)
    frames["l3len"] = np.minimum(np.maximum(origlen - l2, 0), _I4_MAX)
    frames["rssi"] = np.nan
    frames["ftype"] = FTYPE_DATA
    _ip_path_and_rtp(data, b + l2, caplen - l2, ok & (ethertype == 0x0800), frames)
    return frames, ok


_I4_MAX = np.iinfo(np.int32).max
#: the longest 802.11 MPDU (VHT: 11454 bytes) and the longest frame libpcap captures on a
#: wire (262144: segmentation offload hands whole 64 KiB TCP bursts to the capture); a
#: record claiming more is damaged or hostile, and would count as a multi-Gbit/s upload
MAX_80211_LEN = 11454
MAX_WIRED_LEN = 262144
#: capture times outside 1970..2106 (what pcap's 32-bit seconds hold) are damage: one
#: frame dated in the year 300000 would stretch a batch's time axis past any index
MAX_TS_S = float(2 ** 32)


def _bad_time(ts: np.ndarray) -> np.ndarray:
    return ~np.isfinite(ts) | (ts < 0) | (ts >= MAX_TS_S)


def _is_lan_ip(ip: np.ndarray) -> np.ndarray:
    """Addresses that stay inside a site: RFC 1918, carrier-grade NAT, link-local,
    loopback, multicast and broadcast (anything else is the internet)."""
    a, b = ip >> 24, (ip >> 16) & 0xFF
    return ((a == 10) | ((a == 172) & (b >= 16) & (b < 32)) | ((a == 192) & (b == 168))
            | ((a == 100) & (b >= 64) & (b < 128)) | ((a == 169) & (b == 254)) | (a == 127) | (a >= 224))


def _be32(data, idx):
    return (_u8(data, idx) << 24) | (_u8(data, idx + 1) << 16) | (_u8(data, idx + 2) << 8) | _u8(data, idx + 3)


def _ip_path_and_rtp(data, ip, avail, is_ip, frames) -> None:
    """Direction from an IPv4 header's addresses, and the RTP header of UDP media.

    Why: on a mirror port the gateway's MAC is the source of everything the internet
    sends (a firmware download looks like the gateway "uploading"); the addresses say
    who really sends. RTP headers are headers (no payload is read): version 2, a marker
    on each video frame's last packet and a 90 kHz timestamp are near-proof of video.
    """
    v4 = is_ip & (avail >= 20) & ((_u8(data, np.where(is_ip, ip, 0)) >> 4) == 4)
    at = np.where(v4, ip, 0)
    ihl = (_u8(data, at) & 0x0F) * 4
    src, dst = _be32(data, at + 12), _be32(data, at + 16)
    src_lan, dst_lan = _is_lan_ip(src), _is_lan_ip(dst)
    frames["path"] = np.where(~v4, PATH_UNKNOWN,
                              np.where(src_lan & dst_lan, PATH_LOCAL,
                                       np.where(src_lan, PATH_UP, np.where(dst_lan, PATH_FORWARDED, PATH_UNKNOWN))))
    proto = _u8(data, at + 9)
    frag = ((_u8(data, at + 6) & 0x1F) << 8 | _u8(data, at + 7)) != 0
    udp = v4 & (proto == 17) & ~frag & (ihl >= 20) & (avail >= ihl + 8 + 12)
    r = np.where(udp, at + ihl + 8, 0)
    b0, b1 = _u8(data, r), _u8(data, r + 1)
    pt = b1 & 0x7F
    # version 2; payload types 72-76 are RTCP's packet types, not media
    valid = udp & ((b0 & 0xC0) == 0x80) & ~((pt >= 72) & (pt <= 76))
    video_pt = (pt >= 96) | np.isin(pt, (26, 31, 32, 33, 34))
    flags = RTP_VALID | np.where(b1 & 0x80, RTP_MARKER, 0) | np.where(video_pt, RTP_VIDEO_PT, 0)
    frames["rtp"] = np.where(valid, flags, 0)
    frames["rtp_ts"] = np.where(valid, _be32(data, r + 4), 0)
    frames["ssrc"] = np.where(valid, _be32(data, r + 8), 0)


def header_bytes(batch: RawBatch) -> np.ndarray:
    """How many leading bytes of each record are headers (radiotap, the 802.11 MAC
    header and the CCMP/TKIP/WEP header; the Ethernet header and VLAN tag): what a saved
    capture may keep. Everything after is payload, which Sweeper never stores."""
    n = len(batch)
    caplen = batch.caplen.astype(np.int64)
    if n == 0:
        return caplen
    data = _padded(batch, 64)
    base = batch.offset.astype(np.int64)
    if batch.linktype == LINKTYPE_ETHERNET:
        b = np.where(caplen >= 14, base, 0)
        ethertype = (_u8(data, b + 12) << 8) | _u8(data, b + 13)
        keep = 14 + np.where(np.isin(ethertype, (0x8100, 0x88A8)), 4, 0)
        return np.minimum(caplen, keep)
    if batch.linktype == LINKTYPE_IEEE802_11_RADIOTAP:
        rt = radiotap.parse(data, base, caplen)
        start = np.where(rt.ok, rt.length, 0)
    else:
        start = np.zeros(n, np.int64)
    h = np.where(caplen >= start + 2, base + start, 0)
    fc0, fc1 = _u8(data, h), _u8(data, h + 1)
    ftype, subtype = (fc0 >> 2) & 3, fc0 >> 4
    is_data = ftype == FTYPE_DATA
    mac_hdr = np.where(ftype == FTYPE_CTRL, 16, 24)
    mac_hdr += np.where(is_data & ((fc1 & 3) == 3), 6, 0)
    qos = is_data & ((subtype & 8) != 0)
    mac_hdr += np.where(qos, 2, 0) + np.where(qos & ((fc1 & FC_ORDER) != 0), 4, 0)
    # management frames keep their fixed fields and elements (network names, channel):
    # they are broadcast announcements, not anyone's data
    keep = np.where(ftype == FTYPE_MGMT, caplen,
                    start + mac_hdr + np.where((fc1 & FC_PROTECTED) != 0, 8, 0))
    return np.minimum(caplen, keep)


def strip_payloads(batch: RawBatch) -> RawBatch:
    """The same records cut after their headers (original lengths kept), for saving."""
    return RawBatch(batch.linktype, batch.ts, header_bytes(batch), batch.origlen, batch.offset,
                    batch.data, batch.channel)
