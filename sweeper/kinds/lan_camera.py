"""LAN camera: a host on the joined network that serves or announces what cameras do,
found by ``sweeper lan`` (sweeper/lan/score.py says how).

A finding's address is its JSON ``ip``; its evidence has ``mac``, ``vendor``,
``services`` ([{port, proto, banner}]), ``names``, ``mdns`` (service types) and
``onvif``. It is keyed in baselines by MAC address, or by IP address when the MAC is
unknown or randomised (a venue's own cameras keep their addresses). It cannot be
located by radio (it may be anywhere the network reaches) nor confirmed by a stimulus
here: the Wi-Fi sweep confirms a camera that streams over the air.
"""
from __future__ import annotations

from typing import List

from sweeper.findings import Finding
from sweeper.kinds import Kind

TYPE = "lan_camera"


def _ports(f: Finding) -> str:
    services = f.get("services") or []
    return " ".join(f"{s.get('proto', '?')}:{s.get('port', '?')}" for s in services[:3] if isinstance(s, dict))


class LanCamera(Kind):
    type = TYPE
    label = "LAN camera"
    tag = "LAN"
    part = "LAN"
    json_keys = {"address": "ip"}
    example = {"type": TYPE, "verdict": "camera", "score": 0.86, "ip": "192.168.1.23", "mac": "a4:14:37:5e:01:9c",
               "vendor": "Hangzhou Hikvision Digital Technology", "reasons": [
                   "answers ONVIF discovery as a network video transmitter",
                   "an RTSP server on port 554 that hides its stream behind a login"],
               "services": [{"port": 554, "proto": "rtsp", "banner": "RTSP/1.0 401 Unauthorized"},
                            {"port": 80, "proto": "http", "banner": "App-webs/"}]}

    def name(self, f: Finding) -> str:
        return f"LAN {f.get('vendor') or 'unknown maker'} {f.address or '?'}"

    def title(self, f: Finding) -> str:
        return f.address or "LAN"

    def what(self, f: Finding) -> str:
        return f"on the network: {f.get('vendor') or 'unknown maker'}"

    def big(self, f: Finding) -> str:
        return f.address or "?"

    def details(self, f: Finding) -> List[str]:
        vendor = f.get("vendor") or "unknown maker"
        return [vendor, _ports(f) or "no open camera port", str(f.get("mac") or "MAC ?")]

    def signal(self, f: Finding) -> str:
        return _ports(f)

    def describe(self, f: Finding) -> str:
        return f"Camera on the network at {f.address} ({f.get('vendor') or 'unknown maker'})"

    def where(self, f: Finding) -> str:
        return str(f.address or "")

    def plain(self, f: Finding) -> str:
        who = f"{f.get('vendor') or 'unknown maker'} at {f.address or '?'}"
        if str(f.verdict) == "camera":
            return f"A device on this network ({who}) answers the way network cameras do."
        return f"A device on this network ({who}) has some of what network cameras have."

    def find_it(self, f: Finding) -> str:
        mac = f" and {f.get('mac')}" if f.get("mac") else ""
        return (f"it may be anywhere the network reaches, not only in this room: look up {f.address or '?'}{mac} "
                "in the router's list of devices, then look for it in the room")

    def key(self, f: Finding) -> str:
        mac = str(f.get("mac") or "")
        return f"lan:{mac}" if _universal(mac) else f"lan:ip:{f.address}"


def _universal(mac: str) -> bool:
    """A maker-assigned MAC (a phone's randomised one changes; its IP is the better key)."""
    from sweeper.lan.arp import is_private_mac

    try:
        return len(mac) == 17 and not is_private_mac(mac)
    except ValueError:
        return False


KIND = LanCamera()
