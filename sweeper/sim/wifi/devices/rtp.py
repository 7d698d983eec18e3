"""RTP stream state: what a real RTP sender puts in the 12-byte header of each media packet.

Every stream (a camera's video, its sub-stream, its audio track) has its own random SSRC,
a random initial sequence number that rises by one per packet, and a random timestamp
offset; the timestamp counts the media clock (90 kHz for video, the sampling rate for
audio) at the *capture* time of the frame the packet belongs to, so every packet of a
frame carries the same timestamp and consecutive frames step by ``clock / fps``. The
marker bit flags the last packet of a video frame (the receiver knows the frame is
complete). Payload types are dynamic (96-127) except G.711 A-law audio (static 8).
"""
from __future__ import annotations

import numpy as np


class RtpStream:
    """One RTP stream's header state (see the module docstring)."""

    def __init__(self, rng: np.random.Generator, clock_hz: int = 90000, pt: int = 0):
        self.clock_hz = int(clock_hz)
        self.ssrc = int(rng.integers(1, 1 << 32))
        self.pt = int(pt) if pt else int(rng.integers(96, 128))
        self.seq = int(rng.integers(0, 1 << 16))
        self.ts0 = int(rng.integers(0, 1 << 32))

    def next_seqs(self, n: int) -> np.ndarray:
        """Sequence numbers of the next ``n`` packets, in sending order."""
        out = (self.seq + np.arange(n, dtype=np.int64)) & 0xFFFF
        self.seq = (self.seq + n) & 0xFFFF
        return out

    def stamps(self, ticks: np.ndarray) -> np.ndarray:
        """Timestamps of media times given in clock ticks since the stream's start."""
        return (self.ts0 + np.asarray(ticks, np.int64)) & 0xFFFFFFFF

    def first_byte(self, marker) -> np.ndarray:
        """The event's ``rtp`` field: marker bit << 7 | payload type."""
        return (np.asarray(marker, np.int64).astype(bool) * 0x80 | self.pt).astype(np.uint8)
