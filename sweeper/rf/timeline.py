"""A whole recording, window by window: each transmitter once, and when it was on.

A recording of any length is cut into windows of WINDOW_S (at most MAX_WINDOW_SAMPLES
samples, so memory stays bounded at any rate), and each window gets the analysis a
sweep's hop gets (:func:`sweeper.rf.analysis.analyze_window`: spectrogram, emitters
and their on/off timing, the line-structure search) and its emitters are classified.
A :class:`Timeline` merges the windows: the same transmitter heard in many windows is
one entry with its best score, reasons and description, ``first_s`` and ``last_s``
(the first and last moment it was on, seconds from the start of the file) and ``on_s``
(how long it was on in all).

When a camera was on: in the windows whose line structure names it (the same line
period within SAME_PERIOD_S, within SAME_CAMERA_HZ: one camera's period measures the
same in every window). Where a run of such windows starts and ends, the line structure
is looked for again in eighths of the windows at the edge and of their neighbours (a
window the camera fills only in part may not show it as a whole), so the start and the
end are known to an eighth of a window (0.125 s), not to a window. Each window is judged
on its own, as one hop of a sweep is, without the sweep's "two hops must agree": a
camera that transmits for a second must count.

Every other emitter is matched by its band (intersection over union at least
SAME_EMITTER_OVERLAP), whatever class a window gave it, and reported as the class most
windows gave it; within a window it is on where its power in a 1024-sample segment
(0.43 ms at 2.4 MS/s) stands out, or for the whole window when it is heard only in the
window's averaged spectrum. What is heard inside a camera's band while it is on (and a
window either side) is the camera's own spectrum (its spectral lines, its edges), not
another emitter.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import numpy as np

from sweeper.rf.analysis import WindowAnalysis, analyze_window, emitter_dict, finding_dict, verdict_for
from sweeper.rf.classifiers import VIDEO, Context, classify
from sweeper.rf.emitters import Emitter
from sweeper.rf.video import detect_video

#: a recording is analysed in windows this long: a camera on for a second fills one
WINDOW_S = 1.0
#: ... of at most this many samples (an RTL-SDR's 2.4-2.5 MS/s in 1 s, 0.125 s at 20 MS/s):
#: 20 MB of complex64, and two windows are held (the previous one for a camera's edges)
MAX_WINDOW_SAMPLES = 2_500_000
#: two windows' emitters are one transmitter when their bands overlap this much
#: (intersection over union)
SAME_EMITTER_OVERLAP = 0.5
#: two windows' line structure is one camera when the line periods agree this well
#: (the period measured in a window, or in an eighth of one, wanders by up to about
#: 0.15 us about the camera's in the simulated rooms; PAL and NTSC lines differ by 0.44) ...
SAME_PERIOD_S = 0.2e-6
#: ... and the bands it was found in lie within this (one camera's FM signal with its
#: skirts and audio carriers spans about this much; as in the sweep engine)
SAME_CAMERA_HZ = 20e6
#: the ends of a camera's run are timed to this fraction of a window ...
EDGE_PARTS = 8
#: ... when that is at least this long in one piece (else to a window)
MIN_EDGE_PART_S = 0.02


def window_samples(sample_rate: float) -> int:
    """Samples per analysis window at ``sample_rate``."""
    return int(max(1, min(round(WINDOW_S * sample_rate), MAX_WINDOW_SAMPLES)))


@dataclass
class Window:
    """One analysed window: where it starts (s), how long it is, its samples (N, M)."""

    t0: float
    duration: float
    x: np.ndarray

    @property
    def end(self) -> float:
        return self.t0 + self.duration


@dataclass
class _Heard:
    """One emitter in one window, on the file's clock (seconds)."""

    e: Emitter
    first_s: float
    last_s: float
    on_s: float
    bursts: int


