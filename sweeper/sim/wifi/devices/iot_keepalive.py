"""A smart-home device or hub idling: cloud heartbeats and little else (hard negative).

Each of ``flows`` cloud connections sends a small keepalive every ``interval_s`` (MQTT
PINGREQ inside TLS, a CoAP/vendor UDP heartbeat...) and the server answers; sensor
reports go up every ``report_s``; some devices broadcast a local discovery datagram
every few seconds (Tuya, many vendors), which the access point repeats to the whole
BSS; power-saving stations send null frames as they doze and wake; now and then a
configuration or firmware check downloads a little.
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.devices.base import (F_ACKME, F_BURST_END, F_GROUP, ME, PEER, SimDevice, Param, check_ranges, choice,
                                           logu, random_radio)
from sweeper.sim.wifi.devices.flows import tcp_transfer


class IotKeepalive(SimDevice):
    """An idle IoT device or hub (see the module docstring)."""

    kind = "iot_keepalive"
    MAC_POOL = "iot"
    KIND_PARAMS = {
        "interval_s": Param(30.0, "keepalive interval", 0.2, 7200.0),
        "jitter": Param(0.02, "keepalive interval jitter (fraction)", 0.0, 0.5),
        "flows": Param(1, "cloud connections, each with its own keepalive (a hub has several)", 1, 16),
        "transport": Param("tcp", "tcp (MQTT/TLS, HTTPS) or udp (CoAP, vendor)", choices=("tcp", "udp")),
        "up_bytes": Param(90, "keepalive size (IP bytes)", 28, 1500),
        "reply": Param(True, "the server answers each keepalive"),
        "report_s": Param(120.0, "sensor report interval", 1.0, 1e6),
        "report_bytes": Param(400, "sensor report size (IP bytes)", 28, 1500),
        "broadcast_s": Param(0.0, "local discovery broadcast interval (0: none)", 0.0, 3600.0),
        "broadcast_bytes": Param(180, "discovery datagram size (IP bytes)", 28, 1500),
        "ps_null_s": Param(0.0, "power-save null frames interval (0: none)", 0.0, 600.0),
        "update_s": Param(1800.0, "mean interval of configuration/firmware checks", 10.0, 1e7),
        "update_bytes": Param(5e4, "bytes such a check downloads", 100.0, 1e8),
        "rtt_ms": Param(80.0, "round trip to the cloud", 0.5, 3000.0),
    }

    @classmethod
    def random_params(cls, rng: np.random.Generator, ranges: str = "calibration") -> Dict[str, Any]:
        test = check_ranges(ranges) == "test"
        p = random_radio(rng, rates=(6.5, 13.0, 19.5, 26.0, 39.0, 52.0, 65.0, 72.2),
                         peer_rates=(26.0, 52.0, 65.0, 72.2), retry_hi=0.12)
        p["max_agg"] = int(choice(rng, [1, 1, 4, 8]))
        udp = rng.random() < 0.3
        hub = rng.random() < 0.3
        p.update(
            interval_s=logu(rng, 1.0, 60.0),
            jitter=float(rng.uniform(0.0, 0.05)),
            flows=int(rng.integers(2, 5)) if hub else 1,
            transport="udp" if udp else "tcp",
            up_bytes=int(rng.integers(40, 250)),
            reply=bool(rng.random() < 0.8),
            report_s=logu(rng, 10.0, 600.0),
            report_bytes=int(rng.integers(100, 1500)),
            broadcast_s=0.0 if rng.random() < 0.6 else float(choice(rng, [3.0, 5.0, 5.0, 10.0, 30.0])),
            broadcast_bytes=int(rng.integers(100, 250)),
            ps_null_s=0.0 if rng.random() < 0.4 else logu(rng, 0.1, 10.0),
            update_s=logu(rng, 300.0, 3600.0),
            update_bytes=logu(rng, 5e3, 5e5),
            rtt_ms=logu(rng, 10.0, 300.0),
        )
        if test:  # shifted, wider ranges for a test set
            p.update(interval_s=logu(rng, 0.5, 120.0), rtt_ms=logu(rng, 2.0, 400.0), report_s=logu(rng, 5.0, 1200.0),
                     update_bytes=logu(rng, 1e3, 2e6))
        return p

    def _setup(self) -> None:
        self._proto = E.PROTO_UDP if self.p["transport"] == "udp" else E.PROTO_TCP

    def _start(self, t0: float, rng: np.random.Generator) -> None:
        p = self.p
        self._next_ka = list(t0 + rng.uniform(0, p["interval_s"], p["flows"]))
        self._ka_scale = [1.0] + list(rng.uniform(0.5, 4.0, p["flows"] - 1))
        self._next_rep = t0 + rng.uniform(0, p["report_s"])
        self._next_bc = t0 + rng.uniform(0, p["broadcast_s"]) if p["broadcast_s"] > 0 else np.inf
        self._next_null = t0 + rng.uniform(0, p["ps_null_s"]) if p["ps_null_s"] > 0 else np.inf
        self._next_upd = t0 + rng.exponential(p["update_s"])

    def _ack_delay(self, side: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if side == ME:
            return self.p["rtt_ms"] * 1e-3 * (0.9 + rng.exponential(0.2, n))
        return 0.0003 + rng.exponential(0.002, n)

    @staticmethod
    def _times(nxt: float, t1: float, step, rng) -> tuple:
        out = []
        while nxt < t1:
            out.append(nxt)
            nxt += step(rng)
        return np.array(out), nxt

    def _produce(self, t0: float, t1: float, rng: np.random.Generator):
        p = self.p
        tcp = self._proto == E.PROTO_TCP
        fl = (F_ACKME | F_BURST_END) if tcp else 0
        rtt = p["rtt_ms"] * 1e-3
        jit = p["jitter"]
        for f in range(p["flows"]):
            iv = p["interval_s"] * self._ka_scale[f]
            ts, self._next_ka[f] = self._times(self._next_ka[f], t1,
                                               lambda r, iv=iv: iv * (1 + r.uniform(-jit, jit)), rng)
            if len(ts):
                n = len(ts)
                self._queue(ME, ts, p["up_bytes"] + rng.integers(-4, 5, n), proto=self._proto, flags=fl)
                if p["reply"]:
                    self._queue(PEER, ts + rtt * (1 + rng.exponential(0.2, n)),
                                p["up_bytes"] + rng.integers(-10, 10, n), proto=self._proto, flags=fl)
        ts, self._next_rep = self._times(self._next_rep, t1, lambda r: p["report_s"] * r.uniform(0.9, 1.1), rng)
        if len(ts):
            self._queue(ME, ts, p["report_bytes"] + rng.integers(-20, 21, len(ts)), proto=self._proto, flags=fl)
        ts, self._next_bc = self._times(self._next_bc, t1, lambda r: p["broadcast_s"] * r.uniform(0.99, 1.01), rng)
        if len(ts):
            # up to the access point (to-DS, DA broadcast), which repeats it to everyone (from-DS)
            self._queue(ME, ts, p["broadcast_bytes"], proto=E.PROTO_UDP, a3=E.BROADCAST)
            self._queue(PEER, ts + 0.0005 + rng.exponential(0.001, len(ts)), p["broadcast_bytes"], proto=E.PROTO_UDP,
                        kind=E.DATA, ra=E.BROADCAST, a3=self.mac, flags=F_GROUP)
        ts, self._next_null = self._times(self._next_null, t1, lambda r: p["ps_null_s"] * r.uniform(0.5, 1.5), rng)
        if len(ts):
            self._queue(ME, ts, 0, kind=E.NULL_DATA if rng.random() < 0.5 else E.QOS_NULL)
        while self._next_upd < t1:
            t = self._next_upd
            self._queue(ME, t, int(rng.integers(300, 700)), flags=F_ACKME | F_BURST_END)
            arr, l3 = tcp_transfer(t + rtt * 1.5, int(p["update_bytes"]), 1500, 52, 4e6, rtt, rng)
            flags = np.full(len(arr), F_ACKME)
            flags[-1] |= F_BURST_END
            self._queue(PEER, arr, l3, flags=flags)
            self._next_upd += rng.exponential(p["update_s"])
        return []
