"""Wi-Fi camera: a transmitter whose encrypted upload is a video stream, found by the
Wi-Fi sweep (sweeper/wifi/classify.py says how).

A finding carries ``mac``, ``vendor``, ``ssid``, ``channel``, ``rssi_dbm`` and
``uplink_kbps``. It is keyed in baselines by MAC address (hashed when privacy asks); it
is located by the signal strength of that MAC's frames on its channel.
"""
from __future__ import annotations

from typing import Dict, List

import numpy as np

from sweeper.kinds import Kind

TYPE = "wifi_camera"
#: locate: frames are read for this long per refresh, and dBm shown as far (0) and close (1)
LOCATE_READ_S = 0.25
LOCATE_DBM = (-90.0, -30.0)


class WifiCamera(Kind):
    type = TYPE
    label = "Wi-Fi camera"
    tag = "WI-FI"
    part = "Wi-Fi"
    example = {"type": TYPE, "verdict": "SUSPECT", "score": 0.71, "mac": "f4:b8:5e:ff:2b:1b",
               "vendor": "Texas Instruments", "channel": 6, "rssi_dbm": -48.0, "uplink_kbps": 850.0,
               "ssid": "HomeCam"}

    def name(self, f: dict) -> str:
        return f"Wi-Fi {f.get('vendor') or 'unknown maker'} {f.get('mac') or '?'} ch {f.get('channel') or '?'}"

    def title(self, f: dict) -> str:
        mac = f.get("mac") or ""
        return f"{f.get('vendor') or 'Wi-Fi'} {mac[-5:]}".strip()

    def details(self, f: dict) -> List[str]:
        ch, rssi, kbps = f.get("channel"), f.get("rssi_dbm"), f.get("uplink_kbps")
        return [f.get("mac") or "?",
                f"ch {'?' if ch is None else ch}   {'signal ?' if rssi is None else f'{rssi:.0f} dBm'}",
                "up ?" if kbps is None else f"up {kbps:.0f} kb/s"]

    def big(self, f: dict) -> str:
        ssid = f.get("ssid")
        return f.get("vendor") or (f'"{ssid}"' if ssid else "unknown maker")

    def describe(self, f: dict) -> str:
        text = f"Wi-Fi camera: {f.get('vendor') or 'unknown maker'} {f.get('mac') or ''}".rstrip()
        if f.get("ssid"):
            text += f' on network "{f["ssid"]}"'
        return text

    def key(self, f: dict) -> str:
        return f"wifi:{f['mac']}"

    def observation(self, f: dict, ident) -> dict:
        from sweeper.venue.observations import wifi_observation

        return wifi_observation(f, f["verdict"], ident)

    def locator(self, f: dict, sources: Dict[str, object], cfg):
        return SignalMeter(f, sources)



class SignalMeter:
    """Locate by the received signal of the finding's MAC, the hopper parked on its channel."""

    def __init__(self, finding: dict, sources: Dict[str, object]):
        self.finding, self.sources = finding, sources
        self._tuned = False

    def read(self) -> tuple:
        from sweeper.errors import HardwareError
        from sweeper.wifi.frames import mac_from_str, parse_batch

        src = self.sources.get("Wi-Fi")
        if src is None:
            raise HardwareError("the Wi-Fi adapter is not available")
        ch = self.finding.get("channel")
        if not self._tuned:
            if ch and getattr(src, "can_tune", False):
                src.set_channel(int(ch))  # park the hopper on the finding's channel
            self._tuned = True
        mac = mac_from_str(self.finding["mac"])
        batch = src.read_batch(LOCATE_READ_S)
        if batch is None:
            raise HardwareError("the Wi-Fi capture ended")
        frames, _, _ = parse_batch(batch)
        rssi = frames["rssi"][(frames["ta"] == mac) & ~np.isnan(frames["rssi"])]
        if rssi.size == 0:
            return 0.0, "not heard"
        dbm = float(np.median(rssi))
        lo, hi = LOCATE_DBM
        return float(np.clip((dbm - lo) / (hi - lo), 0.0, 1.0)), f"{dbm:.0f} dBm"


KIND = WifiCamera()
