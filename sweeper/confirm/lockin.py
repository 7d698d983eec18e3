"""Does a transmitter's signal follow the room? A lock-in test against schedules it could
not have seen.

A camera that sees the room turns what it sees into what it sends: its bytes, its
largest frames, the spread of its frame sizes (encoded video) or its FM deviation
(analog video) move when the light or the motion does, a fixed delay later (encoder
latency, rate control). A transmitter that does not see the room moves for its own
reasons: motion elsewhere, TCP, the picture it does see.

The test correlates each response feature with the stimulus (its level and its
changes) at every delay up to :data:`MAX_DELAY_S`, and takes the strongest correlation
as the statistic. Its null distribution comes from *surrogate* schedules: the same
dwell segments in a random order, rotated (:func:`stimulus.surrogates`). The schedule
the device ran was itself drawn at random, so under "it does not see the room" the real
schedule is just one more draw, and ``p = (1 + #surrogates at least as strong) / (1 +
N)`` is an exact randomization p-value, whatever the traffic's own rhythm, drift or
bursts. Picking the best of several features and delays is paid for, because every
surrogate gets the same pick.

Verdicts: ``yes`` when p <= :data:`P_YES`; ``unknown`` when there is too little to
judge (too short, too few changes, the transmitter not heard for most of it);
``no_response`` otherwise, which is not proof the camera is elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from sweeper.confirm import stimulus as st

#: a p-value at most this is "watching": the share of cameras that do not see the room
#: and are called watching anyway (the randomization test makes it exact)
P_YES = 0.002
#: surrogate schedules per test: p can go down to 1 / (N + 1) = 0.0005
N_SURROGATES = 1999
#: response delays searched: encoder latency, rate control and the network's queues
MAX_DELAY_S = 2.0
#: slow swings of the response (longer than this) are taken out before the test: a
#: stimulus that flips every 1-8 s keeps its power
DETREND_S = 6.0
#: a change of the room shows in the response over this long (see :func:`_widened`)
CHANGE_S = 0.3
#: too little to judge below these: a span, changes of the room (each dwell is one
#: independent look; with fewer than 10 even a perfect follower cannot reach P_YES
#: against the surrogates), the share of 1 s windows in which the transmitter was heard
MIN_SPAN_S = 8.0
MIN_CHANGES = 10
MIN_HEARD_SHARE = 0.7
#: the response is judged this far around the stimulus (the longest delay and the
#: detrending window): a long recording's other hours are not part of the test
CONTEXT_S = MAX_DELAY_S + DETREND_S

WATCHING = ("yes", "no_response", "unknown")


@dataclass(frozen=True)
class Response:
    """Per-bin features of one transmitter's signal over ``edges`` (seconds, the
    timeline's clock). ``heard``: per bin, was the transmitter there at all."""

    edges: np.ndarray
    features: np.ndarray  # (bins, F)
    names: Tuple[str, ...]
    heard: np.ndarray  # (bins,) bool
    #: what the features describe, for reasons: "its traffic", "its FM picture signal"
    what: str = "its signal"

    @property
    def bin_s(self) -> float:
        return float(self.edges[1] - self.edges[0]) if len(self.edges) > 1 else 0.0


@dataclass(frozen=True)
class Confirmation:
    """Is this camera watching the room: ``yes``, ``no_response`` or ``unknown``."""

    watching: str
    p: Optional[float]
    delay_s: Optional[float]
    reasons: Tuple[str, ...]
    strength: float = 0.0  # the strongest correlation (0..1)
    feature: Optional[str] = None
    heard_share: float = 0.0

    def to_json(self) -> dict:
        return {"watching": self.watching,
                "stimulus_p": None if self.p is None else round(self.p, 5),
                "stimulus_delay_s": None if self.delay_s is None else round(self.delay_s, 2),
                "reasons": list(self.reasons)}


def _centred(rows: np.ndarray) -> np.ndarray:
    """Each row minus its mean over its defined (non-NaN) values, NaN -> 0."""
    valid = ~np.isnan(rows)
    n = np.maximum(valid.sum(axis=-1, keepdims=True), 1)
    mean = np.where(valid, rows, 0.0).sum(axis=-1, keepdims=True) / n
    return np.where(valid, rows - mean, 0.0)


