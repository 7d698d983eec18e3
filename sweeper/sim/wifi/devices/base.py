"""What every simulated Wi-Fi device is: parameters, its link to an access point, and the
machinery that turns the packets it wants to send into frames on the air.

A device talks with one *peer* over the air: its access point when it is a station
(``to_ds`` frames up, ``from_ds`` frames down), or, when it is an access point itself
(an access point, a camera in AP/hotspot mode), the station it serves. Subclasses
implement :meth:`SimDevice._produce`, which *schedules* packets (arrival time at a
transmitter's queue, IP length, flags) on either side with :meth:`SimDevice._queue`; the
base class then pushes every packet that has arrived before the end of the span through
that side's :class:`~sweeper.sim.wifi.air.TxQueue` (contention, retries, aggregation,
ACK/BlockAck) and returns the frames in time order. Packets scheduled beyond the span
and frames that spill over its end are kept for the next call, so :meth:`generate` over
consecutive spans produces one continuous capture.

TCP is modelled where it shapes traffic: packets flagged :data:`F_ACKME` are data
segments whose receiver returns ACKs (every ``ack_every`` segments, and after the last
segment of a burst once its delayed-ACK timer fires) after ``_ack_delay`` (the path
round trip when the far end is on the Internet).

Why one module of over 400 lines: the packet scheduler, transports (TCP, QUIC, UDP, TLS)
and radio model every simulated device shares.
"""
from __future__ import annotations

import difflib
import math
import zlib
from dataclasses import dataclass
from typing import Any, ClassVar, Dict, List, Optional, Sequence, Tuple

import numpy as np

from sweeper.sim.emitters.base import ParamError
from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.air import Fader, TxQueue, rate_units, rssi_i8

#: scheduled-packet flags
F_ACKME = 1  #: a TCP data segment: the receiver acknowledges it
F_BURST_END = 2  #: last segment of a burst (the receiver's delayed ACK fires after it)
F_GROUP = 4  #: group-addressed (broadcast/multicast): no ACK, basic rate

PKT_DTYPE = np.dtype([("arr", "f8"), ("l3len", "i4"), ("kind", "u1"), ("tid", "u1"), ("proto", "u1"),
                      ("flags", "u1"), ("ra", "u8"), ("a3", "u8"), ("tag", "i8"), ("rtp", "u1"),
                      ("rtp_seq", "u2"), ("rtp_ts", "u4"), ("ssrc", "u4")])

#: parameter range sets of random draws: "calibration" (what the detector is tuned on) and
#: "test" (shifted and widened, still realistic: a test set the detector never saw)
RANGES = ("calibration", "test")

ME, PEER = 0, 1


@dataclass(frozen=True)
class Param:
    """A documented device parameter. The type is the default's (bool, int, float, str);
    ``choices`` lists allowed strings (or numbers); ``lo``/``hi`` bound numbers."""

    default: Any
    doc: str
    lo: Optional[float] = None
    hi: Optional[float] = None
    choices: Optional[tuple] = None


@dataclass
class Bss:
    """A basic service set as the devices in it see it.

    ``rssi_dbm`` is the access point's mean signal at the sniffer; ``protected`` whether
    data frames are CCMP-encrypted (WPA2/WPA3) or clear (open network); ``wired`` whether
    the BSS is bridged onto the wired LAN (a camera's own hotspot is not);
    ``basic_rate_mbps`` the rate of group-addressed and management frames (1 with
    802.11b compatibility, 6 otherwise); ``ie_bytes`` the extra information-element bytes
    of its beacons and probe responses; ``router`` the MAC of the LAN's gateway when it is
    a separate box behind the access point (0: the access point routes itself). Traffic
    to and from the Internet then names the router as destination / source address (the
    third address on the air, the Ethernet source of downlink on a mirror port).
    """

    bssid: int
    ssid: str = "home"
    channel: int = 6
    rssi_dbm: float = -55.0
    protected: bool = True
    wired: bool = True
    basic_rate_mbps: float = 1.0
    beacon_interval_tu: int = 100
    ie_bytes: int = 0
    router: int = 0


