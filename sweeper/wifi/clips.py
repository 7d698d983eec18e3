"""Motion-triggered clip uploads: a camera that records on motion and sends files.

Battery cameras (Blink, Ring and Arlo battery models, Eufy) do not stream. They sleep;
motion wakes them; they record a clip of a few seconds, open a connection to their
cloud (DNS, TCP, TLS) and upload it as a file at whatever the path allows, then sleep
again. While someone moves in view, the next trigger comes seconds to minutes later,
and the next clip is about the same size (the same clip length at the same bitrate).
On the air each clip is a short one-way upload with silence before it.

A file upload carries no frame clock, so nothing in one clip says "video": a phone
sending a photo looks the same. What a one-off upload does not do is *recur*: short,
one-way uploads of similar size, each after a silence, from a device whose MAC is not
randomised (phones randomise theirs; battery cameras keep their maker's). That is a
reason for doubt, never proof, so it gives a ``suspect`` verdict (:data:`CLIP_SCORE`),
never ``camera``; the reasons say so in words.

The evidence is built from the gated window rows of :mod:`sweeper.wifi.features`
(one per transmitter and 0.25-s slot in which it sent enough to be judged):
:func:`episodes` cuts a transmitter's rows into uploads (pure, vectorised), and
:class:`ClipTracker` keeps the few recent ones per transmitter across batches.
Quiet is only counted while the receiver listened (``segment_start``): time spent on
other channels is not silence.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Deque, Dict, List, Optional, Tuple

import numpy as np

#: rows further apart than this belong to different uploads
EPISODE_GAP_S = 1.0
#: longest upload that can be one clip (a 30-s clip at 2 Mbit/s over a 4 Mbit/s path)
CLIP_MAX_S = 15.0
#: a clip's size: a few seconds of a low-rate stream up to half a minute of HD
CLIP_MIN_KB = 100.0
CLIP_MAX_KB = 10000.0
#: silence (no window with enough upload to judge) before each clip: the camera slept
#: through at least its re-trigger time (10 s and up) and recorded the next clip
CLIP_QUIET_S = 10.0
#: a finished file leaves at the path's speed: its busiest second carries at least
#: this much (an IoT device writing its log or setup data paces itself at 150-700 kbit/s)
CLIP_MIN_PEAK_KBPS = 1000.0
PEAK_S = 1.0
#: share of the episode's bytes going up: a clip upload is one-way
CLIP_MIN_UP_SHARE = 0.9
#: clips counted together: within this long, and sizes within this ratio
CLIP_HORIZON_S = 300.0
CLIP_SIZE_RATIO = 4.0
CLIP_REPEATS = 2
#: the score recurring clips give: suspect (>= 0.5), never camera (>= 0.8)
CLIP_SCORE = 0.6
#: clips remembered per transmitter, and transmitters tracked before old ones are dropped
MAX_CLIPS = 8
MAX_TRACKED = 4096


def episodes(t_end: np.ndarray, dur: np.ndarray, slot_kb: np.ndarray, up_share: np.ndarray,
             gap_s: float = EPISODE_GAP_S) -> Tuple[np.ndarray, ...]:
    """One transmitter's rows (sorted by ``t_end``) cut into uploads.

    Returns ``(start, end, kilobytes, up_share, peak_kbps)`` per episode: ``start`` is
    when its first judged window began sending (the row's end minus its slot), ``end``
    its last row's end, kilobytes the sum of the rows' own slots, up_share the
    byte-weighted mean, peak_kbps the rate of its busiest :data:`PEAK_S`.
    """
    t_end = np.asarray(t_end, np.float64)
    if t_end.size == 0:
        z = np.zeros(0)
        return z, z, z, z, z
    slot_kb = np.asarray(slot_kb, np.float64)
    new = np.r_[True, np.diff(t_end) > gap_s]
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, t_end.size - 1]
    kb = np.add.reduceat(slot_kb, first)
    share = np.add.reduceat(slot_kb * np.asarray(up_share, np.float64), first) / np.maximum(kb, 1e-9)
    # kilobytes in the PEAK_S ending at each row (episodes are > gap_s apart, and PEAK_S
    # <= gap_s, so the sum never reaches into the previous episode)
    csum = np.r_[0.0, np.cumsum(slot_kb)]
    lo = np.searchsorted(t_end, t_end - PEAK_S + 1e-6)
    peak = np.maximum.reduceat(csum[1:] - csum[lo], first) * 8 / PEAK_S
    step = np.minimum(np.asarray(dur, np.float64)[first], 0.25)
    return t_end[first] - step, t_end[last], kb, share, peak


@dataclass
class Clip:
    start: float
    end: float
    kb: float
    quiet_s: float  # silence heard before it


@dataclass
class _Open:
    start: float
    end: float
    kb: float
    up_kb: float
    peak_kbps: float
    quiet_s: float


class ClipTracker:
    """Recent uploads of each transmitter; says which ones now show recurring clips."""

    def __init__(self):
        self._open: Dict[int, _Open] = {}
        self._last_end: Dict[int, float] = {}
        self.clips: Dict[int, Deque[Clip]] = {}
        self._segment_start = -np.inf

    def start_segment(self, ts: Optional[float]) -> None:
        """The receiver (re)starts listening: quiet before ``ts`` was not heard."""
        self.close_all()
        self._segment_start = ts if ts is not None else np.inf
        self._last_end.clear()

    def update(self, rows: np.ndarray) -> Dict[int, List[Clip]]:
        """Add gated window rows (any transmitters); returns the transmitters whose
        clips now recur, each with those clips (see :func:`similar_clips`)."""
        if rows.size == 0:
            return {}
        if not np.isfinite(self._segment_start):
            self._segment_start = float((rows["t_end"] - rows["dur"]).min())
        order = np.lexsort((rows["t_end"], rows["mac"]))
        r = rows[order]
        bounds = np.flatnonzero(np.r_[True, r["mac"][1:] != r["mac"][:-1], True])
        now = float(r["t_end"].max())
        touched: Dict[int, List[Clip]] = {}
        for a, b in zip(bounds[:-1], bounds[1:]):  # one iteration per transmitter
            mac = int(r["mac"][a])
            s, e, kb, share, peak = episodes(r["t_end"][a:b], r["dur"][a:b], r["slot_kb"][a:b],
                                             r["up_share"][a:b])
            for i in range(s.size):  # episodes: a handful per batch
                self._add(mac, float(s[i]), float(e[i]), float(kb[i]), float(share[i]), float(peak[i]), touched)
        for mac in [m for m, o in self._open.items() if now - o.end > EPISODE_GAP_S]:
            self._close(mac, touched)
        self._forget(now)
        return touched

    def _forget(self, now: float) -> None:
        """Bound memory against a spray of random MACs: an upload that ended more than
        CLIP_QUIET_S ago no longer shortens anyone's silence, and clips older than the
        horizon that never recurred can no longer count."""
        if len(self._last_end) > MAX_TRACKED:
            self._last_end = {m: e for m, e in self._last_end.items() if now - e < CLIP_QUIET_S}
        if len(self.clips) > MAX_TRACKED:
            self.clips = {m: q for m, q in self.clips.items()
                          if recurring(q) or now - q[-1].end <= CLIP_HORIZON_S}

    def close_all(self) -> Dict[int, List[Clip]]:
        """End of capture or segment: uploads still open are over (returns as
        :meth:`update` does)."""
        touched: Dict[int, List[Clip]] = {}
        for mac in list(self._open):
            self._close(mac, touched)
        return touched

    def _add(self, mac, start, end, kb, share, peak, touched) -> None:
        o = self._open.get(mac)
        if o is not None and start - o.end <= EPISODE_GAP_S:
            o.end, o.kb, o.up_kb, o.peak_kbps = end, o.kb + kb, o.up_kb + kb * share, max(o.peak_kbps, peak)
            return
        if o is not None:
            self._close(mac, touched)
        heard_from = max(self._last_end.get(mac, -np.inf), self._segment_start)
        self._open[mac] = _Open(start, end, kb, kb * share, peak, start - heard_from)

    def _close(self, mac, touched) -> None:
        o = self._open.pop(mac)
        self._last_end[mac] = o.end
        if (o.end - o.start <= CLIP_MAX_S and CLIP_MIN_KB <= o.kb <= CLIP_MAX_KB
                and o.up_kb >= CLIP_MIN_UP_SHARE * o.kb and o.quiet_s >= CLIP_QUIET_S
                and o.peak_kbps >= CLIP_MIN_PEAK_KBPS):
            q = self.clips.setdefault(mac, deque(maxlen=MAX_CLIPS))
            q.append(Clip(o.start, o.end, o.kb, o.quiet_s))
            group = similar_clips(q)
            if len(group) >= CLIP_REPEATS:
                touched[mac] = group

def similar_clips(clips) -> List[Clip]:
    """The largest set of clips within :data:`CLIP_HORIZON_S` of the latest one whose
    sizes lie within :data:`CLIP_SIZE_RATIO` of each other."""
    clips = list(clips)
    if not clips:
        return []
    latest = clips[-1].end
    recent = [c for c in clips if latest - c.start <= CLIP_HORIZON_S]
    best: List[Clip] = []
    for c in recent:
        group = [d for d in recent if c.kb <= d.kb <= c.kb * CLIP_SIZE_RATIO]
        if len(group) > len(best):
            best = group
    return best


def recurring(clips) -> bool:
    return len(similar_clips(clips)) >= CLIP_REPEATS


def reasons(clips: List[Clip]) -> List[str]:
    """Plain words for a clip suspicion."""
    if not clips:
        return []
    sizes = ", ".join(f"{c.kb:.0f} kB" for c in clips[-4:])
    longest = max(c.end - c.start for c in clips)
    quiet = min(c.quiet_s for c in clips)
    return [
        f"{len(clips)} short one-way uploads of similar size ({sizes}; each within {longest:.0f} s), "
        f"each after at least {quiet:.0f} s of silence",
        "a battery camera uploads a recorded clip like this each time motion wakes it",
        "a file upload looks the same on the air: a reason to look, not proof",
    ]
