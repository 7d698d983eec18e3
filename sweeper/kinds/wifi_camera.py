"""Wi-Fi camera: a transmitter whose encrypted upload is a video stream, found by the
Wi-Fi sweep (sweeper/wifi/classify.py says how).

A finding's address is its JSON ``mac``, its channel ``channel``, its strength
``rssi_dbm`` and its span ``first_seen``..``last_seen``; its evidence has ``vendor``,
``ssid``, ``uplink_kbps`` and more (wifi/analysis.py writes them). It is keyed in baselines by MAC address (hashed when privacy asks); it
is located by the signal strength of that MAC's frames on its channel, and confirmed
by how its traffic follows a stimulus (sweeper/confirm/wifi_response.py).
"""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np

from sweeper.confirm.live import Confirmer
from sweeper.findings import Finding
from sweeper.kinds import Kind

TYPE = "wifi_camera"
#: locate: frames are read for this long per refresh, and dBm shown as far (0) and close (1)
LOCATE_READ_S = 0.25


class WifiCamera(Kind):
    type = TYPE
    label = "Wi-Fi camera"
    tag = "WI-FI"
    part = "Wi-Fi"
    json_keys = {"address": "mac", "channel": "channel", "strength_db": "rssi_dbm",
                 "span_s": ("first_seen", "last_seen")}
    example = {"type": TYPE, "verdict": "SUSPECT", "score": 0.71, "mac": "f4:b8:5e:ff:2b:1b",
               "vendor": "Texas Instruments", "channel": 6, "rssi_dbm": -48.0, "uplink_kbps": 850.0,
               "ssid": "HomeCam"}

    def name(self, f: Finding) -> str:
        return f"Wi-Fi {f.get('vendor') or 'unknown maker'} {f.address or '?'} ch {f.channel or '?'}"

    def title(self, f: Finding) -> str:
        mac = f.address or ""
        return f"{f.get('vendor') or 'Wi-Fi'} {mac[-5:]}".strip()

    def what(self, f: Finding) -> str:
        return f"Wi-Fi {f.get('vendor') or 'unknown maker'} {f.address or '?'}"

    def signal(self, f: Finding) -> str:
        return "" if f.strength_db is None else f"{f.strength_db:.0f} dBm"

    def details(self, f: Finding) -> List[str]:
        ch, rssi, kbps = f.channel, f.strength_db, f.get("uplink_kbps")
        return [f.address or "?",
                f"ch {'?' if ch is None else ch}   {'signal ?' if rssi is None else f'{rssi:.0f} dBm'}",
                "up ?" if kbps is None else f"up {kbps:.0f} kb/s"]

    def big(self, f: Finding) -> str:
        ssid = f.get("ssid")
        return f.get("vendor") or (f'"{ssid}"' if ssid else "unknown maker")

    def describe(self, f: Finding) -> str:
        text = f"Wi-Fi camera: {f.get('vendor') or 'unknown maker'} {f.address or ''}".rstrip()
        if f.get("ssid"):
            text += f' on network "{f.get("ssid")}"'
        return text

    def plain(self, f: Finding) -> str:
        kbps = f.get("uplink_kbps")
        rate = "" if not isinstance(kbps, (int, float)) else (
            f", about {kbps / 1000:.1f} Mbit/s" if kbps >= 1000 else f", about {kbps:.0f} kbit/s")
        if str(f.verdict) == "camera":
            return (f"It sends video over Wi-Fi the way a camera's encoder does: pictures going out{rate}, "
                    "with little coming back.")
        return (f"Its Wi-Fi traffic looks partly like a camera's video upload{rate}; a phone streaming or "
                "backing up photos can look like this too.")

    def find_it(self, f: Finding) -> str:
        who = f"{f.get('vendor') or 'unknown maker'} {f.address or ''}".strip()
        return (f"walk the room with the device's locate screen on this finding (Wi-Fi {who}, channel "
                f"{f.channel or '?'}) and follow the rising signal; the venue's router may also list this address")

    def key(self, f: Finding) -> str:
        return f"wifi:{f.address}"

    def observation(self, f: Finding, ident) -> dict:
        from sweeper.venue.observations import wifi_observation

        return wifi_observation(f.to_json(), str(f.verdict), ident)

    def locator(self, f: Finding, sources: Dict[str, object], cfg):
        return SignalMeter(f, sources)

    def target(self, mac=None, channel=None, freq_hz=None):
        if mac is None or channel is None:
            return None
        return Finding.from_json({"type": TYPE, "verdict": "suspect", "mac": mac, "channel": int(channel)})

    def confirmer(self, f: Finding, sources: Dict[str, object], cfg):
        return TrafficConfirmer(f, sources) if f.address else None



