"""What an RF sweep covered: per band, the hops swept of those planned, and the gaps.

Pure: the sweep's plan and what it captured in, one coverage row per band and one gap
line per band not fully heard out (a band no receive path reaches, a sweep stopped
early, a receive path that failed during the sweep). The verdict's CLEAR depends on
these gaps (sweeper.verdicts.covered).
"""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np

from sweeper.rf.bands import Hop


#: a band whose every hop stays this close to its floor heard nothing at all: with a
#: real antenna a room's band almost always holds something, so it is said (a dead
#: antenna or an unplugged converter looks exactly like this), but a quiet band is
#: possible, so it does not by itself make the sweep incomplete
FLAT_SNR_DB = 6.0


def band_coverage(planned: List[Hop], windows, spectra: list, dwell_s: float,
                  not_heard=(), path_failures: Optional[Dict[str, str]] = None) -> tuple:
    """Coverage of a sweep: a row per band planned (hops done of planned, dwell, heard)
    plus one per band no receive path reached; and the gaps, one line each.
    ``path_failures``: receive path -> why it failed during the sweep."""
    rows, gaps = [], []
    done = {}
    for hop, _ in windows:
        done[hop.band.name] = done.get(hop.band.name, 0) + 1
    peak = {sp.name: float(np.nanmax(sp.snr_db)) if np.size(sp.snr_db) else float("-inf") for sp in spectra}
    for band in dict.fromkeys(h.band for h in planned):
        want = sum(1 for h in planned if h.band.name == band.name)
        got = done.get(band.name, 0)
        heard = "signals" if peak.get(band.name, float("-inf")) >= FLAT_SNR_DB else "flat"
        row = {"band": band.name, "path": band.path, "hops": got, "planned_hops": want,
               "dwell_s": round(got * dwell_s, 3), "heard": heard, "covered": got == want, "why": None}
        if got < want:
            failure = (path_failures or {}).get(band.path)
            row["why"] = (f"swept {got} of {want} hops: its receive path ({band.path}) failed: {failure}"
                          if failure else f"swept {got} of {want} hops (the sweep was stopped or failed)")
            gaps.append(f"{band.name}: {row['why']}")
        rows.append(row)
    for band_name, path, why in not_heard:
        rows.append({"band": band_name, "path": path, "hops": 0, "planned_hops": 0, "dwell_s": 0.0,
                     "heard": None, "covered": False, "why": why})
        gaps.append(f"{band_name}: {why}")
    return rows, gaps
