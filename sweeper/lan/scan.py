"""``sweeper lan``: run the probes within a time budget, merge per host, score once.

The listeners (mDNS, SSDP, WS-Discovery) wait for answers in threads while ARP sweeps
the subnet; then the live hosts' camera ports are probed. :func:`discover` gathers the
evidence (all network work); :func:`scan` adds one :func:`score_host` per host at the
end, so the evidence can be checked on its own and the scoring stays pure.
"""
from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from sweeper.errors import InputError, terminal_safe
from sweeper.lan import arp, mdns, ports, ssdp, wsd
from sweeper.lan.conduct import RateLimiter, attachment, check_target
from sweeper.lan.hosts import Host, clean
from sweeper.lan.score import HostScore, score_host


@dataclass(frozen=True)
class Budget:
    """Seconds for each stage of a mode (the whole stays under ``total``)."""

    total: float
    listen: float  # mDNS, SSDP and WS-Discovery answers
    ports: tuple


MODES = {"quick": Budget(total=25.0, listen=6.0, ports=ports.QUICK_PORTS),
         "thorough": Budget(total=110.0, listen=20.0, ports=ports.QUICK_PORTS + ports.THOROUGH_EXTRA)}
#: the part of the budget the sweep for live addresses may take at most (a /22 at 100
#: packets/s takes 10 s); the rest is for their ports
SWEEP_SHARE = 0.5
#: the slowest single exchange after a deadline check (a description fetch or a request)
MARGIN_S = 2.5


@dataclass
class Discovery:
    hosts: Dict[str, Host]
    coverage: dict


@dataclass
class ScanResult:
    hosts: List[Host]
    scores: Dict[str, HostScore]
    coverage: dict

    def to_json(self) -> dict:
        order = {"camera": 2, "suspect": 1, "none": 0}
        findings, others = [], []
        for h in sorted(self.hosts, key=lambda h: -self.scores[h.ip].score):
            s = self.scores[h.ip]
            services = [svc.to_json() for svc in h.services]
            if s.verdict in ("camera", "suspect"):
                findings.append({"type": "lan_camera", "ip": h.ip, "mac": h.mac, "vendor": h.vendor,
                                 "verdict": s.verdict, "score": round(s.score, 3), "reasons": list(s.reasons),
                                 "services": services, "names": h.names,
                                 "mdns": sorted({m["type"] for m in h.mdns}), "onvif": bool(h.onvif)})
            else:
                others.append({"ip": h.ip, "mac": h.mac, "vendor": h.vendor, "names": h.names,
                               "services": services})
        verdict = max((f["verdict"] for f in findings), key=order.get, default="none")
        return {"verdict": verdict, "findings": findings, "hosts": others, "coverage": self.coverage}


class _Listener(threading.Thread):
    """A probe run in the background; keeps its result or its error."""

    def __init__(self, name: str, fn: Callable[[], object]):
        super().__init__(name=f"lan-{name}", daemon=True)
        self.fn, self.result, self.error = fn, None, None

    def run(self):
        try:
            self.result = self.fn()
        except Exception as exc:  # a probe that fails is reported in the coverage, not fatal
            self.error = exc


def _why(exc: BaseException) -> str:
    return clean(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)


def _live_addresses(att, network, limiter: RateLimiter, deadline: float, host, probes: dict) -> None:
    """Hosts that answer ARP, and the kernel's IPv4 neighbours; without raw sockets, the
    neighbours after a TCP connect to each address made the kernel resolve them."""
    candidates = [str(ip) for ip in network.hosts() if ip != att.address]
    try:
        live, asked = arp.arp_sweep(att, network, limiter, listen_s=1.0, deadline=deadline)
        probes["arp"] = f"requests to {asked} of {len(candidates)} addresses, {len(live)} answered"
        how = "arp"
    except PermissionError:
        touched = ports.touch(candidates, limiter, deadline)
        live = {}
        probes["arp"] = (f"not sent (needs root or CAP_NET_RAW): the kernel's neighbour table after a TCP "
                         f"connect to {touched} of {len(candidates)} addresses")
        how = "tcp"
    for ip, mac in live.items():
        host(ip, how).mac = mac
    for ip, mac in arp.neighbours(att, "-4"):
        if ipaddress.ip_address(ip) in network and ip != str(att.address):
            h = host(ip, how)
            h.mac = h.mac or mac


def _attach_ipv6(neighbours, hosts: Dict[str, Host], host) -> None:
    """IPv6 neighbours join the IPv4 host with their MAC; the others are hosts of their own."""
    for ip, mac in neighbours:
        owner = next((h for h in hosts.values() if h.mac == mac and h.ip != ip), None)
        if owner is None:
            host(ip, "nd").mac = mac
        elif ip not in owner.ipv6:
            owner.ipv6.append(ip)
            if "nd" not in owner.seen_by:
                owner.seen_by.append("nd")


def _name_vendors(hosts) -> None:
    names = arp.vendors({h.mac for h in hosts if h.mac})
    for h in hosts:
        if h.mac:
            h.private_mac = arp.is_private_mac(h.mac)
            h.vendor = names[h.mac]


