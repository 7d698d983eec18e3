"""Stimulus timelines: what the room looked like when, as the camera would have seen it.

A timeline is a list of intervals ``{"start_s", "end_s", "kind"}``, kinds ``dark``,
``light``, ``motion`` and ``flash``, in seconds from the start of the recording (the
first record of a capture, the first sample of IQ). It turns into two signals on a grid
of time bins, the two ways an encoder or a camera's video reacts:

* **level** (+1 light, motion or flash; -1 dark): a VBR encoder spends bits on what it
  sees (a moving or lit scene costs more than a still or dark one); an analog camera's
  luminance, and so its FM spread, follows the light.
* **change** (1 in the bins where the state changes): a scene cut makes a scene-change
  detector insert an I-frame, and a CBR encoder's frames swell for a moment even though
  its rate over a second does not.

Where the timeline has light/dark intervals, time outside them is unknown (left out);
where it has only motion/flash, time outside them is the still room (-1).

The device drives a *pseudo-random* schedule (:func:`random_schedule`): dwell times
drawn at random, so nothing in the room can follow it by chance, and the lock-in test
compares the response with schedules the camera could not have seen
(:func:`surrogates`: the same segments in a shuffled order, rotated).
"""
from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np

from sweeper.errors import InputError, terminal_safe

KINDS = ("dark", "light", "motion", "flash")
#: a timeline file: at most this many bytes and intervals (a 30 s confirmation has a few dozen)
MAX_FILE_BYTES = 1 << 20
MAX_INTERVALS = 10_000
#: a timeline spans at most this long (first start to last end): a confirmation is 10-30 s,
#: and the lock-in test holds its 1,999 surrogate schedules over the span in memory
MAX_SPAN_S = 120.0


@dataclass(frozen=True)
class Interval:
    start_s: float
    end_s: float
    kind: str

    def to_json(self) -> dict:
        return {"start_s": round(self.start_s, 6), "end_s": round(self.end_s, 6), "kind": self.kind}


