"""Emitter classifiers: one file per class, an explicit registry (as rtl_433 does).

Each classifier is ``score(emitter, context) -> (score 0..1, [reasons])``. The emitter
takes the class with the highest score if it reaches ``MIN_SCORE``, else "unknown";
analog video outranks the rest once it reaches the suspect threshold, because a miss
is worse than a mislabelled Wi-Fi burst.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

from sweeper.rf.classifiers import analog_video, bluetooth, carrier, microwave, wifi
from sweeper.rf.emitters import Emitter

Classifier = Callable[[Emitter, "Context"], Tuple[float, List[str]]]

#: class name -> its module: ``score``, ``LABEL`` (what one is, in words) and ``KEYED`` (how
#: a baseline keys it). Add a class by adding a module and a line here.
MODULES = {
    "analog_video": analog_video,
    "wifi": wifi,
    "bluetooth": bluetooth,
    "microwave": microwave,
    "carrier": carrier,
}
REGISTRY: Dict[str, Classifier] = {name: m.score for name, m in MODULES.items()}
LABELS: Dict[str, str] = {name: m.LABEL for name, m in MODULES.items()}
KEYED: Dict[str, str] = {name: m.KEYED for name, m in MODULES.items()}
MIN_SCORE = 0.5
#: the class whose emitters become findings (of the analog video kind)
VIDEO = "analog_video"


@dataclass(frozen=True)
class Context:
    """What the classifiers know besides the emitter itself."""

    bin_hz: float  # PSD resolution
    window_hz: float  # receiver bandwidth of one capture
    rf_known: bool = True  # False for a recording without a centre frequency
    video_suspect_score: float = 0.5


def classify(emitter: Emitter, ctx: Context) -> Emitter:
    """Set ``emitter.cls``, ``cls_score`` and ``reasons`` in place and return it."""
    scores = {name: fn(emitter, ctx) for name, fn in REGISTRY.items()}
    video_score, video_reasons = scores[VIDEO]
    if video_score >= ctx.video_suspect_score:
        best = VIDEO
    else:
        best = max(scores, key=lambda k: scores[k][0])
    score, reasons = scores[best]
    if score < MIN_SCORE:
        emitter.cls, emitter.cls_score = "unknown", 1.0 - score
        emitter.reasons = ["no class fits well"] + [r for k in scores for r in scores[k][1][:1]]
    else:
        emitter.cls, emitter.cls_score, emitter.reasons = best, score, reasons
    return emitter
