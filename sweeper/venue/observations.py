"""What a sweep heard, one compact observation per emitter or Wi-Fi device (pure).

The detectors report findings (camera, suspect) and everything else they heard (RF
emitters, Wi-Fi devices) in their own shapes. A baseline needs one shape and a way to
tell whether this sweep's emitter is last week's: its *key*.

- Wi-Fi devices are keyed by MAC address (``wifi:MAC``; hashed with privacy on). A
  station whose address is private (randomised, locally administered: phones use a new
  one per network or per day) is marked ``private``: no baseline can know it, so
  baseline.py sets it aside and outputs count such devices as a group.
- RF emitters that do not sit on one frequency are keyed by what they are and where:
  Bluetooth hops over the whole 2.4 GHz band and a microwave oven sweeps across it, so
  "Bluetooth around 2.4 GHz" is one emitter from sweep to sweep (``rf:bluetooth:2400``).
  Wi-Fi seen by the RF sweep is keyed by its 5 MHz channel raster.
- Everything else (carriers, analog video, unknown signals) is keyed by frequency, and
  matched with a tolerance of half its bandwidth (at least 200 kHz): cheap transmitters
  drift, and the measured centre of a wide FM video signal wanders by MHz.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional

from sweeper import kinds
from sweeper.findings import as_finding
from sweeper import verdicts
from sweeper.rf.classifiers import KEYED, LABELS
from sweeper.venue.privacy import MAC_PATTERN

#: matching tolerance floor for frequency-keyed RF emitters (crystal drift, bin width)
RF_MATCH_FLOOR_HZ = 200e3


def rf_key(cls: str, freq_hz: float) -> str:
    """Key of an RF emitter of class ``cls``: by 100 MHz block for classes that hop or
    sweep, by 5 MHz raster for Wi-Fi, else by frequency (see each classifier's KEYED)."""
    keyed = KEYED.get(cls, "frequency")
    if keyed == "band":
        return f"rf:{cls}:{int(freq_hz // 100e6) * 100}"
    if keyed == "raster":
        return f"rf:{cls}:{int(round(freq_hz / 5e6)) * 5}"
    return f"rf:{freq_hz / 1e6:.1f}"


def rf_tolerance_hz(a: dict, b: dict) -> float:
    """How far apart two frequency-keyed RF observations may be and still be one emitter."""
    return max(RF_MATCH_FLOOR_HZ, 0.5 * max(a.get("bandwidth_hz") or 0.0, b.get("bandwidth_hz") or 0.0))


def rf_observation(e: dict, verdict: str, cls: Optional[str] = None) -> dict:
    """An RF emitter (or an RF finding, whose kind gives its class) as an observation."""
    cls = cls or e.get("class") or "unknown"
    freq = float(e["freq_hz"])
    what = LABELS.get(cls, "unknown signal")
    if e.get("standard"):
        what = f"{what} {e['standard']}"
    band_wide = KEYED.get(cls) == "band"
    where = "around 2.4 GHz" if band_wide and 2.4e9 <= freq < 2.5e9 else f"{freq / 1e6:.1f} MHz"
    return {"kind": "rf", "key": rf_key(cls, freq), "label": f"{what} {where}", "class": cls,
            "freq_hz": freq, "bandwidth_hz": float(e.get("bandwidth_hz") or 0.0),
            "power_db": _num(e.get("snr_db")), "verdict": verdict, "score": _num(e.get("score"))}


def private_station(d: dict) -> bool:
    """A Wi-Fi device (or finding) that is not an access point and uses a private
    (randomised) address: a phone, as a rule. Access points' virtual BSSIDs are locally
    administered too, but they keep them: a baseline knows those."""
    from sweeper.lan.arp import is_private_mac

    mac = d.get("mac")
    return (d.get("role") != "access_point" and isinstance(mac, str) and bool(MAC_PATTERN.match(mac))
            and is_private_mac(mac))


def wifi_observation(d: dict, verdict: str, ident: Callable[[str], str]) -> dict:
    """A Wi-Fi device (or a Wi-Fi finding) as an observation, keyed by its MAC address
    (read before ``ident`` hashes it: whether it is private is known only here)."""
    name = d.get("vendor") or d.get("ssid") or "unknown maker"
    private = private_station(d)
    mac = ident(d["mac"])
    return {"kind": "wifi", "key": f"wifi:{mac}", "label": f"Wi-Fi {name} {mac}",
            "mac": mac, "vendor": d.get("vendor"), "ssid": d.get("ssid"),
            "role": d.get("role"), "channel": d.get("channel"), "power_db": _num(d.get("rssi_dbm")),
            "uplink_kbps": _num(d.get("avg_uplink_kbps")), "verdict": verdict,
            "score": _num(d.get("score")), **({"private": True} if private else {})}


def observe(parts: Dict[str, Optional[dict]], ident: Callable[[str], str] = lambda mac: mac) -> List[dict]:
    """Every emitter and device of a sweep's parts (``{"RF": report, "Wi-Fi": report}``),
    findings included (with their verdict, through their kind), as observations; the
    strongest of each key. ``ident`` maps a MAC address to what may be stored (see
    privacy.py)."""
    out: List[dict] = []
    for part in parts.values():
        part = part or {}
        for f in map(as_finding, part.get("findings", [])):
            out.append(kinds.of(f).observation(f, ident))
        for e in part.get("emitters", []):  # an RF report's other emitters
            out.append(rf_observation(e, "clear"))
        for d in part.get("devices", []):  # a Wi-Fi report's other devices
            out.append(wifi_observation(d, "clear", ident))
    seen, unique = set(), []
    for o in out:  # Bluetooth heard on several frequencies is one observation, the strongest
        if o["key"] in seen:
            continue
        seen.add(o["key"])
        same = [x for x in out if x["key"] == o["key"]]
        unique.append(max(same, key=lambda x: (verdicts.rank(x["verdict"]), x["power_db"] or -999.0)))
    return unique


def finding_key(finding) -> str:
    """The observation key of a detector finding (its kind says how it is keyed)."""
    finding = as_finding(finding)
    return kinds.of(finding).key(finding)


def _num(x) -> Optional[float]:
    return None if x is None else round(float(x), 2)
