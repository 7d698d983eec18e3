"""Simulated emitter kinds behind one explicit registry (like rtl_433's decoder list).

Each kind is one module; ``EMITTERS[kind].from_params(mapping)`` builds one from a
scene file's entry. See each class's fields for its parameters and units.
"""
from __future__ import annotations

from typing import Dict, Type

from sweeper.sim.emitters.analog_video import AnalogVideo
from sweeper.sim.emitters.base import SimEmitter, ParamError
from sweeper.sim.emitters.bluetooth import Bluetooth
from sweeper.sim.emitters.carrier import Carrier
from sweeper.sim.emitters.cofdm_video import CofdmVideo
from sweeper.sim.emitters.fm_broadcast import FmBroadcast
from sweeper.sim.emitters.gsm import Gsm
from sweeper.sim.emitters.microwave import Microwave
from sweeper.sim.emitters.noise_burst import NoiseBurst
from sweeper.sim.emitters.ofdm_broadcast import OfdmBroadcast
from sweeper.sim.emitters.switching_supply import SwitchingSupply
from sweeper.sim.emitters.wifi import Wifi

EMITTERS: Dict[str, Type[SimEmitter]] = {
    AnalogVideo.kind: AnalogVideo,
    Wifi.kind: Wifi,
    Bluetooth.kind: Bluetooth,
    Microwave.kind: Microwave,
    Carrier.kind: Carrier,
    FmBroadcast.kind: FmBroadcast,
    OfdmBroadcast.kind: OfdmBroadcast,
    CofdmVideo.kind: CofdmVideo,
    Gsm.kind: Gsm,
    NoiseBurst.kind: NoiseBurst,
    SwitchingSupply.kind: SwitchingSupply,
}

__all__ = ["EMITTERS", "SimEmitter", "ParamError"]
