"""A Wi-Fi scene: access points, their stations and maybe hidden cameras, as a sniffer in
the room hears them.

A :class:`WifiScene` is a list of :class:`DeviceSpec` (kind, resolved parameters, MAC,
channel, signal, the access point it joins) plus the sniffer's
:class:`~sweeper.sim.wifi.render.CaptureProfile`. It renders captures of any length
(``events``, ``render``, ``write_pcap``; long captures go in time slices so memory stays
bounded) and says which transmitters are cameras (``labels``). :func:`random_room` draws
varied rooms for test sets; scene YAML files carry a ``wifi:`` section::

    wifi:
      seed: 7                       # draws every parameter and address not given
      description: what this room is
      capture: {layout: basic, fcs: false, control_frames: true, loss: 0.0, ppdu_ts: false}
      devices:
        - kind: access_point        # one of sweeper.sim.wifi.devices.DEVICES
          name: home router         # optional label; stations refer to it with `ap:`
          channel: 6
          ssid: Vodafone-7A3F       # access points and cameras in ap mode
          rssi_dbm: -48             # mean signal at the sniffer
        - kind: camera
          name: hidden camera
          ap: home router           # the access point it joins (default: the first one)
          mac: "24:0a:c4:12:34:56"
          params: {bitrate_bps: 1500000, fps: 15, start_s: 0}   # kind-specific

Errors name the file, the line and the key (:class:`~sweeper.errors.InputError`).

Why one module of over 400 lines: a room scene, its YAML loader and its random generator
share one parameter model.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import yaml

from sweeper.errors import InputError
from sweeper.sim.scene import ROOM_CLEAR_FILE, ROOM_FILE, _line, _mapping, _plain, _sequence, _unknown
from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.devices import DEVICES, Bss, SimDevice, ParamError
from sweeper.sim.wifi.devices.access_point import random_ssid
from sweeper.sim.wifi.devices.base import check_ranges
from sweeper.sim.wifi.render import CaptureProfile, render as render_events
from sweeper.wifi.channels import CHANNELS_5, channel_to_mhz
from sweeper.wifi.source import LINKTYPE_ETHERNET, LINKTYPE_IEEE802_11_RADIOTAP, RawBatch
from sweeper.yamlfile import compose, read_text

#: seconds of traffic generated per step when rendering long captures
SLICE_S = 1.0


@dataclass
class DeviceSpec:
    """One device of a scene, fully resolved (parameters complete, addresses fixed)."""

    kind: str
    params: Dict[str, Any]
    mac: int
    channel: int
    rssi_dbm: float
    name: str = ""
    ssid: Optional[str] = None  # devices that are their own access point
    ap: Optional[int] = None  # index of the spec of the access point a station joins
    peer_mac: Optional[int] = None
    peer_rssi_dbm: Optional[float] = None

    @property
    def cls(self):
        return DEVICES[self.kind]

    @property
    def owns_bss(self) -> bool:
        return self.cls.owns_bss(self.params)


@dataclass
class WifiScene:
    """Devices in a room and the sniffer's capture profile (see the module docstring)."""

    devices: List[DeviceSpec]
    capture: CaptureProfile = field(default_factory=CaptureProfile)
    name: str = "wifi scene"
    description: str = ""
    path: Optional[str] = None
    #: what the room looks like when (a confirm.stimulus.Timeline): the cameras that see
    #: the room react to it
    stimulus: Optional[Any] = None

    # ---- structure ------------------------------------------------------------------
    def build(self) -> "WifiRun":
        """Fresh device instances at t = 0 (each render starts from one)."""
        return WifiRun(self)

    def labels(self) -> Dict[str, Dict[str, Any]]:
        """{MAC: {"kind", "camera", "video", "name", "channel", ...}} for every transmitter the
        scene's devices stand for: a camera's station MAC (infra) or BSSID (ap mode), the
        access points (and their extra BSSIDs), the hard negatives, a hotspot camera's
        viewing phone. Randomised probe-request MACs are not listed (all non-cameras)."""
        out: Dict[str, Dict[str, Any]] = {}
        for dev in self.build().devices:
            for mac, info in dev.labels().items():
                info = dict(info)
                for k in ("start_s", "stop_s", "mode"):
                    if k in dev.p:
                        info[k] = dev.p[k]
                out.setdefault(E.int_to_mac(mac), info)
        return out

    def cameras(self) -> List[str]:
        return [m for m, v in self.labels().items() if v["camera"]]

    def channels(self) -> List[int]:
        return sorted({d.channel for d in self.devices})

    def without_cameras(self) -> "WifiScene":
        keep = [i for i, d in enumerate(self.devices) if not d.cls.is_camera]
        remap = {old: new for new, old in enumerate(keep)}
        devs = [replace(self.devices[i], ap=remap.get(self.devices[i].ap)) for i in keep]
        return WifiScene(devs, self.capture, self.name + " (clear)", self.description, self.path)

    # ---- rendering ------------------------------------------------------------------
    def iter_events(self, duration_s: float, rng: np.random.Generator, channel: Optional[int] = None,
                    slice_s: float = SLICE_S):
        """Events of consecutive slices of a capture of ``duration_s`` seconds."""
        run = self.build()
        t = 0.0
        while t < duration_s - 1e-12:
            t1 = min(duration_s, t + slice_s)
            yield run, run.hear(run.step(t, t1, rng), channel, rng)
            t = t1

    def events(self, duration_s: float, rng: np.random.Generator, channel: Optional[int] = None) -> np.ndarray:
        """Every frame the sniffer captures in [0, duration_s): on ``channel`` (with
        adjacent-channel leakage), or on all the scene's channels when None."""
        return E.concat([ev for _, ev in self.iter_events(duration_s, rng, channel)])

    def render(self, duration_s: float, rng: np.random.Generator, linktype: int = LINKTYPE_IEEE802_11_RADIOTAP,
               snaplen: Optional[int] = None, channel: Optional[int] = None) -> RawBatch:
        """A capture of ``duration_s`` seconds as one batch (see :meth:`events`)."""
        run = None
        parts = []
        for run, ev in self.iter_events(duration_s, rng, channel):
            parts.append(ev)
        if run is None:
            return RawBatch.empty(linktype, channel or 0)
        return run.render(E.concat(parts), linktype, snaplen, rng, channel or 0)

    def write_pcap(self, path, duration_s: float, rng: np.random.Generator,
                   linktype: int = LINKTYPE_IEEE802_11_RADIOTAP, snaplen: Optional[int] = None,
                   channel: Optional[int] = None, slice_s: float = SLICE_S) -> int:
        """Write a capture to a pcap file slice by slice; returns the record count."""
        from sweeper.wifi.pcapio import PcapWriter

        with PcapWriter(path, linktype, snaplen if snaplen else 65535) as w:
            for run, ev in self.iter_events(duration_s, rng, channel, slice_s):
                w.write(run.render(ev, linktype, snaplen, rng, channel or 0))
            return w.records


