"""What a LAN scan learnt of one host: the evidence the scorer reads.

Every string here came from the network and may be hostile: probes store it through
:func:`clean` (printable, one line, bounded), never raw. Only what the verdict and the
user need is kept: names, service types, banners and titles, never a stream's media.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

#: longest string kept from the network (a banner, a title, a name)
MAX_TEXT = 120


def clean(text, limit: int = MAX_TEXT) -> str:
    """One printable line of at most ``limit`` characters from untrusted network text."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    s = "".join(c if c.isprintable() else " " for c in str(text))
    s = " ".join(s.split())
    return s[:limit]


@dataclass
class Service:
    """One open TCP port and what it answered to a read-only request.

    ``proto``: "rtsp", "http", "https" or "tcp" (open, not identified).
    ``banner``: one line for people (a Server header, a page title, an RTSP server).
    ``details``: for the scorer, by proto:
      rtsp: {"status": int (DESCRIBE's status, e.g. 200 or 401), "server": str,
             "media": ["video", "audio", ...] (from the SDP's m= lines when DESCRIBE
             answered 200), "realm": str (WWW-Authenticate realm when 401)}
      http/https: {"status": int, "server": str, "title": str, "realm": str}
    """

    port: int
    proto: str
    banner: str = ""
    details: Dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"port": self.port, "proto": self.proto, "banner": self.banner}


@dataclass
class Host:
    """A host on the subnet and its evidence.

    ``mdns``: DNS-SD service types it announces, e.g. "_rtsp._tcp", "_ipp._tcp", each
    with its instance name and TXT keys it carried: [{"type", "name", "txt": {k: v}}].
    ``ssdp``: one entry per UPnP device it described: {"st", "server", "device_type",
    "manufacturer", "model", "friendly_name"} (strings, cleaned).
    ``onvif``: WS-Discovery ProbeMatches from it: [{"types": [...], "scopes": [...],
    "xaddrs": [...]}].
    ``private_mac``: the MAC is locally administered (a phone's randomised address).
    """

    ip: str
    mac: Optional[str] = None
    vendor: Optional[str] = None
    names: List[str] = field(default_factory=list)
    services: List[Service] = field(default_factory=list)
    mdns: List[dict] = field(default_factory=list)
    ssdp: List[dict] = field(default_factory=list)
    onvif: List[dict] = field(default_factory=list)
    private_mac: bool = False
    #: how it was found: "arp", "nd", "mdns", "ssdp", "wsd", "tcp"
    seen_by: List[str] = field(default_factory=list)
    #: its IPv6 addresses (neighbour discovery, matched by MAC)
    ipv6: List[str] = field(default_factory=list)
