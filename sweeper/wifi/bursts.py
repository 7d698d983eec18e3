"""Evidence of how video is made and carried, from the bursts of one transmitter's uplink.

Pure functions over arrays: a window's uplink packets (times and network-layer sizes)
in, one number per cue out, for many windows at once (no loop over packets or bursts).

A *burst* is a run of packets with no gap longer than :data:`BURST_GAP_S` (a video
frame's packets leave back to back: the whole frame is handed to the socket at once and
the Wi-Fi queue drains it in one or a few channel accesses). A *frame burst* carries at
least :data:`FRAME_MIN_BYTES` (more than a TCP ACK or a keepalive).

The cues, each from a mechanism:

* **Frame clock** (``clock``, ``clock_margin``, ``frame_hz``). An encoder emits a frame
  every ``1/fps`` of its crystal clock, so burst onsets fall on a grid ``t0 + k/fps``
  with small jitter, and that grid does not wander: onset ``k`` is off by its own
  jitter, never by the sum of the jitters before it. ``clock`` is the phase coherence
  ``|sum w exp(2 pi i f t)| / sum w`` of the onsets at the best ``f`` in
  :data:`FRAME_HZ` (1 = every onset on the grid). Bulk TCP/QUIC traffic clumps at
  random, or is clocked by returning ACKs at the round-trip time, which does wander.
  Random clumping can reach a fair coherence by chance (few onsets, many candidate
  rates), and so can any sequence whose gaps happen to be alike, so the observed value
  is compared with *surrogates*: the same onsets with their gaps shuffled, which keeps
  the gap distribution and destroys the grid. ``clock_margin`` is the observed clock
  minus the surrogates' mean: near 0 for clumping and for RTT clocks, clearly positive
  for a frame clock. Works at 1-3 packets per frame: it needs onsets, not packets.
  An encoder sends every frame, so nearly every slot of its grid holds a burst
  (``grid_fill``); a handful of long bursts that happen to sit on a fine grid does not.
  Weights are burst sizes held between a quarter of the window's 90th percentile and
  that percentile, so audio packets and keepalives count less than frames and one
  I-frame cannot dominate.
* **Frame boundaries** (``boundaries``). A coded frame is rarely a whole number of
  packets, so the last packet of each frame is a short remainder. A bulk transfer
  fills every segment (the send buffer is full), so its bursts end on full-size
  segments. Counted per slot of the frame grid once there is one (a frame split into
  bursts by a busy channel or a TCP window ends short only in its last), else per burst.
* **Key frames** (``keyframe``). An encoder sends an I-frame several times the size of
  the others once per GOP; an application writing records on a timer sends alike
  sizes. The bytes of each slot of the frame grid are summed; the largest slot over the
  median one (classify carries a key frame over the longest GOPs).
* **Idle gaps** (``long_bursts``). An encoder hands the network one frame per period;
  the frame leaves in a burst of a few to a few tens of milliseconds (a 50 kB I-frame at
  10 Mbit/s: 40 ms) and the channel then idles until the next frame, so nearly all of a
  camera's bytes travel in bursts shorter than :data:`LONG_BURST_S`. A bulk transfer
  keeps its window full and sends for hundreds of milliseconds to seconds without a
  gap, even when its slow-start flights and per-file requests, one round trip apart,
  sit on a grid. ``long_bursts`` is the share of the frame bursts' bytes in bursts
  longer than that, or than :data:`IDLE_SHARE` of the frame period when the clock is
  slow: a 5 fps camera on a slow uplink may take 130 ms to send a frame and still idle
  for the rest of its 200 ms.
* **RTP video clock** (``rtp_video``, wired captures). Where the headers are in the
  clear, an RTP stream's marker bit ends each video frame and its timestamp counts a
  90 kHz clock: markers whose timestamps advance 90,000 per second of arrival time are
  near-proof of video (audio uses 8-48 kHz clocks, RTCP other packet types).
"""
from __future__ import annotations

from typing import Dict

import numpy as np

