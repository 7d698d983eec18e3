"""Known analog video transmitter channels (shared/FIELD-NOTES.md, from public
flight-controller VTX tables), to name the channel a finding is on.

An FM video signal's measured centre moves with the picture's brightness (the
carrier deviates by MHz), so the nearest channel within CHANNEL_TOLERANCE_HZ is a
better answer to "which receiver setting shows this camera" than the raw centroid.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

MHZ = 1e6
_TABLES = {
    "1.2/1.3 GHz": [1080, 1120, 1160, 1200, 1240, 1258, 1280, 1320, 1360],
    "2.4 GHz": [2370, 2390, 2410, 2411, 2414, 2430, 2432, 2433, 2450, 2453, 2468, 2470, 2473, 2490, 2510],
    "5.8 GHz": [5645, 5658, 5665, 5685, 5695, 5705, 5725, 5732, 5733, 5740, 5745, 5752, 5760, 5765, 5769,
                5771, 5780, 5785, 5790, 5800, 5805, 5806, 5809, 5820, 5825, 5828, 5840, 5843, 5845, 5847,
                5860, 5865, 5866, 5880, 5885, 5905, 5917, 5925, 5945],
}
CHANNELS_HZ = np.array(sorted(f * MHZ for fs in _TABLES.values() for f in fs))
CHANNEL_TOLERANCE_HZ = 6e6


def nearest_channel(freq_hz: float) -> Optional[float]:
    """The known VTX channel nearest ``freq_hz`` if within tolerance, else None."""
    i = int(np.argmin(np.abs(CHANNELS_HZ - freq_hz)))
    return float(CHANNELS_HZ[i]) if abs(CHANNELS_HZ[i] - freq_hz) <= CHANNEL_TOLERANCE_HZ else None
