"""What hosts announce over multicast DNS (DNS-SD): service types, names and TXT keys.

Cameras, NVRs and their hubs often announce themselves (``_rtsp._tcp``,
``_axis-video._tcp``, HomeKit's ``_hap._tcp``) even when idle, and a host's mDNS name
is often its model. python-zeroconf does the protocol (bound to the interface's one
IPv4 address, so nothing is asked on other networks). All types the hosts enumerate
under ``_services._dns-sd._udp`` are browsed along with a fixed list of types that
tell cameras from printers and speakers.

Packets: zeroconf sends its own queries and retransmissions, which the scan's limiter
cannot pace; they are drawn in advance (a browser's rounds within the budget: at 0, 1,
2 and 4 s; one query per resolution) and stop with the listening budget.
"""
from __future__ import annotations

import ipaddress
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Tuple

from sweeper.lan.conduct import Attachment, RateLimiter
from sweeper.lan.hosts import clean

META_TYPE = "_services._dns-sd._udp.local."
#: always browsed: camera and NVR types, and the common types that explain a host away
INTERESTING_TYPES = (
    "_rtsp._tcp", "_onvif._tcp", "_axis-video._tcp", "_hap._tcp", "_http._tcp", "_https._tcp",
    "_ipp._tcp", "_printer._tcp", "_pdl-datastream._tcp", "_googlecast._tcp", "_airplay._tcp",
    "_raop._tcp", "_smb._tcp", "_nvstream._tcp", "_rtmp._tcp", "_homekit._tcp", "_workstation._tcp",
    "_companion-link._tcp", "_spotify-connect._tcp", "_sonos._tcp", "_amzn-wplay._tcp",
)
MAX_TYPES = 64  # types browsed at most (a host may enumerate many made-up ones)
MAX_INSTANCES = 128  # service instances resolved at most
MAX_TXT_KEYS = 16
RESOLVE_S = 1.0  # the end of the budget kept for resolving instances not yet complete
BROWSE_ROUNDS = 4  # queries a browser sends within a few seconds (zeroconf backs off)


def _fq(service_type: str) -> str:
    return service_type if service_type.endswith(".local.") else service_type + ".local."


def _short(service_type: str) -> str:
    return service_type[: -len(".local.")] if service_type.endswith(".local.") else service_type


class _Collector:
    """Service types and (type, instance) pairs seen, bounded."""

    def __init__(self):
        self.lock = threading.Lock()
        self.types: List[str] = []
        self.instances: List[Tuple[str, str]] = []

    def add_service(self, zc, type_, name):
        with self.lock:
            if type_ == META_TYPE:
                if name.endswith("._tcp.local.") or name.endswith("._udp.local."):
                    if name not in self.types and len(self.types) < MAX_TYPES:
                        self.types.append(name)
            elif (type_, name) not in self.instances and len(self.instances) < MAX_INSTANCES:
                self.instances.append((type_, name))

    def update_service(self, zc, type_, name):
        self.add_service(zc, type_, name)

    def remove_service(self, zc, type_, name):
        pass


def _txt(properties) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for key, value in list((properties or {}).items())[:MAX_TXT_KEYS]:
        k = clean(key, 40)
        if k:
            out[k] = clean(value) if value is not None else ""
    return out


def browse(att: Attachment, network: ipaddress.IPv4Network, limiter: RateLimiter,
           listen_s: float) -> Dict[str, dict]:
    """{ip: {"mdns": [{"type", "name", "txt"}], "names": [hostname]}} for hosts in ``network``."""
    from zeroconf import IPVersion, ServiceBrowser, Zeroconf

    zc = Zeroconf(interfaces=[str(att.address)], ip_version=IPVersion.V4Only)
    found: Dict[str, dict] = {}
    try:
        seen = _Collector()
        fixed = [_fq(t) for t in INTERESTING_TYPES]
        limiter.acquire(BROWSE_ROUNDS)
        browsers = [ServiceBrowser(zc, [META_TYPE] + fixed, listener=seen)]
        end = time.monotonic() + listen_s
        time.sleep(max(0.0, min(listen_s / 2, 1.5)))
        with seen.lock:
            more = [t for t in seen.types if t not in fixed]
        if more:  # types only these hosts announce
            limiter.acquire(BROWSE_ROUNDS)
            browsers.append(ServiceBrowser(zc, more, listener=seen))
        time.sleep(max(0.0, end - time.monotonic() - RESOLVE_S))
        with seen.lock:
            instances = list(seen.instances)

        def resolve(pair):  # from the answers already heard, else asked until the budget's end
            wait_ms = int(max(0.0, min(1.0, end - time.monotonic())) * 1000)
            limiter.acquire()
            return pair, zc.get_service_info(pair[0], pair[1], timeout=wait_ms)

        with ThreadPoolExecutor(max_workers=8) as pool:
            for (type_, name), info in pool.map(resolve, instances):
                if info is not None:
                    _attach(found, network, type_, name, info)
        for b in browsers:
            b.cancel()
    finally:
        zc.close()
    return found


def _attach(found: Dict[str, dict], network, type_: str, name: str, info) -> None:
    from zeroconf import IPVersion

    instance = name[: -len(type_) - 1] if name.endswith("." + type_) else name
    entry = {"type": clean(_short(type_)), "name": clean(instance), "txt": _txt(info.decoded_properties)}
    host_name = clean((info.server or "").rstrip("."))
    for ip in info.parsed_addresses(IPVersion.V4Only):
        try:
            if ipaddress.ip_address(ip) not in network:
                continue
        except ValueError:
            continue
        rec = found.setdefault(ip, {"mdns": [], "names": []})
        if entry not in rec["mdns"]:
            rec["mdns"].append(entry)
        if host_name and host_name not in rec["names"]:
            rec["names"].append(host_name)