class WifiRun:
    """A scene being played: device instances, per-transmitter sequence counters and the
    sniffer. :meth:`step` advances every device over a span; :meth:`hear` keeps what a
    sniffer on one channel captures."""

    def __init__(self, scene: WifiScene):
        self.scene = scene
        self.profile = scene.capture
        self.bss: Dict[int, Bss] = {}
        self.devices: List[SimDevice] = []
        own: Dict[int, Bss] = {}
        specs = scene.devices
        instances: List[Optional[SimDevice]] = [None] * len(specs)
        # access points (and hotspot cameras) first: stations need their BSS
        for i, s in enumerate(specs):
            if s.owns_bss:
                bss = Bss(s.mac, s.ssid or "", s.channel, s.rssi_dbm, basic_rate_mbps=1.0 if s.channel <= 14 else 6.0)
                d = s.cls(s.params, mac=s.mac, bss=bss, rssi_dbm=s.rssi_dbm, index=i, peer_mac=s.peer_mac,
                          peer_rssi_dbm=s.peer_rssi_dbm, ppdu_ts=self.profile.ppdu_ts, name=s.name)
                instances[i] = d
                own[i] = d.bss
                for b in (d.all_bss() if hasattr(d, "all_bss") else [d.bss]):
                    self.bss[int(b.bssid)] = b
        neighbors = list(self.bss.values())
        for i, s in enumerate(specs):
            if instances[i] is not None:
                continue
            bss = own.get(s.ap) if s.ap is not None else None
            d = s.cls(s.params, mac=s.mac, bss=bss, rssi_dbm=s.rssi_dbm, index=i, peer_rssi_dbm=s.peer_rssi_dbm,
                      neighbors=neighbors, ppdu_ts=self.profile.ppdu_ts, name=s.name)
            instances[i] = d
        self.devices = instances  # type: ignore[assignment]
        for d in self.devices:
            d.neighbors = neighbors
            d.stimulus = scene.stimulus
        self._seq: Dict[tuple, int] = {}
        self.t = 0.0
        self.tsf0 = int(np.random.default_rng(len(specs)).integers(1 << 30, 1 << 44))

    def step(self, t0: float, t1: float, rng: np.random.Generator) -> np.ndarray:
        """Every device's frames in [t0, t1), time-ordered, with sequence numbers."""
        ev = E.sort_events(E.concat([d.generate(t0, t1, rng) for d in self.devices]))
        self.t = t1
        self._assign_seq(ev, rng)
        return ev

    def _assign_seq(self, ev: np.ndarray, rng: np.random.Generator) -> None:
        """802.11 sequence numbers: one counter per transmitter, and per (transmitter,
        receiver) for unicast QoS data; a retransmission repeats the previous number."""
        if not len(ev):
            return
        k = ev["kind"]
        has = (k != E.ACK) & (k != E.BLOCK_ACK)
        idx = np.flatnonzero(has)
        if not len(idx):
            return
        sub = ev[idx]
        per_ra = (sub["kind"] == E.QOS_DATA) & ~E.is_group(sub["ra"])
        keyarr = np.zeros(len(idx), [("ta", "u8"), ("ra", "u8")])
        keyarr["ta"] = sub["ta"]
        keyarr["ra"] = np.where(per_ra, sub["ra"], 0)
        uk, inv = np.unique(keyarr, return_inverse=True)
        inv = inv.ravel()
        base = np.empty(len(uk), np.int64)
        for j, (ta, ra) in enumerate(uk.tolist()):
            base[j] = self._seq.get((ta, ra), int(rng.integers(0, 4096)))
        order = np.argsort(inv, kind="stable")
        g = inv[order]
        inc = (sub["retry"][order] == 0).astype(np.int64)
        c = np.cumsum(inc)
        gstart = np.flatnonzero(np.concatenate([[True], g[1:] != g[:-1]]))
        before = (c - inc)[gstart]  # increments before each group
        c_in = c - np.repeat(before, np.diff(np.append(gstart, len(g))))
        seq = (base[g] + c_in - 1) % 4096
        out = np.empty(len(idx), np.int64)
        out[order] = seq
        ev["seq"][idx] = out.astype(np.uint16)
        totals = np.bincount(g, inc, minlength=len(uk)).astype(np.int64)
        for j, (ta, ra) in enumerate(uk.tolist()):
            self._seq[(ta, ra)] = int((base[j] + totals[j]) % 4096)
        if len(self._seq) > 50000:  # forget old randomised probe addresses
            self._seq = dict(list(self._seq.items())[-20000:])

    def hear(self, ev: np.ndarray, channel: Optional[int], rng: np.random.Generator) -> np.ndarray:
        """What the sniffer captures of ``ev``: tuned to ``channel`` (None: every channel
        at once), 2.4 GHz neighbours leak in 1-2 channels away at lower signal (mostly
        low-rate frames; radiotap then shows the tuned channel), frames below the
        sensitivity, control frames (when the profile does not capture them) and a
        share of random misses are dropped."""
        if not len(ev):
            return ev
        prof = self.profile
        if channel is not None:
            ch = ev["channel"].astype(np.int64)
            same = ch == channel
            keep = same.copy()
            if channel <= 14:
                d = np.abs(ch - channel)
                near = (ch <= 14) & (d >= 1) & (d <= 2)
                low = ev["rate"] <= 22
                p = np.where(d == 1, np.where(low, 0.5, 0.1), np.where(low, 0.15, 0.02))
                leak = near & (rng.random(len(ev)) < p)
                keep |= leak
            ev = ev[keep].copy()
            if channel <= 14:
                leaked = ev["channel"] != channel
                if leaked.any():
                    dd = np.abs(ev["channel"][leaked].astype(np.int64) - channel)
                    drop_db = 12.0 * dd + rng.uniform(0.0, 6.0, len(dd))
                    ev["rssi"][leaked] = np.clip(ev["rssi"][leaked] - drop_db, -100, -10).astype(np.int8)
                    ev["channel"][leaked] = channel
        keep = ev["rssi"] >= prof.sensitivity_dbm
        if not prof.control_frames:
            keep &= (ev["kind"] != E.ACK) & (ev["kind"] != E.BLOCK_ACK)
        if prof.loss > 0:
            keep &= rng.random(len(ev)) >= prof.loss
        return ev[keep]

    def wired(self, ev: np.ndarray) -> np.ndarray:
        """Frames of BSSs bridged onto the wired LAN (a hotspot camera's are not)."""
        wired = np.array([b for b, info in self.bss.items() if info.wired], np.uint64)
        return ev[np.isin(ev["bssid"], wired)]

    def render(self, ev: np.ndarray, linktype: int, snaplen: Optional[int], rng: np.random.Generator,
               channel: int = 0) -> RawBatch:
        if linktype == LINKTYPE_ETHERNET:
            ev = self.wired(ev)
        return render_events(ev, linktype, snaplen, profile=self.profile, bss=self.bss, rng=rng, channel=channel,
                             tsf0=self.tsf0)


