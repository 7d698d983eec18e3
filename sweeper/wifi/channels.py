"""Wi-Fi channel numbers and centre frequencies (IEEE 802.11, 2.4 and 5 GHz bands)."""
from __future__ import annotations

from typing import Optional

CHANNELS_24 = tuple(range(1, 15))
#: 20 MHz channels in the 5 GHz band (UNII-1..3 plus 165-177)
CHANNELS_5 = (36, 40, 44, 48, 52, 56, 60, 64, 100, 104, 108, 112, 116, 120, 124, 128, 132,
              136, 140, 144, 149, 153, 157, 161, 165, 169, 173, 177)


def channel_to_mhz(channel: int) -> int:
    """Centre frequency of a channel; ValueError for a number that is not a channel."""
    if channel == 14:
        return 2484
    if 1 <= channel <= 13:
        return 2407 + 5 * channel
    if channel in CHANNELS_5:
        return 5000 + 5 * channel
    raise ValueError(f"{channel} is not a 2.4 or 5 GHz Wi-Fi channel")


def mhz_to_channel(mhz: int) -> Optional[int]:
    """Channel number for a centre frequency, or None when it is not one."""
    mhz = int(mhz)
    if mhz == 2484:
        return 14
    if 2412 <= mhz <= 2472 and (mhz - 2407) % 5 == 0:
        return (mhz - 2407) // 5
    if 5000 < mhz < 5900 and mhz % 5 == 0 and (mhz - 5000) // 5 in CHANNELS_5:
        return (mhz - 5000) // 5
    return None
