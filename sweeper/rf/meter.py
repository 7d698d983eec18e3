"""The signal meter: live power on one band, for walking a room like a handheld RF detector.

A wideband detector (a K18 and its kind) sums everything its diode hears across a band
and beeps faster as the sum rises; the user walks the room and finds where it peaks.
With an RTL-SDR one tuning hears only ~2 MHz, so :class:`BandMeter` steps round-robin
through the band's hops (the sweep's own plan), a few hops per reading, and reports the
strongest hop power heard. That is the band's "hottest spot" power: a video sender
anywhere in the band lifts it, a quiet band leaves it at the floor. The HOT_HOPS
strongest hops are measured again on every reading (a full pass of a wide band takes
seconds), so the number follows the user's steps at once while the rest of the band
is still scanned for anything new.

The gain is fixed (as for locate): automatic gain would flatten the very change the
user follows, and close to a transmitter a high gain clips. Readings are dBFS, relative
to the dongle's full scale; locating.LeadMeter gives them a scale, a peak and a trend.
"""
from __future__ import annotations

import time
from typing import List, Optional

import numpy as np

from sweeper.errors import HardwareError

#: fixed tuner gain for metering (the locate gain: far transmitters still show, close
#: ones do not clip)
METER_GAIN_DB = 10.0
#: samples read per hop (about 2 ms at 2.4 MS/s), and the most hops per reading
SAMPLES_PER_HOP = 4096
HOPS_PER_READ = 12
#: a reading's time budget: the hot hops always, then new ones until it is spent, so
#: readings keep coming several times a second through a slow USB hub (or a simulator)
READ_BUDGET_S = 0.15
#: the strongest hops so far, measured again on every reading
HOT_HOPS = 3


def hop_power_dbfs(x: np.ndarray) -> float:
    """Mean power of complex samples in dB relative to full scale (|x| = 1)."""
    if x.size == 0:
        return float("nan")
    return float(10 * np.log10(np.mean(np.abs(x) ** 2) + 1e-12))


class BandMeter:
    """Reads the power of one band (a :class:`sweeper.rf.bands.Band`) through ``source``."""

    unit = "dBFS"

    def __init__(self, source, band, sample_rate: float):
        from sweeper.rf.bands import plan_hops

        self.source, self.band, self.sample_rate = source, band, float(sample_rate)
        self.hops = plan_hops(band, self.sample_rate)
        self._power = np.full(len(self.hops), np.nan)
        self._next = 0

    def read(self) -> Optional[float]:
        if self.source is None:
            raise HardwareError("the signal meter needs the RTL-SDR: plug it in (or check rf.source)")
        if hasattr(self.source, "set_downconverter"):
            self.source.set_downconverter(self.band.downconverter)
        self.source.select_path(self.band.path)  # two receive paths: the one that hears this band
        start = time.monotonic()
        known = np.flatnonzero(np.isfinite(self._power))
        hot = [int(i) for i in known[np.argsort(self._power[known])[::-1][:HOT_HOPS]]]
        for i in hot:
            self._measure(i)
        for _ in range(min(HOPS_PER_READ, len(self.hops)) - len(hot)):
            if time.monotonic() - start > READ_BUDGET_S:
                break
            if self._next not in hot:
                self._measure(self._next)
            self._next = (self._next + 1) % len(self.hops)
        heard = self._power[np.isfinite(self._power)]
        return float(heard.max()) if heard.size else None


    def _measure(self, i: int) -> None:
        hop = self.hops[i]
        self.source.tune(hop.tune_hz, self.sample_rate, METER_GAIN_DB)
        self.source.read(SAMPLES_PER_HOP // 4)  # the retune's settling, thrown away
        self._power[i] = hop_power_dbfs(self.source.read(SAMPLES_PER_HOP))


def meter_bands(cfg, source) -> List:
    """The configured bands that ``source`` hears now, in config order: what NEXT steps
    through on the meter. Two receive paths: the bands of the paths fitted; one path: the
    bands through rf.front_end (a simulator hears every band)."""
    from sweeper.config import config_bands

    bands = config_bands(cfg)
    if source is None:
        return []
    if hasattr(source, "receive_paths"):
        return [b for b in bands if b.path in source.sources]
    return [b for b in bands if source.simulated or b.path == cfg.rf.front_end]
