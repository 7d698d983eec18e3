"""One simulated frame on the air: the event record every device produces, and MAC helpers.

Devices produce NumPy structured arrays of :data:`EVENT_DTYPE` (one row per frame as a
monitor-mode sniffer would see it); :mod:`sweeper.sim.wifi.render` turns them into
captured bytes. MAC addresses are ``uint64`` holding the six octets big-endian
(``int.from_bytes(mac6, "big")``), so ``01:00:5e:..`` is ``0x01005e......``.

Field meanings:

========== ==== ==========================================================================
ts         f8   start of the frame on the air (simulated seconds)
kind       u1   frame type: :data:`DATA`, :data:`QOS_DATA`, :data:`NULL_DATA`... below
ta         u8   transmitter address (0 for ACK / CTS, which carry only the receiver)
ra         u8   receiver address (group addresses for broadcast/multicast)
bssid      u8   the BSS the frame belongs to
a3         u8   the third address when it is not the BSSID: destination (DA) of a to-DS
                frame, source (SA) of a from-DS frame; 0 means "the BSSID"
to_ds      u1   FCfield bit 0 (station -> access point)
from_ds    u1   FCfield bit 1 (access point -> station)
l3len      i4   data: IP-layer bytes carried (on-air body = l3len + 8 LLC/SNAP, + 16 when
                protected: 8 CCMP header + 8 MIC). Management: extra information-element
                bytes beyond the frame's fixed template. Control/null: 0
protected  u1   FCfield "protected" bit (CCMP-encrypted body)
retry      u1   FCfield "retry" bit (a retransmission of the previous frame, same seq)
rssi       i1   received signal strength at the sniffer (dBm)
channel    u1   channel the frame was heard on
device     u2   index of the generating device in its scene (labels)
rate       u2   PHY rate in units of 500 kbit/s (radiotap Rate; 0 = unknown)
seq        u2   802.11 sequence number (0-4095), assigned per transmitter by the scene
tid        u1   QoS TID (0 best effort, 5 video, 6 voice); QoS frames only
proto      u1   IP protocol carried (6 TCP, 17 UDP, 0 other); for clear-text rendering
rtp        u1   RTP media packet (UDP): marker bit << 7 | payload type; 0 = no RTP header.
                RTP headers travel in the clear even under SRTP, so a wired or open-network
                capture shows them; the renderer writes them after the UDP header
rtp_seq    u2   RTP sequence number (per SSRC, +1 per packet)
rtp_ts     u4   RTP timestamp (media clock of the frame's capture time)
ssrc       u4   RTP synchronisation source (one per stream)
========== ==== ==========================================================================
"""
from __future__ import annotations

import functools
from typing import Iterable, List, Optional, Sequence, Union

import numpy as np

EVENT_DTYPE = np.dtype([
    ("ts", "f8"), ("kind", "u1"), ("ta", "u8"), ("ra", "u8"), ("bssid", "u8"), ("a3", "u8"),
    ("to_ds", "u1"), ("from_ds", "u1"), ("l3len", "i4"), ("protected", "u1"), ("retry", "u1"),
    ("rssi", "i1"), ("channel", "u1"), ("device", "u2"), ("rate", "u2"), ("seq", "u2"),
    ("tid", "u1"), ("proto", "u1"), ("rtp", "u1"), ("rtp_seq", "u2"), ("rtp_ts", "u4"), ("ssrc", "u4"),
])

# ---- frame kinds ------------------------------------------------------------------------
DATA = 1  #: data frame (non-QoS): group-addressed traffic from access points
QOS_DATA = 2  #: QoS data frame: unicast traffic of 802.11n/ac stations
NULL_DATA = 3  #: null data (no body): power-save signalling, keepalive
QOS_NULL = 4  #: QoS null (no body)
BEACON = 5  #: beacon (SSID, DS parameter set...)
PROBE_REQ = 6  #: probe request (wildcard SSID)
PROBE_RESP = 7  #: probe response (as a beacon, unicast to the prober)
ACK = 8  #: acknowledgement (receiver address only)
BLOCK_ACK = 9  #: compressed block acknowledgement (after an A-MPDU)

KIND_NAMES = {DATA: "data", QOS_DATA: "qos_data", NULL_DATA: "null", QOS_NULL: "qos_null", BEACON: "beacon",
              PROBE_REQ: "probe_req", PROBE_RESP: "probe_resp", ACK: "ack", BLOCK_ACK: "block_ack"}
DATA_KINDS = (DATA, QOS_DATA)
MGMT_KINDS = (BEACON, PROBE_REQ, PROBE_RESP)
CONTROL_KINDS = (ACK, BLOCK_ACK)

#: LLC/SNAP header bytes in front of every IP packet in an 802.11 data frame
LLC_SNAP = 8
#: CCMP header (8) + MIC (8)
CCMP_OVERHEAD = 16

BROADCAST = 0xFFFFFFFFFFFF
PROTO_TCP = 6
PROTO_UDP = 17

MacLike = Union[int, str, bytes]


def empty(n: int = 0) -> np.ndarray:
    """A zeroed event array of length n."""
    return np.zeros(n, EVENT_DTYPE)


