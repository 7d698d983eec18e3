"""The RF sweep engine: hop across bands, capture, analyse, stitch, classify.

It has no UI: it reports :class:`Progress` events to whoever listens (the terminal
progress bar, the device's OLED, a log). Capture runs in its own thread and
hands finished dwells to the analysis through a small queue, so analysing hop *k*
overlaps capturing hop *k+1* and a sweep takes about the sum of settle and dwell times.
"""
from __future__ import annotations

import dataclasses
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import numpy as np

from sweeper import verdicts
from sweeper.errors import HardwareError, SweeperError
from sweeper.rf.analysis import WindowAnalysis, analyze_window, report
from sweeper.rf.bands import Hop
from sweeper.rf.dsp import NFFT
from sweeper.rf.classifiers import Context
from sweeper.rf.coverage import band_coverage
from sweeper.rf.emitters import Emitter, describe_band, find_bands, smooth
from sweeper.rf.sources.base import IQSource

THRESHOLD_DB = 6.0
MERGE_GAP_HZ = 150e3


@dataclass(frozen=True)
class SweepSettings:
    sample_rate: float = 2.4e6
    gain_db: Optional[float] = None
    dwell_s: float = 0.05
    settle_s: float = 0.005
    settle_samples: int = 2048
    video_camera_score: float = 0.8
    video_suspect_score: float = 0.5

    @property
    def dwell_samples(self) -> int:
        return int(round(self.dwell_s * self.sample_rate))

    @property
    def discard_samples(self) -> int:
        return self.settle_samples + int(round(self.settle_s * self.sample_rate))

    def physical_floor_s(self, hops: int) -> float:
        """The least time ``hops`` hops can take: settling plus dwelling, at the sample rate."""
        return hops * (self.discard_samples + self.dwell_samples) / self.sample_rate


@dataclass(frozen=True)
class Progress:
    """A sweep's progress: ``kind`` is "start", "hop" or "done"."""

    kind: str
    done: int
    total: int
    band: str = ""
    rf_center_hz: float = 0.0
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass
class BandSpectrum:
    """The stitched spectrum of one band: RF bin centres and PSD over the floor."""

    name: str
    freqs_hz: np.ndarray
    snr_db: np.ndarray


#: points per band kept of a sweep's spectrum in history and reports (max-hold, so a
#: narrow carrier survives the decimation)
SPECTRUM_POINTS = 512


def summarise_spectrum(spectrum: "BandSpectrum", points: int = SPECTRUM_POINTS) -> dict:
    """A band's spectrum on a uniform grid of at most ``points`` (the peak of each
    cell; None where no hop covered it): point i is at start + (i + 0.5) * step."""
    f = np.asarray(spectrum.freqs_hz, dtype=np.float64)
    snr = np.asarray(spectrum.snr_db, dtype=np.float32)
    ok = np.isfinite(f) & np.isfinite(snr)
    f, snr = f[ok], snr[ok]
    if f.size == 0:
        return {"band": spectrum.name, "start_hz": 0.0, "stop_hz": 0.0, "snr_db": []}
    start, stop = float(f.min()), float(f.max())
    n = int(min(points, f.size))
    cell = np.minimum(((f - start) / max(stop - start, 1.0) * n).astype(np.int64), n - 1)
    peak = np.full(n, -np.inf, dtype=np.float32)
    np.maximum.at(peak, cell, snr)
    return {"band": spectrum.name, "start_hz": start, "stop_hz": stop,
            "snr_db": [None if not np.isfinite(v) else round(float(v), 1) for v in peak]}


@dataclass
class RfSweepResult:
    verdict: str  # "CLEAR", "INCOMPLETE", "SUSPECT" or "CAMERA"
    findings: List[dict]
    emitters: List[dict]
    spectra: List[BandSpectrum]
    hops: int
    elapsed_s: float
    #: per band: its receive path, hops swept of planned, dwell seconds, whether
    #: anything rose above the floor, and whether it counts as covered (and why not)
    coverage: List[dict] = dataclasses.field(default_factory=list)
    #: what was not covered, one line each, naming the fix
    gaps: List[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "findings": self.findings,
            "emitters": self.emitters,
            "hops": self.hops,
            "elapsed_s": round(self.elapsed_s, 3),
            "coverage": self.coverage,
            "gaps": self.gaps,
        }


