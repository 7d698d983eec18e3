"""An access point: beacons and the group-addressed chatter of its LAN (hard negative).

Beacons go out every ``beacon_interval_tu`` time units (1 TU = 1.024 ms; 102.4 ms by
default) at the basic rate, a little late when the medium is busy, one per SSID the
access point serves (extra BSSIDs for guest networks). It repeats the LAN's broadcast
and multicast to the BSS: ARP requests, mDNS (01:00:5e:00:00:fb), SSDP NOTIFY bursts
(01:00:5e:7f:ff:fa), IPv6 neighbour discovery and router advertisements (33:33:..).
Some homes have IPTV: a multicast MPEG-TS stream (7 x 188-byte TS packets per datagram,
smooth constant rate) to a group 01:00:5e:xx:xx:xx, sent at the access point's multicast
rate, or converted to unicast frames to the set-top box (multicast-to-unicast).

Many homes and venues route through a separate box (the ISP's router with a mesh or
extender access point bridged behind it, an office firewall): with ``separate_router``
the gateway's MAC is that router's, not the access point's, so the stations' Internet
traffic names it as destination and source (the third address on the air, the Ethernet
addresses on a mirror port).
"""
from __future__ import annotations

import math
from typing import Any, Dict, List

import numpy as np

from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.devices.base import F_GROUP, ME, Bss, SimDevice, Param, check_ranges, choice, logu, random_radio

_SSIDS = ("FRITZ!Box 7590 {A2}", "Vodafone-{H4}", "TP-Link_{H4}", "NETGEAR{d2}", "SKY{D5}", "BT-{A6}",
          "HUAWEI-{H4}", "Livebox-{H4}", "Telekom-{D6}", "Linksys{D5}", "ASUS_{H2}_2G", "eduroam", "Guest",
          "xfinitywifi", "{word} Wi-Fi", "{word}_{d2}", "DIRECT-{A2}-HP Printer", "")
_WORDS = ("Home", "Casa", "Hotel", "Office", "Lobby", "Cafe", "Smith", "Garden", "Loft", "Studio")


def random_ssid(rng: np.random.Generator) -> str:
    style = choice(rng, _SSIDS[:-1])
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return style.format(A2="".join(choice(rng, letters) for _ in range(2)),
                        A6="".join(choice(rng, letters + "23456789") for _ in range(6)),
                        H2="%02X" % int(rng.integers(0, 256)), H4="%04X" % int(rng.integers(0, 1 << 16)),
                        d2="%02d" % int(rng.integers(0, 100)), D5="%05d" % int(rng.integers(0, 10 ** 5)),
                        D6="%06d" % int(rng.integers(0, 10 ** 6)), word=choice(rng, _WORDS))


def router_mac(bssid: int) -> int:
    """The MAC of the separate router behind an access point (fixed per access point)."""
    return E.random_mac(np.random.default_rng([int(bssid) & 0xFFFFFFFFFFFF, 0x726F75]), "ap")


