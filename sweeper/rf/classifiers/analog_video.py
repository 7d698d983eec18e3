"""Analog FM video: the line structure found by :mod:`sweeper.rf.video`."""


def score(e, ctx):
    if e.video is None:
        return 0.0, ["no line-structure check ran"]
    return e.video.score, list(e.video.reasons)