def _heard(e: Emitter, t0: float, duration: float) -> _Heard:
    b = e.bursts
    if b is None or b.bursts == 0:  # heard in the averaged spectrum only: on throughout
        return _Heard(e, t0, t0 + duration, duration, 0)
    return _Heard(e, t0 + b.first_on_s, t0 + b.last_on_s, b.duty * b.span_s, b.bursts)


def _overlap(a_lo: float, a_hi: float, b_lo: float, b_hi: float) -> float:
    """Intersection over union of two bands (0 when they do not meet)."""
    inter = min(a_hi, b_hi) - max(a_lo, b_lo)
    if inter <= 0:
        return 0.0
    return inter / max(max(a_hi, b_hi) - min(a_lo, b_lo), 1e-9)


class _Span:
    """When a transmitter was heard: first and last moment, time on, windows."""

    def __init__(self):
        self.first_s, self.last_s = np.inf, -np.inf
        self.on_s = 0.0
        self.windows = 0
        self.last_window = -1

    def times(self, duration_s: float) -> dict:
        first, last = float(self.first_s), float(self.last_s)
        on = max(0.0, min(self.on_s, last - first))
        return {"first_s": round(first, 6), "last_s": round(last, 6),
                "on_s": round(on, 6), "duty": round(on / duration_s, 3) if duration_s > 0 else 0.0}


class _Track(_Span):
    """An emitter (not a camera) over the windows that heard it."""

    def __init__(self, e: Emitter):
        super().__init__()
        self.lo_hz, self.hi_hz = e.lo_hz, e.hi_hz
        self.best: Dict[str, Emitter] = {}  # class -> its best-scoring emitter
        self.count: Counter = Counter()  # class -> windows
        self.bursts = 0
        self._window_on = 0.0

    def add(self, h: _Heard, window: int) -> None:
        e = h.e
        if e.cls not in self.best or e.cls_score > self.best[e.cls].cls_score:
            self.best[e.cls] = e
        if window != self.last_window:
            self.count[e.cls] += 1
            self.windows += 1
            self._window_on = 0.0
        # two pieces of one window in one track: count their on-time once
        self.on_s += max(0.0, h.on_s - self._window_on)
        self._window_on = max(self._window_on, h.on_s)
        self.bursts += h.bursts
        self.first_s = min(self.first_s, h.first_s)
        self.last_s = max(self.last_s, h.last_s)
        self.last_window = window

    def representative(self) -> Emitter:
        cls = max(self.count, key=lambda c: (self.count[c], self.best[c].cls_score))
        return self.best[cls]


class _Camera(_Span):
    """Analog video with one line period over the windows whose line structure shows it."""

    def __init__(self, e: Emitter):
        super().__init__()
        self.period = e.video.line_period_s
        self.best = e
        self.lo_hz, self.hi_hz = e.lo_hz, e.hi_hz

    def same(self, e: Emitter) -> bool:
        return (abs(e.video.line_period_s - self.period) < SAME_PERIOD_S
                and abs(e.freq_hz - self.best.freq_hz) < SAME_CAMERA_HZ)

    def add(self, e: Emitter) -> None:
        if e.video.score > self.best.video.score:
            self.best = e
            self.period = e.video.line_period_s  # the surest window measures it best
        self.lo_hz, self.hi_hz = min(self.lo_hz, e.lo_hz), max(self.hi_hz, e.hi_hz)


