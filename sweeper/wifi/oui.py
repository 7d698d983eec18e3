"""MAC address vendor names from the IEEE registry as packaged by the OS.

The registry comes from Debian's ``ieee-data`` package (``/usr/share/ieee-data``; the
install scripts pull it in) or Wireshark's ``manuf`` file: never a list we maintain.
Lookups scan the file for just the prefixes asked for and cache the answers, so the
35,000-entry registry is never held in memory on a 512 MB Pi.
"""
from __future__ import annotations

import csv
import itertools
import os
from typing import Dict, Iterable, Optional

#: where the registry may be, first found wins (SWEEPER_OUI_DB overrides)
SEARCH_PATHS = ("/usr/share/ieee-data/oui.csv", "/usr/share/wireshark/manuf")
_cache: Dict[int, Optional[str]] = {}
#: entries kept by the vendor caches (oldest dropped first): a flood of made-up
#: addresses must not grow memory over the months a device runs
CACHE_MAX = 4096


def trim(cache: dict, limit: int = CACHE_MAX) -> None:
    """Drop the oldest entries of an insertion-ordered cache beyond ``limit``."""
    for key in list(itertools.islice(cache, max(0, len(cache) - limit))):
        del cache[key]


def database_path() -> Optional[str]:
    env = os.environ.get("SWEEPER_OUI_DB")
    for p in ((env,) if env else ()) + SEARCH_PATHS:
        if p and os.path.isfile(p):
            return p
    return None


def _clean(name: str) -> str:
    return " ".join(name.replace('"', "").split())


def lookup_many(macs: Iterable[int]) -> Dict[int, Optional[str]]:
    """Vendor of each MAC (48-bit int), None when unknown or locally administered."""
    out: Dict[int, Optional[str]] = {}
    wanted: Dict[int, list] = {}
    for mac in macs:
        mac = int(mac)
        if (mac >> 41) & 1:  # randomised addresses have no registered vendor
            out[mac] = None
            continue
        prefix = mac >> 24
        if prefix in _cache:
            out[mac] = _cache[prefix]
        else:
            wanted.setdefault(prefix, []).append(mac)
    if wanted:
        found = _scan(set(wanted))
        for prefix, group in wanted.items():
            _cache[prefix] = found.get(prefix)
            for mac in group:
                out[mac] = _cache[prefix]
        trim(_cache)
    return out


def lookup(mac: int) -> Optional[str]:
    return lookup_many([mac])[int(mac)]


def _scan(prefixes: set) -> Dict[int, str]:
    path = database_path()
    found: Dict[int, str] = {}
    if path is None:
        return found
    keys = {f"{p:06X}": p for p in prefixes}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            if path.endswith(".csv"):  # IEEE: Registry,Assignment,Organization Name,...
                for row in csv.reader(f):
                    if len(row) >= 3 and row[1] in keys:
                        found[keys[row[1]]] = _clean(row[2])
                        if len(found) == len(keys):
                            break
            else:  # Wireshark manuf: "00:1C:7F<TAB>Short<TAB>Long name"
                for line in f:
                    key = line[:8].replace(":", "").upper()
                    if key in keys and (len(line) < 9 or line[8] == "\t"):
                        parts = line.rstrip("\n").split("\t")
                        found[keys[key]] = _clean(parts[2] if len(parts) > 2 else parts[1])
    except OSError:
        return {}
    return found


VENDORS_CHECK = "vendor database"


def probe():
    """Self-test: MAC vendor names (a hint in Wi-Fi findings, never proof)."""
    from sweeper.probe import Check

    path = database_path()
    if path is None:
        return Check(VENDORS_CHECK, False, "no IEEE OUI registry: Wi-Fi findings will lack vendor names",
                     "sudo apt install ieee-data")
    return Check(VENDORS_CHECK, True, path)