def _strength(signals: np.ndarray, x: np.ndarray, max_lag: int) -> Tuple[np.ndarray, np.ndarray]:
    """|correlation| of each signal row (S, B) with each feature column of ``x`` (B, F)
    at lags 0..max_lag bins (the response later): (best (S,), its (lag, feature) index)."""
    S, B = signals.shape
    best = np.zeros(S)
    where = np.zeros(S, np.int64)
    F = x.shape[1]
    for lag in range(max_lag + 1):  # a handful of lags: one matrix product each
        s = signals[:, : B - lag]
        f = x[lag:, :]
        num = s @ f  # (S, F)
        den = np.sqrt(np.outer((s * s).sum(axis=1), (f * f).sum(axis=0)))
        c = np.abs(num) / np.maximum(den, 1e-12)
        c[den <= 1e-12] = 0.0
        k = np.argmax(c, axis=1)
        v = c[np.arange(S), k]
        better = v > best
        best[better] = v[better]
        where[better] = lag * F + k[better]
    return best, where


def _detrended(x: np.ndarray, width: int) -> np.ndarray:
    """Each column minus its moving average over ``width`` bins: the slow swings of a
    scene the camera sees anyway (people moving for tens of seconds, a cloud) and of a
    network (TCP ramps) would otherwise drown a response that flips every few seconds."""
    n = len(x)
    if n < 2 * width:
        return x
    c = np.cumsum(np.vstack([np.zeros((1, x.shape[1])), x]), axis=0)
    half = width // 2
    lo = np.clip(np.arange(n) - half, 0, n)
    hi = np.clip(np.arange(n) + half + 1, 0, n)
    return x - (c[hi] - c[lo]) / (hi - lo)[:, None]


def _widened(change: np.ndarray, width: int) -> np.ndarray:
    """Each change marked over the ``width`` bins from it: the frame that codes a change
    leaves over several round trips (a large I-frame over TCP), so its bytes spread."""
    if width <= 1:
        return change
    c = np.cumsum(np.pad(change, ((0, 0), (width, 0))), axis=1)
    return np.minimum(c[:, width:] - c[:, :-width], 1.0)


def context(timeline: st.Timeline) -> Tuple[float, float]:
    """The stretch of a recording the test judges: the stimulus and CONTEXT_S around it."""
    return max(0.0, timeline.start_s - CONTEXT_S), timeline.end_s + CONTEXT_S


def _around(resp: Response, timeline: st.Timeline) -> Response:
    """The response's bins within :func:`context` (all of them when they are)."""
    lo, hi = context(timeline)
    keep = (resp.edges[1:] > lo) & (resp.edges[:-1] < hi)
    if keep.all() or not keep.any():
        return resp
    i, j = int(np.argmax(keep)), len(keep) - int(np.argmax(keep[::-1]))
    return Response(resp.edges[i:j + 1], resp.features[i:j], resp.names, resp.heard[i:j], resp.what)


def _heard_share(resp: Response, span: Tuple[float, float]) -> float:
    """Share of the span's 1 s windows with the transmitter heard in them."""
    centres = (resp.edges[:-1] + resp.edges[1:]) / 2
    inside = (centres >= span[0]) & (centres < span[1])
    if not inside.any():
        return 0.0
    sec = np.floor(centres[inside] - span[0]).astype(np.int64)
    heard = np.zeros(int(sec.max()) + 1, bool)
    heard[sec[resp.heard[inside]]] = True
    return float(heard.mean())


def _prepared(resp: Response) -> np.ndarray:
    """The features centred, detrended and scaled to unit variance (NaN -> 0)."""
    x = resp.features.astype(float)
    x = np.where(np.isfinite(x), x, np.nan)
    x = _detrended(_centred(x.T).T, max(3, int(round(DETREND_S / max(resp.bin_s, 1e-3)))))
    sd = np.sqrt((x * x).mean(axis=0))
    return x / np.where(sd > 0, sd, 1.0)


