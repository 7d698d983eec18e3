"""Analog video sender channels, to name the channel a finding is on and to place the
simulator's cameras (docs/RADIO.md says where the tables come from).

An FM video signal's measured centre moves with the picture's brightness (the
carrier deviates by MHz), so the nearest channel within CHANNEL_TOLERANCE_HZ is a
better answer to "which receiver setting shows this camera" than the raw centroid.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

MHZ = 1e6
#: band -> channels (MHz), in the order the VTX tables list them (band letters A, B, E,
#: F and Race at 5.8 GHz). The simulator draws from these; the order is part of its
#: seeded draws.
VIDEO_CHANNELS_MHZ = {
    "900": [910, 920, 930, 940, 950, 960],
    "1.2": [1080, 1120, 1160, 1200, 1240, 1258, 1280, 1320, 1360],
    "2.4": [2414, 2432, 2450, 2468, 2411, 2433, 2453, 2473, 2370, 2390, 2410, 2430, 2470, 2490, 2510],
    "3.3": list(range(3170, 3311, 20)) + list(range(3330, 3471, 20)),
    "5.8": [5865, 5845, 5825, 5805, 5785, 5765, 5745, 5725, 5733, 5752, 5771, 5790, 5809, 5828, 5847, 5866,
            5705, 5685, 5665, 5645, 5885, 5905, 5925, 5945] + list(range(5740, 5881, 20))
           + [5658 + 37 * k for k in range(8)],
}
#: bands whose channels a finding is named by (900 MHz has no primary source: its
#: senders are commonly quoted at 910-960 MHz, so the simulator places some there)
NAMED_BANDS = ("1.2", "2.4", "3.3", "5.8")
CHANNELS_HZ = np.array(sorted({f * MHZ for band in NAMED_BANDS for f in VIDEO_CHANNELS_MHZ[band]}))
CHANNEL_TOLERANCE_HZ = 6e6


def nearest_channel(freq_hz: float) -> Optional[float]:
    """The known VTX channel nearest ``freq_hz`` if within tolerance, else None."""
    i = int(np.argmin(np.abs(CHANNELS_HZ - freq_hz)))
    return float(CHANNELS_HZ[i]) if abs(CHANNELS_HZ[i] - freq_hz) <= CHANNEL_TOLERANCE_HZ else None
