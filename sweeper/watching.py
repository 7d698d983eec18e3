"""Is it watching this room? How a confirmation's result is said, on every output.

A confirmation (:mod:`sweeper.confirm`) ends with ``watching``: ``yes``, ``no_response``
or ``unknown``. The device stores it on the finding as ``finding["confirmation"]``::

    {"watching": "yes", "stimulus_p": 0.0005, "stimulus_delay_s": 0.4,
     "reasons": [...], "mode": "led", "duration_s": 20.0, "confirmed_at": "2026-...Z"}

(the analyze contract's four keys, plus how and when it was run). The OLED, the history
CLI, the reports and MQTT say it with these words, whatever the finding's kind.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

#: the verdict screen's words
SCREEN_WORDS = {"yes": "WATCHING THIS ROOM", "no_response": "NO RESPONSE", "unknown": "UNSURE"}
#: a report's or the history's words
WORDS = {"yes": "watching this room", "no_response": "no response (not proof it is elsewhere)",
         "unknown": "unsure: too little data"}
#: what each stimulus mode is, in words
MODES = {"led": "the white LED", "ir_led": "the IR LED", "lights": "the room's lights", "wave": "waving"}


def of(finding: Any) -> Optional[Mapping[str, Any]]:
    """The confirmation stored on a finding (a Finding or its JSON), or None."""
    get = finding.get if hasattr(finding, "get") else (lambda k: None)
    c = get("confirmation")
    return c if isinstance(c, Mapping) and c.get("watching") in SCREEN_WORDS else None


def short_reason(c: Mapping[str, Any]) -> str:
    """One line for the 128 px screen: the evidence, or what was missing."""
    w = c.get("watching")
    if w == "yes":
        p, delay = c.get("stimulus_p"), c.get("stimulus_delay_s")
        parts = ([f"p={p:.4f}" if p >= 1e-4 else "p<0.0001"] if isinstance(p, (int, float)) else []) + \
                ([f"{delay:.1f}s later"] if isinstance(delay, (int, float)) else [])
        return ", ".join(parts) or "it followed the stimulus"
    if w == "no_response":
        return "not proof it is elsewhere"
    reasons = " ".join(str(r) for r in c.get("reasons") or [])
    for words, line in (("heard in", "camera not heard enough"), ("changed", "too few changes"),
                        ("overlaps", "too short"), ("radio", "no radio for it")):
        if words in reasons:
            return line
    return "too little data"


def summary(c: Mapping[str, Any]) -> str:
    """One line for the history and the reports: the word, the evidence, how it was run."""
    w = c.get("watching")
    text = WORDS.get(w, str(w))
    if w == "yes":
        text += f" ({short_reason(c)})"
    mode = MODES.get(str(c.get("mode") or ""))
    if mode:
        text += f"; stimulus: {mode}"
    if c.get("confirmed_at"):
        text += f", {c['confirmed_at']}"
    return text
