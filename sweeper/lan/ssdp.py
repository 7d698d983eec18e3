"""What UPnP devices say they are: SSDP search, then each device's description.

Many cameras, NVRs and baby monitors run UPnP (for port mapping and discovery apps);
their device description names the manufacturer, model and device type. The search is
a few lines of UDP sent from the interface's own address; every reply and description
is hostile input: descriptions are fetched only from hosts inside the subnet, without
redirects, with a short timeout and a size cap, and parsed with defusedxml (no
entities, no external references).
"""
from __future__ import annotations

import ipaddress
import select
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional
from urllib.parse import quote, urlsplit

from sweeper.lan import wire
from sweeper.lan.conduct import Attachment, RateLimiter
from sweeper.lan.hosts import clean

GROUP = ("239.255.255.250", 1900)
SEARCH_TARGETS = ("ssdp:all", "upnp:rootdevice")
MAX_RESPONSES = 512  # replies kept at most (a host may flood)
MAX_DESCRIPTION = 64 * 1024
FETCH_TIMEOUT_S = 2.0


def _m_search(target: str, mx: int) -> bytes:
    return (f"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n"
            f"MX: {mx}\r\nST: {target}\r\n\r\n").encode()


def _headers(datagram: bytes) -> Dict[str, str]:
    lines = datagram[:4096].decode("latin-1").split("\r\n")
    out = {}
    for line in lines[1:]:
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def search(att: Attachment, network: ipaddress.IPv4Network, limiter: RateLimiter,
           listen_s: float) -> Dict[str, List[dict]]:
    """{ip: [SSDP headers: "location", "server", "st"]} of hosts in ``network`` that replied."""
    replies: Dict[str, List[dict]] = {}
    count = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((str(att.address), 0))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(str(att.address)))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
        mx = max(1, min(3, int(listen_s / 2)))
        for target in SEARCH_TARGETS:
            limiter.acquire()
            sock.sendto(_m_search(target, mx), GROUP)
        end = time.monotonic() + listen_s
        while count < MAX_RESPONSES:
            ready, _, _ = select.select([sock], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                break
            data, (ip, _port) = sock.recvfrom(8192)
            if ipaddress.ip_address(ip) not in network or not data.startswith(b"HTTP/1.1 200"):
                continue
            count += 1
            h = _headers(data)
            entry = {"location": h.get("location", "")[:512], "server": clean(h.get("server")),
                     "st": clean(h.get("st"))}
            if entry not in replies.setdefault(ip, []):
                replies[ip].append(entry)
    return replies


def location_in_subnet(location: str, network: ipaddress.IPv4Network) -> bool:
    """Is the description URL plain http on an address inside ``network``?"""
    try:
        url = urlsplit(location)
        return url.scheme == "http" and ipaddress.ip_address(url.hostname or "") in network
    except ValueError:
        return False


def fetch_description(location: str, limiter: RateLimiter) -> Optional[bytes]:
    """The description at ``location`` (at most MAX_DESCRIPTION bytes, no redirects), or None."""
    url = urlsplit(location)
    path = quote((url.path or "/") + (f"?{url.query}" if url.query else ""), safe="/?&=%:;@+$,~-._!*'()")
    request = (f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nConnection: close\r\n"
               "User-Agent: sweeper\r\n\r\n").encode("latin-1", "replace")
    reply = wire.parse(wire.exchange(url.hostname, url.port or 80, request, MAX_DESCRIPTION, limiter,
                                     FETCH_TIMEOUT_S))
    return reply.body if reply.status == 200 else None


def parse_description(xml: bytes) -> Optional[dict]:
    """The root device's type, maker, model and name; None when not a parseable
    description (including any XML with entities or DTDs)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring
    from xml.etree.ElementTree import ParseError

    try:
        root = fromstring(xml, forbid_dtd=True)
    except (DefusedXmlException, ParseError, ValueError):
        return None
    device = root.find("{*}device")
    if device is None:
        return None

    def text(tag):
        return clean(device.findtext("{*}" + tag))

    model = " ".join(t for t in (text("modelName"), text("modelNumber")) if t)
    return {"device_type": text("deviceType"), "manufacturer": text("manufacturer"),
            "model": clean(model), "friendly_name": text("friendlyName")}


def describe(replies: Dict[str, List[dict]], network, limiter: RateLimiter,
             deadline: float) -> Dict[str, List[dict]]:
    """{ip: Host.ssdp entries}: the replies joined with their fetched descriptions.

    Each distinct LOCATION is fetched once (a few at a time), only when inside
    ``network`` and while a fetch can end before ``deadline``."""
    locations = sorted({e["location"] for entries in replies.values() for e in entries})

    def description(loc):
        if not location_in_subnet(loc, network) or time.monotonic() + FETCH_TIMEOUT_S > deadline:
            return None
        xml = fetch_description(loc, limiter)
        return parse_description(xml) if xml else None

    with ThreadPoolExecutor(max_workers=4) as pool:
        descriptions = dict(zip(locations, pool.map(description, locations)))
    out: Dict[str, List[dict]] = {}
    for ip, entries in replies.items():
        for e in entries:
            desc = descriptions[e["location"]] or {}
            item = {"st": e["st"], "server": e["server"], "device_type": desc.get("device_type", ""),
                    "manufacturer": desc.get("manufacturer", ""), "model": desc.get("model", ""),
                    "friendly_name": desc.get("friendly_name", "")}
            if item not in out.setdefault(ip, []):
                out[ip].append(item)
    return out
