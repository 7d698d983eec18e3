"""Receive paths: which band is swept on which path, as a pure plan.

A dongle hears only what is on its input: behind the 2.4 GHz converter it is deaf to
900 MHz and 1.2 GHz (the converter's input filter passes its own band), and with an
antenna straight on it, it cannot tune 2.4 GHz. A device covers every band with two
receive paths: two dongles (one direct, one behind the converter, each known by its
serial) or one dongle behind an RF switch that picks the converter or a bypass. A
band's ``path`` (sweeper.rf.bands.Band) names the front end it needs; this module
groups the bands by the path that has it and lists the rest as not heard, each with
its reason and fix. No hardware here: sources/paths.py drives the plan.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Mapping, Optional, Sequence, Tuple

from sweeper.rf.bands import Band


@dataclass(frozen=True)
class ReceivePath:
    """One way into the tuner: ``front_end`` ("direct" or a converter's name) says which
    bands it hears; ``serial`` names its dongle (two-dongle device) or ``switch_high``
    the switch pin's level that selects it (switched device); neither: the one dongle."""

    front_end: str
    serial: Optional[str] = None
    switch_high: Optional[bool] = None

    def describe(self) -> str:
        """In words, for gaps and the self-test: which part and what it hears."""
        hears = "an antenna on it" if self.front_end == "direct" else f"the {self.front_end} converter"
        if self.serial is not None:
            return f"the RTL-SDR with serial {self.serial} ({hears})"
        if self.switch_high is not None:
            return f"the RF switch's {'high' if self.switch_high else 'low'} position ({hears})"
        return f"the dongle ({hears})"


@dataclass(frozen=True)
class Leg:
    """Bands swept one after another on one path."""

    path: ReceivePath
    bands: Tuple[Band, ...]


@dataclass(frozen=True)
class PathPlan:
    """The sweep's legs in order, and ``(band, path it needs, why and the fix)`` for each
    band no fitted path hears."""

    legs: Tuple[Leg, ...]
    not_heard: Tuple[Tuple[str, str, str], ...]


def paths_from_config(rf) -> List[ReceivePath]:
    """The receive paths ``rf`` (the config's rf section) describes, rest position first:
    each of rf.receivers; else the switch's low then high position; else rf.front_end."""
    if rf.receivers:
        return [ReceivePath(r.front_end, serial=r.serial) for r in rf.receivers]
    if rf.switch.pin is not None:
        return [ReceivePath(rf.switch.low, switch_high=False), ReceivePath(rf.switch.high, switch_high=True)]
    return [ReceivePath(rf.front_end)]


def plan_paths(bands: Sequence[Band], paths: Sequence[ReceivePath],
               missing: Optional[Mapping[str, str]] = None) -> PathPlan:
    """Which band on which path. Each band goes to the path whose front end it needs;
    legs follow the order of ``paths`` (the rest position first, so a switch is moved
    once and back), bands keep their configured order within a leg. A band whose path
    is not configured, or is ``missing`` (front end -> why, e.g. its dongle is
    unplugged), is not heard: it is listed with the reason and the fix, never dropped."""
    missing = dict(missing or {})
    legs, not_heard = [], []
    for path in paths:
        mine = tuple(b for b in bands if b.path == path.front_end)
        if mine and path.front_end not in missing:
            legs.append(Leg(path, mine))
    for band in bands:
        path = next((p for p in paths if p.front_end == band.path), None)
        if path is None:
            not_heard.append((band.name, band.path, not_configured_why(band, paths)))
        elif band.path in missing:
            not_heard.append((band.name, band.path, f"not heard: {missing[band.path]}"))
    return PathPlan(tuple(legs), tuple(not_heard))


def one_path_why(band: Band, front_end: str) -> str:
    """Why ``band`` is not heard with ``front_end`` on the one dongle, and the fix."""
    now = "an antenna is on the dongle" if front_end == "direct" else f"the {front_end} converter is in line"
    if band.path == "direct":
        return (f"not heard: it needs an antenna on the dongle, and {now} (rf.front_end); put the antenna "
                f"on the dongle and sweep with --front-end direct")
    return (f"not heard: it needs the {band.path} converter in line, and {now} (rf.front_end); put it in "
            f"line and sweep with --front-end {band.path}")


def not_configured_why(band: Band, paths: Sequence[ReceivePath]) -> str:
    """Why no path hears ``band``, and the fix."""
    if len(paths) == 1 and paths[0].serial is None and paths[0].switch_high is None:
        return one_path_why(band, paths[0].front_end)
    needs = "an antenna on a dongle" if band.path == "direct" else f"the {band.path} converter in line"
    have = " and ".join(p.front_end for p in paths)
    return (f"not heard: it needs {needs}, and the receive paths are {have} (rf.receivers / rf.switch); "
            f"add a path with front_end {band.path}")