class AccessPoint(SimDevice):
    """An access point and its LAN's group traffic (see the module docstring)."""

    kind = "access_point"
    MAC_POOL = "ap"
    KIND_PARAMS = {
        "beacon_interval_tu": Param(100, "beacon interval in TU (1.024 ms)", 15, 1000),
        "beacon_late_ms": Param(0.3, "mean beacon delay when the medium is busy", 0.0, 50.0),
        "extra_ssids": Param(0, "additional SSIDs (guest networks), each with its own BSSID", 0, 7),
        "hidden": Param(False, "the SSID is hidden (empty in beacons)"),
        "security": Param("wpa2", "wpa2/wpa3 (frames encrypted) or open", choices=("wpa2", "wpa3", "open")),
        "ie_bytes": Param(120, "beacon information elements beyond SSID/rates/DS (vendor, HT/VHT...)", 0, 1000),
        "arp_per_s": Param(0.3, "ARP requests per second", 0.0, 100.0),
        "mdns_per_s": Param(0.05, "mDNS bursts per second", 0.0, 50.0),
        "ssdp_s": Param(120.0, "SSDP NOTIFY burst interval (0: none)", 0.0, 3600.0),
        "ipv6_s": Param(200.0, "IPv6 router advertisement / ND interval (0: none)", 0.0, 3600.0),
        "lan_hosts": Param(6, "hosts on the LAN whose broadcasts are repeated", 1, 500),
        "iptv": Param(False, "an IPTV multicast stream on the BSS"),
        "iptv_bps": Param(4e6, "IPTV stream rate", 1e5, 4e7),
        "iptv_m2u": Param(False, "the access point converts the IPTV multicast to unicast to the set-top box"),
        "iptv_rtp": Param(False, "IPTV datagrams carry an RTP header (1356 instead of 1344 IP bytes)"),
        "mcast_rate_mbps": Param(1.0, "rate of group-addressed frames", 1.0, 600.0),
        "separate_router": Param(False, "the LAN's gateway is a separate router (its own MAC) behind the AP"),
    }

    @classmethod
    def owns_bss(cls, params: Dict[str, Any]) -> bool:
        return True

    @classmethod
    def random_params(cls, rng: np.random.Generator, ranges: str = "calibration") -> Dict[str, Any]:
        test = check_ranges(ranges) == "test"
        p = random_radio(rng, rates=(130.0, 144.4, 173.3, 300.0, 433.3, 866.7), peer_rates=(130.0, 300.0),
                         retry_hi=0.05)
        iptv = rng.random() < 0.15
        m2u = iptv and rng.random() < 0.3
        p.update(
            beacon_interval_tu=100 if rng.random() < 0.92 else int(choice(rng, [50, 200, 300])),
            beacon_late_ms=logu(rng, 0.02, 2.0),
            extra_ssids=int(choice(rng, [0, 0, 0, 1, 1, 2])),
            hidden=bool(rng.random() < 0.05),
            security=choice(rng, ["wpa2", "wpa3", "open"], [0.75, 0.1, 0.15]),
            ie_bytes=int(rng.integers(40, 300)),
            arp_per_s=logu(rng, 0.02, 2.0),
            mdns_per_s=logu(rng, 0.01, 0.5),
            ssdp_s=0.0 if rng.random() < 0.3 else logu(rng, 30.0, 300.0),
            ipv6_s=0.0 if rng.random() < 0.3 else logu(rng, 60.0, 600.0),
            lan_hosts=int(rng.integers(2, 20)),
            iptv=bool(iptv),
            iptv_bps=logu(rng, 2e6, 8e6),
            iptv_m2u=bool(m2u),
            iptv_rtp=bool(rng.random() < 0.5),
            mcast_rate_mbps=float(choice(rng, [6.0, 12.0, 24.0, 24.0, 54.0])) if iptv and not m2u else 1.0,
            separate_router=False,  # random rooms draw it (scene files keep their addresses)
        )
        if test:  # shifted, wider ranges for a test set
            p.update(iptv_bps=logu(rng, 1e6, 15e6), arp_per_s=logu(rng, 0.01, 5.0), mdns_per_s=logu(rng, 0.005, 1.0),
                     beacon_late_ms=logu(rng, 0.01, 5.0))
        return p

    def default_ssid(self, rng: np.random.Generator) -> str:
        return random_ssid(rng)

    def _setup(self) -> None:
        p = self.p
        self.bss.protected = p["security"] != "open"
        self.bss.wired = True
        self.bss.beacon_interval_tu = int(p["beacon_interval_tu"])
        self.bss.ie_bytes = int(p["ie_bytes"])
        if self.bss.channel > 14:
            self.bss.basic_rate_mbps = max(6.0, self.bss.basic_rate_mbps)
        rate = max(p["mcast_rate_mbps"], self.bss.basic_rate_mbps) if p["iptv"] else self.bss.basic_rate_mbps
        self.queues[ME].group_rate_mbps = rate
        # a deterministic set of LAN hosts (their MACs appear as SA of repeated broadcasts)
        r = np.random.default_rng(self.mac & 0xFFFFFFFF)
        self._hosts = np.array([E.random_device_mac(r, choice(r, ["phone", "laptop", "iot", "tv"]), 0.4)
                                for _ in range(p["lan_hosts"])], np.uint64)
        if not self._peer_given:
            self.peer = E.random_mac(r, "tv")  # the IPTV set-top box
        self._group_mac = np.uint64(E.ipv4_multicast_mac(f"239.{r.integers(0, 256)}.{r.integers(0, 256)}."
                                                     f"{r.integers(1, 255)}"))
        self.extra_bss: List[Bss] = []
        for k in range(p["extra_ssids"]):
            # virtual BSSIDs: locally administered variants of the radio's address
            bssid = (self.mac ^ ((k + 1) << 41)) | (0x02 << 40)
            ssid = ("Guest" if k == 0 else f"{self.bss.ssid}-{k + 1}") if self.bss.ssid else ""
            self.extra_bss.append(Bss(bssid, ssid, self.bss.channel, self.bss.rssi_dbm, self.bss.protected, True,
                                      self.bss.basic_rate_mbps, self.bss.beacon_interval_tu, self.bss.ie_bytes))
        if p["hidden"]:
            self.bss.ssid = ""
        if p["separate_router"]:
            self.bss.router = router_mac(self.mac)
            for b in self.extra_bss:
                b.router = self.bss.router

    def all_bss(self) -> List[Bss]:
        return [self.bss] + self.extra_bss

    def labels(self):
        out = super().labels()
        for b in self.extra_bss:
            out[b.bssid] = {"kind": self.kind, "camera": False, "video": False,
                            "name": f"{self.name} ({b.ssid or 'hidden'})", "channel": self.channel}
        if self.bss.router:
            out[self.bss.router] = {"kind": "router", "camera": False, "video": False,
                                    "name": f"{self.name} router", "channel": self.channel}
        if self.p["iptv"] and self.p["iptv_m2u"]:
            out[self.peer] = {"kind": "iptv_set_top_box", "camera": False, "video": False,
                              "name": f"{self.name} set-top box", "channel": self.channel}
        return out

    def _start(self, t0: float, rng: np.random.Generator) -> None:
        p = self.p
        bi = p["beacon_interval_tu"] * 1.024e-3
        n = 1 + len(self.extra_bss)
        self._bphase = float(rng.uniform(0, bi))
        self._bk = max(0, int(math.ceil((t0 - self._bphase) / bi)))
        self._boff = np.arange(n) * rng.uniform(0.0002, 0.002)  # the other SSIDs' beacons follow
        self._next = {
            "arp": t0 + rng.exponential(1 / p["arp_per_s"]) if p["arp_per_s"] > 0 else math.inf,
            "mdns": t0 + rng.exponential(1 / p["mdns_per_s"]) if p["mdns_per_s"] > 0 else math.inf,
            "ssdp": t0 + rng.uniform(0, p["ssdp_s"]) if p["ssdp_s"] > 0 else math.inf,
            "ipv6": t0 + rng.uniform(0, p["ipv6_s"]) if p["ipv6_s"] > 0 else math.inf,
            "iptv": t0 + rng.uniform(0, 0.01),
        }
        self._tsf0 = int(rng.integers(1 << 20, 1 << 40))  # the AP's TSF counter at t = 0 (us)

    def _beacons(self, t0: float, t1: float, rng: np.random.Generator) -> np.ndarray:
        bi = self.p["beacon_interval_tu"] * 1.024e-3
        k_end = int(math.ceil((t1 - self._bphase) / bi))
        if k_end <= self._bk:
            return E.empty()
        k = np.arange(self._bk, k_end)
        self._bk = k_end
        late = rng.exponential(self.p["beacon_late_ms"] * 1e-3, len(k)) * (rng.random(len(k)) < 0.5)
        base = self._bphase + k * bi + late
        out = []
        for i, b in enumerate(self.all_bss()):
            ts = base + self._boff[i]
            out.append(self._direct(ME, ts, E.BEACON, ra=E.BROADCAST, ta=b.bssid, bssid=b.bssid,
                                    l3len=self.p["ie_bytes"], rng=rng))
        return E.concat(out)

    def _poisson(self, key: str, rate: float, t1: float, rng) -> np.ndarray:
        out = []
        while self._next[key] < t1:
            out.append(self._next[key])
            self._next[key] += rng.exponential(1 / rate)
        return np.array(out)

    def _periodic(self, key: str, period: float, t1: float, rng) -> np.ndarray:
        out = []
        while self._next[key] < t1:
            out.append(self._next[key])
            self._next[key] += period * rng.uniform(0.9, 1.1)
        return np.array(out)

    def _group(self, ts, l3, ra, rng, proto=E.PROTO_UDP):
        ts = np.asarray(ts, np.float64)
        if not len(ts):
            return
        src = self._hosts[rng.integers(0, len(self._hosts), len(ts))]
        o = np.argsort(ts, kind="stable")
        self._queue(ME, ts[o], np.broadcast_to(l3, ts.shape)[o], kind=E.DATA, ra=np.broadcast_to(ra, ts.shape)[o],
                    a3=src[o], proto=proto, flags=F_GROUP)

    def _produce(self, t0: float, t1: float, rng: np.random.Generator):
        p = self.p
        out = [self._beacons(t0, t1, rng)]
        ts = self._poisson("arp", p["arp_per_s"], t1, rng) if p["arp_per_s"] > 0 else []
        self._group(ts, 28, E.BROADCAST, rng, proto=0)
        if p["mdns_per_s"] > 0:
            ts = self._poisson("mdns", p["mdns_per_s"], t1, rng)
            if len(ts):
                k = rng.integers(1, 5, len(ts))
                tt = np.repeat(ts, k) + rng.uniform(0, 0.02, int(k.sum()))
                self._group(tt, rng.integers(60, 500, len(tt)), np.uint64(E.ipv4_multicast_mac("224.0.0.251")), rng)
        if p["ssdp_s"] > 0:
            ts = self._periodic("ssdp", p["ssdp_s"], t1, rng)
            if len(ts):
                k = rng.integers(3, 9, len(ts))
                tt = np.repeat(ts, k) + rng.uniform(0, 0.1, int(k.sum()))
                self._group(tt, rng.integers(250, 420, len(tt)), np.uint64(E.ipv4_multicast_mac("239.255.255.250")),
                            rng)
        if p["ipv6_s"] > 0:
            ts = self._periodic("ipv6", p["ipv6_s"], t1, rng)
            self._group(ts, rng.integers(72, 160, len(ts)), np.uint64(0x333300000001), rng, proto=58)
        if p["iptv"]:
            self._iptv(t1, rng)
        return out

    def _iptv(self, t1: float, rng: np.random.Generator) -> None:
        """A constant-rate MPEG-TS stream, datagrams slightly bunched by the network."""
        p = self.p
        l3 = 1356 if p["iptv_rtp"] else 1344
        gap = l3 * 8.0 / p["iptv_bps"]
        t = self._next["iptv"]
        if t >= t1:
            return
        n = int((t1 - t) / gap) + 1
        ts = t + gap * np.arange(n)
        self._next["iptv"] = t + gap * n
        # network jitter bunches datagrams a little (never reordering them)
        ts = np.maximum.accumulate(ts + rng.exponential(gap * 0.3, n))
        if p["iptv_m2u"]:
            self._queue(ME, ts, l3, kind=E.QOS_DATA, ra=self.peer, a3=self._hosts[0], proto=E.PROTO_UDP, tid=5)
        else:
            self._queue(ME, ts, l3, kind=E.DATA, ra=self._group_mac, a3=self._hosts[0], proto=E.PROTO_UDP,
                        flags=F_GROUP)
