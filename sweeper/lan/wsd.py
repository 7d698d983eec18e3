"""ONVIF cameras and NVRs answering a WS-Discovery Probe, with their types and scopes.

An ONVIF device answers a Probe with its types (``dn:NetworkVideoTransmitter`` is a
camera), scopes (``onvif://www.onvif.org/hardware/MODEL``, ``.../name/...``) and
service addresses (XAddrs), idle or not.

Why not the WSDiscovery package: it binds its sockets to every interface's address
(it enumerates them with ifaddr and re-checks them in a thread), so a Probe would go out
on networks other than the one a guest may scan, and it parses replies with minidom,
which expands entities. The Probe is one SOAP envelope sent from the interface's own
address; the ProbeMatches are parsed with defusedxml.
"""
from __future__ import annotations

import ipaddress
import select
import socket
import time
import uuid
from typing import Dict, List

from sweeper.lan.conduct import Attachment, RateLimiter
from sweeper.lan.hosts import clean

GROUP = ("239.255.255.250", 3702)
MAX_REPLY = 65000
MAX_ITEMS = 16  # types, scopes or XAddrs kept per match
MAX_MATCHES = 256

PROBE = """<?xml version="1.0" encoding="UTF-8"?>
<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"
 xmlns:w="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery">
<e:Header><w:MessageID>urn:uuid:{id}</w:MessageID>
<w:To e:mustUnderstand="true">urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>
<w:Action e:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</w:Action>
</e:Header><e:Body><d:Probe/></e:Body></e:Envelope>"""


def probe_message() -> bytes:
    """A Probe for any type (ONVIF devices answer with theirs)."""
    return PROBE.format(id=uuid.uuid4()).encode()


def parse_matches(xml: bytes) -> List[dict]:
    """[{"types", "scopes", "xaddrs"}] of the ProbeMatch elements; [] for anything
    unparseable, including XML with a DTD or entities."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(xml, forbid_dtd=True)
    except (DefusedXmlException, ParseError, ValueError):
        return []
    matches = []
    for m in root.iterfind(".//{*}ProbeMatch"):
        def words(tag):
            return [clean(w) for w in (m.findtext("{*}" + tag) or "").split()[:MAX_ITEMS]]
        matches.append({"types": words("Types"), "scopes": words("Scopes"), "xaddrs": words("XAddrs")})
    return matches[:MAX_ITEMS]


def probe(att: Attachment, network: ipaddress.IPv4Network, limiter: RateLimiter,
          listen_s: float, unicast_to: List[str] = ()) -> Dict[str, List[dict]]:
    """{ip: Host.onvif entries} of hosts in ``network`` that answered a multicast Probe
    (and one sent to each of ``unicast_to``)."""
    found: Dict[str, List[dict]] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((str(att.address), 0))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(str(att.address)))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        for target in [GROUP] + [(ip, GROUP[1]) for ip in unicast_to]:
            limiter.acquire()
            try:
                sock.sendto(probe_message(), target)
            except OSError:
                continue
        end = time.monotonic() + listen_s
        replies = 0
        while replies < MAX_MATCHES:
            ready, _, _ = select.select([sock], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                break
            data, (ip, _port) = sock.recvfrom(MAX_REPLY)
            if ipaddress.ip_address(ip) not in network:
                continue
            replies += 1
            for match in parse_matches(data):
                if match not in found.setdefault(ip, []):
                    found[ip].append(match)
    return found