def concat(parts: Iterable[np.ndarray]) -> np.ndarray:
    """Concatenate event arrays (an empty array when there are none)."""
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        return empty()
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts)


def sort_events(ev: np.ndarray) -> np.ndarray:
    """Events in time order (stable: simultaneous frames keep their order)."""
    if len(ev) < 2:
        return ev
    order = np.argsort(ev["ts"], kind="stable")
    return ev[order]


# ---- MAC addresses ----------------------------------------------------------------------
def mac_to_int(mac: MacLike) -> int:
    """``"aa:bb:cc:dd:ee:ff"`` (or ``-``/no separators, or 6 bytes, or an int) -> int."""
    if isinstance(mac, (int, np.integer)):
        v = int(mac)
        if not 0 <= v <= BROADCAST:
            raise ValueError(f"{mac!r} is not a 48-bit MAC address")
        return v
    if isinstance(mac, (bytes, bytearray)):
        if len(mac) != 6:
            raise ValueError(f"a MAC address is 6 bytes, not {len(mac)}")
        return int.from_bytes(bytes(mac), "big")
    s = str(mac).strip().lower().replace("-", ":").replace(".", "")
    parts = s.split(":") if ":" in s else [s[i:i + 2] for i in range(0, len(s), 2)]
    if len(parts) != 6 or not all(len(p) in (1, 2) for p in parts):
        raise ValueError(f"{mac!r} is not a MAC address (six hex octets like 24:0a:c4:12:34:56)")
    try:
        return int("".join(p.zfill(2) for p in parts), 16)
    except ValueError:
        raise ValueError(f"{mac!r} is not a MAC address (six hex octets like 24:0a:c4:12:34:56)") from None


def int_to_mac(v: int) -> str:
    """int -> ``"aa:bb:cc:dd:ee:ff"``."""
    b = int(v).to_bytes(6, "big")
    return ":".join(f"{x:02x}" for x in b)


def macs_to_str(values: Sequence[int]) -> List[str]:
    """Vector form of :func:`int_to_mac`."""
    return [int_to_mac(int(v)) for v in values]


def mac_bytes(values: np.ndarray) -> np.ndarray:
    """uint64 MACs -> (n, 6) uint8 array of their octets (network order)."""
    v = np.ascontiguousarray(values, dtype=">u8")
    return v.view(np.uint8).reshape(-1, 8)[:, 2:]


def is_group(mac) -> Union[bool, np.ndarray]:
    """True for broadcast/multicast addresses (I/G bit of the first octet)."""
    if isinstance(mac, np.ndarray):
        return ((mac >> np.uint64(40)) & np.uint64(1)).astype(bool)
    return bool((int(mac) >> 40) & 1)


def is_local(mac) -> Union[bool, np.ndarray]:
    """True for locally administered (randomised) addresses (U/L bit)."""
    if isinstance(mac, np.ndarray):
        return ((mac >> np.uint64(40)) & np.uint64(2)).astype(bool)
    return bool((int(mac) >> 40) & 2)


def ipv4_multicast_mac(group: str) -> int:
    """The Ethernet address of an IPv4 multicast group (01:00:5e + low 23 bits)."""
    a, b, c, d = (int(x) for x in group.split("."))
    return 0x01005E000000 | ((b & 0x7F) << 16) | (c << 8) | d


@functools.lru_cache(maxsize=1)
def _pools():
    from sweeper.sim.wifi.ouis import load_pools
    return load_pools()


#: pools of vendor prefixes (see :mod:`sweeper.sim.wifi.ouis`)
POOLS = ("camera", "iot", "phone", "laptop", "tv", "ap")


def random_oui(rng: np.random.Generator, pool: str) -> int:
    """A registered vendor prefix from ``pool``: an organisation is drawn first, then one
    of its prefixes, so makers with thousands of blocks do not dominate."""
    orgs = _pools()[pool]
    org, ouis = orgs[int(rng.integers(0, len(orgs)))]
    return ouis[int(rng.integers(0, len(ouis)))]


def oui_vendor(mac: MacLike) -> Optional[str]:
    """The organisation of a MAC's prefix when it is in the shipped pools (tests, labels)."""
    oui = mac_to_int(mac) >> 24
    for orgs in _pools().values():
        for org, ouis in orgs:
            if oui in ouis:
                return org
    return None


def random_mac(rng: np.random.Generator, pool: str = "camera") -> int:
    """A globally administered unicast MAC with a real vendor prefix from ``pool``."""
    return (random_oui(rng, pool) << 24) | int(rng.integers(0, 1 << 24))


def random_local_mac(rng: np.random.Generator) -> int:
    """A locally administered unicast MAC, as phones randomise them (x2/x6/xA/xE first octet)."""
    v = int(rng.integers(0, 1 << 48, dtype=np.uint64))
    return (v & ~(0x03 << 40)) | (0x02 << 40)


def random_device_mac(rng: np.random.Generator, pool: str, local_share: float = 0.0) -> int:
    """A vendor MAC from ``pool``, or with probability ``local_share`` a randomised one."""
    if local_share > 0 and rng.random() < local_share:
        return random_local_mac(rng)
    return random_mac(rng, pool)
