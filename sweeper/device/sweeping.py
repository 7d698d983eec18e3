"""Sweeping with the device's detector parts (sweeper.assembly.Part).

:class:`Hardware` opens each part's hardware (RTL-SDR, Wi-Fi adapter, ...) and remembers
what is missing and why; the daemon probes it again while idle, so a dongle or adapter
plugged back in is picked up without a reboot, and one that fails mid-sweep is only
marked missing. :class:`CombinedSweep` runs every part that has its hardware at once,
each in its own thread, with one progress figure, and merges their reports into one
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


class CombinedSweep:
    """Every part with open hardware sweeps at once, each in its own thread; one
    progress figure, one ranked list of findings, one verdict."""

    def __init__(self, cfg, hardware: Hardware, on_progress: Callable[[float, str], None]):
        self.cfg = cfg
        self.hardware = hardware
        self.on_progress = on_progress
        self.stop_event = threading.Event()
        self._fractions: Dict[str, float] = {}
        self._lock = threading.Lock()

    def stop(self) -> None:
        self.stop_event.set()
        for part in self.hardware.parts:
            part.stop()

    def _progress(self, name: str, fraction: float, label: str) -> None:
        with self._lock:
            self._fractions[name] = fraction
            overall = sum(self._fractions.values()) / max(len(self._fractions), 1)
        self.on_progress(overall, label)

    def run(self) -> SweepResult:
        t0 = time.monotonic()
        result = SweepResult("CLEAR", [], reports={p.key: None for p in self.hardware.parts})
        threads = []
        for part in self.hardware.parts:
            src = self.hardware.sources.get(part.name)
            if src is None:
                continue
            self._fractions[part.name] = 0.0
            threads.append(threading.Thread(target=self._guard, args=(part, src, result),
                                            name=f"sweep-{part.name}", daemon=True))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        merged = merge(self.hardware.parts, result.reports, result.problems, dict(self.hardware.missing))
        merged.simulated = any(getattr(src, "simulated", False) for src in self.hardware.sources.values())
        merged.elapsed_s = time.monotonic() - t0
        return merged

    def _guard(self, part: Part, src, result: SweepResult) -> None:
        try:
            result.reports[part.key] = part.sweep(self.cfg, src, self.stop_event,
                                                  lambda f, label: self._progress(part.name, f, label))
        except HardwareError as exc:  # unplugged mid-sweep: the other parts carry on
            result.problems[part.name] = str(exc)
            self.hardware.lost(part.name, exc)
