"""Which subnet a LAN scan may touch, and how fast it may send.

A guest may look for cameras on the network they were let onto, not on anyone else's:
the scan is confined to the attached interface's own private IPv4 subnet (RFC 1918,
CGNAT 100.64/10 or link-local), at most 1024 addresses, and every probe draws its
packets from one shared :class:`RateLimiter` so the whole scan stays gentle (100
packets/s by default) and says how much it sent.
"""
from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Optional

from sweeper.errors import HardwareError, InputError, terminal_safe

#: the largest subnet scanned (a /22): more is not a flat or a hotel room's network
MAX_ADDRESSES = 1024
#: ranges a guest's network may use; anything else is somebody's public address space
PRIVATE_RANGES = tuple(ipaddress.ip_network(n) for n in
                       ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"))


@dataclass(frozen=True)
class Attachment:
    """The interface a scan runs on, as the kernel reports it."""

    interface: str
    address: ipaddress.IPv4Address  # our own address on it
    network: ipaddress.IPv4Network  # the subnet it is attached to
    mac: Optional[str]


def _ip_json(*args) -> list:
    try:
        proc = subprocess.run(["ip", "-j", *args], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HardwareError(f"cannot run `ip -j {' '.join(args)}`: {exc} (install iproute2)") from None
    if proc.returncode != 0:
        raise InputError(f"`ip {' '.join(args)}`: {terminal_safe(proc.stderr.strip()) or 'failed'}")
    try:
        return json.loads(proc.stdout or "[]")
    except ValueError:
        return []


def default_interface() -> str:
    """The interface of the IPv4 default route (the network the guest joined)."""
    for route in _ip_json("route", "show", "default"):
        if route.get("dev"):
            return route["dev"]
    raise InputError("no IPv4 default route: join the network first or name it with --interface")


def attachment(interface: Optional[str] = None) -> Attachment:
    """The interface's own IPv4 subnet (the first global or link-local address on it)."""
    interface = interface or default_interface()
    if interface.startswith("-") or not 0 < len(interface) <= 15 or any(c in interface for c in "/ \t\n"):
        raise InputError(f"--interface {terminal_safe(interface)!r} is not an interface name")
    links = _ip_json("addr", "show", "dev", interface) if os.path.exists(f"/sys/class/net/{interface}") else []
    if not links:
        raise InputError(f"no interface {terminal_safe(interface)!r} (see `ip addr`)")
    link = links[0]
    if "UP" not in link.get("flags", []):
        raise InputError(f"{interface} is down: bring it up or join the network (ip link set {interface} up)")
    for a in link.get("addr_info", []):
        if a.get("family") == "inet":
            iface = ipaddress.ip_interface(f"{a['local']}/{a['prefixlen']}")
            return Attachment(interface, iface.ip, iface.network, link.get("address"))
    raise InputError(f"{interface} has no IPv4 address: join the network first")


def check_target(att: Attachment, subnet: Optional[str] = None) -> ipaddress.IPv4Network:
    """The subnet to scan: the attachment's own, private and at most MAX_ADDRESSES wide.

    ``subnet``, when given, must be that same subnet: a scan never reaches past the
    network the guest is on.
    """
    net = att.network
    if subnet is not None:
        try:
            asked = ipaddress.ip_network(subnet, strict=False)
        except ValueError:
            raise InputError(f"{terminal_safe(subnet)!r} is not a subnet (e.g. 192.168.1.0/24)") from None
        if asked != net:
            raise InputError(f"{asked} is not {att.interface}'s own subnet ({net}): "
                             "only the network this device is on may be scanned")
    if not any(net.subnet_of(r) for r in PRIVATE_RANGES if r.version == net.version):
        raise InputError(f"{net} on {att.interface} is public address space: only private networks "
                         "(10/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16) are scanned")
    if net.num_addresses > MAX_ADDRESSES:
        raise InputError(f"{net} on {att.interface} has {net.num_addresses} addresses: at most "
                         f"{MAX_ADDRESSES} (a /22) are scanned")
    return net


class RateLimiter:
    """A token bucket shared by every probe: at most ``rate`` packets a second.

    The bucket holds one token, so packets are paced evenly and no burst exceeds the
    rate. :attr:`sent` counts every packet drawn (for the scan's coverage). Probes draw
    what they send, TCP's handshakes and ACKs included (see :mod:`wire`); the kernel's
    own answers (ARP replies to hosts that ask for us, RSTs) are not drawn: on the
    test networks the interface sent about 10% more than was drawn, still under the rate.
    """

    def __init__(self, rate: float = 100.0):
        if not rate > 0:
            raise InputError("--rate must be a positive number of packets per second")
        self.rate = float(rate)
        self._interval = 1.0 / self.rate
        self._next = time.monotonic()
        self._lock = threading.Lock()
        self.sent = 0

    def acquire(self, packets: int = 1, deadline: Optional[float] = None) -> bool:
        """Wait for ``packets`` tokens; False (nothing drawn) when that would pass the
        ``deadline`` (a time.monotonic() value)."""
        if packets <= 0:
            return True
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            if deadline is not None and slot > deadline:
                return False
            self._next = slot + packets * self._interval
            self.sent += packets
        if slot > now:
            time.sleep(slot - now)
        return True
