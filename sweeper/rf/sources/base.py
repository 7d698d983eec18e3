"""The one interface every IQ source implements.

A source is tuned (centre frequency, sample rate, gain) and then read in blocks of
complex64 samples. Hardware sources (a local dongle, rtl_tcp) deliver raw cu8 and
convert with :func:`sweeper.rf.convert.cu8_to_complex64`; recordings and the simulator
implement the same methods, so the sweep engine never knows which it has.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Optional

import numpy as np


@dataclass(frozen=True)
class TunerInfo:
    """What the receiver can do: used by band planning to reject impossible bands."""

    name: str  # e.g. "R820T", "simulated", "recording"
    min_hz: float  # lowest tunable centre frequency
    max_hz: float  # highest tunable centre frequency
    max_sample_rate: float = 3.2e6


class IQSource(abc.ABC):
    """A tunable stream of complex baseband samples.

    Implementations: ``RtlSdrSource`` (local dongle via pyrtlsdr), ``RtlTcpSource``
    (rtl_tcp client), ``RecordingSource`` (files) and ``SimulatedSource`` (the RF
    scene simulator). Errors are :class:`sweeper.errors.HardwareError` or
    :class:`sweeper.errors.InputError` with a message that says how to fix them.
    """

    #: human-readable description for logs and the ready screen
    name: str = "source"
    #: samples made up by the simulator, not heard: every result from it says so
    simulated: bool = False

    @property
    @abc.abstractmethod
    def tuner(self) -> TunerInfo:
        """The receiver's tuning range."""

    @abc.abstractmethod
    def tune(self, center_hz: float, sample_rate: float, gain_db: Optional[float] = None) -> None:
        """Retune. ``gain_db=None`` means automatic gain. Samples read afterwards
        may include a settling transient; the caller discards it."""

    @abc.abstractmethod
    def read(self, n: int) -> np.ndarray:
        """Return exactly ``n`` contiguous complex64 samples at the current tuning."""

    def select_path(self, front_end: str) -> None:
        """Route tune and read to the receive path with ``front_end`` in line (a device
        with two dongles or an RF switch, sources/paths.py); one dongle has one path."""

    def rest_path(self) -> None:
        """A sweep is over: put an RF switch back in its rest position."""

    def close(self) -> None:
        """Release the device or connection. Safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
