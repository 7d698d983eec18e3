"""Confirmation on recordings: ``sweeper analyze FILE --stimulus TIMELINE.json``.

Times in the timeline are seconds from the first record of a capture (its timestamp,
whatever the capture's clock) or from the first sample of IQ. Each finding of the
analysis gains ``watching``, ``stimulus_p``, ``stimulus_delay_s`` and ``reasons``
(the confirmation's reasons appended to the finding's).
"""
from __future__ import annotations

from typing import Dict, List, Tuple

import numpy as np

from sweeper.confirm import lockin
from sweeper.confirm.stimulus import Timeline
from sweeper.confirm.wifi_response import wifi_response


def capture_traffic(path: str, macs: List[str]) -> Tuple[Dict[str, Tuple[np.ndarray, np.ndarray]], float]:
    """({mac: (times from the first record, network-layer bytes)} of the data frames each
    MAC sent, the capture's length in seconds). One pass, headers only."""
    from sweeper.wifi.frames import mac_from_str, mac_to_str, parse_batch
    from sweeper.wifi.pcapio import read_capture

    wanted = np.array([mac_from_str(m) for m in macs], np.uint64)
    parts: Dict[int, list] = {int(m): [] for m in wanted}
    first = last = None
    for batch in read_capture(path):
        if not len(batch):
            continue
        frames, _, _ = parse_batch(batch)
        if frames.size:
            lo, hi = float(frames["ts"].min()), float(frames["ts"].max())
            first = lo if first is None else min(first, lo)
            last = hi if last is None else max(last, hi)
        mine = frames[np.isin(frames["ta"], wanted) & (frames["ftype"] == 2) & (frames["l3len"] > 0)]
        for m in np.unique(mine["ta"]):
            sel = mine[mine["ta"] == m]
            parts[int(m)].append((sel["ts"].copy(), sel["l3len"].astype(np.int64)))
    first = first if first is not None else 0.0
    out = {}
    for m, chunks in parts.items():
        ts = np.concatenate([c[0] for c in chunks]) - first if chunks else np.zeros(0)
        l3 = np.concatenate([c[1] for c in chunks]) if chunks else np.zeros(0, np.int64)
        out[mac_to_str(m)] = (ts, l3)
    return out, (last - first) if last is not None else 0.0


def confirm_capture_findings(path: str, findings: List[dict], timeline: Timeline) -> None:
    """Add the confirmation to each Wi-Fi finding (a dict with ``mac``) of a capture's report."""
    macs = [f["mac"] for f in findings if f.get("mac")]
    if not macs:
        return
    traffic, length = capture_traffic(path, macs)
    # the response around the stimulus only: a capture's clock may span years (hostile or
    # broken timestamps), the stimulus at most MAX_SPAN_S
    lo, hi = lockin.context(timeline)
    span = (lo, max(lo + 1e-3, min(length, hi)))
    for f in findings:
        if not f.get("mac"):
            continue
        ts, l3 = traffic.get(f["mac"], (np.zeros(0), np.zeros(0)))
        resp = wifi_response(ts, l3, span)
        _attach(f, lockin.confirm(resp, timeline))


def _attach(finding: dict, c: lockin.Confirmation) -> None:
    j = c.to_json()
    finding["watching"] = j["watching"]
    finding["stimulus_p"] = j["stimulus_p"]
    finding["stimulus_delay_s"] = j["stimulus_delay_s"]
    finding["reasons"] = list(finding.get("reasons") or []) + [f"stimulus: {r}" for r in j["reasons"]]


def confirm_iq_findings(rec, findings: List[dict], timeline: Timeline, piece_s: float = 1.0) -> None:
    """Add the confirmation to each analog video finding (a dict with ``freq_hz``) of an
    IQ recording's report: one streamed pass, a piece at a time, whatever its length."""
    from sweeper.confirm.fm_response import FmResponseStream

    centre = rec.center_hz or 0.0
    streams = [(f, FmResponseStream(rec.sample_rate, float(f["freq_hz"]) - centre))
               for f in findings if f.get("freq_hz") is not None]
    if not streams:
        return
    step = max(1, int(round(piece_s * rec.sample_rate)))
    for start in range(0, rec.n_samples, step):
        x = rec.read(start, min(step, rec.n_samples - start))
        for _, stream in streams:
            stream.add(x)
    for f, stream in streams:
        _attach(f, lockin.confirm(stream.response(), timeline))