def logu(rng: np.random.Generator, lo: float, hi: float) -> float:
    """Log-uniform draw."""
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def choice(rng: np.random.Generator, seq: Sequence, p: Optional[Sequence[float]] = None):
    if p is None:
        return seq[int(rng.integers(0, len(seq)))]
    p = np.asarray(p, float)
    return seq[int(rng.choice(len(seq), p=p / p.sum()))]


#: parameters of every device's radio link
RADIO_PARAMS: Dict[str, Param] = {
    "phy_rate_mbps": Param(65.0, "best PHY rate of the device's transmissions (rate control steps below it)",
                           1.0, 1200.0),
    "peer_rate_mbps": Param(65.0, "best PHY rate of its peer's (access point's) transmissions to it", 1.0, 1200.0),
    "retry_p": Param(0.02, "chance that one transmission attempt fails (retried with the retry bit)", 0.0, 0.5),
    "max_agg": Param(16, "most MPDUs per A-MPDU (1: no aggregation)", 1, 64),
    "busy_p": Param(0.1, "chance the channel is taken by others when the device wants it", 0.0, 0.95),
    "busy_mean_ms": Param(0.5, "mean wait for others' transmissions when the channel is taken", 0.0, 20.0),
    "fade_db": Param(3.0, "slow fading (people, doors): standard deviation of the signal walk", 0.0, 15.0),
    "fade_tau_s": Param(3.0, "slow fading correlation time", 0.05, 600.0),
    "scatter_db": Param(1.5, "per-frame signal scatter (fast fading)", 0.0, 8.0),
}


def random_radio(rng: np.random.Generator, *, rates=(13.0, 26.0, 39.0, 52.0, 65.0, 72.2, 130.0, 150.0),
                 peer_rates=(65.0, 130.0, 144.4, 173.3, 300.0), retry_hi: float = 0.10) -> Dict[str, Any]:
    """Random link parameters; ``rates`` / ``peer_rates`` are the plausible best rates."""
    return dict(
        phy_rate_mbps=float(choice(rng, rates)),
        peer_rate_mbps=float(choice(rng, peer_rates)),
        retry_p=float(rng.uniform(0.0, retry_hi)),
        max_agg=int(choice(rng, [1, 2, 4, 8, 16, 32, 32])),
        busy_p=float(rng.uniform(0.0, 0.5)),
        busy_mean_ms=logu(rng, 0.1, 3.0),
        fade_db=float(rng.uniform(0.5, 6.0)),
        fade_tau_s=logu(rng, 0.3, 30.0),
        scatter_db=float(rng.uniform(0.5, 3.0)),
    )


