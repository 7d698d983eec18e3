"""Band plans: which RF ranges to sweep, through which downconverter, in which hops.

Pure functions and frozen dataclasses; no hardware. An RTL-SDR tunes roughly
24-1766 MHz, so 2.4 GHz and 5.8 GHz reach it through a downconverter whose local
oscillator (LO) shifts them to an intermediate frequency (IF). With the LO below the
signal (low-side injection) IF = RF - LO and the spectrum keeps its orientation; with
the LO above (high-side) IF = LO - RF and the spectrum is mirrored, so a signal above
the hop's centre in RF appears below it at IF.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from sweeper.errors import ConfigError, HardwareError

MHZ = 1e6


@dataclass(frozen=True)
class Downconverter:
    """A mixer in front of the dongle: ``lo_hz`` and ``injection`` ("low" or "high")."""

    lo_hz: float
    injection: str = "low"

    def __post_init__(self):
        if self.injection not in ("low", "high"):
            raise ConfigError(f"downconverter injection must be 'low' or 'high', not {self.injection!r}")
        if not self.lo_hz > 0:
            raise ConfigError(f"downconverter LO must be a positive frequency, not {self.lo_hz!r}")

    @property
    def inverted(self) -> bool:
        """High-side injection mirrors the spectrum."""
        return self.injection == "high"

    def rf_to_if(self, rf_hz: float) -> float:
        return self.lo_hz - rf_hz if self.inverted else rf_hz - self.lo_hz

    def if_to_rf(self, if_hz: float) -> float:
        return self.lo_hz - if_hz if self.inverted else if_hz + self.lo_hz


@dataclass(frozen=True)
class Band:
    """An RF range to sweep, and the downconverter (if any) that brings it in range."""

    name: str
    start_hz: float
    stop_hz: float
    downconverter: Optional[Downconverter] = None
    #: the receive path that hears it: "direct" (an antenna on the dongle) or the name
    #: of the downconverter that must be in line (rf.front_end says which one is)
    path: str = "direct"

    def __post_init__(self):
        if not (0 < self.start_hz < self.stop_hz):
            raise ConfigError(
                f"band {self.name!r}: start ({self.start_hz / MHZ:g} MHz) must be below stop "
                f"({self.stop_hz / MHZ:g} MHz) and both positive"
            )

    def if_range(self) -> Tuple[float, float]:
        """The band as the tuner sees it (sorted low, high)."""
        if self.downconverter is None:
            return self.start_hz, self.stop_hz
        a = self.downconverter.rf_to_if(self.start_hz)
        b = self.downconverter.rf_to_if(self.stop_hz)
        return min(a, b), max(a, b)


#: Built-in band names -> (start, stop) in Hz and whether an RTL-SDR needs a converter.
#: Edges cover the channel tables (sweeper/rf/channels.py) plus half a video channel.
BUILTIN_BANDS = {
    "900MHz": (900 * MHZ, 1000 * MHZ, False),
    "1.2GHz": (1040 * MHZ, 1400 * MHZ, False),
    "2.4GHz": (2350 * MHZ, 2530 * MHZ, True),
    "5.8GHz": (5630 * MHZ, 5970 * MHZ, True),
}


@dataclass(frozen=True)
class Hop:
    """One retune of a sweep.

    ``tune_hz`` is what the tuner is set to (IF when a converter is in front).
    ``rf_lo_hz``..``rf_hi_hz`` is the cropped slice of RF whose spectrum this hop
    contributes; its edges are thrown away because the dongle's anti-alias filter
    rolls off there.
    """

    index: int
    band: Band
    tune_hz: float
    rf_center_hz: float
    rf_lo_hz: float
    rf_hi_hz: float
    sample_rate: float

    @property
    def inverted(self) -> bool:
        return self.band.downconverter is not None and self.band.downconverter.inverted

    def baseband_to_rf(self, offset_hz):
        """Map a baseband offset (Hz from the tuned centre; scalar or array) to RF."""
        return self.rf_center_hz - offset_hz if self.inverted else self.rf_center_hz + offset_hz


def plan_hops(
    band: Band,
    sample_rate: float,
    crop: float = 0.25,
    tuner_range: Optional[Tuple[float, float]] = None,
    first_index: int = 0,
) -> List[Hop]:
    """Cover ``band`` with evenly spaced hops, keeping the middle ``1 - crop`` of each.

    Like rtl_power: each hop's usable width is ``sample_rate * (1 - crop)``; the hop
    count is the fewest that cover the band, and the centres are spread evenly so the
    kept slices tile it exactly. Raises :class:`HardwareError` when the band (at IF)
    lies outside ``tuner_range``.
    """
    if not 0.0 <= crop < 0.9:
        raise ConfigError(f"crop must be in [0, 0.9), not {crop!r}")
    usable = sample_rate * (1.0 - crop)
    span = band.stop_hz - band.start_hz
    count = max(1, math.ceil(span / usable - 1e-9))
    step = span / count
    if tuner_range is not None:
        lo, hi = band.if_range()
        tmin, tmax = tuner_range
        if lo - sample_rate / 2 < tmin - sample_rate / 2 or hi > tmax + sample_rate / 2:
            where = "" if band.downconverter is None else (
                f" (IF {lo / MHZ:g}-{hi / MHZ:g} MHz through the "
                f"{band.downconverter.lo_hz / MHZ:g} MHz {band.downconverter.injection}-side converter)"
            )
            fix = (
                "put a downconverter in front of the dongle and configure it under rf.downconverters"
                if band.downconverter is None
                else "check the converter's LO frequency and injection side in the config"
            )
            raise HardwareError(
                f"band {band.name} ({band.start_hz / MHZ:g}-{band.stop_hz / MHZ:g} MHz){where} is outside "
                f"the tuner's range {tmin / MHZ:g}-{tmax / MHZ:g} MHz: {fix}"
            )
    hops = []
    for k in range(count):
        rf_lo = band.start_hz + k * step
        rf_hi = rf_lo + step
        rf_center = (rf_lo + rf_hi) / 2
        tune = rf_center if band.downconverter is None else band.downconverter.rf_to_if(rf_center)
        hops.append(Hop(first_index + k, band, tune, rf_center, rf_lo, rf_hi, sample_rate))
    return hops


def plan_sweep(bands: Sequence[Band], sample_rate: float, crop: float = 0.25,
               tuner_range: Optional[Tuple[float, float]] = None) -> List[Hop]:
    """Hops for several bands in order, indexed continuously."""
    hops: List[Hop] = []
    for band in bands:
        hops.extend(plan_hops(band, sample_rate, crop, tuner_range, first_index=len(hops)))
    return hops