# ---- random rooms ---------------------------------------------------------------------------
#: hard negatives and how often a random room has each
NEGATIVE_WEIGHTS = {"video_call": 1.5, "bulk_upload": 1.5, "video_stream": 1.5, "browsing": 1.0,
                    "iot_keepalive": 1.5, "phone_idle": 1.2, "photo_backup": 1.2, "iot_tls_burst": 1.2,
                    "download": 1.0, "live_stream": 0.8}
#: share of access points with a separate router behind them (its own gateway MAC)
SEPARATE_ROUTER_SHARE = 0.35


def _low_rate(p: Dict[str, Any], rng: np.random.Generator, ranges: str) -> None:
    p.update(delivery="live", bitrate_bps=float(np.exp(rng.uniform(np.log(0.12e6 if ranges == "test" else 0.15e6),
                                                                    np.log(0.4e6)))),
             fps=float(rng.choice([5.0, 6.0, 8.0, 10.0, 12.0, 12.5, 15.0])))


#: camera profiles ``random_room(camera_kinds=...)`` can force (each camera picks one)
CAMERA_PROFILES = {
    "any": lambda p, rng, r: None,
    "live": lambda p, rng, r: p.update(delivery="live"),
    "low_rate": _low_rate,
    "motion": lambda p, rng, r: p.update(delivery="motion", mode="infra"),
    "clip": lambda p, rng, r: p.update(delivery="clip", mode="infra"),
    "hotspot": lambda p, rng, r: p.update(mode="ap"),
    "infra": lambda p, rng, r: p.update(mode="infra"),
    "rtp": lambda p, rng, r: p.update(transport="udp", rtp=True),
    "p2p": lambda p, rng, r: p.update(transport="udp", rtp=False),
    "tls": lambda p, rng, r: p.update(transport="tcp", tls=True, mode="infra"),
    "bframes": lambda p, rng, r: p.update(bframes=int(rng.integers(1, 4))),
}
_CH24_COMMON = (1, 6, 11)
_CH5 = tuple(c for c in CHANNELS_5 if c <= 165)