class SimDevice:
    """A simulated Wi-Fi device (see the module docstring).

    Construct with ``Kind(params)`` (missing parameters take their defaults; see
    ``Kind.PARAMS``) and the link: ``mac`` (its own address), ``bss`` (the network it
    belongs to; its own for an access point), ``rssi_dbm`` (its mean signal at the
    sniffer), ``index`` (its number in the scene, copied into every event's ``device``),
    ``peer_mac`` / ``peer_rssi_dbm`` (the station an access point-like device serves),
    ``neighbors`` (the scene's BSSs, for probe responses) and ``ppdu_ts`` (the sniffer
    stamps A-MPDU subframes with the PPDU start).
    """

    kind: ClassVar[str] = ""
    #: the label the detector is tested against
    is_camera: ClassVar[bool] = False
    #: it sends live video upstream (a camera, or a phone live-streaming its own camera)
    is_video: ClassVar[bool] = False
    #: kind-specific parameters (merged with RADIO_PARAMS)
    KIND_PARAMS: ClassVar[Dict[str, Param]] = {}
    #: vendor pool of its MAC and the share of randomised (locally administered) MACs
    MAC_POOL: ClassVar[str] = "iot"
    LOCAL_MAC_SHARE: ClassVar[float] = 0.0
    #: parameters a scene file leaves at their defaults unless it sets them: mechanisms
    #: added after the built-in rooms were written, so those rooms stay as they were
    SCENE_FILE_DEFAULTS: ClassVar[Tuple[str, ...]] = ()
    #: TCP pure ACK sizes (IP bytes) this device's flows use: 40 + 12 timestamp option
    ACK_L3 = (52, 52, 52, 40)
    #: what the room looked like when (a ``sweeper.confirm.stimulus.Timeline``): set on
    #: every device of a run; only cameras that see the room react to it
    stimulus = None

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls.PARAMS = {**RADIO_PARAMS, **cls.KIND_PARAMS}

    PARAMS: ClassVar[Dict[str, Param]] = dict(RADIO_PARAMS)

    # ---- parameters ---------------------------------------------------------------------
    @classmethod
    def random_params(cls, rng: np.random.Generator, ranges: str = "calibration") -> Dict[str, Any]:
        """Every parameter drawn over the range real devices of this kind cover; with
        ``ranges="test"`` the key ranges are shifted and widened (see :data:`RANGES`)."""
        check_ranges(ranges)
        return random_radio(rng)

    @classmethod
    def defaults(cls) -> Dict[str, Any]:
        return {k: p.default for k, p in cls.PARAMS.items()}

    @classmethod
    def check_params(cls, params: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        """Defaults completed by ``params``, validated; :class:`ParamError` names the key."""
        out = cls.defaults()
        for key, val in (params or {}).items():
            spec = cls.PARAMS.get(key)
            if spec is None:
                close = difflib.get_close_matches(str(key), list(cls.PARAMS), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ParamError(str(key), f"unknown parameter for kind {cls.kind!r}{hint}; "
                                           f"allowed: {', '.join(sorted(cls.PARAMS))}")
            out[key] = _coerce(key, spec, val)
        return out

    @classmethod
    def owns_bss(cls, params: Dict[str, Any]) -> bool:
        """True when a device with these parameters is an access point itself."""
        return False

    @classmethod
    def param_docs(cls) -> Dict[str, str]:
        return {k: p.doc for k, p in cls.PARAMS.items()}

    # ---- construction -------------------------------------------------------------------
    def __init__(self, params: Optional[Dict[str, Any]] = None, *, mac: Optional[int] = None,
                 bss: Optional[Bss] = None, rssi_dbm: float = -60.0, index: int = 0,
                 peer_mac: Optional[int] = None, peer_rssi_dbm: Optional[float] = None,
                 neighbors: Sequence[Bss] = (), ppdu_ts: bool = False, name: str = ""):
        self.p = self.check_params(params)
        seed = zlib.crc32(self.kind.encode())
        drng = np.random.default_rng(seed)
        self.mac = E.mac_to_int(mac) if mac is not None else E.random_device_mac(drng, self.MAC_POOL,
                                                                                  self.LOCAL_MAC_SHARE)
        self.ap_mode = self.owns_bss(self.p)
        self._peer_given = peer_mac is not None
        if self.ap_mode:
            if bss is None or bss.bssid != self.mac:
                ch = bss.channel if bss is not None else 6
                ssid = bss.ssid if bss is not None else self.default_ssid(drng)
                bss = Bss(self.mac, ssid, ch, rssi_dbm, protected=bss.protected if bss is not None else True,
                          wired=False, basic_rate_mbps=1.0 if ch <= 14 else 6.0)
            self.peer = E.mac_to_int(peer_mac) if peer_mac is not None else E.random_local_mac(drng)
            self.peer_rssi = float(peer_rssi_dbm) if peer_rssi_dbm is not None else rssi_dbm - 5.0
        else:
            if bss is None:
                bss = Bss(E.random_mac(drng, "ap"), "home", 6, -50.0)
            self.peer = bss.bssid
            self.peer_rssi = float(bss.rssi_dbm if peer_rssi_dbm is None else peer_rssi_dbm)
        self.bss = bss
        self.channel = int(bss.channel)
        self.rssi_dbm = float(rssi_dbm)
        self.index = int(index)
        self.name = name or self.kind
        self.neighbors = list(neighbors)
        p = self.p
        self.fader = [Fader(self.rssi_dbm, p["fade_db"], p["fade_tau_s"], p["scatter_db"]),
                      Fader(self.peer_rssi, p["fade_db"] * 0.7, p["fade_tau_s"], p["scatter_db"])]
        common = dict(channel=self.channel, retry_p=p["retry_p"], max_agg=int(p["max_agg"]), busy_p=p["busy_p"],
                      busy_mean_s=p["busy_mean_ms"] * 1e-3, group_rate_mbps=bss.basic_rate_mbps, ppdu_ts=ppdu_ts)
        self.queues = [TxQueue(rate_mbps=p["phy_rate_mbps"], **common),
                       TxQueue(rate_mbps=p["peer_rate_mbps"], **common)]
        self._backlog: List[np.ndarray] = [np.zeros(0, PKT_DTYPE), np.zeros(0, PKT_DTYPE)]
        self._new: List[List[np.ndarray]] = [[], []]
        self._pending = E.empty()
        self._t = 0.0
        self._started = False
        self._ack_count = [0, 0]
        self._setup()

    def _setup(self) -> None:
        """Kind-specific state (subclasses)."""

    def default_ssid(self, rng: np.random.Generator) -> str:
        return "net-%04x" % int(rng.integers(0, 1 << 16))

    def labels(self) -> Dict[int, Dict[str, Any]]:
        """{mac: {"kind", "camera", "name"}} of the transmitters this device stands for."""
        return {self.mac: {"kind": self.kind, "camera": bool(self.is_camera), "video": bool(self.is_video),
                           "name": self.name, "channel": self.channel}}

    # ---- generation ---------------------------------------------------------------------
    def generate(self, t0: float, t1: float, rng: np.random.Generator) -> np.ndarray:
        """Frames on the air in [t0, t1), sorted by time. Consecutive calls must cover
        consecutive spans (t0 of one call = t1 of the previous)."""
        t0 = float(t0)
        t1 = float(t1)
        if not self._started:
            self._started = True
            self._t = t0
            self._start(t0, rng)
        if t1 <= self._t:
            return E.empty()
        t0 = self._t
        parts = self._produce(t0, t1, rng) or []
        parts.append(self._flush(t1, rng))
        ev = E.sort_events(E.concat([self._pending] + parts))
        cut = int(np.searchsorted(ev["ts"], t1, side="left"))
        out, self._pending = ev[:cut], ev[cut:]
        self._t = t1
        if len(out):
            ch = out["channel"]
            out["channel"] = np.where(ch == 0, self.channel, ch)
            out["device"] = self.index
        return out

    def _start(self, t0: float, rng: np.random.Generator) -> None:
        """Called once before the first span (subclasses set up their clocks)."""

    def _produce(self, t0: float, t1: float, rng: np.random.Generator) -> List[np.ndarray]:
        """Schedule packets arriving in [t0, t1) (and optionally later) with
        :meth:`_queue`; return frames made directly (beacons...)."""
        return []

    # ---- scheduling ---------------------------------------------------------------------
    def _queue(self, side: int, arr, l3len, *, kind: int = E.QOS_DATA, tid: int = 0, proto: int = E.PROTO_TCP,
               flags=0, ra=0, a3=0, tag=0, rtp=0, rtp_seq=0, rtp_ts=0, ssrc=0) -> None:
        """Hand packets to the transmitter on ``side`` (ME or PEER) at times ``arr``
        (``rtp``...``ssrc``: RTP header fields of media packets, see :mod:`events`)."""
        arr = np.atleast_1d(np.asarray(arr, np.float64))
        n = len(arr)
        if n == 0:
            return
        rec = np.zeros(n, PKT_DTYPE)
        rec["arr"] = arr
        rec["l3len"] = l3len
        rec["kind"] = kind
        rec["tid"] = tid
        rec["proto"] = proto
        rec["flags"] = flags
        rec["ra"] = ra
        rec["a3"] = a3
        rec["tag"] = tag
        if np.any(rtp):
            rec["rtp"] = rtp
            rec["rtp_seq"] = rtp_seq
            rec["rtp_ts"] = rtp_ts
            rec["ssrc"] = ssrc
        self._new[side].append(rec)

    def _mpdu_bytes(self, rec: np.ndarray) -> np.ndarray:
        """On-air MPDU bytes (for airtime) of scheduled packets."""
        kind = rec["kind"]
        hdr = np.where((kind == E.QOS_DATA) | (kind == E.QOS_NULL), 26, 24)
        body = np.where((kind == E.DATA) | (kind == E.QOS_DATA), rec["l3len"] + E.LLC_SNAP, 0)
        prot = np.where(body > 0, E.CCMP_OVERHEAD if self.bss.protected else 0, 0)
        return hdr + body + prot + 4

    def _flush(self, t1: float, rng: np.random.Generator) -> np.ndarray:
        """Send every scheduled packet that arrives before t1 (both sides, repeating while
        sending schedules more: ACKs, ACK-clocked data)."""
        out = []
        for _ in range(16):
            moved = False
            for side in (ME, PEER):
                if self._new[side]:
                    bl = np.concatenate([self._backlog[side]] + self._new[side])
                    self._new[side] = []
                    bl = bl[np.argsort(bl["arr"], kind="stable")]
                    self._backlog[side] = bl
                bl = self._backlog[side]
                if not len(bl) or bl["arr"][0] >= t1:
                    continue
                cut = int(np.searchsorted(bl["arr"], t1, side="left"))
                now, self._backlog[side] = bl[:cut], bl[cut:]
                out.append(self._send(side, now, rng))
                moved = True
            if not moved and not self._new[ME] and not self._new[PEER]:
                break
        return E.concat(out)

    def _send(self, side: int, rec: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        q = self.queues[side]
        group = (rec["flags"] & F_GROUP) != 0
        res = q.send(rec["arr"], self._mpdu_bytes(rec), rng, group)
        ev = self._frames(side, rec, res, rng)
        acked = (rec["flags"] & F_ACKME) != 0
        if acked.any():
            self._tcp_acks(side, rec, res, acked, rng)
        self._on_sent(side, rec, res, rng)
        return ev

    def _on_sent(self, side: int, rec: np.ndarray, res, rng: np.random.Generator) -> None:
        """Hook: react to packets having gone out (ACK-clocked senders)."""

    # ---- TCP ----------------------------------------------------------------------------
    def _ack_delay(self, side: int, n: int, rng: np.random.Generator) -> np.ndarray:
        """Seconds from a data segment leaving ``side`` to its ACK reaching the other
        side's transmitter (default: a LAN peer answering within a millisecond or two)."""
        return 0.0003 + rng.exponential(0.0008, n)

    def _ack_every(self) -> int:
        return int(self.p.get("ack_every", 2))

    def _tcp_acks(self, side: int, rec: np.ndarray, res, acked: np.ndarray, rng: np.random.Generator) -> None:
        """Schedule the receiver's ACKs of the data segments just sent."""
        n = len(rec)
        # when each segment was delivered: the end of its last (successful) attempt
        deliver = np.full(n, np.nan)
        last = np.append(res.pkt[1:] != res.pkt[:-1], True) if len(res.pkt) else np.zeros(0, bool)
        deliver[res.pkt[last]] = res.ts[last]
        idx = np.flatnonzero(acked & res.sent & np.isfinite(deliver))
        if not len(idx):
            return
        every = max(1, self._ack_every())
        burst_end = (rec["flags"][idx] & F_BURST_END) != 0
        # segments counted since the last ACK; the count restarts after each burst end
        gid = np.concatenate([[0], np.cumsum(burst_end[:-1])])
        gstart = np.flatnonzero(np.concatenate([[True], burst_end[:-1]]))
        c = np.arange(len(idx)) - gstart[gid] + 1 + np.where(gid == 0, self._ack_count[side], 0)
        every_hit = (c % every) == 0
        late = burst_end & ~every_hit
        sel = every_hit | burst_end
        t = deliver[idx[sel]]
        d = self._ack_delay(side, int(sel.sum()), rng)
        d = d + np.where(late[sel], rng.uniform(0.004, 0.04, int(sel.sum())), 0.0)  # delayed-ACK timer
        # the unacknowledged remainder carries into the next call
        self._ack_count[side] = 0 if burst_end[-1] else int(c[-1] % every)
        m = len(t)
        ack_len = np.asarray(self.ACK_L3)[rng.integers(0, len(self.ACK_L3), m)]
        ack_len = ack_len + np.where(rng.random(m) < 0.03, 8 * rng.integers(1, 4, m) + 4, 0)  # SACK blocks
        tid = int(rec["tid"][idx[0]])
        self._queue(1 - side, np.sort(t + d), ack_len, tid=tid, proto=E.PROTO_TCP)

    # ---- frames -------------------------------------------------------------------------
    def _addr(self, side: int) -> Tuple[int, int, int, int]:
        """(ta, ra, to_ds, from_ds) of unicast frames sent by ``side``."""
        if side == ME:
            return (self.mac, self.peer, 0, 1) if self.ap_mode else (self.mac, self.peer, 1, 0)
        return (self.peer, self.mac, 1, 0) if self.ap_mode else (self.peer, self.mac, 0, 1)

    def _frames(self, side: int, rec: np.ndarray, res, rng: np.random.Generator) -> np.ndarray:
        """Events for the attempts and acknowledgements of one send."""
        ta, ra, to_ds, from_ds = self._addr(side)
        n = len(res.pkt)
        m = len(res.ack_ts)
        ev = E.empty(n + m)
        d = ev[:n]
        r = rec[res.pkt]
        d["ts"] = res.ts
        d["kind"] = r["kind"]
        d["ta"] = ta
        d["ra"] = np.where(r["ra"] != 0, r["ra"], ra)
        d["bssid"] = self.bss.bssid
        d["a3"] = r["a3"]
        if self.bss.router and not self.ap_mode:
            # Internet traffic of a station goes to / comes from the separate router
            d["a3"] = np.where((r["a3"] == 0) & ((r["flags"] & F_GROUP) == 0), self.bss.router, r["a3"])
        d["to_ds"] = to_ds
        d["from_ds"] = from_ds
        isdata = (r["kind"] == E.DATA) | (r["kind"] == E.QOS_DATA)
        d["l3len"] = np.where(isdata, r["l3len"], 0)
        d["protected"] = isdata & self.bss.protected
        d["retry"] = res.retry
        d["rssi"] = rssi_i8(self.fader[side].at(res.ts, rng))
        d["rate"] = rate_units(res.rate_mbps)
        d["tid"] = r["tid"]
        d["proto"] = np.where(isdata, r["proto"], 0)
        if r["rtp"].any():
            for f in ("rtp", "rtp_seq", "rtp_ts", "ssrc"):
                d[f] = r[f]
        if m:
            a = ev[n:]
            a["ts"] = res.ack_ts
            a["kind"] = np.where(res.ack_block, E.BLOCK_ACK, E.ACK)
            # an ACK carries only the receiver address; a BlockAck also the transmitter
            a["ra"] = ta
            a["ta"] = np.where(res.ack_block, ra, 0)
            a["bssid"] = self.bss.bssid
            a["rssi"] = rssi_i8(self.fader[1 - side].at(res.ack_ts, rng))
            a["rate"] = rate_units(2.0 if self.bss.basic_rate_mbps < 6 else 24.0)
        return ev

    def _direct(self, side: int, ts, kind: int, *, ra: int, ta: Optional[int] = None, l3len=0,
                rate_mbps: Optional[float] = None, channel=0, bssid: Optional[int] = None,
                rng: np.random.Generator, rssi_db: Optional[np.ndarray] = None) -> np.ndarray:
        """Frames that bypass the data queues (beacons, probes), at times ``ts``."""
        ts = np.atleast_1d(np.asarray(ts, np.float64))
        ev = E.empty(len(ts))
        if not len(ts):
            return ev
        ev["ts"] = ts
        ev["kind"] = kind
        ev["ta"] = self.mac if ta is None else ta
        ev["ra"] = ra
        ev["bssid"] = self.bss.bssid if bssid is None else bssid
        ev["l3len"] = l3len
        ev["rssi"] = rssi_i8(self.fader[side].at(ts, rng) if rssi_db is None else rssi_db)
        ev["rate"] = rate_units(self.bss.basic_rate_mbps if rate_mbps is None else rate_mbps)
        ev["channel"] = channel
        return ev


# ---- helpers shared by the kinds -------------------------------------------------------------
class QuicAcks:
    """Mixin for transfers over TCP or QUIC (parameter ``protocol``) that stop at
    ``stop_s``: QUIC acknowledges in ACK frames carried by small UDP datagrams
    (:data:`QUIC_ACK_L3` bytes), not in TCP ACKs."""

    QUIC_ACK_L3 = (48, 80)

    def _setup_transport(self) -> None:
        p = self.p
        self._stop = p["stop_s"] if p["stop_s"] >= 0 else math.inf
        self._quic = p["protocol"] == "quic"
        self._proto = E.PROTO_UDP if self._quic else E.PROTO_TCP
        self._hdr = 48 if self._quic else 52  # IP + UDP + short QUIC header, or IP + TCP

    def _tcp_acks(self, side, rec, res, acked, rng):
        before = len(self._new[1 - side])
        super()._tcp_acks(side, rec, res, acked, rng)
        if self._quic:
            for r in self._new[1 - side][before:]:
                r["proto"] = E.PROTO_UDP
                r["l3len"] = rng.integers(*self.QUIC_ACK_L3, len(r))


def packetise(sizes: np.ndarray, mtu: int, hdr: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split application messages of ``sizes`` payload bytes into IP packets of at most
    ``mtu`` bytes, each with ``hdr`` bytes of IP+transport headers: full packets are
    exactly ``mtu`` long, the last one of each message carries the rest.

    Returns (message index per packet, IP length, is-last-of-message)."""
    sizes = np.maximum(np.asarray(sizes, np.int64), 1)
    pay = mtu - hdr
    k = (sizes + pay - 1) // pay
    msg = np.repeat(np.arange(len(sizes)), k)
    starts = np.cumsum(k) - k
    j = np.arange(len(msg)) - starts[msg]
    last = j == (k[msg] - 1)
    l3 = np.where(last, sizes[msg] - (k[msg] - 1) * pay + hdr, mtu)
    return msg, l3.astype(np.int64), last


def added_draws(rng: np.random.Generator) -> np.random.Generator:
    """A child generator for parameters added to a kind later: drawing them does not move
    ``rng``, so the older parameters (and the addresses a scene file draws after them)
    keep their values for a given seed."""
    try:
        return rng.spawn(1)[0]
    except (AttributeError, TypeError, ValueError):  # a bit generator without a seed sequence
        return np.random.default_rng(int(rng.integers(0, 1 << 62)))


def check_ranges(ranges: str) -> str:
    if ranges not in RANGES:
        raise ValueError(f"ranges must be one of {', '.join(RANGES)}, not {ranges!r}")
    return ranges


def _coerce(key: str, spec: Param, val: Any) -> Any:
    d = spec.default
    if isinstance(d, bool):
        if not isinstance(val, bool):
            raise ParamError(key, f"must be true or false, not {val!r}")
        return val
    if isinstance(d, str):
        if not isinstance(val, str):
            raise ParamError(key, f"must be one of {', '.join(map(str, spec.choices or ()))}, not {val!r}")
        if spec.choices and val not in spec.choices:
            close = difflib.get_close_matches(val, list(spec.choices), n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParamError(key, f"must be one of {', '.join(spec.choices)}, not {val!r}{hint}")
        return val
    if isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val):
        raise ParamError(key, f"must be a number, not {val!r}")
    if isinstance(d, int) and not float(val).is_integer():
        raise ParamError(key, f"must be a whole number, not {val!r}")
    if (spec.lo is not None and val < spec.lo) or (spec.hi is not None and val > spec.hi):
        raise ParamError(key, f"must be between {spec.lo:g} and {spec.hi:g}, not {val:g}")
    if spec.choices and val not in spec.choices:
        raise ParamError(key, f"must be one of {', '.join(f'{c:g}' for c in spec.choices)}, not {val:g}")
    return int(val) if isinstance(d, int) else float(val)


__all__ = ["SimDevice", "Bss", "Param", "ParamError", "packetise", "logu", "choice", "random_radio", "ME", "PEER",
           "F_ACKME", "F_BURST_END", "F_GROUP", "PKT_DTYPE", "RANGES", "check_ranges", "added_draws"]
