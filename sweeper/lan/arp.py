"""Which addresses of the subnet are alive, and their MACs: ARP and neighbour discovery.

An idle camera answers ARP like any host, so an ARP sweep finds it even when it serves
nothing we probe. The requests go out through one AF_PACKET socket that only receives
ARP (the kernel filters by ethertype), paced by the scan's shared rate limiter: scapy's
``srp`` paces with its own sleep and would not share the budget. scapy builds and
parses the frames. Without CAP_NET_RAW the kernel's neighbour table is read instead,
after the TCP probe has made the kernel resolve every address it touched.

IPv6: one ICMPv6 echo to all-nodes (ff02::1) makes every IPv6 host on the link answer,
which fills the kernel's IPv6 neighbour table with their addresses and MACs.
"""
from __future__ import annotations

import ipaddress
import select
import socket
import struct
import time
from typing import Dict, List, Optional, Tuple

from sweeper.lan.conduct import Attachment, RateLimiter, _ip_json

ETH_P_ARP = 0x0806
#: neighbour states that mean the host answered (not FAILED/INCOMPLETE guesses)
LIVE_STATES = {"REACHABLE", "STALE", "DELAY", "PROBE", "PERMANENT", "NOARP"}


def normal_mac(mac: str) -> str:
    return mac.lower()


def is_private_mac(mac: str) -> bool:
    """Locally administered (a randomised phone address, a VM): bit 1 of the first octet."""
    return bool(int(mac.split(":")[0], 16) & 0x02)


def vendors(macs) -> Dict[str, Optional[str]]:
    """{mac: the IEEE registry's name for its OUI or None}, in one pass over the registry
    (the Wi-Fi sweep's lookup; None for locally administered addresses)."""
    from sweeper.wifi import oui

    numbers = {mac: int(mac.replace(":", ""), 16) for mac in macs}
    names = oui.lookup_many(numbers.values())
    return {mac: names[n] for mac, n in numbers.items()}


def arp_sweep(att: Attachment, network: ipaddress.IPv4Network, limiter: RateLimiter,
              listen_s: float = 1.0, deadline: float = None) -> Tuple[Dict[str, str], int]:
    """ARP-request every address of ``network`` (until ``deadline``): ({ip: mac} of those
    that answered, how many were asked). Raises PermissionError without CAP_NET_RAW."""
    from scapy.layers.l2 import ARP, Ether

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    found: Dict[str, str] = {}
    asked = 0
    try:
        sock.bind((att.interface, ETH_P_ARP))
        ours = att.mac or "00:00:00:00:00:00"
        for target in network.hosts():
            if target == att.address:
                continue
            if not limiter.acquire(deadline=deadline):
                break
            frame = Ether(dst="ff:ff:ff:ff:ff:ff", src=ours) / ARP(
                op=1, hwsrc=ours, psrc=str(att.address), pdst=str(target))
            sock.send(bytes(frame))
            asked += 1
            _collect_replies(sock, found, network, 0.0)
        end = time.monotonic() + listen_s
        if deadline is not None:
            end = min(end, deadline)
        _collect_replies(sock, found, network, max(0.0, end - time.monotonic()))
    finally:
        sock.close()
    return found, asked


def _collect_replies(sock, found: Dict[str, str], network, wait_s: float) -> None:
    from scapy.layers.l2 import ARP, Ether

    end = time.monotonic() + wait_s
    while True:
        ready, _, _ = select.select([sock], [], [], max(0.0, end - time.monotonic()))
        if not ready:
            return
        data = sock.recv(2048)
        try:
            arp = Ether(data).getlayer(ARP)
        except Exception:  # a malformed frame is not a reply
            continue
        if arp is None or arp.op != 2:
            continue
        try:
            if ipaddress.ip_address(arp.psrc) in network:
                found.setdefault(str(arp.psrc), normal_mac(arp.hwsrc))
        except ValueError:
            continue


def neighbours(att: Attachment, family: str = "-4") -> List[Tuple[str, str]]:
    """[(ip, mac)] of the kernel's live neighbour entries on the interface."""
    out = []
    for n in _ip_json(family, "neigh", "show", "dev", att.interface):
        mac = n.get("lladdr")
        if mac and set(n.get("state", [])) & LIVE_STATES:
            out.append((n["dst"], normal_mac(mac)))
    return out


def ping_all_nodes(att: Attachment, limiter: RateLimiter) -> str:
    """One ICMPv6 echo to ff02::1 on the interface; what was done, for the coverage."""
    scope = socket.if_nametoindex(att.interface)
    echo = struct.pack("!BBHHH", 128, 0, 0, 0x5357, 1) + b"sweeper"
    for kind in (socket.SOCK_RAW, socket.SOCK_DGRAM):  # raw needs CAP_NET_RAW; DGRAM is a ping socket
        try:
            with socket.socket(socket.AF_INET6, kind, socket.IPPROTO_ICMPV6) as sock:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)
                limiter.acquire()
                sock.sendto(echo, ("ff02::1", 0, 0, scope))
                return "one echo to ff02::1"
        except OSError as exc:
            why = exc.strerror or str(exc)
    return f"not sent ({why})"
