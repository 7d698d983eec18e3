"""A phone lying around: scans with probe requests, otherwise mostly asleep (hard negative).

Every ``scan_s`` (on average) the phone scans: it visits each 2.4 GHz channel (and the
5 GHz ones when it has a 5 GHz radio), sends one to three wildcard probe requests on
each and listens ``dwell_ms``; access points on that channel answer with probe
responses. Modern phones probe from a fresh random (locally administered) MAC per scan.
When associated it also wakes for push-notification keepalives, power-save null frames
and the occasional background sync.
"""
from __future__ import annotations

from typing import Any, Dict, List

import numpy as np

from sweeper.sim.wifi import events as E
from sweeper.wifi.channels import CHANNELS_5
from sweeper.sim.wifi.devices.base import (F_ACKME, F_BURST_END, ME, PEER, SimDevice, Param, check_ranges, choice, logu,
                                           random_radio)
from sweeper.sim.wifi.devices.flows import tcp_transfer

_NON_DFS_5 = (36, 40, 44, 48, 149, 153, 157, 161, 165)


class PhoneIdle(SimDevice):
    """An idle phone (see the module docstring)."""

    kind = "phone_idle"
    MAC_POOL = "phone"
    LOCAL_MAC_SHARE = 0.85
    KIND_PARAMS = {
        "scan_s": Param(30.0, "mean interval between scans", 1.0, 7200.0),
        "scan_5ghz": Param(True, "scans also probe the 5 GHz channels (not DFS ones: those are passive)"),
        "channels_24": Param(13, "highest 2.4 GHz channel scanned (11 in North America)", 11, 14),
        "dwell_ms": Param(25.0, "time spent on each channel", 5.0, 200.0),
        "probes_per_channel": Param(2, "probe requests per channel", 1, 6),
        "randomize": Param(True, "each scan uses a fresh random MAC"),
        "probe_ie_bytes": Param(90, "probe request information elements beyond SSID/rates", 0, 400),
        "associated": Param(True, "the phone is associated to its access point"),
        "push_s": Param(120.0, "push-notification keepalive interval", 5.0, 7200.0),
        "ps_null_s": Param(3.0, "power-save null frame interval", 0.05, 600.0),
        "sync_s": Param(600.0, "mean interval between background syncs", 10.0, 1e6),
        "sync_bytes": Param(2e5, "bytes a background sync downloads", 100.0, 1e8),
        "rtt_ms": Param(50.0, "round trip to the push/sync servers", 0.5, 2000.0),
    }

    @classmethod
    def random_params(cls, rng: np.random.Generator, ranges: str = "calibration") -> Dict[str, Any]:
        test = check_ranges(ranges) == "test"
        p = random_radio(rng, rates=(65.0, 72.2, 130.0, 144.4, 173.3, 433.3),
                         peer_rates=(65.0, 130.0, 173.3, 433.3), retry_hi=0.10)
        p.update(
            scan_s=logu(rng, 10.0, 60.0),
            scan_5ghz=bool(rng.random() < 0.6),
            channels_24=int(choice(rng, [11, 13, 13])),
            dwell_ms=float(rng.uniform(10.0, 40.0)),
            probes_per_channel=int(rng.integers(1, 4)),
            randomize=bool(rng.random() < 0.85),
            probe_ie_bytes=int(rng.integers(40, 160)),
            associated=bool(rng.random() < 0.7),
            push_s=logu(rng, 20.0, 600.0),
            ps_null_s=logu(rng, 0.5, 10.0),
            sync_s=logu(rng, 120.0, 1800.0),
            sync_bytes=logu(rng, 1e4, 2e6),
            rtt_ms=logu(rng, 10.0, 200.0),
        )
        if test:  # shifted, wider ranges for a test set
            p.update(scan_s=logu(rng, 5.0, 120.0), push_s=logu(rng, 10.0, 1200.0), rtt_ms=logu(rng, 2.0, 400.0),
                     sync_bytes=logu(rng, 5e3, 5e6))
        return p

    def _start(self, t0: float, rng: np.random.Generator) -> None:
        p = self.p
        self._next_scan = t0 + rng.uniform(0, p["scan_s"])
        self._next_push = t0 + rng.uniform(0, p["push_s"])
        self._next_null = t0 + rng.uniform(0, p["ps_null_s"])
        self._next_sync = t0 + rng.exponential(p["sync_s"])
        chans: List[int] = list(range(1, p["channels_24"] + 1))
        if p["scan_5ghz"]:
            chans += [c for c in CHANNELS_5 if c in _NON_DFS_5]
        self._chans = np.array(chans)

    def _ack_delay(self, side: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if side == ME:
            return self.p["rtt_ms"] * 1e-3 * (0.9 + rng.exponential(0.2, n))
        return 0.0003 + rng.exponential(0.002, n)

    def _scan(self, t: float, rng: np.random.Generator) -> np.ndarray:
        p = self.p
        mac = E.random_local_mac(rng) if p["randomize"] else self.mac
        nch = len(self._chans)
        t_ch = t + np.arange(nch) * (p["dwell_ms"] * 1e-3 + rng.uniform(0.002, 0.005, nch))
        k = rng.integers(1, p["probes_per_channel"] + 1, nch)
        ch = np.repeat(self._chans, k)
        j = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
        ts = np.repeat(t_ch, k) + rng.uniform(0.0002, 0.002) + j * rng.uniform(0.0005, 0.003)
        rate = np.where(ch <= 14, 1.0, 6.0)
        probes = self._direct(ME, ts, E.PROBE_REQ, ra=E.BROADCAST, ta=mac, bssid=E.BROADCAST,
                              l3len=p["probe_ie_bytes"], rng=rng)
        probes["channel"] = ch
        probes["rate"] = (rate * 2).astype(np.uint16)
        out = [probes]
        # access points on each probed channel answer (to the first probe there)
        first = np.concatenate([[True], ch[1:] != ch[:-1]])
        for b in self.neighbors:
            sel = first & (ch == b.channel)
            if not sel.any() or rng.random() < 0.1:
                continue
            tr = ts[sel] + rng.uniform(0.0005, 0.008, int(sel.sum()))
            noise = rng.normal(0.0, 2.0, len(tr))
            r = self._direct(ME, tr, E.PROBE_RESP, ra=mac, ta=b.bssid, bssid=b.bssid, l3len=b.ie_bytes,
                             rate_mbps=b.basic_rate_mbps, channel=b.channel, rng=rng, rssi_db=b.rssi_dbm + noise)
            out.append(r)
        return E.concat(out)

    def _produce(self, t0: float, t1: float, rng: np.random.Generator):
        p = self.p
        out = []
        while self._next_scan < t1:
            out.append(self._scan(self._next_scan, rng))
            self._next_scan += p["scan_s"] * rng.uniform(0.3, 1.7)
        if not p["associated"]:
            return out
        rtt = p["rtt_ms"] * 1e-3
        push = []
        while self._next_push < t1:
            push.append(self._next_push)
            self._next_push += p["push_s"] * rng.uniform(0.9, 1.1)
        if push:
            ts = np.array(push)
            n = len(ts)
            self._queue(ME, ts - 0.002, 0, kind=E.QOS_NULL)  # wakes up
            self._queue(ME, ts, rng.integers(60, 150, n), flags=F_ACKME | F_BURST_END)
            self._queue(PEER, ts + rtt, rng.integers(60, 150, n), flags=F_ACKME | F_BURST_END)
        nulls = []
        while self._next_null < t1:
            nulls.append(self._next_null)
            self._next_null += p["ps_null_s"] * rng.uniform(0.5, 1.5)
        if nulls:
            self._queue(ME, np.array(nulls), 0, kind=E.QOS_NULL)
        while self._next_sync < t1:
            t = self._next_sync
            self._queue(ME, t, int(rng.integers(300, 900)), flags=F_ACKME | F_BURST_END)
            arr, l3 = tcp_transfer(t + rtt * 1.5, int(p["sync_bytes"]), 1500, 52, float(rng.uniform(5e6, 20e6)), rtt,
                                   rng)
            flags = np.full(len(arr), F_ACKME)
            flags[-1] |= F_BURST_END
            self._queue(PEER, arr, l3, flags=flags)
            self._next_sync += rng.exponential(p["sync_s"])
        return out