def strength(resp: Response, timeline: st.Timeline, max_delay_s: float = MAX_DELAY_S) -> float:
    """The strongest correlation of the response with the stimulus so far (0..1), without
    the surrogates: the device's live response bar, not a verdict."""
    if len(resp.edges) < 8:
        return 0.0
    level, change = timeline.signals(resp.edges)
    change = _widened(change[None, :], max(1, int(round(CHANGE_S / resp.bin_s))))[0]
    lag = max(0, min(int(round(max_delay_s / resp.bin_s)), len(level) // 4))
    x = _prepared(resp)
    return float(max(_strength(_centred(sig[None, :]), x, lag)[0][0] for sig in (level, change)))


def confirm(resp: Response, timeline: st.Timeline, seed: int = 0, n_surrogates: int = N_SURROGATES,
            max_delay_s: float = MAX_DELAY_S) -> Confirmation:
    """The lock-in test (see the module docstring)."""
    resp = _around(resp, timeline)
    edges = resp.edges
    span = (float(edges[0]), float(edges[-1]))
    if timeline.two_state:  # light/dark: outside the intervals the room's state is unknown
        span = (max(span[0], timeline.start_s), min(span[1], timeline.end_s))
    level, change = timeline.signals(edges)
    changes = int(np.sum(change))
    heard_share = _heard_share(resp, span)
    too_little = []
    if span[1] - span[0] < MIN_SPAN_S:
        too_little.append(f"the stimulus overlaps the recording for {max(span[1] - span[0], 0):.1f} s; "
                          f"at least {MIN_SPAN_S:g} s are needed")
    if changes < MIN_CHANGES:
        too_little.append(f"the room changed {changes} time{'s' if changes != 1 else ''}; at least "
                          f"{MIN_CHANGES} changes are needed")
    if heard_share < MIN_HEARD_SHARE:
        too_little.append(f"the transmitter was heard in {heard_share:.0%} of the time; at least "
                          f"{MIN_HEARD_SHARE:.0%} is needed")
    if too_little:
        return Confirmation("unknown", None, None, tuple(too_little), heard_share=heard_share)

    bin_s = resp.bin_s
    max_lag = max(0, min(int(round(max_delay_s / bin_s)), len(level) // 4))
    x = _prepared(resp)
    rng = np.random.default_rng(seed)
    sur_level, sur_change = st.surrogates(timeline, edges, rng, n_surrogates)
    width = max(1, int(round(CHANGE_S / bin_s)))
    real = np.vstack([level, _widened(change[None, :], width)[0]])[:, None, :]  # (2 types, 1, B)
    sur = np.stack([sur_level, _widened(sur_change, width)])  # (2, N, B)
    signals = np.concatenate([real, sur], axis=1)  # (2, N + 1, B)
    best = np.zeros(n_surrogates + 1)
    pick = np.zeros(n_surrogates + 1, np.int64)
    for kind in range(2):
        v, w = _strength(_centred(signals[kind]), x, max_lag)
        better = v > best
        best[better] = v[better]
        pick[better] = kind * (max_lag + 1) * x.shape[1] + w[better]
    observed = float(best[0])
    p = float((1 + np.sum(best[1:] >= observed - 1e-12)) / (1 + n_surrogates))
    kind, rest = divmod(int(pick[0]), (max_lag + 1) * x.shape[1])
    lag, f = divmod(rest, x.shape[1])
    delay = lag * bin_s
    name = resp.names[f]
    if kind == 0:
        lv = _centred(level[None, :])[0]
        sign = float(np.sum(lv[: len(lv) - lag] * x[lag:, f]))
        cue = f"{'rose' if sign > 0 else 'fell'} when the room was lit or moving"
    else:
        cue = "jumped at each change of the room"
    if p <= P_YES:
        reasons = (f"{resp.what}: its {name} {cue}, {delay:.1f} s later (r = {observed:.2f})",
                   f"p = {p:.4f}: no more than {max(p, 1 / (1 + n_surrogates)):.2%} of {n_surrogates} schedules it "
                   "could not have seen matched it as well")
        return Confirmation("yes", p, delay, reasons, observed, name, heard_share)
    reasons = (f"heard for {heard_share:.0%} of {span[1] - span[0]:.0f} s and {changes} changes of the room, "
               f"{resp.what} did not follow them (best: its {name}, r = {observed:.2f}, p = {p:.2f})",
               "this is not proof it is elsewhere: a camera facing a wall, covered, or at a fixed "
               "bitrate may not react")
    return Confirmation("no_response", p, None, reasons, observed, name, heard_share)


__all__: Sequence[str] = ("Response", "Confirmation", "confirm", "strength", "P_YES", "WATCHING")
