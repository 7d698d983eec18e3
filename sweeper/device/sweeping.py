"""Sweeping with the device's detector parts (sweeper.assembly.Part).

:class:`Hardware` opens each part's hardware (RTL-SDR, Wi-Fi adapter, ...) and remembers
what is missing and why; the daemon probes it again while idle, so a dongle or adapter
plugged back in is picked up without a reboot, and one that fails mid-sweep is only
marked missing. :class:`CombinedSweep` runs every part that has its hardware at once,
each in its own thread, with one progress figure proportional to the time left
(:class:`ProgressEstimate`: the parts are weighed by how long each takes, and the
figure moves at every refresh), and merges their reports into one
:class:`sweeper.findings.SweepResult`: the findings ranked, the verdict the worst of
the parts'.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Dict, List, Optional

from sweeper.assembly import Part
from sweeper.errors import HardwareError
from sweeper import verdicts
from sweeper.findings import Finding, SweepResult, ranked
from sweeper.verdicts import worst


class Hardware:
    """The detection hardware of the device's parts (sweeper.assembly): opened on demand,
    missing parts reported, not fatal. Each part's opener returns a source or raises
    :class:`HardwareError` whose message says what to fix."""

    def __init__(self, parts: List[Part]):
        self.parts = list(parts)
        self._openers = {p.name: p.opener for p in self.parts}
        self.sources: Dict[str, object] = {}
        self.missing: Dict[str, str] = {}
        self._lock = threading.Lock()

    def probe(self) -> Dict[str, str]:
        """Try to open whatever is not open; returns ``{name: "ok" | reason}``."""
        with self._lock:
            for name, opener in self._openers.items():
                if name in self.sources:
                    continue
                if opener is None:
                    self.missing[name] = "disabled in the configuration"
                    continue
                try:
                    self.sources[name] = opener()
                    self.missing.pop(name, None)
                except HardwareError as exc:
                    self.missing[name] = str(exc)
            return self.status()

    def status(self) -> Dict[str, str]:
        return {name: ("ok" if name in self.sources else self.missing.get(name, "missing"))
                for name in self._openers}

    def lost(self, name: str, exc: BaseException) -> None:
        """A source failed (unplugged): close it and look for it again later."""
        with self._lock:
            src = self.sources.pop(name, None)
            self.missing[name] = str(exc)
        if src is not None:
            try:
                src.close()
            except Exception:  # noqa: BLE001 (a dead device may fail to close too)
                pass

    def close(self) -> None:
        with self._lock:
            for src in self.sources.values():
                try:
                    src.close()
                except Exception:  # noqa: BLE001
                    pass
            self.sources.clear()


def merge(parts: List[Part], reports: Dict[str, dict], problems: Optional[Dict[str, str]] = None,
          missing: Optional[Dict[str, str]] = None) -> SweepResult:
    """One sweep result from the parts' reports (``{part.key: report}``; a part that did
    not sweep has none): every finding ranked, the worst verdict, what each part heard,
    and the gaps: a configured part whose hardware was ``missing`` or failed mid-sweep
    (``problems``) covered nothing, and each report names its own."""
    result = SweepResult("CLEAR", [], reports={p.key: reports.get(p.key) for p in parts},
                         problems=dict(problems or {}))
    findings: List[Finding] = []
    for part in parts:
        rep = reports.get(part.key)
        if part.name in result.problems:
            result.gaps.append(f"{part.name}: failed during the sweep ({result.problems[part.name]})")
        elif rep is None and part.opener is not None:
            result.gaps.append(f"{part.name}: not swept ({(missing or {}).get(part.name, 'no hardware')})")
        result.gaps += list((rep or {}).get("gaps", []))
        result.heard[part.heard_key] = part.heard(rep or {})
        result.record_fields.update(part.record_fields(rep or {}))
        findings += [Finding.from_json(f) for f in (rep or {}).get("findings", [])]
    result.findings = ranked(findings)
    result.verdict = verdicts.covered(worst(*[rep["verdict"] for rep in reports.values() if rep is not None]),
                                      result.gaps)
    return result


#: seconds between two progress figures of a sweep (the display's refresh rate)
PROGRESS_EVERY_S = 0.25
#: a part's own rate is trusted fully once it has done this share of its work; before,
#: its expected duration counts too (a first hop or first batch is slow to come)
TRUST_RATE_AFTER = 0.1
#: a part's rate is measured over its last seconds: a part slows down where there is
#: more to analyse (a simulated camera takes longer to render than empty spectrum)
RATE_WINDOW_S = 3.0
#: the least time left of a part still running, whatever its rate says
MIN_LEFT_S = 0.5
#: a part that says nothing of how long it takes is expected to take this long
DEFAULT_EXPECTED_S = 30.0


class ProgressEstimate:
    """One progress figure for parts that sweep in parallel, proportional to the time
    left: the longest of the parts' times left, each part's from its rate over the last
    RATE_WINDOW_S (from its ``expected`` seconds until it has done TRUST_RATE_AFTER of
    its work). At every :meth:`tick` the figure closes its gap to 1 by the share of the
    time left that has passed, so it never goes back, never stands still while a part
    runs, and reaches 1 only when every part has finished. Pure: the caller gives the
    times."""

    def __init__(self, expected: Dict[str, float], start: float):
        self.expected = {name: max(float(s or DEFAULT_EXPECTED_S), MIN_LEFT_S) for name, s in expected.items()}
        self.start = start
        self.fractions = {name: 0.0 for name in expected}
        self._seen: Dict[str, List[tuple]] = {name: [(start, 0.0)] for name in expected}
        self.finished: set = set()
        self.figure = 0.0
        self._last = start

    def report(self, name: str, fraction: float, now: float) -> None:
        """A part's own fraction of its work (0..1; a step back is ignored) at ``now``."""
        fraction = max(self.fractions.get(name, 0.0), min(max(float(fraction), 0.0), 1.0))
        self.fractions[name] = fraction
        seen = self._seen.setdefault(name, [(self.start, 0.0)])
        seen.append((now, fraction))
        while len(seen) > 2 and seen[1][0] < now - RATE_WINDOW_S:
            seen.pop(0)  # keep one report from before the window: the rate spans all of it

    def finish(self, name: str) -> None:
        self.finished.add(name)
        self.fractions[name] = 1.0

    def _part_left(self, name: str, now: float) -> float:
        fraction = self.fractions[name]
        prior = max(self.expected.get(name, DEFAULT_EXPECTED_S) * (1.0 - fraction),
                    self.expected.get(name, DEFAULT_EXPECTED_S) - (now - self.start))
        if fraction <= 0:
            return prior
        then, was = self._seen[name][0]
        average = fraction / max(now - self.start, 1e-9)
        recent = (fraction - was) / max(now - then, 1e-9)
        by_rate = (1.0 - fraction) / max(recent, average / 4)
        trust = min(1.0, fraction / TRUST_RATE_AFTER)
        return trust * by_rate + (1.0 - trust) * prior

    def time_left(self, now: float) -> float:
        """The longest time left of a part still running (0 when all have finished)."""
        return max((max(self._part_left(name, now), MIN_LEFT_S)
                    for name in self.fractions if name not in self.finished), default=0.0)

    def tick(self, now: float) -> float:
        """The figure at ``now`` (called at least every PROGRESS_EVERY_S)."""
        left = self.time_left(now)
        if left <= 0:
            self.figure = 1.0
        else:
            passed = max(now - self._last, 0.0)
            self.figure = min(self.figure + (1.0 - self.figure) * passed / (left + passed), 0.999)
        self._last = now
        return self.figure