#: a gap longer than this starts a new burst (a frame leaves within a few ms even when
#: others hold the channel for a while; frames are >= 17 ms apart)
BURST_GAP_S = 0.006
#: bytes for a burst to count as a frame (TCP ACKs and keepalives are < 150)
FRAME_MIN_BYTES = 150
#: a burst "ends short" when its last packet is below this share of the window's
#: largest packet
SHORT_SHARE = 0.9
#: rates searched (Hz): 5-30 fps video (60 fps also lies on its 30 Hz grid) and 20-40 ms
#: audio frames, another encoder clock
FRAME_HZ = (4.0, 52.0)
#: bins for the coherence spectrum (4 ms: at most a tenth of a 52 Hz period off) and the
#: FFT size (0.06 Hz: a grid off by half that drifts an eighth of a period in 4 s)
CLOCK_BIN_S = 0.004
CLOCK_NFFT = 4096
#: surrogates per window, and the least observed clock worth testing against them
SURROGATES = 8
SURROGATE_MIN_CLOCK = 0.25
#: the frame rate is chosen among the best rate and its rate / 2 .. / SUBHARMONICS: a
#: large frame over TCP leaves in several flights one round trip (10-40 ms) apart, so a
#: 5-10 fps camera at a few Mbit/s puts its onsets on a 30-50 Hz grid (up to 6 flights a
#: frame; with / 2 and / 3 alone an 8 fps camera whose frames took 4 was missed)
SUBHARMONICS = 6
#: a burst that runs on for longer than this is no single frame (see ``long_bursts``),
#: unless the frame clock is slow enough to leave it room: up to IDLE_SHARE of its period
LONG_BURST_S = 0.1
IDLE_SHARE = 0.8
#: onsets needed before a clock is measured at all
MIN_ONSETS = 5

EVIDENCE_FIELDS = ("frame_bursts", "clock", "clock_z", "clock_margin", "frame_hz", "grid_fill", "boundaries",
                   "keyframe", "long_bursts", "rtp_video")
#: RTP: the video clock rate, how far the markers' clock may run from the arrival times
#: before it is not that clock (audio clocks are 8-48 kHz: -47% and more), and the
#: markers needed
RTP_VIDEO_HZ = 90000.0
RTP_TOLERANCE = 0.2
RTP_MIN_MARKERS = 8


def _group_starts(group: np.ndarray, n_groups: int):
    """Start index and count of each group in an array sorted by group."""
    counts = np.bincount(group, minlength=n_groups)
    return np.cumsum(counts) - counts, counts


def _coherence(onset_t: np.ndarray, weight: np.ndarray, row: np.ndarray, n_rows: int, subharmonics: int = 1):
    """Best phase coherence in FRAME_HZ for each row's onsets: (coherence, its
    frequency, the grid's phase offset in seconds), each of shape (n_rows,). With
    ``subharmonics`` k > 1, arrays of shape (k, n_rows) for that rate divided by 1..k
    (coherence -1 where the rate falls below FRAME_HZ)."""
    nb = min(int(np.ceil(float(onset_t.max(initial=0.0)) / CLOCK_BIN_S)) + 1, CLOCK_NFFT)
    b = np.clip((onset_t / CLOCK_BIN_S).astype(np.int64), 0, nb - 1)
    series = np.bincount(row * nb + b, weights=weight, minlength=n_rows * nb).reshape(n_rows, nb)
    spec = np.fft.rfft(series, CLOCK_NFFT, axis=1)  # float64: faster than float32 in pocketfft
    freqs = np.fft.rfftfreq(CLOCK_NFFT, CLOCK_BIN_S)
    band = np.flatnonzero((freqs >= FRAME_HZ[0]) & (freqs <= FRAME_HZ[1]))
    total = np.maximum(np.bincount(row, weights=weight, minlength=n_rows), 1e-9)
    r = np.abs(spec[:, band]) / total[:, None]
    best = r.max(axis=1)
    # the fundamental: the lowest rate as coherent as the best (a frame grid is also a
    # grid at its harmonics)
    first = np.argmax(r >= 0.9 * best[:, None], axis=1)
    rows = np.arange(n_rows)
    out_r, out_f, out_t0 = [], [], []
    for k in range(1, subharmonics + 1):
        # the bin nearest f/k (and the better of its neighbours: f is known to a bin)
        idx = np.rint((band[first] / k)).astype(np.int64)
        ok = idx >= band[0]
        if k > 1:
            idx = np.clip(idx, band[0] + 1, band[-1] - 1)
            cand = np.stack([idx - 1, idx, idx + 1])
        else:
            cand = idx[None]
        mag = np.abs(spec[rows, cand]) / total
        pick = cand[np.argmax(mag, axis=0), rows]
        rk = np.where(ok, np.abs(spec[rows, pick]) / total, -1.0)
        fk = freqs[pick]
        # onsets at t0 + k/f give the spectrum the phase -2 pi f t0 (bins start at 0)
        phase = np.angle(spec[rows, pick])
        out_r.append(rk)
        out_f.append(fk)
        out_t0.append(np.mod(-phase / (2 * np.pi), 1.0) / np.maximum(fk, 1e-9) + 0.5 * CLOCK_BIN_S)
    if subharmonics == 1:
        return out_r[0], out_f[0], out_t0[0]
    return np.array(out_r), np.array(out_f), np.array(out_t0)