@dataclass(frozen=True)
class Timeline:
    """Intervals in time order, none overlapping."""

    intervals: Tuple[Interval, ...]

    @property
    def start_s(self) -> float:
        return self.intervals[0].start_s if self.intervals else 0.0

    @property
    def end_s(self) -> float:
        return self.intervals[-1].end_s if self.intervals else 0.0

    @property
    def two_state(self) -> bool:
        """Light/dark states (time outside them unknown), not events on a still room."""
        return any(iv.kind in ("dark", "light") for iv in self.intervals)

    def to_json(self) -> list:
        return [iv.to_json() for iv in self.intervals]

    def signals(self, edges: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """(level, change) per bin ``[edges[i], edges[i+1])`` (see :func:`signals`)."""
        return signals(self, edges)

    def boundaries(self) -> np.ndarray:
        """Times where what the camera sees changes (a state begins or ends)."""
        out: List[float] = []
        prev_end, prev_kind = None, None
        for iv in self.intervals:
            if prev_end is None or abs(iv.start_s - prev_end) > 1e-9 or iv.kind != prev_kind:
                if prev_end is not None or not self.two_state:
                    out.append(iv.start_s)
            if not self.two_state:
                out.append(iv.end_s)
            prev_end, prev_kind = iv.end_s, iv.kind
        return np.unique(np.array(out, float))


def from_json(items, where: str = "the timeline") -> Timeline:
    """A checked timeline from parsed JSON (InputError naming the item at fault)."""
    if not isinstance(items, list):
        raise InputError(f"{where}: must be a JSON list of {{start_s, end_s, kind}} intervals")
    if len(items) > MAX_INTERVALS:
        raise InputError(f"{where}: {len(items)} intervals; at most {MAX_INTERVALS}")
    out: List[Interval] = []
    for i, item in enumerate(items):
        at = f"{where}: interval {i}"
        if not isinstance(item, dict) or set(item) - {"start_s", "end_s", "kind"} or \
                not {"start_s", "end_s", "kind"} <= set(item):
            raise InputError(f"{at}: must be an object with exactly start_s, end_s and kind")
        kind = item["kind"]
        if kind not in KINDS:
            raise InputError(f"{at}: kind {terminal_safe(str(kind))[:40]!r} is not one of {', '.join(KINDS)}")
        times = []
        for key in ("start_s", "end_s"):
            v = item[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v < 1e7:
                raise InputError(f"{at}: {key} must be a number of seconds from 0 (got "
                                 f"{terminal_safe(str(v))[:40]})")
            times.append(float(v))
        if times[1] <= times[0]:
            raise InputError(f"{at}: end_s {times[1]:g} is not after start_s {times[0]:g}")
        out.append(Interval(times[0], times[1], kind))
    out.sort(key=lambda iv: iv.start_s)
    for a, b in zip(out, out[1:]):
        if b.start_s < a.end_s - 1e-9:
            raise InputError(f"{where}: intervals at {a.start_s:g}-{a.end_s:g} s and {b.start_s:g}-{b.end_s:g} s "
                             "overlap")
    if not out:
        raise InputError(f"{where}: holds no interval")
    if out[-1].end_s - out[0].start_s > MAX_SPAN_S:
        raise InputError(f"{where}: spans {out[-1].end_s - out[0].start_s:g} s; a confirmation's timeline spans "
                         f"at most {MAX_SPAN_S:g} s")
    return Timeline(tuple(out))


def load_timeline(path: str) -> Timeline:
    """A timeline file (JSON), checked: a regular file of at most MAX_FILE_BYTES."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(f"{terminal_safe(path)}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{terminal_safe(path)}: is not a regular file")
    if st.st_size > MAX_FILE_BYTES:
        raise InputError(f"{terminal_safe(path)}: {st.st_size} bytes; a timeline is at most {MAX_FILE_BYTES}")
    try:
        with open(path, "rb") as fh:
            items = json.loads(fh.read().decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{terminal_safe(path)}: not a JSON timeline ({terminal_safe(str(exc))[:80]})") from None
    except OSError as exc:
        raise InputError(f"{terminal_safe(path)}: {exc.strerror}") from None
    return from_json(items, terminal_safe(path))


def random_schedule(rng: np.random.Generator, duration_s: float, states: Tuple[str, str] = ("dark", "light"),
                    dwell_s: Tuple[float, float] = (1.0, 3.0), lead_s: float = 0.0) -> Timeline:
    """Alternating states with dwell times drawn uniformly from ``dwell_s``, starting with
    ``states[0]`` (after ``lead_s`` of ``states[1]``, a reference period): the device's
    LED ("light", "dark"), a prompted light switch ("dark", "light") or waving
    ("motion", "still": still time is not an interval)."""
    out: List[Interval] = []
    t, i = 0.0, 0
    if lead_s > 0:
        out.append(Interval(0.0, min(lead_s, duration_s), states[1]))
        t = lead_s
    while t < duration_s - 1e-9:
        end = min(duration_s, t + float(rng.uniform(*dwell_s)))
        out.append(Interval(t, end, states[i % 2]))
        t, i = end, i + 1
    return Timeline(tuple(iv for iv in out if iv.kind in KINDS))


def segments(tl: Timeline, span: Tuple[float, float]) -> List[Tuple[float, float]]:
    """(duration, level) pieces covering ``span``: the timeline's states and the gaps
    between them (unknown = NaN for two-state timelines, still = -1 otherwise)."""
    lo, hi = span
    pieces: List[Tuple[float, float]] = []
    t = lo
    gap_level = math.nan if tl.two_state else -1.0
    for iv in tl.intervals:
        a, b = max(iv.start_s, lo), min(iv.end_s, hi)
        if b <= a:
            continue
        if a > t + 1e-9:
            pieces.append((a - t, gap_level))
        pieces.append((b - a, -1.0 if iv.kind == "dark" else 1.0))
        t = b
    if hi > t + 1e-9:
        pieces.append((hi - t, gap_level))
    return pieces


def _piece_signals(dur: np.ndarray, lev: np.ndarray, centres: np.ndarray, shift: np.ndarray):
    """(levels, changes) (n, bins) of schedules given as pieces (n, m) of durations
    ``dur`` and levels ``lev``, rotated by ``shift`` (n, 1) seconds, at ``centres`` (from 0)."""
    total = dur.sum(axis=1, keepdims=True)
    ends = np.cumsum(dur, axis=1)
    when = (centres[None, :] + shift) % total
    idx = np.minimum(np.sum(ends[:, :, None] <= when[:, None, :], axis=1), dur.shape[1] - 1)
    levels = np.take_along_axis(lev, idx, axis=1)
    changes = np.zeros_like(levels)
    a, b = levels[:, 1:], levels[:, :-1]
    changes[:, 1:] = (a != b) & ~np.isnan(a) & ~np.isnan(b)  # between known states only
    return levels, changes


def signals(tl: Timeline, edges: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(level, change) per bin of ``edges``: level +1 (light, motion, flash), -1 (dark, or
    the still room), NaN (unknown); change 1 in the bin where the level changes. The
    surrogates are made by the same code, so the real schedule is one of their kind."""
    pieces = segments(tl, (float(edges[0]), float(edges[-1])))
    dur = np.array([[p[0] for p in pieces]])
    lev = np.array([[p[1] for p in pieces]])
    centres = (edges[:-1] + edges[1:]) / 2 - edges[0]
    levels, changes = _piece_signals(dur, lev, centres, np.zeros((1, 1)))
    return levels[0], changes[0]


def surrogates(tl: Timeline, edges: np.ndarray, rng: np.random.Generator, n: int) -> Tuple[np.ndarray, np.ndarray]:
    """(levels, changes), each (n, bins): schedules the camera could not have seen, of
    the same design: the same sequence of states (so the same number of changes), each
    state's dwell times shuffled among its own segments, rotated by a random offset."""
    pieces = segments(tl, (float(edges[0]), float(edges[-1])))
    dur = np.array([p[0] for p in pieces])
    lev = np.array([p[1] for p in pieces])
    d = np.tile(dur, (n, 1))
    key = np.where(np.isnan(lev), 0.0, lev)
    for state in np.unique(key):  # at most three states: light, dark, unknown
        pos = np.flatnonzero(key == state)
        if len(pos) > 1:
            order = np.argsort(rng.random((n, len(pos))), axis=1)
            d[:, pos] = dur[pos][order]
    centres = (edges[:-1] + edges[1:]) / 2 - edges[0]
    shift = rng.uniform(0.0, float(dur.sum()), (n, 1))
    return _piece_signals(d, np.tile(lev, (n, 1)), centres, shift)


def bin_edges(span: Tuple[float, float], bin_s: float) -> np.ndarray:
    lo, hi = span
    n = max(1, int(math.floor((hi - lo) / bin_s + 1e-9)))
    return lo + bin_s * np.arange(n + 1)


__all__: Sequence[str] = ("KINDS", "Interval", "Timeline", "from_json", "load_timeline", "random_schedule",
                          "surrogates", "bin_edges")