def discover(interface: Optional[str] = None, mode: str = "quick", rate: float = 100.0,
             subnet: Optional[str] = None) -> Discovery:
    """The evidence on every host of the attached subnet (refuses other subnets)."""
    if mode not in MODES:
        raise InputError(f"mode {terminal_safe(mode)!r}: choose one of {', '.join(MODES)}")
    budget = MODES[mode]
    start = time.monotonic()
    end = start + budget.total
    att = attachment(interface)
    network = check_target(att, subnet)
    limiter = RateLimiter(rate)
    hosts: Dict[str, Host] = {}
    probes: Dict[str, str] = {}

    def host(ip: str, how: str) -> Host:
        h = hosts.setdefault(ip, Host(ip))
        if how not in h.seen_by:
            h.seen_by.append(how)
        return h

    listen = min(budget.listen, budget.total / 3)
    listeners = {
        "mdns": _Listener("mdns", lambda: mdns.browse(att, network, limiter, listen)),
        "ssdp": _Listener("ssdp", lambda: ssdp.describe(ssdp.search(att, network, limiter, listen / 2),
                                                        network, limiter, end - MARGIN_S)),
        "wsd": _Listener("wsd", lambda: wsd.probe(att, network, limiter, listen / 2)),
    }
    for t in listeners.values():
        t.start()

    _live_addresses(att, network, limiter, start + budget.total * SWEEP_SHARE, host, probes)
    probes["nd"] = arp.ping_all_nodes(att, limiter)
    time.sleep(0.5)
    v6 = arp.neighbours(att, "-6")
    probes["nd"] += f", {len(v6)} IPv6 neighbours"

    # camera ports of every host seen so far, then of hosts the listeners add
    tcp_deadline = end - MARGIN_S
    probed: set = set()
    connects = [0, 0]  # tried, planned

    def probe_ports(ips):
        # only the joined subnet, whatever a listener was told (each filters too)
        fresh = [ip for ip in ips if ip not in probed and ipaddress.ip_address(ip) in network]
        probed.update(fresh)
        found, tried = ports.probe_hosts(fresh, budget.ports, limiter, tcp_deadline)
        connects[0] += tried
        connects[1] += len(fresh) * len(budget.ports)
        for ip, services in found.items():
            host(ip, "tcp").services.extend(services)

    probe_ports(list(hosts))
    for name, t in listeners.items():
        t.join(max(0.0, end - time.monotonic()))
        if t.is_alive():
            probes[name] = "still waiting for answers when the time budget ended (none used)"
        elif t.error is not None:
            probes[name] = f"failed: {_why(t.error)}"
        else:
            _merge(name, t.result, host)
            probes[name] = f"{len(t.result)} hosts answered in {listen / (1 if name == 'mdns' else 2):.0f} s"
    if mode == "thorough" and time.monotonic() + 3 < end:  # ONVIF unicast Probes to each live host
        v4 = [ip for ip in sorted(hosts, key=_sort_key) if ipaddress.ip_address(ip).version == 4]
        try:
            _merge("wsd", wsd.probe(att, network, limiter, 2.0, unicast_to=v4), host)
            probes["wsd"] += f"; unicast Probes to {len(v4)} hosts"
        except OSError as exc:
            probes["wsd"] += f"; unicast Probes failed: {_why(exc)}"
    probe_ports(list(hosts))
    probes["tcp"] = (f"{len(budget.ports)} ports on {len(probed)} hosts, {connects[0]} of {connects[1]} connects "
                     f"within the time budget (RTSP OPTIONS/DESCRIBE, HTTP HEAD/GET; read-only, no credentials)")

    _attach_ipv6(v6, hosts, host)
    _name_vendors(hosts.values())

    coverage = {"interface": att.interface, "subnet": str(network), "mode": mode,
                "seconds": round(time.monotonic() - start, 1), "packets_sent": limiter.sent,
                "rate_limit_pps": limiter.rate, "probes": probes}
    return Discovery(hosts, coverage)


def _merge(name: str, result: dict, host: Callable[[str, str], Host]) -> None:
    for ip, evidence in result.items():
        h = host(ip, name)
        if name == "mdns":
            h.mdns.extend(e for e in evidence["mdns"] if e not in h.mdns)
            h.names.extend(n for n in evidence["names"] if n not in h.names)
        elif name == "ssdp":
            h.ssdp.extend(e for e in evidence if e not in h.ssdp)
        elif name == "wsd":
            h.onvif.extend(e for e in evidence if e not in h.onvif)


def scan(interface: Optional[str] = None, mode: str = "quick", rate: float = 100.0,
         subnet: Optional[str] = None) -> ScanResult:
    """Discover the subnet's hosts and score each (one call per host, at the end)."""
    found = discover(interface, mode, rate, subnet)
    hosts = sorted(found.hosts.values(), key=lambda h: _sort_key(h.ip))
    return ScanResult(hosts, {h.ip: score_host(h) for h in hosts}, found.coverage)


def _sort_key(ip: str):
    a = ipaddress.ip_address(ip)
    return (a.version, int(a))