def _grid_fill(t: np.ndarray, row: np.ndarray, t0: np.ndarray, hz: np.ndarray, dur: np.ndarray, n: int):
    """Share of each row's grid slots (rate ``hz``, phase ``t0``) that hold an onset."""
    slot = np.floor((t - t0[row]) * hz[row] + 0.5).astype(np.int64)
    slot = slot - slot.min(initial=0)
    span = int(slot.max(initial=0)) + 1
    occupied = np.unique(row.astype(np.int64) * span + slot) // span
    return np.minimum(np.bincount(occupied, minlength=n) / np.maximum(dur * hz, 1.0), 1.0)


def rtp_video_share(row: np.ndarray, t: np.ndarray, flags: np.ndarray, rtp_ts: np.ndarray, ssrc: np.ndarray,
                    n: int) -> np.ndarray:
    """Per row, how well the frame markers of its busiest RTP stream keep a 90 kHz clock:
    1 when their timestamps advance 90,000 per second of arrival time, falling to 0 at
    +-20% (0 with fewer than RTP_MIN_MARKERS markers). The rate is the slope between the
    medians of the first and second half of the window, so B-frames (sent out of
    presentation order) and a large frame's late last packet do not matter."""
    from sweeper.wifi.frames import RTP_MARKER, RTP_VALID, RTP_VIDEO_PT

    want = RTP_VALID | RTP_MARKER | RTP_VIDEO_PT
    m = np.flatnonzero((flags & want) == want)
    out = np.zeros(n)
    if m.size < RTP_MIN_MARKERS:
        return out
    m = m[np.lexsort((t[m], ssrc[m], row[m]))]
    key = row[m].astype(np.int64) << 32 | ssrc[m].astype(np.int64)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counts = np.diff(np.r_[starts, m.size])
    for s0, c in zip(starts[counts >= RTP_MIN_MARKERS], counts[counts >= RTP_MIN_MARKERS]):
        idx = m[s0:s0 + c]  # one stream in one window: a few dozen markers
        clock = (rtp_ts[idx].astype(np.int64) - int(rtp_ts[idx[0]])) % (1 << 32)
        clock = np.where(clock >= 1 << 31, clock - (1 << 32), clock) / RTP_VIDEO_HZ
        h = c // 2
        dt = np.median(t[idx[h:]]) - np.median(t[idx[:h]])
        if dt <= 0:
            continue
        ratio = (np.median(clock[h:]) - np.median(clock[:h])) / dt
        r = int(row[idx[0]])
        out[r] = max(out[r], float(np.clip(1.0 - abs(ratio - 1.0) / RTP_TOLERANCE, 0.0, 1.0)))
    return out