class CombinedSweep:
    """Every part with open hardware sweeps at once, each in its own thread; one
    progress figure (:class:`ProgressEstimate`, every PROGRESS_EVERY_S), one ranked list
    of findings, one verdict."""

    def __init__(self, cfg, hardware: Hardware, on_progress: Callable[[float, str], None]):
        self.cfg = cfg
        self.hardware = hardware
        self.on_progress = on_progress
        self.stop_event = threading.Event()
        self._estimate: Optional[ProgressEstimate] = None
        self._label = "starting"
        self._lock = threading.Lock()
        self._part_ended = threading.Event()

    def stop(self) -> None:
        self.stop_event.set()
        for part in self.hardware.parts:
            part.stop()

    def _progress(self, name: str, fraction: float, label: str) -> None:
        with self._lock:
            self._estimate.report(name, fraction, time.monotonic())
            self._label = label

    def run(self) -> SweepResult:
        t0 = time.monotonic()
        result = SweepResult("CLEAR", [], reports={p.key: None for p in self.hardware.parts})
        threads, expected = [], {}
        for part in self.hardware.parts:
            src = self.hardware.sources.get(part.name)
            if src is None:
                continue
            expected[part.name] = part.expected_s(self.cfg, src)
            threads.append(threading.Thread(target=self._guard, args=(part, src, result),
                                            name=f"sweep-{part.name}", daemon=True))
        self._estimate = ProgressEstimate(expected, time.monotonic())
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            self._part_ended.wait(PROGRESS_EVERY_S)
            self._part_ended.clear()
            if any(t.is_alive() for t in threads):
                self._tick()
        for t in threads:
            t.join()
        self._tick()  # 1.0: every part has finished
        merged = merge(self.hardware.parts, result.reports, result.problems, dict(self.hardware.missing))
        merged.simulated = any(getattr(src, "simulated", False) for src in self.hardware.sources.values())
        merged.elapsed_s = time.monotonic() - t0
        return merged

    def _tick(self) -> None:
        with self._lock:
            figure, label = self._estimate.tick(time.monotonic()), self._label
        self.on_progress(figure, label)

    def _guard(self, part: Part, src, result: SweepResult) -> None:
        try:
            result.reports[part.key] = part.sweep(self.cfg, src, self.stop_event,
                                                  lambda f, label: self._progress(part.name, f, label))
        except HardwareError as exc:  # unplugged mid-sweep: the other parts carry on
            result.problems[part.name] = str(exc)
            self.hardware.lost(part.name, exc)
        finally:
            with self._lock:
                self._estimate.finish(part.name)
            self._part_ended.set()