class Timeline:
    """Merges window analyses (in time order) into one report; see the module docs."""

    def __init__(self, sample_rate: float, rf_known: bool = True, camera_score: float = 0.8,
                 suspect_score: float = 0.5):
        self.sample_rate = sample_rate
        self.rf_known = rf_known
        self.camera_score = camera_score
        self.suspect_score = suspect_score
        self.tracks: List[_Track] = []
        self.cameras: List[_Camera] = []
        self.windows = 0
        self.duration_s = 0.0

    def add(self, w: WindowAnalysis, win: Window, prev: Optional[Window] = None) -> None:
        """The analysis ``w`` of window ``win``; ``prev`` is the window before it (its
        samples must still be valid: the ends of a camera's run are looked for there)."""
        k = self.windows
        ctx = Context(bin_hz=w.bin_hz, window_hz=self.sample_rate, rf_known=self.rf_known,
                      video_suspect_score=self.suspect_score)
        here = set()
        for e in w.emitters:
            classify(e, ctx)
            if e.cls == VIDEO and self._verdict(e) is not None:
                cam = next((c for c in self.cameras if c.same(e)), None)
                if cam is None:
                    cam = _Camera(e)
                    self.cameras.append(cam)
                cam.add(e)
                here.add(id(cam))
            else:
                h = _heard(e, win.t0, win.duration)
                track = self._match(e)
                if track is None:
                    track = _Track(e)
                    self.tracks.append(track)
                track.add(h, k)
        for cam in self.cameras:
            if cam.windows and cam.last_window == k - 1 and id(cam) not in here and prev is not None:
                self._end(cam, prev, win)  # it went quiet: when, exactly?
        for cam in self.cameras:
            if id(cam) in here:
                if cam.windows and cam.last_window == k - 1:
                    cam.on_s += win.duration
                    cam.last_s = win.end
                else:
                    self._start(cam, win, prev)
                cam.windows += 1
                cam.last_window = k
        self.windows += 1
        self.duration_s = max(self.duration_s, win.end)

    def finish(self, last: Optional[Window]) -> None:
        """After the last window (``last``, whose samples must still be valid)."""
        for cam in self.cameras:
            if last is not None and cam.windows and cam.last_window == self.windows - 1:
                self._end(cam, last, None)

    # -- when a camera starts and stops ---------------------------------------------------
    def _start(self, cam: _Camera, win: Window, prev: Optional[Window]) -> None:
        """A run of windows with the camera's line structure starts at ``win``."""
        head = self._scan(win, cam.period, forward=True, run=False)
        start = win.t0 if head is None else head
        if start <= win.t0 and prev is not None and prev.end >= win.t0 - 1e-9:
            before = self._scan(prev, cam.period, forward=False, run=True)
            if before is not None:
                start = before
        start = max(start, cam.last_s)  # back after a gap: do not count the gap's end twice
        cam.first_s = min(cam.first_s, start)
        cam.on_s += win.end - start
        cam.last_s = win.end

    def _end(self, cam: _Camera, last: Window, after: Optional[Window]) -> None:
        """A run of windows with the camera's line structure ended with ``last``."""
        tail = self._scan(last, cam.period, forward=False, run=False)
        end = last.end if tail is None else tail
        cam.on_s -= last.end - end
        if end >= last.end and after is not None:
            beyond = self._scan(after, cam.period, forward=True, run=True)
            if beyond is not None:
                cam.on_s += beyond - after.t0
                end = beyond
        cam.last_s = end

    def _scan(self, win: Window, period: float, forward: bool, run: bool) -> Optional[float]:
        """Look for the line structure in EDGE_PARTS parts of a window, taking the
        camera to switch on or off at most once in it (a binary search: three looks
        at eight parts). ``run`` False: where the first part that has it begins
        (``forward``) or where the last one ends; ``run`` True: how far it runs from
        the window's start (``forward``) or back from its end, None when the edge part
        lacks it. None also when the window cannot be split (several captures, or
        parts shorter than MIN_EDGE_PART_S) or no part has it."""
        x = win.x
        if x.shape[0] != 1 or win.duration / EDGE_PARTS < MIN_EDGE_PART_S:
            return None
        bounds = [x.shape[1] * i // EDGE_PARTS for i in range(EDGE_PARTS + 1)]
        order = list(range(EDGE_PARTS)) if forward else list(range(EDGE_PARTS - 1, -1, -1))
        looked: Dict[int, bool] = {}

        def has(j: int) -> bool:  # the j-th part in scan order shows the camera
            if j not in looked:
                i = order[j]
                ev = detect_video(x[:, bounds[i]: bounds[i + 1]], self.sample_rate)
                looked[j] = (verdict_for(ev.score, self.camera_score, self.suspect_score) is not None
                             and ev.line_period_s is not None and abs(ev.line_period_s - period) < SAME_PERIOD_S)
            return looked[j]

        # parts in scan order are all without (run False) or all with (run True) the
        # camera up to some index: find the first one that differs
        lo, hi = 0, EDGE_PARTS
        while lo < hi:
            mid = (lo + hi) // 2
            if has(mid) != run:
                hi = mid
            else:
                lo = mid + 1
        if run:
            if lo == 0:
                return None
            i = order[lo - 1]  # the last part of the run
            return win.t0 + bounds[i + 1 if forward else i] / self.sample_rate
        if lo == EDGE_PARTS:
            return None
        i = order[lo]  # the first part that has it
        return win.t0 + bounds[i if forward else i + 1] / self.sample_rate

    # -- everything else -------------------------------------------------------------------
    def _verdict(self, e: Emitter) -> Optional[str]:
        return verdict_for(e.video.score if e.video else 0.0, self.camera_score, self.suspect_score)

    def _match(self, e: Emitter) -> Optional[_Track]:
        best, best_overlap = None, SAME_EMITTER_OVERLAP
        for t in self.tracks:
            overlap = _overlap(e.lo_hz, e.hi_hz, t.lo_hz, t.hi_hz)
            if overlap >= best_overlap:
                best, best_overlap = t, overlap
        return best

    def report(self) -> Dict[str, list]:
        """``findings`` (analog video, best score first) and ``emitters`` (the rest, by
        frequency), in the analyze contract's shape, each with first_s, last_s, on_s and
        duty (on_s over the recording's length)."""
        findings, emitters = [], []
        for cam in self.cameras:
            d = finding_dict(cam.best, self._verdict(cam.best))
            d.update(cam.times(self.duration_s))
            if self.windows > 1:
                d["reasons"].append(f"on for {d['on_s']:.2f} s between {d['first_s']:.2f} s and {d['last_s']:.2f} s "
                                    f"of the recording (line structure in {cam.windows} of its {self.windows} "
                                    "windows)")
            findings.append(d)
        for t in self.tracks:
            if any(self._inside(t, c) for c in self.cameras):
                continue
            d = emitter_dict(t.representative())
            d.update(t.times(self.duration_s))
            d["bursts"] = int(t.bursts)
            emitters.append(d)
        findings.sort(key=lambda f: -f["score"])
        emitters.sort(key=lambda d: d["freq_hz"])
        return {"findings": findings, "emitters": emitters}

    @staticmethod
    def _inside(t: _Track, cam: _Camera) -> bool:
        """Heard only inside a camera's band, while it was on (give or take a window)."""
        return (cam.lo_hz <= t.lo_hz and t.hi_hz <= cam.hi_hz
                and cam.first_s - WINDOW_S <= t.first_s and t.last_s <= cam.last_s + WINDOW_S)


def analyze_windows(windows: Iterable[Tuple[float, np.ndarray]], sample_rate: float,
                    center_hz: Optional[float] = None, camera_score: float = 0.8, suspect_score: float = 0.5,
                    on_window: Optional[Callable[[float, float], None]] = None) -> Timeline:
    """Analyse ``(t0, complex64 samples)`` windows in time order (``(M,)`` or ``(N, M)``
    for N captures) into a :class:`Timeline`. A window's samples must stay valid until
    the next one has been analysed (:meth:`RecordingFile.windows` keeps two).
    ``center_hz`` None: frequencies are offsets from the tuned centre.
    ``on_window(t0, duration)`` is called after each window."""
    timeline = Timeline(sample_rate, center_hz is not None, camera_score, suspect_score)
    prev = None
    for t0, x in windows:
        x = x if x.ndim == 2 else x[None, :]
        win = Window(t0, x.size / sample_rate, x)
        timeline.add(analyze_window(x, sample_rate, center_hz or 0.0), win, prev)
        prev = win
        if on_window is not None:
            on_window(t0, win.duration)
    timeline.finish(prev)
    return timeline
