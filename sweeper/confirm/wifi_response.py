"""An encoded-video transmitter's response to the room, from its uplink frames.

Frame sizes follow the picture. Per time bin (:data:`BIN_S`) of one transmitter's
uplink (times and network-layer sizes, headers only):

* ``bytes`` (log): a VBR encoder spends more on a lit, moving scene than on a dark,
  still one; a camera in the dark may also spend *more* (sensor noise at high gain),
  so the lock-in test takes either sign.
* ``largest frame`` (log of the largest burst): a light switched on or off is a scene
  cut; a scene-change detector inserts an I-frame, or the next P-frames swell.
* ``video bytes``: the same, of the near-MTU packets only: a frame leaves as full
  packets, while audio, ACKs and keepalives (which do not follow the picture) are small.
  It holds where bursts cannot be told apart (paced senders, slow links).
* ``typical frame`` (log of the median burst): the P-frames, which carry what changed
  in the picture, without the I-frames that make ``bytes`` jump once per GOP.

A burst is a run of packets with no gap over ``bursts.BURST_GAP_S`` (a coded frame leaves
back to back); a frame is a burst of at least ``bursts.FRAME_MIN_BYTES`` (not an ACK,
audio or a keepalive). Bins without a frame have no frame features (left out of the
test), and bytes near 0: a camera that stops sending in the dark is responding.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from sweeper.confirm.lockin import Response
from sweeper.confirm.stimulus import bin_edges
from sweeper.wifi.bursts import BURST_GAP_S, FRAME_MIN_BYTES

#: bin width: 1-3 frames of 10-30 fps video, fine enough for an LED flashing every
#: 0.3-1 s and for the response delay
BIN_S = 0.1
NAMES = ("bytes", "video bytes", "typical frame", "largest frame")
#: a packet of at least this share of the stream's large packets (its 95th percentile)
#: carries video: a frame leaves as near-MTU packets, audio and ACKs are small
VIDEO_PACKET_SHARE = 0.6


def wifi_response(ts: np.ndarray, l3: np.ndarray, span: Tuple[float, float], bin_s: float = BIN_S) -> Response:
    """The response features of one transmitter's uplink packets (times in seconds on
    the timeline's clock, network-layer bytes) over ``span``."""
    edges = bin_edges(span, bin_s)
    n = len(edges) - 1
    order = np.argsort(ts, kind="stable")
    t = np.asarray(ts, float)[order]
    b = np.maximum(np.asarray(l3, float)[order], 0.0)
    keep = (t >= edges[0]) & (t < edges[-1])
    t, b = t[keep], b[keep]
    bins = np.minimum(((t - edges[0]) / bin_s).astype(np.int64), n - 1)
    total = np.bincount(bins, weights=b, minlength=n)
    count = np.bincount(bins, minlength=n)
    largest = np.full(n, np.nan)
    typical = np.full(n, np.nan)
    if t.size:
        start = np.concatenate([[True], np.diff(t) > BURST_GAP_S])
        first = np.flatnonzero(start)
        size = np.add.reduceat(b, first)
        bbin = bins[first]
        frame = size >= FRAME_MIN_BYTES  # not ACKs, audio or keepalives
        size, bbin = size[frame], bbin[frame]
        big = np.zeros(n)
        np.maximum.at(big, bbin, size)
        # the median burst of each bin: sort by (bin, size), take each bin's middle one
        order = np.lexsort((size, bbin))
        sb, ss = bbin[order], size[order]
        k = np.bincount(sb, minlength=n)
        begin = np.concatenate([[0], np.cumsum(k)[:-1]])
        has = k > 0
        typical[has] = np.log(ss[begin[has] + (k[has] - 1) // 2])
        largest[has] = np.log(big[has])
    large = b >= VIDEO_PACKET_SHARE * (float(np.percentile(b, 95)) if b.size else 0.0)
    video = np.bincount(bins[large], weights=b[large], minlength=n)
    features = np.column_stack([_relative_log(total), _relative_log(video), typical, largest])
    return Response(edges, features, NAMES, count > 0, what="its traffic")


def _relative_log(per_bin: np.ndarray) -> np.ndarray:
    """log(1 + x / the typical busy bin): an empty bin is 0, not a far outlier."""
    busy = per_bin[per_bin > 0]
    return np.log1p(per_bin / (float(np.median(busy)) if busy.size else 1.0))
