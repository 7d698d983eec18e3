"""Analog video: an FM video sender found by the RF sweep (sweeper/rf/video.py says how).

A finding's frequency is its JSON ``freq_hz`` and its strength ``power_db``; its evidence
has ``standard`` (PAL/NTSC/SECAM/PAL-M or None), ``line_system``, ``snr_db`` and more
(rf/analysis.py writes them). It is keyed in baselines by frequency, like every RF
emitter, so last week's sender matches this week's; it is located by the power the
tuner hears at its frequency.
"""
from __future__ import annotations

from typing import Dict, List

import numpy as np

from sweeper.confirm.live import Confirmer
from sweeper.findings import Finding
from sweeper.kinds import Kind

TYPE = "analog_video"
#: locate: a fixed tuner gain, and the power (dBFS) shown as far (0) and close (1)
LOCATE_GAIN_DB = 10.0
LOCATE_SAMPLES = 16384
#: confirm: a fixed mid gain (unless rf.gain_db fixes one), and samples read per poll
CONFIRM_GAIN_DB = 30.0
CONFIRM_READ_S = 0.1


def _mhz(hz) -> str:
    return "? MHz" if hz is None else f"{hz / 1e6:.1f} MHz"


def _db(value, unit: str = "dB") -> str:
    return "?" if value is None else f"{value:.0f} {unit}"


class AnalogVideo(Kind):
    type = TYPE
    label = "analog video"
    tag = "VIDEO"
    part = "RF"
    json_keys = {"freq_hz": "freq_hz", "strength_db": "power_db"}
    example = {"type": TYPE, "verdict": "CAMERA", "score": 0.93, "freq_hz": 5865e6, "standard": "PAL",
               "snr_db": 18.4, "power_db": -41.7, "channel_hz": 5865e6}

    def name(self, f: Finding) -> str:
        return f"analog video {_mhz(f.freq_hz)} {f.get('standard') or ''}".rstrip()

    def title(self, f: Finding) -> str:
        return _mhz(f.freq_hz)

    def what(self, f: Finding) -> str:
        std = f.get("standard")
        return f"analog video {std}" if std else "analog video"

    def details(self, f: Finding) -> List[str]:
        return [self.what(f), f"SNR {_db(f.get('snr_db'))}  pwr {_db(f.strength_db)}"]

    def describe(self, f: Finding) -> str:
        return "Analog video transmitter" + (f" ({f.get('standard')})" if f.get("standard") else "")

    def signal(self, f: Finding) -> str:
        if isinstance(f.get("snr_db"), (int, float)):
            return f"{f.get('snr_db'):.0f} dB over floor"
        return super().signal(f)

    def plain(self, f: Finding) -> str:
        std = f" ({f.get('standard')})" if f.get("standard") else ""
        if str(f.verdict) == "camera":
            return f"It broadcasts a live video picture{std} on {_mhz(f.freq_hz)}, the way wireless hidden cameras do."
        return (f"A radio signal on {_mhz(f.freq_hz)} has some of the structure of a video picture: it may be a "
                "camera or another transmitter.")

    def find_it(self, f: Finding) -> str:
        return (f"walk the room with the device's locate screen on this finding ({_mhz(f.freq_hz)}) and follow "
                "the rising signal; wireless cameras hide in smoke detectors, clocks, chargers, vents and picture "
                "frames, usually within a few metres")

    def key(self, f: Finding) -> str:
        from sweeper.venue.observations import rf_key

        return rf_key(TYPE, float(f.freq_hz))

    def observation(self, f: Finding, ident) -> dict:
        from sweeper.venue.observations import rf_observation

        return rf_observation(f.to_json(), str(f.verdict), TYPE)

    def locator(self, f: Finding, sources: Dict[str, object], cfg):
        return PowerMeter(f, sources, cfg)

    def confirmer(self, f: Finding, sources: Dict[str, object], cfg):
        return CarrierConfirmer(f, sources, cfg) if f.freq_hz else None

    def target(self, mac=None, channel=None, freq_hz=None):
        if freq_hz is None:
            return None
        return Finding.from_json({"type": TYPE, "verdict": "suspect", "freq_hz": float(freq_hz)})



class PowerMeter:
    """Locate by the power the tuner hears at the finding's frequency (through the
    band's downconverter, if any), at a fixed low gain: automatic gain would flatten the
    very change we follow, and close to the transmitter a high gain clips."""

    unit = "dBFS"

    def __init__(self, finding: Finding, sources: Dict[str, object], cfg):
        self.finding, self.sources, self.cfg = finding, sources, cfg
        self._tuned = False  # the first read retunes (a sweep may have moved the radio)

    def read(self) -> float:
        from sweeper.errors import HardwareError

        src = self.sources.get("RF")
        if src is None:
            raise HardwareError("the RTL-SDR is not available")
        if not self._tuned:
            self._tune(src)
            self._tuned = True
        x = src.read(LOCATE_SAMPLES)
        return float(10 * np.log10(np.mean(np.abs(x) ** 2) + 1e-12))

    def _tune(self, src) -> None:
        self.tune(src, LOCATE_GAIN_DB)

    def tune(self, src, gain_db: float) -> None:
        """Tune to the finding's carrier through its band's converter, at ``gain_db``."""
        from sweeper.config import config_bands

        freq = float(self.finding.freq_hz)
        band = next((b for b in config_bands(self.cfg) if b.start_hz <= freq <= b.stop_hz), None)
        dc = band.downconverter if band is not None else None
        if hasattr(src, "set_downconverter"):
            src.set_downconverter(dc)
        if band is not None:
            src.select_path(band.path)  # a device with two receive paths: the one that hears it
        tune_hz = dc.rf_to_if(freq) if dc is not None else freq
        src.tune(tune_hz, self.cfg.rf.sample_rate, gain_db)


class CarrierConfirmer(Confirmer):
    """Confirm by the FM picture signal of the finding's carrier, the dongle tuned to it
    (through its band's converter) at a fixed gain: the in-window power is one of the
    features, and automatic gain would flatten it. Samples counted are the clock."""

    def __init__(self, finding: Finding, sources: Dict[str, object], cfg):
        self.finding, self.sources, self.cfg = finding, sources, cfg
        self._stream = None

    def _source(self):
        from sweeper.errors import HardwareError

        src = self.sources.get("RF")
        if src is None:
            raise HardwareError("the RTL-SDR is not available")
        return src

    def start(self, schedule) -> None:
        from sweeper.confirm.fm_response import FmResponseStream
        from sweeper.confirm.live import shifted

        src = self._source()
        meter = PowerMeter(self.finding, self.sources, self.cfg)
        gain = self.cfg.rf.tuner_gain_db
        meter.tune(src, CONFIRM_GAIN_DB if gain is None else gain)
        rate = self.cfg.rf.sample_rate
        self._stream = FmResponseStream(rate, 0.0)
        self._read = int(round(CONFIRM_READ_S * rate))
        if hasattr(src, "set_stimulus"):  # a simulated room: its cameras see the schedule
            src.set_stimulus(shifted(schedule, getattr(src, "clock", 0.0)))

    def poll(self, max_s: float = CONFIRM_READ_S) -> float:
        n = max(1, min(self._read, int(max_s * self.cfg.rf.sample_rate)))
        self._stream.add(self._source().read(n))
        return self._stream.seconds_read

    def response(self):
        return self._stream.response()

    def close(self) -> None:
        src = self.sources.get("RF")
        if src is not None and hasattr(src, "set_stimulus"):
            src.set_stimulus(None)


KIND = AnalogVideo()
