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
* ``frame surprise`` (the largest in the bin): each video frame's log size minus the
  median of the frames at the same place one and two GOPs before and after it. An
  encoder repeats its frame pattern every GOP (the I-frame, then P- and B-frames of
  their own typical sizes), so this takes out the pattern and leaves what the picture
  did: a frame that codes a change of the room (a scene-cut I-frame, a swollen P- or
  B-frame) stands out even in a CBR stream, whose bitrate over a second does not move.
  The GOP is found from the stream itself (:func:`gop_period`).

A burst is a run of packets with no gap over ``bursts.BURST_GAP_S`` (a coded frame leaves
back to back); a frame is a burst of at least ``bursts.FRAME_MIN_BYTES`` (not an ACK,
audio or a keepalive). Bins without a frame have no frame features (left out of the
test), and bytes near 0: a camera that stops sending in the dark is responding.
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from sweeper.confirm.lockin import Response
from sweeper.confirm.stimulus import bin_edges
from sweeper.wifi.bursts import BURST_GAP_S, FRAME_MIN_BYTES

#: bin width: 1-3 frames of 10-30 fps video, fine enough for an LED flashing every
#: 0.3-1 s and for the response delay
BIN_S = 0.1
NAMES = ("bytes", "video bytes", "typical frame", "largest frame", "frame surprise")
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
    surprise = np.full(n, np.nan)
    large = b >= VIDEO_PACKET_SHARE * (float(np.percentile(b, 95)) if b.size else 0.0)
    if t.size:
        first = np.flatnonzero(np.concatenate([[True], np.diff(t) > BURST_GAP_S]))
        burst_size = np.add.reduceat(b, first)
        frame = burst_size >= FRAME_MIN_BYTES  # not ACKs, audio or keepalives
        size, bbin = burst_size[frame], bins[first][frame]
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
        # video frames: bursts that carry a near-MTU packet (not audio or ACKs alone)
        video_frame = frame & (np.add.reduceat(large.astype(np.int64), first) > 0)
        if np.count_nonzero(video_frame) >= MIN_FRAMES:
            s = frame_surprise(t[first][video_frame], np.log(burst_size[video_frame]))
            ok = np.isfinite(s)
            top = np.full(n, -np.inf)
            np.maximum.at(top, bins[first][video_frame][ok], s[ok])
            surprise = np.where(np.isfinite(top), top, np.nan)
    video = np.bincount(bins[large], weights=b[large], minlength=n)
    features = np.column_stack([_relative_log(total), _relative_log(video), typical, largest, surprise])
    return Response(edges, features, NAMES, count > 0, what="its traffic")


#: fewer video frames than this give no frame surprise (too few to find a GOP in)
MIN_FRAMES = 20
#: the GOP search: periods from a few frames to the longest GOPs cameras use, on a grid
#: of this resolution; a period must repeat with at least this autocorrelation
GOP_RANGE_S = (0.15, 12.0)
GOP_RESOLUTION_S = 0.01
GOP_MIN_CORRELATION = 0.15


def gop_period(ft: np.ndarray, log_size: np.ndarray) -> Optional[float]:
    """The period (s) at which the stream's larger-than-usual frames repeat: its GOP, or
    None when nothing repeats. The frames above the median are laid on a 10 ms grid and
    autocorrelated; the shortest lag within 80% of the best is taken, so a multiple of
    the GOP (which correlates as well) is not."""
    if ft.size < MIN_FRAMES:
        return None
    n = int((ft[-1] - ft[0]) / GOP_RESOLUTION_S) + 1
    grid = np.zeros(n)
    np.maximum.at(grid, ((ft - ft[0]) / GOP_RESOLUTION_S).astype(np.int64),
                  np.maximum(log_size - np.median(log_size), 0.0))
    spectrum = np.fft.rfft(grid - grid.mean(), 2 * n)
    ac = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    lo, hi = int(GOP_RANGE_S[0] / GOP_RESOLUTION_S), min(int(GOP_RANGE_S[1] / GOP_RESOLUTION_S), n // 3)
    if hi <= lo or ac[0] <= 0:
        return None
    lags = np.arange(lo, hi)
    a = ac[lo:hi] * n / (n - lags) / ac[0]  # unbiased: long lags overlap less
    a = np.convolve(a, np.ones(3) / 3, mode="same")  # the capture's timing jitter
    best = int(np.argmax(a))
    if a[best] < GOP_MIN_CORRELATION:
        return None
    return float(lags[np.flatnonzero(a >= 0.8 * a[best])[0]] * GOP_RESOLUTION_S)


def frame_surprise(ft: np.ndarray, log_size: np.ndarray) -> np.ndarray:
    """Each frame's log size minus the median of the frames nearest to one and two GOPs
    before and after it (within 0.4 of a frame interval; NaN when there are none). With
    no GOP found, minus the median of its 3 neighbours on each side."""
    n = ft.size
    period = gop_period(ft, log_size)
    if period is None:
        pad = np.pad(log_size, 3, mode="edge")
        return log_size - np.median(np.lib.stride_tricks.sliding_window_view(pad, 7), axis=1)
    frame_s = float(np.median(np.diff(ft)))
    same_place = np.full((n, 4), np.nan)
    for col, shift in enumerate((-2, -1, 1, 2)):
        want = ft + shift * period
        j = np.clip(np.searchsorted(ft, want), 1, n - 1)
        j = np.where(np.abs(ft[j - 1] - want) < np.abs(ft[j] - want), j - 1, j)
        same_place[:, col] = np.where(np.abs(ft[j] - want) < 0.4 * frame_s, log_size[j], np.nan)
    ordered = np.sort(same_place, axis=1)  # NaN last
    k = np.isfinite(same_place).sum(axis=1)
    rows = np.arange(n)
    lo, hi = ordered[rows, np.maximum(k - 1, 0) // 2], ordered[rows, np.maximum(k, 1) // 2]
    return np.where(k > 0, log_size - (lo + hi) / 2, np.nan)


def _relative_log(per_bin: np.ndarray) -> np.ndarray:
    """log(1 + x / the typical busy bin): an empty bin is 0, not a far outlier."""
    busy = per_bin[per_bin > 0]
    return np.log1p(per_bin / (float(np.median(busy)) if busy.size else 1.0))
