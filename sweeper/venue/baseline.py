"""New, changed or known: a sweep's observations against the room's sightings (pure).

Professional sweep gear works this way: record the room's own emitters once, then
report what is new first. A friendly emitter stays friendly unless it changes
markedly: it now looks like a camera when it did not, its RF class changed (a carrier
became a video signal), its signal rose well above its baseline level (a new transmitter
close by, on a friendly's frequency), or a Wi-Fi device uploads many times more than it
did. A fall in level is not a change: a handheld sweep moves, and devices are switched
off; neither hides a camera.

Phones with private (randomised) addresses come back with a new address each time, so
no baseline can know them: each would be "new" after every baseline. They are set aside
(:func:`set_aside_private`) and counted as a group, unless the detector found them
camera-like: a finding keeps its row whatever its address.

``sightings`` are the history's rows for the room (see :mod:`sweeper.venue.history`):
every emitter ever heard there, friendly (baselined) or not, with first and last seen
and a count.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from sweeper import verdicts
from sweeper.venue.observations import RF_MATCH_FLOOR_HZ, rf_tolerance_hz

#: below this a Wi-Fi upload is not video, however many times its baseline it is
UPLINK_CHANGE_MIN_KBPS = 256.0
#: an idle device's baseline rate is floored here, so "8x of nothing" means something
UPLINK_BASELINE_FLOOR_KBPS = 32.0


@dataclass(frozen=True)
class ChangeRules:
    rf_power_change_db: float = 10.0
    wifi_power_change_db: float = 15.0
    uplink_change_factor: float = 8.0

    @classmethod
    def from_config(cls, cfg) -> "ChangeRules":
        b = cfg.baseline
        return cls(b.rf_power_change_db, b.wifi_power_change_db, b.uplink_change_factor)


class SightingIndex:
    """The room's sightings, for :func:`match`: by key, and the frequency-keyed RF ones
    sorted by frequency, so matching a sweep is O(n log m), not O(n m) (a busy venue
    accumulates thousands of sightings)."""

    def __init__(self, sightings: Dict[str, dict]):
        self.by_key = sightings
        rf = sorted((s for s in sightings.values()
                     if s["kind"] == "rf" and s["key"].count(":") == 1 and s.get("freq_hz") is not None),
                    key=lambda s: s["freq_hz"])
        self.rf = rf
        self.rf_freqs = [s["freq_hz"] for s in rf]
        self.widest = max((s.get("bandwidth_hz") or 0.0 for s in rf), default=0.0)


def set_aside_private(observations: List[dict]) -> Tuple[List[dict], List[dict]]:
    """(observations to compare with the baseline, private-address stations set aside).
    Only those the detectors found nothing camera-like in are set aside."""
    kept, private = [], []
    for o in observations:
        (private if o.get("private") and o.get("verdict") == "clear" else kept).append(o)
    return kept, private


def private_words(count: int) -> str:
    """The group in words, for every output: "3 phones with private addresses"."""
    return f"{count} phone{'s' if count != 1 else ''} with {'private addresses' if count != 1 else 'a private address'}"


def match(obs: dict, index: "SightingIndex") -> Optional[dict]:
    """The sighting ``obs`` is, if any: by key, or (frequency-keyed RF) the nearest one
    within tolerance, friendly ones preferred."""
    if obs["key"] in index.by_key:
        return index.by_key[obs["key"]]
    if obs["kind"] != "rf" or obs["key"].count(":") > 1:  # keyed by class, or Wi-Fi: exact only
        return None
    reach = max(RF_MATCH_FLOOR_HZ, 0.5 * max(index.widest, obs.get("bandwidth_hz") or 0.0))
    lo = bisect.bisect_left(index.rf_freqs, obs["freq_hz"] - reach)
    hi = bisect.bisect_right(index.rf_freqs, obs["freq_hz"] + reach)
    best: Tuple[float, float] = (0.0, 0.0)
    found = None
    for s in index.rf[lo:hi]:
        gap = abs(s["freq_hz"] - obs["freq_hz"])
        if gap <= rf_tolerance_hz(obs, s):
            rank = (float(bool(s.get("friendly"))), -gap)
            if found is None or rank > best:
                best, found = rank, s
    return found


def change_note(obs: dict, ref: dict, rules: ChangeRules) -> Optional[str]:
    """Why a friendly emitter counts as changed, in words; None when it has not."""
    notes = []
    was = ref.get("ref_verdict") or "clear"
    if verdicts.rank(obs["verdict"]) > verdicts.rank(was):
        notes.append(f"now looks like a {obs['verdict']}" if obs["verdict"] == "camera"
                     else "now suspect" + ("" if was == "clear" else f" (was {was})"))
    if obs["kind"] == "rf" and ref.get("ref_class") and obs.get("class") != ref["ref_class"]:
        notes.append(f"was {ref['ref_class'].replace('_', ' ')}, now {obs['class'].replace('_', ' ')}")
    limit = rules.rf_power_change_db if obs["kind"] == "rf" else rules.wifi_power_change_db
    if obs.get("power_db") is not None and ref.get("ref_power_db") is not None:
        rise = obs["power_db"] - ref["ref_power_db"]
        if rise >= limit:
            notes.append(f"signal {rise:.0f} dB stronger than in the baseline")
    if obs["kind"] == "wifi" and obs.get("uplink_kbps") is not None:
        before = max(ref.get("ref_uplink_kbps") or 0.0, UPLINK_BASELINE_FLOOR_KBPS)
        now = obs["uplink_kbps"]
        if now >= UPLINK_CHANGE_MIN_KBPS and now >= rules.uplink_change_factor * before:
            notes.append(f"uploads {now:.0f} kbit/s, {now / before:.0f}x its baseline")
    return "; ".join(notes) or None


def compare(observations: List[dict], sightings: Dict[str, dict], rules: ChangeRules,
            now_iso: str) -> List[dict]:
    """Each observation with a ``baseline`` dict (status, note, key, label, first and last
    seen, count including this sweep). ``key`` there is the sighting's key when matched
    by frequency, so a drifting emitter keeps one row."""
    out = []
    index = SightingIndex(sightings)
    for obs in observations:
        s = match(obs, index)
        if s is not None and s.get("friendly"):
            note = change_note(obs, s, rules)
            status = "changed" if note else "known"
        else:
            note, status = None, "new"
        out.append({**obs, "baseline": {
            "status": status, "note": note,
            "key": s["key"] if s is not None else obs["key"],
            "label": s.get("name") if s is not None else None,
            "first_seen": s["first_seen"] if s is not None else now_iso,
            "last_seen": now_iso,
            "count": (s["count"] if s is not None else 0) + 1}})
    return out


def missing_friendly(compared: List[dict], sightings: Dict[str, dict], kinds) -> List[dict]:
    """Friendly sightings of the swept kinds (rf, wifi) that this sweep did not hear."""
    heard = {o["baseline"]["key"] for o in compared}
    return [s for s in sightings.values() if s.get("friendly") and s["kind"] in kinds and s["key"] not in heard]


def verdict(findings: List[dict]) -> str:
    """CAMERA / SUSPECT / CLEAR over the findings that are new or changed."""
    return verdicts.of_findings(f["verdict"] for f in findings if f.get("baseline", {}).get("status") != "known")


def news_first(items: List[dict]) -> List[dict]:
    """New and changed before known; within each, cameras, then suspects, then the
    strongest evidence."""
    return sorted(items, key=lambda x: (x["baseline"]["status"] == "known", -verdicts.rank(x.get("verdict")),
                                        -float(x.get("score") or 0), -float(x.get("power_db") or -999)))
