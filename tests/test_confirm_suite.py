"""Confirmation on labelled simulated rooms (tests/confirm_suite.py), a CI-sized slice.

Cameras that see the LED are called ``yes`` often enough, and nothing that does not see
it is (cameras elsewhere, uploads, calls, streams, access points). The hit-rate floor is
a regression guard set below what these rooms measure (9 of 17 cameras with a normal
response on test ranges: far short of the issue's target, see the README), not a claim. Seeds 700000+ are used by no
calibration or report (bench/campaign_confirm.py prints the full figures: calibration
seeds 1000+, test ranges 500000+). Each half runs on its own worker.
"""
import collections

import pytest

from confirm_suite import run_room

ROOMS = 24
HALVES = 2


@pytest.mark.parametrize("half", range(HALVES))
def test_cameras_that_see_the_led_are_watching_and_nothing_else_is(half):
    per = ROOMS // HALVES
    seen = collections.Counter()
    for seed in range(700000 + half * per, 700000 + (half + 1) * per):
        for c in run_room(seed, "test", "led", 30.0):
            gain = c.label.get("response_gain", 1.0)
            if c.positive and gain >= 0.2:
                seen["pos"] += 1
                seen["hit"] += c.result.watching == "yes"
            elif not c.positive:
                seen["neg"] += 1
                seen["false"] += c.result.watching == "yes"
                if c.result.watching == "yes":
                    print("called watching:", seed, c.kind, c.result.reasons[0])
    print(dict(seen))
    assert seen["pos"] >= 6 and seen["neg"] >= 30
    assert seen["hit"] / seen["pos"] >= 0.25
    assert seen["false"] <= 1
