"""A confirmation on the device: run a stimulus plan while the radio listens to one finding.

* :func:`make_plan`: the schedule, drawn at random when the confirmation starts (the
  lock-in test's p-value relies on it being random): ``led`` flashes the device's LED
  on and off every 0.3-1 s, ``lights`` prompts the person to switch the room's light
  off and on every 1.5-3 s, ``wave`` prompts waving and keeping still.
* :class:`Confirmer`: parks a radio on the finding (a kind declares its own, like its
  locator) and collects its response; the time base is the radio's own (capture
  timestamps, samples counted), so what the room did and what the camera sent are on
  one clock.
* :func:`run_confirmation`: drives the plan (the ``stimulator``: the LED, prompts,
  beeps), reports progress with a live response strength, and ends with
  :func:`lockin.confirm`.
"""
from __future__ import annotations

import abc
import threading
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from sweeper.confirm import lockin
from sweeper.confirm.stimulus import Interval, Timeline, random_schedule

MODES = ("led", "lights", "wave")
#: (dwell range s, states, reference lead s, default duration s) per mode. The test can
#: only be as sure as the number of changes allows (each dwell is one independent look:
#: 5 changes cannot give p <= 0.002 however well the camera follows), so an LED flips
#: every 0.3-1 s, and a person, prompted with a countdown, every 1.5-3 s
PLANS = {
    "led": ((0.3, 1.0), ("flash", "still"), 1.0, 15.0),
    "lights": ((1.5, 3.0), ("dark", "light"), 2.0, 30.0),
    "wave": ((1.5, 3.0), ("motion", "still"), 2.0, 30.0),
}
PROMPTS = {"dark": "Lights OFF now", "light": "Lights ON now", "motion": "Wave at the walls",
           "still": "Keep still", "flash": None}
#: the live response strength is updated this often (a quick look: no surrogates)
LIVE_EVERY_S = 1.0
#: a poll of the radio blocks at most this long, and less before a change of the
#: stimulus, so the LED switches within MIN_POLL_S of its schedule
POLL_S = 0.25
MIN_POLL_S = 0.01


@dataclass(frozen=True)
class Plan:
    """What the device does when, in seconds from the start of the confirmation."""

    mode: str
    schedule: Timeline
    duration_s: float

    def state_at(self, t: float) -> str:
        for iv in self.schedule.intervals:
            if iv.start_s <= t < iv.end_s:
                return iv.kind
        return "light" if self.schedule.two_state else "still"

    def prompt_at(self, t: float) -> Optional[str]:
        return None if self.mode == "led" else PROMPTS.get(self.state_at(t))

    def next_change(self, t: float) -> Optional[float]:
        """When the state next changes after ``t`` (for countdown beeps), or None."""
        for b in self.schedule.boundaries():
            if b > t + 1e-9 and b < self.duration_s:
                return float(b)
        return None


def make_plan(mode: str, rng: np.random.Generator, duration_s: Optional[float] = None) -> Plan:
    if mode not in PLANS:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    dwell, states, lead, default = PLANS[mode]
    duration = float(duration_s or default)
    return Plan(mode, random_schedule(rng, duration, states, dwell, lead_s=lead), duration)


@dataclass(frozen=True)
class Progress:
    t_s: float
    duration_s: float
    state: str
    prompt: Optional[str]
    strength: float  # 0..1: how strongly the response follows the stimulus so far
    heard: bool  # the finding was heard in the last second


class Confirmer(abc.ABC):
    """Listens to one finding's transmitter on a radio parked on it."""

    @abc.abstractmethod
    def start(self, schedule: Timeline) -> None:
        """Park the radio and start the clock; a simulated room is handed the schedule,
        in its own time, so the cameras that see it react."""

    @abc.abstractmethod
    def poll(self, max_s: float = 0.25) -> float:
        """Read what the radio has, blocking at most ``max_s`` (so the LED or a prompt
        can change on time); returns the seconds since start on the radio's clock."""

    @abc.abstractmethod
    def response(self) -> lockin.Response:
        """The response features collected so far."""

    def close(self) -> None:
        """Leave the radio to the sweeps again."""


def shifted(tl: Timeline, by: float) -> Timeline:
    """The same schedule on another clock (``by`` seconds later)."""
    return Timeline(tuple(Interval(iv.start_s + by, iv.end_s + by, iv.kind) for iv in tl.intervals))


def run_confirmation(confirmer: Confirmer, plan: Plan, stimulator, on_progress: Callable[[Progress], None],
                     stop: Optional[threading.Event] = None, seed: Optional[int] = None) -> lockin.Confirmation:
    """Run ``plan`` to its end (or ``stop``) and judge the response. ``stimulator.set(state)``
    is called at every change of state (LED on/off, a prompt)."""
    stop = stop or threading.Event()
    confirmer.start(plan.schedule)
    state = None
    last_live = -1e9
    t = 0.0
    try:
        while not stop.is_set():
            now = plan.state_at(t)
            if now != state:
                state = now
                stimulator.set(state)
            nxt = plan.next_change(t)
            t = confirmer.poll(POLL_S if nxt is None else min(POLL_S, max(nxt - t, MIN_POLL_S)))
            if t >= plan.duration_s:
                break
            if t - last_live >= LIVE_EVERY_S:
                last_live = t
                resp = confirmer.response()
                strength = lockin.strength(resp, plan.schedule)
                heard = bool(resp.heard[-max(1, int(1.0 / max(resp.bin_s, 1e-3))):].any()) if len(resp.heard) else False
                on_progress(Progress(t, plan.duration_s, state, plan.prompt_at(t), strength, heard))
        stimulator.set("still" if not plan.schedule.two_state else "light")
        resp = confirmer.response()
    finally:
        confirmer.close()
    done = Timeline(tuple(iv for iv in plan.schedule.intervals if iv.start_s < t))
    if not done.intervals:
        return lockin.Confirmation("unknown", None, None, ("stopped before the first change of the room",))
    return lockin.confirm(resp, done, seed=int(np.random.default_rng(seed).integers(1 << 31)))
