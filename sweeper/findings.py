"""Findings and sweep results: the typed model every output shares.

A detector reports what it heard in its own JSON shape (the ``analyze`` contract). What
it *found* is a :class:`Finding`: the kind, the verdict, the score and the reasons, where
it is (a frequency, a Wi-Fi channel or an address), how strong it is heard, over what
span, and the kind's own evidence (a video standard, an uplink rate). A finding's kind
(:mod:`sweeper.kinds`) names the JSON keys of its typed fields, so
``Finding.from_json(x).to_json() == x`` for every finding a detector, the history or an
MQTT message holds: the JSON contracts stay as they are while the code reads typed
fields.

A :class:`SweepResult` is one sweep of the device: its findings ranked, the sweep
verdict, each part's report, and what went wrong. The daemon, ``sweeper run --once``,
the venue's history and MQTT all use it; its JSON is the ``run --once --json`` contract
and the body of the history's sweep record.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from sweeper import verdicts
from sweeper.verdicts import Verdict

#: the typed fields a kind may map to JSON keys (Kind.json_keys)
LOCATION_FIELDS = ("freq_hz", "channel", "address", "strength_db")
#: JSON keys every finding has, whatever its kind
COMMON_KEYS = ("type", "verdict", "score", "reasons", "baseline")


@dataclass(frozen=True)
class Finding:
    """Something a detector found: a camera, or a suspect."""

    kind: str
    verdict: Verdict
    score: float
    reasons: Tuple[str, ...] = ()
    #: where: the centre frequency, the Wi-Fi channel, a MAC or IP address (as the kind has them)
    freq_hz: Optional[float] = None
    channel: Optional[int] = None
    address: Optional[str] = None
    #: how strong it is heard, in the kind's unit (dB over the floor, dBm)
    strength_db: Optional[float] = None
    #: first and last time heard, seconds (the kind's clock)
    span_s: Optional[Tuple[float, float]] = None
    #: the kind's other fields, in their JSON order
    evidence: Mapping[str, Any] = field(default_factory=dict)
    #: the venue's comparison with the room's baseline (status new/changed/known, ...)
    baseline: Optional[Mapping[str, Any]] = None

    # ----------------------------------------------------------------- JSON

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Finding":
        from sweeper import kinds

        keys = kinds.REGISTRY.get(str(d.get("type") or ""), kinds.GENERIC).json_keys
        typed = {name: d.get(key) for name, key in keys.items() if name in LOCATION_FIELDS}
        span_keys = keys.get("span_s")
        used = set(COMMON_KEYS) | {k for n, k in keys.items() if n in LOCATION_FIELDS}
        span = None
        if span_keys:
            used |= set(span_keys)
            if d.get(span_keys[0]) is not None:
                span = (d[span_keys[0]], d.get(span_keys[1]))
        verdict = d.get("verdict")
        return cls(kind=str(d.get("type") or ""),
                   verdict=Verdict.parse(verdict) if verdict else Verdict.CLEAR,
                   score=float(d.get("score") or 0.0), reasons=tuple(d.get("reasons") or ()),
                   span_s=span, evidence={k: v for k, v in d.items() if k not in used},
                   baseline=d.get("baseline"), **typed)

    def to_json(self) -> Dict[str, Any]:
        """The finding's JSON: its kind's keys, then its evidence, reasons and baseline."""
        from sweeper import kinds

        keys = kinds.REGISTRY.get(self.kind, kinds.GENERIC).json_keys
        out: Dict[str, Any] = {"type": self.kind, "verdict": str(self.verdict), "score": self.score}
        for name in LOCATION_FIELDS:
            if name in keys:
                out[keys[name]] = getattr(self, name)
        if keys.get("span_s"):
            first, last = self.span_s or (None, None)
            out[keys["span_s"][0]], out[keys["span_s"][1]] = first, last
        out.update(self.evidence)
        out["reasons"] = list(self.reasons)
        if self.baseline is not None:
            out["baseline"] = dict(self.baseline)
        return out

    # ----------------------------------------------------------------- reading

    def get(self, key: str, default=None):
        """A kind-specific field of the evidence (``standard``, ``vendor``, ...)."""
        return self.evidence.get(key, default)

    @property
    def known(self) -> bool:
        """In the room's baseline and unchanged: shown, but not alarmed about."""
        return (self.baseline or {}).get("status") == "known"

    def with_baseline(self, baseline: Mapping[str, Any]) -> "Finding":
        return dataclasses.replace(self, baseline=dict(baseline))


def as_finding(x: Union[Finding, Mapping[str, Any]]) -> Finding:
    """A finding from a Finding or its JSON (a history row, an analyze report)."""
    return x if isinstance(x, Finding) else Finding.from_json(x)


def ranked(findings: List[Finding]) -> List[Finding]:
    """New and changed before known; within each, cameras first, then suspects, then
    the highest score."""
    return sorted(findings, key=lambda f: (f.known, -verdicts.rank(f.verdict), -f.score))


def sweep_verdict(findings: List[Finding], gaps=()) -> str:
    """CAMERA / SUSPECT over the findings that are not known friendly ones; else CLEAR,
    or INCOMPLETE when the sweep has ``gaps``."""
    return verdicts.covered(verdicts.of_findings(f.verdict for f in findings if not f.known), gaps)


@dataclass
class SweepResult:
    """One sweep of the device: every part that had its hardware, merged."""

    verdict: str
    findings: List[Finding]
    #: part key ("rf", "wifi", ...) -> that part's report, None when it did not sweep
    reports: Dict[str, Optional[dict]] = field(default_factory=dict)
    #: part name -> "ok" or why its hardware is missing, as the sweep started
    hardware: Dict[str, str] = field(default_factory=dict)
    #: what the sweep could not cover, one line each naming the fix (CLEAR needs none)
    gaps: List[str] = field(default_factory=list)
    #: part name -> what went wrong with its hardware during the sweep
    problems: Dict[str, str] = field(default_factory=dict)
    #: part count key ("rf_emitters", ...) -> how many it heard
    heard: Dict[str, int] = field(default_factory=dict)
    #: what each part adds to the venue's record (e.g. the RF spectra)
    record_fields: Dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0
    room: str = ""
    #: made from a simulator's samples or frames, not heard in this room
    simulated: bool = False
    #: the verdict before the baseline, when the venue compared it
    raw_verdict: Optional[str] = None
    record: Optional[dict] = None  # the venue's sweep record (history id, baseline counts)

    @property
    def swept(self) -> List[str]:
        """The keys of the parts that swept."""
        return [k for k, rep in self.reports.items() if rep is not None]

    def news(self) -> int:
        """Findings that are not known friendly ones: the count the device announces."""
        return sum(1 for f in self.findings if not f.known)

    def to_json(self) -> dict:
        """The ``sweeper run --once --json`` contract."""
        out = {"verdict": self.verdict, "simulated": self.simulated, "room": self.room,
               "findings": [f.to_json() for f in self.findings],
               **self.reports, "hardware": self.hardware, "gaps": self.gaps, "problems": self.problems,
               "elapsed_s": round(self.elapsed_s, 2)}
        if self.record is not None:
            out.update(history_id=self.record.get("id"), raw_verdict=self.record["raw_verdict"],
                       counts=self.record["counts"], changes=self.record["changes"])
        return out