class Sweep:
    """One sweep of ``hops`` through ``source``. Call :meth:`run`."""

    def __init__(self, source: IQSource, hops: List[Hop], settings: SweepSettings,
                 on_progress: Optional[Callable[[Progress], None]] = None, not_heard=()):
        self.source = source
        self.hops = hops
        #: (band, path, why) of the bands no receive path reaches: reported, not swept
        self.not_heard = list(not_heard)
        self.settings = settings
        self.on_progress = on_progress or (lambda p: None)
        self._stop = threading.Event()
        #: receive path -> why it failed mid-sweep (two paths: the other one carries on)
        self.path_failures: Dict[str, str] = {}

    def stop(self) -> None:
        """Ask a running sweep to finish early (from another thread)."""
        self._stop.set()

    # -- capture side (its own thread) -------------------------------------------------
    def _capture(self, out: "queue.Queue") -> None:
        s = self.settings
        converter = path = object()  # sentinel: nothing selected yet
        several = len(getattr(self.source, "receive_paths", None) or ()) > 1
        failed = set()
        try:
            for hop in self.hops:
                if self._stop.is_set():
                    break
                if hop.band.path in failed:
                    continue
                try:
                    if hop.band.path != path:  # the plan keeps each path's bands together
                        path = hop.band.path
                        self.source.select_path(path)
                    dc = hop.band.downconverter
                    if dc is not converter and hasattr(self.source, "set_downconverter"):
                        self.source.set_downconverter(dc)
                    converter = dc
                    self.source.tune(hop.tune_hz, s.sample_rate, s.gain_db)
                    if s.discard_samples:
                        self.source.read(s.discard_samples)
                    out.put((hop, self.source.read(s.dwell_samples)))
                except HardwareError as exc:
                    if not several:
                        raise
                    # one of two receive paths failed (a dongle pulled out): its bands
                    # become gaps, the other path's are still swept
                    failed.add(hop.band.path)
                    out.put(("path failed", hop.band.path, str(exc)))
                    converter = path = object()
        except BaseException as exc:  # handed to the analysis side, which raises it
            out.put(exc)
        finally:
            try:
                self.source.rest_path()
            except BaseException as exc:  # noqa: BLE001 (reported like a capture failure)
                out.put(exc)
            out.put(None)

    # -- analysis side ------------------------------------------------------------------
    def run(self) -> RfSweepResult:
        s = self.settings
        start = time.monotonic()
        total = len(self.hops)
        self.on_progress(Progress("start", 0, total, message=f"{total} hops"))
        q: "queue.Queue" = queue.Queue(maxsize=2)
        thread = threading.Thread(target=self._capture, args=(q,), name="sweep-capture", daemon=True)
        thread.start()
        windows: List[tuple] = []
        error = None
        while True:
            item = q.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                error = item
                continue
            if item[0] == "path failed":
                self.path_failures[item[1]] = item[2]
                continue
            hop, x = item
            w = analyze_window(x, s.sample_rate, hop.rf_center_hz, hop.inverted)
            windows.append((hop, _crop(w, hop)))
            self.on_progress(Progress("hop", len(windows), total, hop.band.name, hop.rf_center_hz))
        thread.join()
        if error is None and self.path_failures and not windows:  # every path failed
            error = HardwareError("; ".join(self.path_failures.values()))
        if error is not None:
            if isinstance(error, SweeperError):
                raise error
            raise SweeperError(f"sweep failed at hop {len(windows) + 1} of {total}: {error}") from error
        result = self._combine(windows, time.monotonic() - start)
        self.on_progress(Progress("done", total, total, message=result.verdict))
        return result

    def _combine(self, windows, elapsed: float) -> RfSweepResult:
        s = self.settings
        spectra, emitters = [], []
        for band_name in dict.fromkeys(h.band.name for h, _ in windows):
            group = [(h, w) for h, w in windows if h.band.name == band_name]
            spectrum, found = _stitch(band_name, group)
            spectra.append(spectrum)
            emitters.extend(found)
        ctx = Context(bin_hz=s.sample_rate / NFFT, window_hz=s.sample_rate, rf_known=True,
                      video_suspect_score=s.video_suspect_score)
        rep = report(emitters, ctx, s.video_camera_score, s.video_suspect_score)
        coverage, gaps = band_coverage(self.hops, windows, spectra, s.dwell_s, self.not_heard,
                                       self.path_failures)
        verdict = verdicts.covered(verdicts.of_findings(f["verdict"] for f in rep["findings"]), gaps)
        return RfSweepResult(verdict, rep["findings"], rep["emitters"], spectra, len(windows), elapsed,
                             coverage, gaps)


