"""Labelled Wi-Fi rooms, shared by the detection tests and bench/calibrate_wifi.py.

A room is drawn by the simulator's ``random_room`` (parameter ranges "calibration" or
"test"), captured for a while and run through the product's :class:`TrafficAnalyzer`.
Ground truth comes from the simulator's own events, never from our parser:

* a *positive* is a camera that streams live video at >= 150 kbit/s for at least three
  consecutive seconds of the capture (clip-uploading cameras send files: a 10-s room
  holds at most one clip, and recurring clips are scored on long rooms by
  tests/test_wifi_clips.py and bench/campaign_clips.py);
* a camera that does not stream in the capture is neither hit nor miss;
* every other labelled transmitter is a negative of its kind, except a phone that
  live-streams its own camera (``video``: its traffic *is* video), which is reported on
  its own;
* a flag on an unlabelled transmitter (a probing phone's random MAC) is a false alarm.

Each transmitter keeps its window rows, so a calibration can rescore rooms with other
thresholds without capturing them again (:func:`rescore`).
"""
from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.room import random_room
from sweeper.wifi import classify, oui
from sweeper.wifi.analysis import TrafficAnalyzer
from sweeper.wifi.features import WINDOW_DTYPE
from sweeper.wifi.frames import is_local

POSITIVE_KBPS = 150.0
POSITIVE_RUN_S = 3


class RecordingAnalyzer(TrafficAnalyzer):
    """The product's analyzer that also keeps every judged window row (for rescoring)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.rows: List[np.ndarray] = []

    def _score_rows(self, rows):
        if rows.size:
            self.rows.append(rows.copy())
        super()._score_rows(rows)


def capture(room, rng, duration_s: float, linktype: int = 127, channel: Optional[int] = None):
    """Render a room; returns (events heard, batch)."""
    parts, run = [], None
    for run, ev in room.iter_events(duration_s, rng, channel):
        parts.append(ev)
    ev = E.concat(parts)
    batch = run.render(ev, linktype, None, rng, channel or 0)
    return (run.wired(ev) if linktype == 1 else ev), batch


def streams_live_video(ev, mac: int, kbps: float = POSITIVE_KBPS, run_s: int = POSITIVE_RUN_S) -> bool:
    """>= ``kbps`` of unicast data for ``run_s`` consecutive seconds, from the events."""
    up = ev[(ev["ta"] == mac) & np.isin(ev["kind"], (E.DATA, E.QOS_DATA)) & (ev["retry"] == 0)
            & ((ev["ra"] >> np.uint64(40)) & np.uint64(1) == 0)]
    if len(up) == 0:
        return False
    per_s = np.bincount(np.floor(up["ts"]).astype(int), weights=up["l3len"]) * 8 / 1000
    run = best = 0
    for ok in per_s >= kbps:
        run = run + 1 if ok else 0
        best = max(best, run)
    return best >= run_s


@dataclass
class Transmitter:
    mac: str
    kind: str
    role: str  # "positive", "negative", "video", "camera_idle" (camera not streaming)
    flagged: str  # verdict the analyzer gave: "camera", "suspect" or "none"
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, WINDOW_DTYPE))
    label: dict = field(default_factory=dict)


@dataclass
class Room:
    seed: int
    ranges: str
    has_camera: bool
    transmitters: List[Transmitter]
    report: dict


def run_room(seed: int, ranges: str = "test", camera: Optional[bool] = None, duration_s: float = 10.0,
             linktype: int = 127, camera_kinds: Optional[Sequence[str]] = None,
             kinds: Optional[Sequence[str]] = None, max_start_s: float = 2.0) -> Room:
    """One labelled room through the product's analyzer."""
    rng = np.random.default_rng(seed)
    camera = seed % 3 != 2 if camera is None else camera
    room = random_room(rng, camera=camera, max_start_s=max_start_s, ranges=ranges,
                       camera_kinds=camera_kinds, kinds=kinds)
    ev, batch = capture(room, rng, duration_s, linktype)
    an = RecordingAnalyzer()
    an.feed(batch)
    an.finish()
    rep = an.report()
    verdicts = {f["mac"]: f["verdict"] for f in rep["findings"]}
    rows = np.concatenate(an.rows) if an.rows else np.zeros(0, WINDOW_DTYPE)
    labels = room.labels()
    out = []
    for mac, info in labels.items():
        if info.get("camera"):
            live = info.get("delivery", "live") in ("live", "motion") and streams_live_video(ev, E.mac_to_int(mac))
            role = "positive" if live else "camera_idle"
        elif info.get("video"):
            role = "video"
        else:
            role = "negative"
        m = E.mac_to_int(mac)
        out.append(Transmitter(mac, info["kind"], role, verdicts.get(mac, "none"), rows[rows["mac"] == m], info))
    for mac, v in verdicts.items():
        if mac not in labels:
            out.append(Transmitter(mac, "unlabelled", "negative", v, rows[rows["mac"] == E.mac_to_int(mac)]))
    return Room(seed, ranges, any(t.role in ("positive", "camera_idle") for t in out), out, rep)


