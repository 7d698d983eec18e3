"""The device side of a confirmation ("is it watching this room?"): what the stimulus
drives at each change of the plan, and what the screen prompts when.

The daemon runs :func:`sweeper.confirm.live.run_confirmation` in a thread with a
:class:`Stimulator`: in the LED modes it switches the LED (on for "flash" and "light"),
in the prompted modes (lights, wave) it sounds a cue when the person is to change the
room. :func:`prompt_at` gives the screen's prompt: the plan's own ("Lights OFF now") for
at least :data:`NOW_S` after its change, then, in the last :data:`COUNTDOWN_S` seconds
before the next prompted change, the one coming, counted down ("Lights ON in 2"), with
the count for the countdown ticks.
"""
from __future__ import annotations

import math
import time
from typing import List, Optional, Tuple

#: seconds before a prompted change that the countdown starts
COUNTDOWN_S = 3.0
#: seconds a change's own prompt ("Lights OFF now") stays up before the next countdown
NOW_S = 1.0


def plan_for(cfg, leds, rng, log=lambda msg: None):
    """(mode, plan) for a confirmation now (``cfg``: the config's ``confirm`` section):
    the configured stimulus, an LED mode falling back to prompting for the lights when
    that LED is not there (not fitted, or it failed to open); the schedule drawn from
    ``rng`` (it must be random: the lock-in test's p-value relies on it; None: a fresh one)."""
    import numpy as np

    from sweeper.confirm import live
    from sweeper.watching import MODES

    mode = cfg.stimulus()
    if mode in ("led", "ir_led") and (leds is None or not leds.fitted(mode)):
        log(f"confirm: {MODES[mode]} is not available; prompting for the lights")
        mode = "lights"
    return mode, live.make_plan("led" if mode in ("led", "ir_led") else mode,
                                rng if rng is not None else np.random.default_rng(), duration_s=cfg.duration_s)


def idle_prompt(mode: str) -> str:
    """What the screen says when the plan has no prompt (the LED modes)."""
    return {"led": "LED flashing", "ir_led": "IR LED flashing"}.get(mode, "Keep still")


def prompt_at(plan, mode: str, t: float, prompt: Optional[str] = None) -> Tuple[str, Optional[int]]:
    """(the prompt to show at ``t``, the countdown's whole seconds to the next prompted
    change or None). ``prompt``: the one the progress report carried."""
    prompt = prompt or plan.prompt_at(t) or idle_prompt(mode)
    if mode not in ("lights", "wave"):  # the device makes the changes: nothing to count down
        return prompt, None
    upcoming = plan.next_change(t)
    left = None if upcoming is None else upcoming - t
    if left is None or not 0 < left <= COUNTDOWN_S:
        return prompt, None
    if any(t - NOW_S < b <= t for b in plan.schedule.boundaries()):  # a change just now: say it
        return prompt, None
    n = int(math.ceil(left))
    coming = plan.prompt_at(upcoming + 1e-3)
    if coming:
        prompt = f"{coming[:-4] if coming.endswith(' now') else coming} in {n}"
    return prompt, n


class Stimulator:
    """What the confirmation drives at each change of its plan's state: the LED (on for
    "flash" and "light") in the LED modes, a cue (a tone, or a buzz in quiet mode) when
    the user is to change the room."""

    def __init__(self, leds, mode: str, sound):
        self.leds, self.mode, self.sound = leds, mode, sound
        self.states: List[tuple] = []  # (monotonic time, state): what was driven when
        self._first = True

    def set(self, state: str) -> None:
        self.states.append((time.monotonic(), state))
        if self.mode in ("led", "ir_led"):
            if self.leds is not None:
                self.leds.set(self.mode, state in ("flash", "light"))
        elif not self._first:
            self.sound.cue()
        self._first = False

    def off(self) -> None:
        """The LED off at the end (a failing LED was already reported by ``set``)."""
        from sweeper.errors import HardwareError

        if self.leds is not None and self.mode in ("led", "ir_led"):
            try:
                self.leds.set(self.mode, False)
            except HardwareError:
                pass
