"""One set of verdict words: both detectors say "no finding" the same way, and every
sweep-level verdict is the most alarming of its findings'."""
import pytest

from sweeper import verdicts
from sweeper.rf.analysis import verdict_for
from sweeper.wifi import classify


@pytest.mark.parametrize("score, want", [(0.95, "camera"), (0.8, "camera"), (0.6, "suspect"), (0.2, None)])
def test_both_detectors_give_the_same_words_for_the_same_score(score, want):
    assert verdict_for(score, 0.8, 0.5) == want
    assert classify.verdict(score, 0.8, 0.5) == want


def test_a_sweep_is_as_alarming_as_its_worst_finding():
    assert verdicts.of_findings([]) == "CLEAR"
    assert verdicts.of_findings(["suspect", None, "suspect"]) == "SUSPECT"
    assert verdicts.of_findings(["suspect", "camera"]) == "CAMERA"
    assert verdicts.worst("CLEAR", "SUSPECT") == "SUSPECT" and verdicts.worst() == "CLEAR"
    ranks = [verdicts.rank(v) for v in ("clear", "INCOMPLETE", "SUSPECT", "camera", None, "odd")]
    assert ranks == [0, 1, 2, 3, 0, 0]
    # missing coverage turns CLEAR into INCOMPLETE and never hides a finding
    assert verdicts.worst("CLEAR", "INCOMPLETE") == "INCOMPLETE" and verdicts.worst("INCOMPLETE", "SUSPECT") == "SUSPECT"
    assert verdicts.covered("CLEAR", ["900MHz"]) == "INCOMPLETE" and verdicts.covered("CLEAR", []) == "CLEAR"
    assert verdicts.covered("CAMERA", ["900MHz"]) == "CAMERA"