class Rescorer:
    """Every transmitter of ``rooms`` rescored under other thresholds, fast: their
    window rows in one array, one vectorised pass per set of thresholds. A transmitter
    scores as the analyzer keeps it: the best over time of the lower of two consecutive
    windows' scores."""

    def __init__(self, rooms: Sequence[Room], step: float = 0.25):
        keys, parts, tx = [], [], []
        for room in rooms:
            for t in room.transmitters:
                keys.append((room.seed, t.mac))
                parts.append(t.rows)
                tx.append(np.full(t.rows.size, len(keys) - 1))
        self.keys = keys
        rows = np.concatenate(parts) if parts else np.zeros(0, WINDOW_DTYPE)
        tx = np.concatenate(tx) if tx else np.zeros(0, np.int64)
        order = np.lexsort((rows["t_end"], tx))
        self.rows, self.tx = rows[order], tx[order]
        # keep transmitters apart for the key-frame memory
        self.rows["mac"] = self.tx
        macs = np.array([E.mac_to_int(k[1]) for k in keys], np.uint64)
        vendors = oui.lookup_many([int(m) for m in macs])
        self.local = np.asarray(is_local(macs), bool)[self.tx]
        self.module = np.array([classify.is_module_vendor(vendors.get(int(m))) for m in macs], bool)[self.tx]
        same = self.tx[1:] == self.tx[:-1]
        self.consecutive = same & (np.abs(np.diff(self.rows["t_end"].astype(np.float64)) - step) < step / 10)

    def verdicts(self, ramps=None) -> Dict[tuple, str]:
        ramps = ramps or classify.RAMPS
        rows = self.rows.copy()
        rows["keyframe"] = classify.carry_key_frames(rows, {}, ramps)
        s = classify.window_scores(rows, self.local, self.module, ramps)
        held = np.where(self.consecutive, np.minimum(s[1:], s[:-1]), 0.0)
        best = np.zeros(len(self.keys))
        if held.size:
            np.maximum.at(best, self.tx[1:], held)
        return {k: classify.verdict(float(b)) or "none" for k, b in zip(self.keys, best)}


def rescore(rooms: Sequence[Room], ramps=None) -> Dict[tuple, str]:
    """{(seed, mac): verdict} of every transmitter under other thresholds ``ramps``."""
    return Rescorer(rooms).verdicts(ramps)


@dataclass
class Summary:
    positives: int = 0
    hits: int = 0  # flagged camera or suspect
    camera_hits: int = 0  # flagged camera
    misses: list = field(default_factory=list)
    negatives: collections.Counter = field(default_factory=collections.Counter)
    alarms: collections.Counter = field(default_factory=collections.Counter)
    video: int = 0
    video_flagged: int = 0
    clear_rooms: int = 0
    clear_rooms_alarmed: int = 0

    @property
    def recall(self) -> float:
        return self.hits / max(self.positives, 1)

    @property
    def false_alarm_rate(self) -> float:
        return sum(self.alarms.values()) / max(sum(self.negatives.values()), 1)

    @property
    def clear_room_alarm_rate(self) -> float:
        return self.clear_rooms_alarmed / max(self.clear_rooms, 1)

    def table(self) -> str:
        lines = [f"recall {self.hits}/{self.positives} = {self.recall:.3f} (camera verdict {self.camera_hits})",
                 f"non-cameras flagged {sum(self.alarms.values())}/{sum(self.negatives.values())} = "
                 f"{self.false_alarm_rate:.4f}",
                 f"camera-free rooms alarmed {self.clear_rooms_alarmed}/{self.clear_rooms}",
                 f"phones live-streaming video flagged {self.video_flagged}/{self.video}"]
        for kind in sorted(self.negatives):
            lines.append(f"  {kind:16s} {self.alarms[kind]:3d}/{self.negatives[kind]}")
        return "\n".join(lines)


def summarise(rooms: Sequence[Room], verdicts: Optional[Dict[tuple, str]] = None) -> Summary:
    """Hit rate and false alarms, per kind; ``verdicts`` from :func:`rescore` (default:
    what the analyzer said)."""
    s = Summary()
    for room in rooms:
        alarmed = False
        for t in room.transmitters:
            v = verdicts[(room.seed, t.mac)] if verdicts is not None else t.flagged
            flagged = v in ("camera", "suspect")
            if t.role == "positive":
                s.positives += 1
                s.hits += flagged
                s.camera_hits += v == "camera"
                if not flagged:
                    s.misses.append((room.seed, t.mac, t.label.get("bitrate_bps"), t.label.get("fps"),
                                     t.label.get("transport"), t.label.get("delivery")))
            elif t.role == "video":
                s.video += 1
                s.video_flagged += flagged
            elif t.role == "negative":
                s.negatives[t.kind] += 1
                s.alarms[t.kind] += flagged
                alarmed |= flagged
        if not room.has_camera:
            s.clear_rooms += 1
            s.clear_rooms_alarmed += alarmed
    return s
