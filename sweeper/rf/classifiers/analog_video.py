"""Analog FM video: the line structure found by :mod:`sweeper.rf.video`."""

#: what one is, in words (baselines, reports)
LABEL = "analog video"
#: how a baseline keys it: "frequency", "band" (100 MHz block: it hops or sweeps), or
#: "raster" (its 5 MHz channel)
KEYED = "frequency"


def score(e, ctx):
    if e.video is None:
        return 0.0, ["no line-structure check ran"]
    return e.video.score, list(e.video.reasons)
