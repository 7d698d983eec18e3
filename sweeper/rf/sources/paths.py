"""A device's receive paths behind one IQSource: two dongles, or one behind an RF switch.

The sweep engine calls :meth:`PathSource.select_path` before each leg of the plan
(sweeper.rf.paths.plan_paths) and :meth:`rest_path` at the end; tune and read go to the
selected path's dongle. With a switch, selecting drives its control pin (a gpiozero
DigitalOutputDevice) and waits ``settle_s``; resting puts it back in its low position.
A path whose dongle is not there is ``missing`` (front end -> why and the fix): the plan
reports its bands as not covered, and :meth:`refresh` looks for it again before each
sweep, so a dongle plugged in later is used without a restart.
"""
from __future__ import annotations

import time
from typing import Callable, Dict, Optional, Sequence

import numpy as np

from sweeper.errors import HardwareError
from sweeper.rf.paths import ReceivePath
from sweeper.rf.sources.base import IQSource, TunerInfo


class PathSource(IQSource):
    """Receive paths (``paths``, rest position first), each opened by ``open_path(path)``
    (a switched device returns its one dongle for both), and the ``switch`` that picks
    between them, if any. HardwareError when no path opens at all."""

    def __init__(self, paths: Sequence[ReceivePath], open_path: Callable[[ReceivePath], IQSource],
                 switch=None, settle_s: float = 0.0):
        self.receive_paths = list(paths)
        self._open_path = open_path
        self.switch = switch
        self.settle_s = float(settle_s)
        self.sources: Dict[str, IQSource] = {}
        self.missing: Dict[str, str] = {}
        self._current: Optional[ReceivePath] = None
        self.refresh()
        if not self.sources:
            self.close()
            raise HardwareError("; ".join(self.missing.values()))

    def refresh(self) -> None:
        """Open every path that is not open (a dongle plugged in since)."""
        for path in self.receive_paths:
            if path.front_end in self.sources:
                continue
            try:
                self.sources[path.front_end] = self._open_path(path)
                self.missing.pop(path.front_end, None)
            except HardwareError as exc:
                self.missing[path.front_end] = (f"{path.describe()} is missing ({exc}); plug it in (two "
                                                "dongles need a powered USB hub) and check with rtl_test")
        self.simulated = any(s.simulated for s in self.sources.values())
        fitted = [p.front_end for p in self.receive_paths if p.front_end in self.sources]
        self.name = f"{len(fitted)} receive path{'s' if len(fitted) != 1 else ''} ({', '.join(fitted)})"

    def tuner_of(self, front_end: str) -> TunerInfo:
        return self.sources[front_end].tuner

    def select_path(self, front_end: str) -> None:
        path = next((p for p in self.receive_paths if p.front_end == front_end), None)
        if path is None:
            raise HardwareError(f"no receive path has {front_end} on its input (paths: "
                                f"{', '.join(p.front_end for p in self.receive_paths)}): add one to "
                                "rf.receivers or rf.switch")
        if self.switch is not None and path.switch_high is not None and bool(self.switch.value) != path.switch_high:
            self.switch.value = path.switch_high
            time.sleep(self.settle_s)
        self._current = path

    def rest_path(self) -> None:
        if self.switch is not None and self.switch.value:
            self.switch.off()
        self._current = None

    def _source(self) -> IQSource:
        path = self._current or next(p for p in self.receive_paths if p.front_end in self.sources)
        try:
            return self.sources[path.front_end]
        except KeyError:
            raise HardwareError(f"{path.describe()} is not open") from None

    @property
    def tuner(self) -> TunerInfo:
        return self._source().tuner

    def tune(self, center_hz: float, sample_rate: float, gain_db: Optional[float] = None) -> None:
        self._source().tune(center_hz, sample_rate, gain_db)

    def read(self, n: int) -> np.ndarray:
        return self._source().read(n)

    def set_stimulus(self, timeline) -> None:
        """A confirmation's stimulus, handed to every simulated dongle."""
        for src in self.sources.values():
            if hasattr(src, "set_stimulus"):
                src.set_stimulus(timeline)

    def close(self) -> None:
        for src in {id(s): s for s in self.sources.values()}.values():
            try:
                src.close()
            except Exception:  # noqa: BLE001 (an unplugged dongle may fail to close)
                pass
        self.sources.clear()
        if self.switch is not None:
            self.switch.close()