@dataclass
class _Kept:
    """The part of a hop's analysis inside its cropped RF slice."""

    freqs: np.ndarray
    psd: np.ndarray
    peak: np.ndarray
    floor: float
    emitters: List[Emitter]
    video: object


def _crop(w: WindowAnalysis, hop: Hop) -> _Kept:
    f = w.rf_freqs()
    keep = (f >= hop.rf_lo_hz) & (f < hop.rf_hi_hz)
    order = np.argsort(f[keep])
    return _Kept(f[keep][order], w.psd[keep][order], w.peak[keep][order], w.floor, w.emitters, w.video)


#: max-hold is noisier than the average: it must clear the average's threshold by this
PEAK_MARGIN_DB = 6.0
#: FM video spectra are ragged: video fragments this close belong to one transmitter
VIDEO_MERGE_GAP_HZ = 3e6


def _stitch(name: str, group) -> tuple:
    """Join a band's hops into one spectrum and find emitters on it, so a signal that
    spans hops is one emitter. Each hop is normalised by its own floor, except that a
    hop filled wall to wall by a wide signal (its floor estimate sits inside the
    signal) uses the lowest floor of its neighbours. Emitters are found on the
    average PSD or, for bursty ones, on the max-hold over the dwell."""
    floors = np.array([k.floor for _, k in group])
    peak_floors = np.array([max(float(np.quantile(k.peak, 0.25)), 1e-30) if k.peak.size else 1.0
                            for _, k in group])

    def local(values, i):
        near = values[max(0, i - 2): i + 3]
        return min(values[i], float(np.median(near))) if len(near) > 1 else values[i]

    freqs, ratio, peak = [], [], []
    for i, (hop, k) in enumerate(group):
        freqs.append(k.freqs)
        ratio.append(k.psd / local(floors, i))
        peak.append(k.peak / local(peak_floors, i))
    freqs = np.concatenate(freqs) if freqs else np.zeros(0)
    ratio = np.concatenate(ratio).astype(np.float32) if ratio else np.zeros(0, np.float32)
    spectrum = BandSpectrum(name, freqs, 10 * np.log10(np.maximum(ratio, 1e-6)))
    if freqs.size < 2:
        return spectrum, []
    peak = np.concatenate(peak).astype(np.float32) / np.float32(10 ** (PEAK_MARGIN_DB / 10))
    detect = np.maximum(smooth(ratio), smooth(peak))
    bin_hz = float(np.median(np.diff(freqs)))
    found = []
    for lo, hi in find_bands(detect, THRESHOLD_DB, max(1, int(MERGE_GAP_HZ / bin_hz))):
        e = describe_band(ratio, freqs, 1.0, lo, hi, bin_hz)
        _merge_local(e, group)
        found.append(e)
    # line structure seen in a hop whose emitter did not clear the stitched threshold
    for hop, k in group:
        if k.video.score > 0 and not any(hop.index in e.hops and e.video is not None for e in found):
            local = [e for e in k.emitters if e.video is not None]
            if local:
                e = local[0]
                e.hops = [hop.index]
                found.append(e)
    found = _merge_video(found, ratio, freqs, bin_hz)
    for e in found:
        if _is_video(e):
            _require_neighbours(e, group)
    return spectrum, _drop_echoes(found)


def _drop_echoes(found: List[Emitter]) -> List[Emitter]:
    """A lone-hop finding with the same line period as a confirmed camera within
    SAME_CAMERA_HZ is that camera's far skirt, not a second camera."""
    confirmed = [e for e in found if _is_video(e) and e.video.score > LONE_HOP_SCORE]

    def echo(e):
        return (_is_video(e) and e.video.score <= LONE_HOP_SCORE and e.video.line_period_s is not None
                and any(abs(c.freq_hz - e.freq_hz) < SAME_CAMERA_HZ
                        and abs(c.video.line_period_s - e.video.line_period_s) < 0.1e-6 for c in confirmed))

    return [e for e in found if not echo(e)]