def _random_channel(rng: np.random.Generator) -> int:
    r = rng.random()
    if r < 0.6:
        return int(_CH24_COMMON[int(rng.integers(0, 3))])
    if r < 0.72:
        return int(rng.integers(1, 14))
    return int(_CH5[int(rng.integers(0, len(_CH5)))])


def _mac_for(cls, rng: np.random.Generator) -> int:
    return E.random_device_mac(rng, cls.MAC_POOL, cls.LOCAL_MAC_SHARE)


def random_room(rng: np.random.Generator, camera: bool = True, n_negatives: Optional[int] = None,
                n_cameras: Optional[int] = None, max_start_s: Optional[float] = None,
                kinds: Optional[Sequence[str]] = None, ranges: str = "calibration",
                camera_kinds: Optional[Sequence[str]] = None) -> WifiScene:
    """A varied room: 1-4 access points on a few channels (about a third with a separate
    router behind them), a mix of hard negatives (``n_negatives``, default 3-10, of
    ``kinds``, weighted by :data:`NEGATIVE_WEIGHTS`), and with ``camera`` 1-2 hidden
    cameras (``n_cameras``), infra or hotspot mode. ``max_start_s`` caps when devices
    start (so a short capture sees them all); the capture profile is random too.

    ``ranges``: "calibration" draws every device's parameters from the ranges the
    detector is tuned on, "test" from shifted, wider ranges (see each kind's
    ``random_params``). ``camera_kinds``: names from :data:`CAMERA_PROFILES` (e.g.
    ``["low_rate"]``, ``["motion", "rtp"]``); each camera takes one of them at random.
    """
    check_ranges(ranges)
    for k in kinds or ():
        if k not in DEVICES or DEVICES[k].is_camera:
            raise ValueError(f"{k!r} is not a negative kind; allowed: {', '.join(NEGATIVE_WEIGHTS)}")
    for k in camera_kinds or ():
        if k not in CAMERA_PROFILES:
            raise ValueError(f"unknown camera kind {k!r}; allowed: {', '.join(CAMERA_PROFILES)}")
    specs: List[DeviceSpec] = []
    n_ap = int(rng.choice([1, 2, 3, 4], p=[0.35, 0.35, 0.2, 0.1]))
    ap_idx = []
    used = set()
    for _ in range(n_ap):
        ch = _random_channel(rng)
        cls = DEVICES["access_point"]
        p = cls.random_params(rng, ranges)
        p["separate_router"] = bool(rng.random() < SEPARATE_ROUTER_SHARE)
        mac = E.random_mac(rng, "ap")
        ap_idx.append(len(specs))
        used.add(ch)
        specs.append(DeviceSpec("access_point", cls.check_params(p), mac, ch, float(rng.uniform(-85, -35)),
                                f"access point {len(ap_idx)}", ssid=random_ssid(rng)))
    strength = np.array([specs[i].rssi_dbm for i in ap_idx])
    w_ap = np.exp((strength - strength.max()) / 10.0)
    w_ap /= w_ap.sum()

    def station(kind: str, name: str) -> DeviceSpec:
        cls = DEVICES[kind]
        p = cls.random_params(rng, ranges)
        if max_start_s is not None:
            _cap_start(p, max_start_s)
        a = ap_idx[int(rng.choice(len(ap_idx), p=w_ap))]
        return DeviceSpec(kind, cls.check_params(p), _mac_for(cls, rng), specs[a].channel,
                          float(rng.uniform(-85, -35)), name, ap=a)

    kinds = list(kinds) if kinds is not None else list(NEGATIVE_WEIGHTS)
    w = np.array([NEGATIVE_WEIGHTS.get(k, 1.0) for k in kinds], float)
    n_neg = int(rng.integers(3, 11)) if n_negatives is None else int(n_negatives)
    for j in range(n_neg):
        kind = kinds[int(rng.choice(len(kinds), p=w / w.sum()))]
        specs.append(station(kind, f"{kind.replace('_', ' ')} {j + 1}"))
    n_cam = (int(rng.choice([1, 2], p=[0.75, 0.25])) if n_cameras is None else int(n_cameras)) if camera else 0
    for j in range(n_cam):
        cls = DEVICES["camera"]
        p = cls.random_params(rng, ranges)
        if camera_kinds:
            CAMERA_PROFILES[camera_kinds[int(rng.integers(0, len(camera_kinds)))]](p, rng, ranges)
        if max_start_s is not None:
            _cap_start(p, max_start_s)
        mac = _mac_for(cls, rng)
        rssi = float(rng.uniform(-80, -30))
        if p["mode"] == "ap":
            ch = _random_channel(rng)
            d = cls(p, mac=mac, bss=None)  # for its default SSID
            ssid = d.default_ssid(rng)
            specs.append(DeviceSpec("camera", cls.check_params(p), mac, ch, rssi, f"hidden camera {j + 1}", ssid=ssid,
                                    peer_mac=E.random_device_mac(rng, "phone", 0.8),
                                    peer_rssi_dbm=float(rng.uniform(-80, -35))))
        else:
            a = ap_idx[int(rng.choice(len(ap_idx), p=w_ap))]
            specs.append(DeviceSpec("camera", cls.check_params(p), mac, specs[a].channel, rssi,
                                    f"hidden camera {j + 1}", ap=a))
    # the order of devices says nothing about what they are
    perm = rng.permutation(len(specs))
    inv = np.empty(len(perm), np.int64)
    inv[perm] = np.arange(len(perm))
    specs = [replace(specs[int(i)], ap=None if specs[int(i)].ap is None else int(inv[specs[int(i)].ap]))
             for i in perm]
    return WifiScene(specs, CaptureProfile.random(rng), "random room",
                     f"{n_ap} access points, {n_neg} other devices, {n_cam} cameras")


