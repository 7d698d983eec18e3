"""Vendor prefixes (OUIs) for simulated devices, grouped by what kind of device carries them.

The table ``oui_pools.json`` next to this module is generated from the IEEE registry as
Debian's ``ieee-data`` package ships it (``/usr/share/ieee-data/oui.csv``) by
:func:`build_pools`; it is not maintained by hand. Regenerate it with::

    python -m sweeper.sim.wifi.ouis /usr/share/ieee-data/oui.csv

Shipping the extract keeps scenes reproducible (the same seed gives the same MACs on
every machine, whatever registry version is installed) and lets the simulator run where
``ieee-data`` is not installed. A prefix is only a hint of what a device is: the camera
pool shares Wi-Fi module makers (Espressif, Tuya, Realtek...) with the IoT pool.
"""
from __future__ import annotations

import csv
import json
import os
import re
import sys
from typing import Dict, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
POOLS_FILE = os.path.join(HERE, "oui_pools.json")
IEEE_CSV = "/usr/share/ieee-data/oui.csv"

#: pool -> organisation-name patterns (case-insensitive regular expressions)
POOL_PATTERNS: Dict[str, List[str]] = {
    # Wi-Fi modules and makers of cheap/consumer IP cameras
    "camera": [r"^Espressif", r"REALTEK SEMICONDUCTOR", r"^Tuya Smart", r"Hangzhou Hikvision", r"Zhejiang Dahua",
               r"SHENZHEN BILIAN", r"FN-LINK", r"Shenzhen iComm|ICOMM HK", r"^AltoBeam", r"Hangzhou Ezviz",
               r"^Wyze Labs", r"^Beken", r"Ingenic Semiconductor", r"Shanghai Imilab", r"Shanghai Xiaoyi",
               r"^Reolink", r"Hui Zhou Gaoshengda", r"^Texas Instruments", r"^Blink by Amazon",
               r"^Shenzhen .*(Technology|Electronic)", r"^Hangzhou "],
    # smart-home hubs, plugs, speakers, sensors
    "iot": [r"^Espressif", r"^Tuya Smart", r"^Texas Instruments", r"^Amazon Technologies", r"^Google, Inc",
            r"^Signify|Philips Lighting", r"^Sonos, Inc", r"Xiaomi", r"^Murata Manufacturing", r"^AzureWave",
            r"^Belkin International", r"^Universal Global Scientific"],
    # phones and tablets (their factory MAC; most phones randomise per network instead)
    "phone": [r"^Apple, Inc", r"^Samsung Electronics Co\.,Ltd", r"^Xiaomi Communications", r"^Huawei Device",
              r"^Google, Inc", r"^OnePlus Technology", r"GUANGDONG OPPO", r"^vivo Mobile",
              r"^Motorola Mobility"],
    # laptops and desktops (Wi-Fi cards)
    "laptop": [r"^Intel Corporate", r"^Apple, Inc", r"^AzureWave", r"^Hon Hai Precision Ind\. Co\.,Ltd",
               r"^Liteon Technology", r"^CHONGQING FUGUI", r"^Universal Global Scientific"],
    # smart TVs, set-top boxes, streaming sticks
    "tv": [r"^Samsung Electronics Co\.,Ltd", r"^LG Electronics$", r"^Roku, Inc", r"^Amazon Technologies",
           r"^Sony Corporation", r"Shenzhen Skyworth", r"^Google, Inc"],
    # access points and home routers
    "ap": [r"^TP-LINK TECHNOLOGIES", r"^NETGEAR", r"^ARRIS Group", r"^Ubiquiti", r"^AVM ", r"^ASUSTek",
           r"^HUAWEI TECHNOLOGIES", r"^Sagemcom Broadband", r"^Technicolor CH USA", r"^zte corporation",
           r"^Cisco Meraki", r"^Cisco-Linksys"],
}

#: at most this many prefixes per organisation in the extract (keeps the file small)
PER_ORG = 16


def build_pools(csv_path: str = IEEE_CSV, per_org: int = PER_ORG) -> Dict[str, Dict[str, List[str]]]:
    """{pool: {organisation: [six hex digits, ...]}} from the IEEE MA-L registry CSV."""
    by_org: Dict[str, List[str]] = {}
    with open(csv_path, encoding="utf-8", errors="replace", newline="") as f:
        for row in csv.reader(f):
            if len(row) < 3 or row[0] != "MA-L" or not re.fullmatch(r"[0-9A-Fa-f]{6}", row[1]):
                continue
            by_org.setdefault(row[2].strip(), []).append(row[1].upper())
    pools: Dict[str, Dict[str, List[str]]] = {}
    for pool, pats in POOL_PATTERNS.items():
        chosen: Dict[str, List[str]] = {}
        for pat in pats:
            rx = re.compile(pat, re.I)
            orgs = sorted(o for o in by_org if rx.search(o))
            if pat.startswith(r"^Shenzhen .*") or pat == r"^Hangzhou ":
                orgs = orgs[::7][:12]  # a sample of the many small makers, not all of them
            for org in orgs:
                ouis = sorted(set(by_org[org]))
                # spread the pick over the organisation's blocks, deterministically
                step = max(1, len(ouis) // per_org)
                chosen[org] = ouis[::step][:per_org]
        pools[pool] = chosen
    return pools


def load_pools() -> Dict[str, List[Tuple[str, List[int]]]]:
    """{pool: [(organisation, [oui as int, ...]), ...]} from the shipped extract,
    organisations in a fixed (sorted) order."""
    with open(POOLS_FILE, encoding="utf-8") as f:
        raw = json.load(f)
    return {pool: [(org, [int(o, 16) for o in orgs[org]]) for org in sorted(orgs)] for pool, orgs in raw.items()}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = argv[0] if argv else IEEE_CSV
    pools = build_pools(path)
    with open(POOLS_FILE, "w", encoding="utf-8") as f:
        json.dump(pools, f, indent=0, sort_keys=True)
        f.write("\n")
    for pool, orgs in pools.items():
        print(f"{pool}: {len(orgs)} organisations, {sum(len(v) for v in orgs.values())} prefixes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