#: hops that must agree on a line period before a sweep calls it a camera
MIN_AGREEING_HOPS = 2
#: one camera's spectrum with its skirts and audio carriers spans about this much
SAME_CAMERA_HZ = 20e6
#: a lone hop's evidence is scaled by this: at best worth a look ("suspect"), not an alarm
LONE_HOP_SCORE = 0.6


def _require_neighbours(e: Emitter, group) -> None:
    """A camera's FM signal is 15+ MHz wide, so adjacent hops see the same line
    period; a sweep runs hundreds of hops, so one hop's chance coincidence must not
    sound the alarm. With fewer than MIN_AGREEING_HOPS agreeing, cap the score."""
    period = e.video.line_period_s
    agree = [k.video for hop, k in group
             if (hop.index in e.hops or e.lo_hz <= hop.rf_center_hz <= e.hi_hz)
             and k.video.score >= 0.5 and k.video.line_period_s is not None
             and abs(k.video.line_period_s - period) < 0.1e-6]
    if len(agree) < MIN_AGREEING_HOPS:
        e.video = dataclasses.replace(e.video, score=e.video.score * LONE_HOP_SCORE,
                                      reasons=e.video.reasons + ["seen in one hop only"])


def _is_video(e: Emitter) -> bool:
    return e.video is not None and e.video.score >= 0.5


def _merge_video(found: List[Emitter], ratio, freqs, bin_hz) -> List[Emitter]:
    """One FM video transmitter is 15-20 MHz wide with a ragged spectrum, so the
    stitched spectrum shows it as several pieces, each with the line structure. Join
    pieces closer than VIDEO_MERGE_GAP_HZ, swallow whatever lies between them (its
    own spectral lines), and put the result at the middle of its span, the carrier."""
    video = sorted((e for e in found if _is_video(e)), key=lambda e: e.lo_hz)
    groups: List[List[Emitter]] = []
    for e in video:
        if groups and e.lo_hz - groups[-1][-1].hi_hz < VIDEO_MERGE_GAP_HZ:
            groups[-1].append(e)
        else:
            groups.append([e])
    groups += [[e] for e in found if not _is_video(e)]
    out = []
    for g in groups:
        if len(g) == 1:
            out.append(g[0])
            continue
        lo_i = int(np.searchsorted(freqs, g[0].lo_hz))
        hi_i = max(lo_i + 1, int(np.searchsorted(freqs, g[-1].hi_hz)))
        merged = describe_band(ratio, freqs, 1.0, lo_i, min(hi_i, len(freqs)), bin_hz)
        # FM occupies about the same width either side of its carrier; the power
        # centroid would move with the picture's brightness and with whatever the
        # per-hop floors make of a signal that fills every hop
        merged.freq_hz = 0.5 * (merged.lo_hz + merged.hi_hz)
        merged.video = max((e.video for e in g), key=lambda v: v.score)
        merged.bursts = max(g, key=lambda e: e.power_db).bursts
        merged.hops = sorted({h for e in g for h in e.hops})
        out.append(merged)
    # emitters inside a video transmitter's span are its own spectral lines
    spans = [(e.lo_hz, e.hi_hz) for e in out if _is_video(e)]
    return [e for e in out if _is_video(e) or not any(lo <= e.freq_hz <= hi for lo, hi in spans)]


def _merge_local(e: Emitter, group) -> None:
    """Give a stitched emitter the timing and video evidence its hops measured."""
    best_power = -np.inf
    for hop, k in group:
        for local in k.emitters:
            if local.hi_hz < e.lo_hz or local.lo_hz > e.hi_hz:
                continue
            if hop.index not in e.hops:
                e.hops.append(hop.index)
            if local.video is not None and (e.video is None or local.video.score > e.video.score):
                e.video = local.video
            if local.power_db > best_power:
                best_power = local.power_db
                e.bursts = local.bursts