def _cap_start(p: Dict[str, Any], max_start_s: float) -> None:
    """Squeeze a drawn start time (0-60 s) into [0, max_start_s], keeping its spread."""
    if p.get("start_s", 0.0) > max_start_s:
        new = min(p["start_s"], p["start_s"] * max_start_s / 60.0, max_start_s)
        shift = p["start_s"] - new
        p["start_s"] = new
        if p.get("stop_s", -1.0) >= 0:
            p["stop_s"] = max(new + 1.0, p["stop_s"] - shift)


# ---- scene files --------------------------------------------------------------------------
_WIFI_KEYS = ("seed", "description", "capture", "devices")
_DEVICE_KEYS = ("kind", "name", "channel", "mac", "ssid", "ap", "rssi_dbm", "params", "peer_mac", "peer_rssi_dbm")
_CAPTURE_KEYS = ("layout", "fcs", "control_frames", "loss", "sensitivity_dbm", "ppdu_ts")


def load_wifi_scene(path: str) -> WifiScene:
    """The ``wifi:`` section of a scene file (InputError naming file:line when invalid)."""
    return parse_wifi_scene(read_text(path, "scene file", InputError), path)


def default_wifi_scene(camera: bool = True) -> WifiScene:
    """The built-in room: with a hidden camera (scene_room.yaml) or without (scene_room_clear.yaml)."""
    return load_wifi_scene(ROOM_FILE if camera else ROOM_CLEAR_FILE)


