"""What every Wi-Fi frame source delivers: batches of raw link-layer records.

A :class:`RawBatch` holds many captured records back to back in one ``uint8`` buffer
with per-record timestamps, captured and original lengths. Keeping records in one
buffer lets the parser work on whole batches with NumPy instead of per-frame Python.

Sources: :class:`sweeper.wifi.pcapio.PcapReplaySource` (files),
:class:`sweeper.wifi.capture.AfPacketSource` (a live interface) and
:class:`sweeper.sim.wifi.live.SimulatedWifiSource` (the traffic simulator).
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np

#: link types we parse (tcpdump.org/linktypes.html)
LINKTYPE_ETHERNET = 1
LINKTYPE_IEEE802_11 = 105
LINKTYPE_IEEE802_11_RADIOTAP = 127
SUPPORTED_LINKTYPES = {
    LINKTYPE_ETHERNET: "Ethernet",
    LINKTYPE_IEEE802_11: "802.11",
    LINKTYPE_IEEE802_11_RADIOTAP: "802.11 with radiotap",
}


@dataclass
class RawBatch:
    """Captured records of one link type, back to back in ``data``.

    Record ``i`` is ``data[offset[i] : offset[i] + caplen[i]]``; ``origlen[i]`` is its
    length on the wire/air before any snaplen truncation (frame sizes come from it).
    ``channel`` is the channel the capture was tuned to when known (0 if not).
    """

    linktype: int
    ts: np.ndarray  # float64 seconds (capture clock)
    caplen: np.ndarray  # int64 bytes present in data
    origlen: np.ndarray  # int64 bytes on the wire
    offset: np.ndarray  # int64 start of each record in data
    data: np.ndarray  # uint8
    channel: int = 0

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @classmethod
    def empty(cls, linktype: int, channel: int = 0) -> "RawBatch":
        z = np.zeros(0, np.int64)
        return cls(linktype, np.zeros(0, np.float64), z, z.copy(), z.copy(), np.zeros(0, np.uint8), channel)

    @classmethod
    def from_records(cls, linktype: int, records: Iterable, channel: int = 0) -> "RawBatch":
        """Build a batch from ``(ts, bytes, origlen)`` tuples (tests, small sources)."""
        ts, caplen, origlen, chunks = [], [], [], []
        for t, raw, olen in records:
            ts.append(t)
            caplen.append(len(raw))
            origlen.append(max(int(olen), len(raw)))
            chunks.append(bytes(raw))
        caplen_a = np.asarray(caplen, np.int64)
        offset = np.zeros(len(caplen), np.int64)
        if len(caplen) > 1:
            np.cumsum(caplen_a[:-1], out=offset[1:])
        data = np.frombuffer(b"".join(chunks), np.uint8)
        return cls(linktype, np.asarray(ts, np.float64), caplen_a, np.asarray(origlen, np.int64),
                   offset, data, channel)

    def record(self, i: int) -> bytes:
        """The captured bytes of record ``i`` (for tests and debugging)."""
        o = int(self.offset[i])
        return self.data[o:o + int(self.caplen[i])].tobytes()


class FrameSource(abc.ABC):
    """A stream of captured frames that may be tunable to a Wi-Fi channel.

    Errors are :class:`sweeper.errors.HardwareError` (adapter problems) or
    :class:`sweeper.errors.InputError` (unreadable files), with a message that says how
    to fix them.
    """

    #: human-readable description for logs and the ready screen
    name: str = "frames"
    #: frames made up by the simulator, not heard: every result from it says so
    simulated: bool = False
    #: the link type of every batch this source returns
    linktype: int = LINKTYPE_IEEE802_11_RADIOTAP

    def set_channel(self, channel: int) -> None:
        """Tune to a Wi-Fi channel number (1-14, 36-177). Replay sources ignore it."""

    @property
    def can_tune(self) -> bool:
        """True when :meth:`set_channel` really retunes (the hopper needs it)."""
        return False

    @abc.abstractmethod
    def read_batch(self, timeout: float = 0.25) -> Optional[RawBatch]:
        """Return the frames captured since the last call, waiting at most ``timeout``
        seconds; an empty batch when nothing arrived; ``None`` when the source is
        exhausted (end of file, or closed)."""

    def close(self) -> None:
        """Release the capture (and restore the interface for live sources)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