class SignalMeter:
    """Locate by the received signal of the finding's MAC, the hopper parked on its channel."""

    unit = "dBm"

    def __init__(self, finding: Finding, sources: Dict[str, object]):
        self.finding, self.sources = finding, sources
        self._tuned = False

    def read(self) -> Optional[float]:
        from sweeper.errors import HardwareError
        from sweeper.wifi.frames import mac_from_str, parse_batch

        src = self.sources.get("Wi-Fi")
        if src is None:
            raise HardwareError("the Wi-Fi adapter is not available")
        ch = self.finding.channel
        if not self._tuned:
            if ch and getattr(src, "can_tune", False):
                src.set_channel(int(ch))  # park the hopper on the finding's channel
            self._tuned = True
        mac = mac_from_str(self.finding.address)
        batch = src.read_batch(LOCATE_READ_S)
        if batch is None:
            raise HardwareError("the Wi-Fi capture ended")
        frames, _, _ = parse_batch(batch)
        rssi = frames["rssi"][(frames["ta"] == mac) & ~np.isnan(frames["rssi"])]
        return float(np.median(rssi)) if rssi.size else None


class TrafficConfirmer(Confirmer):
    """Confirm by the finding's uplink (times and sizes of its data frames, nothing else),
    the adapter parked on its channel. Capture timestamps are the clock: the kernel's
    wall time on a real adapter, the scene's time in the simulator."""

    def __init__(self, finding: Finding, sources: Dict[str, object]):
        self.finding, self.sources = finding, sources
        self._ts: List[np.ndarray] = []
        self._l3: List[np.ndarray] = []
        self._t = 0.0

    def _source(self):
        from sweeper.errors import HardwareError

        src = self.sources.get("Wi-Fi")
        if src is None:
            raise HardwareError("the Wi-Fi adapter is not available")
        return src

    def _now(self, src) -> float:
        import time

        return float(src.clock) if hasattr(src, "clock") else time.time()

    def start(self, schedule) -> None:
        from sweeper.confirm.live import shifted
        from sweeper.wifi.frames import mac_from_str

        src = self._source()
        if self.finding.channel and getattr(src, "can_tune", False):
            src.set_channel(int(self.finding.channel))
        self._mac = mac_from_str(self.finding.address)
        self._t0 = self._now(src)
        if hasattr(src, "set_stimulus"):  # a simulated room: its cameras see the schedule
            src.set_stimulus(shifted(schedule, self._t0))

    def poll(self, max_s: float = LOCATE_READ_S) -> float:
        from sweeper.errors import HardwareError
        from sweeper.wifi.frames import parse_batch

        src = self._source()
        batch = src.read_batch(max(0.01, min(LOCATE_READ_S, max_s)))
        if batch is None:
            raise HardwareError("the Wi-Fi capture ended")
        if len(batch):
            frames, _, _ = parse_batch(batch)
            mine = frames[(frames["ta"] == self._mac) & (frames["ftype"] == 2) & (frames["l3len"] > 0)]
            self._ts.append(mine["ts"] - self._t0)
            self._l3.append(mine["l3len"].astype(np.int64))
        self._t = self._now(src) - self._t0
        return self._t

    def response(self):
        from sweeper.confirm.wifi_response import BIN_S, wifi_response

        ts = np.concatenate(self._ts) if self._ts else np.zeros(0)
        l3 = np.concatenate(self._l3) if self._l3 else np.zeros(0, np.int64)
        return wifi_response(ts, l3, (0.0, max(self._t, BIN_S)))

    def close(self) -> None:
        src = self.sources.get("Wi-Fi")
        if src is not None and hasattr(src, "set_stimulus"):
            src.set_stimulus(None)


KIND = WifiCamera()