def parse_wifi_scene(text: str, path: str = "<scene>") -> WifiScene:
    """Validate the ``wifi:`` section of scene YAML text; ``path`` names it in errors."""
    root = compose(text, path, InputError)
    if root is None:
        raise InputError(f"{path}:1: the scene is empty: it needs a `wifi:` section")
    top = _mapping(path, root, "the scene")
    if "wifi" not in top:
        raise InputError(f"{path}:{_line(root)}: wifi: missing (the Wi-Fi devices of the room)")
    name = str(_plain(top["name"][1])) if "name" in top else os.path.splitext(os.path.basename(path))[0]
    return parse_wifi_node(top["wifi"][1], path, name)


def _bad(path, node, where, detail) -> InputError:
    return InputError(f"{path}:{_line(node)}: {where}: {detail}")


def parse_wifi_node(node, path: str, name: str = "wifi scene") -> WifiScene:
    """A :class:`WifiScene` from the YAML node of a ``wifi:`` section (a mapping as in
    the module docstring, or just the list of devices)."""
    if isinstance(node, yaml.SequenceNode):
        node = yaml.MappingNode("tag:yaml.org,2002:map",
                                [(yaml.ScalarNode("tag:yaml.org,2002:str", "devices", node.start_mark, node.end_mark),
                                  node)], node.start_mark, node.end_mark)
    w = _mapping(path, node, "wifi")
    for key, (kn, _) in w.items():
        if key not in _WIFI_KEYS:
            raise _unknown(path, kn, "wifi.", key, _WIFI_KEYS)
    seed = 0
    if "seed" in w:
        v = _plain(w["seed"][1])
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise _bad(path, w["seed"][1], "wifi.seed", f"must be a whole number >= 0, not {v!r}")
        seed = v
    desc = str(_plain(w["description"][1]) or "") if "description" in w else ""
    capture = CaptureProfile()
    if "capture" in w:
        capture = _parse_capture(path, w["capture"][1])
    if "devices" not in w:
        raise _bad(path, node, "wifi.devices", "missing (a list of devices, each with a kind)")
    dnode = w["devices"][1]
    items = _sequence(path, dnode, "wifi.devices")
    raw = []
    for i, item in enumerate(items):
        where = f"wifi.devices[{i}]"
        m = _mapping(path, item, where)
        for key, (kn, _) in m.items():
            if key not in _DEVICE_KEYS:
                raise _unknown(path, kn, where + ".", key, _DEVICE_KEYS)
        if "kind" not in m:
            raise _bad(path, item, where + ".kind", f"missing; allowed: {', '.join(DEVICES)}")
        kind = _plain(m["kind"][1])
        if kind not in DEVICES:
            close = difflib.get_close_matches(str(kind), list(DEVICES), n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _bad(path, m["kind"][1], where + ".kind",
                       f"unknown kind {kind!r}{hint}; allowed: {', '.join(DEVICES)}")
        raw.append((i, where, item, m, kind))
    # names of the devices (for `ap:` references)
    names: Dict[str, int] = {}
    for i, where, _item, m, _kind in raw:
        if "name" in m:
            nm = str(_plain(m["name"][1]))
            if nm in names:
                raise _bad(path, m["name"][1], where + ".name", f"{nm!r} is already the name of devices[{names[nm]}]")
            names[nm] = i
    specs: List[Optional[DeviceSpec]] = [None] * len(raw)
    for i, where, item, m, kind in raw:
        cls = DEVICES[kind]
        rng = np.random.default_rng([seed, i])
        p = cls.random_params(rng)
        p.update({k: cls.PARAMS[k].default for k in cls.SCENE_FILE_DEFAULTS})
        over: Dict[str, Any] = {}
        if "params" in m:
            pnode = m["params"][1]
            if not (isinstance(pnode, yaml.ScalarNode) and _plain(pnode) is None):
                pm = _mapping(path, pnode, where + ".params")
                over = {k: _plain(v) for k, (_, v) in pm.items()}
        if kind == "camera" and "ap" in m and "mode" not in over:
            over["mode"] = "infra"
        p.update(over)
        try:
            p = cls.check_params(p)
        except ParamError as exc:
            pm = _mapping(path, m["params"][1], where + ".params") if "params" in m and \
                isinstance(m["params"][1], yaml.MappingNode) else {}
            at = pm[exc.key][1] if exc.key in pm else item
            raise _bad(path, at, f"{where}.params.{exc.key}", f"{exc.detail}") from None
        specs[i] = DeviceSpec(kind, p, 0, 0, 0.0, str(_plain(m["name"][1])) if "name" in m else f"{kind} {i + 1}")
        s = specs[i]
        s.mac = _parse_mac(path, m, "mac", where) if "mac" in m else _mac_for(cls, rng)
        if "peer_mac" in m:
            s.peer_mac = _parse_mac(path, m, "peer_mac", where)
        s.rssi_dbm = _num(path, m, "rssi_dbm", where, -100.0, -10.0) if "rssi_dbm" in m else float(
            rng.uniform(-80, -40))
        if "peer_rssi_dbm" in m:
            s.peer_rssi_dbm = _num(path, m, "peer_rssi_dbm", where, -100.0, -10.0)
        if "channel" in m:
            ch = _plain(m["channel"][1])
            try:
                if isinstance(ch, bool) or not isinstance(ch, int):
                    raise ValueError
                channel_to_mhz(ch)
            except ValueError:
                raise _bad(path, m["channel"][1], where + ".channel",
                           f"{ch!r} is not a Wi-Fi channel (1-14, or 36-177 in the 5 GHz band)") from None
            s.channel = int(ch)
        if s.owns_bss:
            if "ap" in m:
                raise _bad(path, m["ap"][0], where + ".ap", f"a {kind} in this mode is an access point itself")
            if "channel" not in m:
                raise _bad(path, item, where + ".channel", "missing (the channel this access point is on)")
            s.ssid = str(_plain(m["ssid"][1])) if "ssid" in m else cls(p, mac=s.mac).default_ssid(rng)
            if len(s.ssid.encode("utf-8")) > 32:
                raise _bad(path, m["ssid"][1], where + ".ssid", "at most 32 bytes")
        elif "ssid" in m:
            raise _bad(path, m["ssid"][0], where + ".ssid", "only access points and cameras in ap mode have one")
    # stations join their access point
    aps = [i for i, s in enumerate(specs) if s.owns_bss and s.kind == "access_point"]
    for i, where, item, m, kind in raw:
        s = specs[i]
        if s.owns_bss:
            continue
        if "ap" in m:
            ref = _plain(m["ap"][1])
            if isinstance(ref, int) and not isinstance(ref, bool) and 0 <= ref < len(specs) and specs[ref].owns_bss:
                a = ref
            elif str(ref) in names and specs[names[str(ref)]].owns_bss:
                a = names[str(ref)]
            else:
                choices = [specs[j].name for j in range(len(specs)) if specs[j].owns_bss]
                close = difflib.get_close_matches(str(ref), choices, n=1, cutoff=0.5)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise _bad(path, m["ap"][1], where + ".ap", f"no access point named {ref!r}{hint}; "
                                                            f"access points: {', '.join(choices) or 'none'}")
        else:
            cands = [j for j in aps if "channel" not in m or specs[j].channel == s.channel] or aps
            if not cands:
                raise _bad(path, item, where + ".ap", f"a {kind} needs an access point: add one (kind: access_point)")
            a = cands[0]
        if "channel" in m and s.channel != specs[a].channel:
            raise _bad(path, m["channel"][1], where + ".channel",
                       f"{s.channel} is not the channel of its access point {specs[a].name!r} ({specs[a].channel})")
        s.ap = a
        s.channel = specs[a].channel
    return WifiScene([s for s in specs if s is not None], capture, name, desc, path)


def _parse_mac(path, m, key, where) -> int:
    v = _plain(m[key][1])
    try:
        mac = E.mac_to_int(str(v))
    except ValueError as exc:
        raise _bad(path, m[key][1], f"{where}.{key}", str(exc)) from None
    if E.is_group(mac):
        raise _bad(path, m[key][1], f"{where}.{key}", f"{v} is a group (multicast) address, not a device's")
    return mac


def _num(path, m, key, where, lo, hi) -> float:
    v = _plain(m[key][1])
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _bad(path, m[key][1], f"{where}.{key}", f"must be a number, not {v!r}")
    if not lo <= v <= hi:
        raise _bad(path, m[key][1], f"{where}.{key}", f"must be between {lo:g} and {hi:g}, not {v:g}")
    return float(v)


def _parse_capture(path, node) -> CaptureProfile:
    c = _mapping(path, node, "wifi.capture")
    kw: Dict[str, Any] = {}
    for key, (kn, vn) in c.items():
        if key not in _CAPTURE_KEYS:
            raise _unknown(path, kn, "wifi.capture.", key, _CAPTURE_KEYS)
        v = _plain(vn)
        where = f"wifi.capture.{key}"
        if key == "layout":
            if v not in ("basic", "ext"):
                raise _bad(path, vn, where, f"must be basic or ext, not {v!r}")
        elif key in ("fcs", "control_frames", "ppdu_ts"):
            if not isinstance(v, bool):
                raise _bad(path, vn, where, f"must be true or false, not {v!r}")
        elif key == "loss":
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1:
                raise _bad(path, vn, where, f"must be a share between 0 and 1, not {v!r}")
            v = float(v)
        elif key == "sensitivity_dbm":
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not -120 <= v <= -40:
                raise _bad(path, vn, where, f"must be between -120 and -40, not {v!r}")
            v = float(v)
        kw[key] = v
    return CaptureProfile(**kw)