def window_evidence(ts: np.ndarray, l3: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                    start: np.ndarray, dur: np.ndarray, rng: np.random.Generator,
                    rtp=None) -> Dict[str, np.ndarray]:
    """Cues for windows whose packets are ``ts[lo[i]:hi[i]]`` (sorted by time) with
    sizes ``l3``; window ``i`` starts at ``start[i]`` and lasts ``dur[i]`` seconds.
    ``rtp``: optional (flags, timestamp, ssrc) arrays aligned with ``ts`` (wired)."""
    n = lo.size
    out = {k: np.zeros(n, np.float32) for k in EVIDENCE_FIELDS}
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    if n == 0 or total == 0:
        return out
    row = np.repeat(np.arange(n), counts)
    idx = np.repeat(lo, counts) + (np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts))
    t = ts[idx] - start[row]
    size = l3[idx].astype(np.float64)
    if rtp is not None:
        out["rtp_video"] = rtp_video_share(row, t, rtp[0][idx], rtp[1][idx], rtp[2][idx], n).astype(np.float32)


    # bursts
    new = np.ones(total, bool)
    new[1:] = (row[1:] != row[:-1]) | (np.diff(t) > BURST_GAP_S)
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, total - 1)
    bid = np.cumsum(new) - 1
    b_bytes = np.bincount(bid, weights=size)
    b_row = row[first]
    b_t = t[first]
    b_last = size[last]
    row_max = np.zeros(n)
    rs, rc = _group_starts(row, n)
    row_max[rc > 0] = np.maximum.reduceat(size, rs[rc > 0])

    frame = b_bytes >= FRAME_MIN_BYTES
    fb_row, fb_t, fb_bytes = b_row[frame], b_t[frame], b_bytes[frame]
    fb_row_all, fb_bytes_all = fb_row, fb_bytes  # every frame burst (fb_* are cut to clocked rows below)
    nf = np.bincount(fb_row, minlength=n)
    out["frame_bursts"] = (nf / np.maximum(dur, 1e-9)).astype(np.float32)
    short = b_last[frame] < SHORT_SHARE * row_max[fb_row]
    # idle gaps: the share of the frame bursts' bytes sent in bursts that run on for
    # longer than LONG_BURST_S
    runs_on = (t[last] - t[first])[frame] > LONG_BURST_S
    out["long_bursts"] = (np.bincount(fb_row, weights=np.where(runs_on, fb_bytes, 0.0), minlength=n)
                          / np.maximum(np.bincount(fb_row, weights=fb_bytes, minlength=n), 1.0)).astype(np.float32)
    out["boundaries"] = (np.bincount(fb_row, weights=short, minlength=n) / np.maximum(nf, 1)).astype(np.float32)

    # the frame clock, on rows with enough onsets
    ok_rows = nf >= MIN_ONSETS
    keep = ok_rows[fb_row]
    fb_row, fb_t, fb_bytes = fb_row[keep], fb_t[keep], fb_bytes[keep]
    if fb_row.size == 0:
        return out
    # weights: sizes capped at the row's 90th percentile, and at least a quarter of it
    # (B-frames and small P-frames still mark the clock)
    order = np.lexsort((fb_bytes, fb_row))
    fs, fc = _group_starts(fb_row, n)
    cap = np.zeros(n)
    has = fc > 0
    cap[has] = fb_bytes[order][fs[has] + (9 * (fc[has] - 1)) // 10]
    w = np.clip(fb_bytes, cap[fb_row] / 4, cap[fb_row])
    # the rate and its sub-harmonics: the one whose grid is both coherent and filled. A
    # frame split over two TCP round trips, or sub-bursts released by ACKs, can put
    # more onsets on a harmonic of the frame rate than on the rate itself; an encoder
    # fills every slot of its own grid and only one in k of a harmonic's
    r_k, f_k, t0_k = _coherence(fb_t, w, fb_row, n, subharmonics=SUBHARMONICS)
    fill_k = np.array([_grid_fill(b_t[frame], b_row[frame], t0_k[k], f_k[k], dur, n)
                       for k in range(SUBHARMONICS)])
    choice = np.argmax(np.where(r_k >= 0, r_k * fill_k, -1.0), axis=0)
    pick = (choice, np.arange(n))
    clock, hz, t0, fill = r_k[pick], f_k[pick], t0_k[pick], fill_k[pick]
    out["clock"] = np.where(ok_rows, clock, 0.0).astype(np.float32)
    out["frame_hz"] = np.where(ok_rows, hz, 0.0).astype(np.float32)
    # idle gaps once the frame clock is known: a frame must leave before the next one is
    # due, so at a low frame rate over a slow link a burst may run on for up to
    # IDLE_SHARE of the period and still be one frame
    longest = np.maximum(LONG_BURST_S, IDLE_SHARE / np.maximum(out["frame_hz"], 1e-9))
    runs_on = (t[last] - t[first])[frame] > longest[fb_row_all]
    out["long_bursts"] = (np.bincount(fb_row_all, weights=np.where(runs_on, fb_bytes_all, 0.0), minlength=n)
                          / np.maximum(np.bincount(fb_row_all, weights=fb_bytes_all, minlength=n), 1.0)
                          ).astype(np.float32)
    # Rayleigh statistic n R^2 with the effective number of weighted onsets: random phases
    # exceed z with probability e^-z at one rate (times the rates searched)
    sw = np.bincount(fb_row, weights=w, minlength=n)
    sw2 = np.bincount(fb_row, weights=w * w, minlength=n)
    n_eff = sw * sw / np.maximum(sw2, 1e-9)
    out["clock_z"] = np.where(ok_rows, n_eff * clock * clock, 0.0).astype(np.float32)
    # key frames: every burst's bytes summed per slot of the frame grid; the largest slot
    # over the median one (an I-frame is several P-frames; i.i.d. writes rarely double)
    period = 1.0 / np.maximum(hz, 1e-9)
    all_frame_row = b_row[frame]
    slot = np.floor((b_t[frame] - t0[all_frame_row]) / period[all_frame_row] + 0.5).astype(np.int64)
    slot = slot - slot.min(initial=0)
    span = int(slot.max(initial=0)) + 1
    skey, sinv = np.unique(all_frame_row * span + slot, return_inverse=True)
    sbytes = np.bincount(sinv, weights=b_bytes[frame])
    srow = (skey // span).astype(np.int64)
    order = np.lexsort((sbytes, srow))
    ss, sc = _group_starts(srow, n)
    med = np.zeros(n)
    top = np.zeros(n)
    h = sc > 0
    med[h] = sbytes[order][ss[h] + (sc[h] - 1) // 2]
    top[h] = sbytes[order][ss[h] + sc[h] - 1]
    out["keyframe"] = np.where(ok_rows, top / np.maximum(med, 1.0), 0.0).astype(np.float32)
    # an encoder fills every slot of its grid; a few bursts on a fine grid are no clock
    out["grid_fill"] = np.where(ok_rows, fill, 0.0).astype(np.float32)
    # boundaries per frame slot once the grid is known: a frame split into several bursts
    # (a busy channel, a TCP window) ends short only in its last one
    last_in_slot = np.full(skey.size, -1, np.int64)
    np.maximum.at(last_in_slot, sinv, np.arange(sinv.size))
    slot_short = b_last[frame][last_in_slot] < SHORT_SHARE * row_max[srow]
    slot_share = np.bincount(srow, weights=slot_short, minlength=n) / np.maximum(sc, 1)
    out["boundaries"] = np.where(ok_rows, slot_share, out["boundaries"]).astype(np.float32)

    # surrogates: each row's gaps shuffled (within the row), onsets rebuilt from its first
    test_rows = ok_rows & (clock >= SURROGATE_MIN_CLOCK)
    sel = test_rows[fb_row]
    if not sel.any():
        return out
    s_row, s_t, s_w = fb_row[sel], fb_t[sel], w[sel]
    m = s_row.size
    starts, cnt = _group_starts(s_row, n)
    is_first = np.zeros(m, bool)
    is_first[starts[cnt > 0]] = True
    gaps = np.diff(s_t, prepend=0.0)
    gaps[is_first] = 0.0
    rows_rep = np.tile(s_row, SURROGATES)
    copy = np.repeat(np.arange(SURROGATES), m)
    # shuffle the non-first gaps within each (copy, row): sort by (copy, row, random key)
    movable = np.tile(~is_first, SURROGATES)
    key = rng.random(m * SURROGATES) + np.where(movable, 0.0, -1.0)  # firsts stay first
    order = np.lexsort((key, rows_rep, copy))
    g = np.tile(gaps, SURROGATES)[order]
    group = copy[order] * n + rows_rep[order]
    csum = np.cumsum(g)
    gstart, gcnt = _group_starts(group, SURROGATES * n)
    base = np.repeat((csum - g)[gstart[gcnt > 0]], gcnt[gcnt > 0])
    first_t = np.tile(np.where(is_first, s_t, 0.0), SURROGATES)[order]
    first_of_group = np.repeat(first_t[gstart[gcnt > 0]], gcnt[gcnt > 0])
    sur_t = first_of_group + (csum - base)
    sur_clock, _, _ = _coherence(sur_t, np.tile(s_w, SURROGATES)[order], group, SURROGATES * n)
    sur_mean = sur_clock.reshape(SURROGATES, n).mean(axis=0)
    out["clock_margin"] = np.where(test_rows, clock - sur_mean, 0.0).astype(np.float32)
    return out
