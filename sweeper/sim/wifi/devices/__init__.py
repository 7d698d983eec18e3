"""Simulated Wi-Fi device kinds behind one explicit registry (like the RF emitters').

``DEVICES[kind]`` is the class; ``cls.random_params(rng)`` draws parameters over the
range real devices of that kind cover, ``cls(params, mac=..., bss=..., rssi_dbm=...)``
builds one, and ``device.generate(t0, t1, rng)`` returns its frames over consecutive
spans. ``cls.is_camera`` is the label (``cls.is_video``: live video going up, a camera's
or a phone live-streaming). ``random_params(rng, ranges="test")`` draws from the shifted,
wider test ranges. See each module for what it models.
"""
from __future__ import annotations

from typing import Dict, Type

from sweeper.sim.wifi.devices.access_point import AccessPoint
from sweeper.sim.wifi.devices.base import Bss, SimDevice, Param, ParamError
from sweeper.sim.wifi.devices.browsing import Browsing
from sweeper.sim.wifi.devices.bulk_upload import BulkUpload
from sweeper.sim.wifi.devices.camera import Camera
from sweeper.sim.wifi.devices.download import Download
from sweeper.sim.wifi.devices.iot_keepalive import IotKeepalive
from sweeper.sim.wifi.devices.iot_tls_burst import IotTlsBurst
from sweeper.sim.wifi.devices.live_stream import LiveStream
from sweeper.sim.wifi.devices.phone_idle import PhoneIdle
from sweeper.sim.wifi.devices.photo_backup import PhotoBackup
from sweeper.sim.wifi.devices.video_call import VideoCall
from sweeper.sim.wifi.devices.video_stream import VideoStream

DEVICES: Dict[str, Type[SimDevice]] = {
    Camera.kind: Camera,
    VideoCall.kind: VideoCall,
    BulkUpload.kind: BulkUpload,
    VideoStream.kind: VideoStream,
    Browsing.kind: Browsing,
    IotKeepalive.kind: IotKeepalive,
    AccessPoint.kind: AccessPoint,
    PhoneIdle.kind: PhoneIdle,
    PhotoBackup.kind: PhotoBackup,
    IotTlsBurst.kind: IotTlsBurst,
    Download.kind: Download,
    LiveStream.kind: LiveStream,
}

#: kinds that are not cameras (the detector must stay quiet on them)
NEGATIVE_KINDS = tuple(k for k, c in DEVICES.items() if not c.is_camera)

__all__ = ["DEVICES", "NEGATIVE_KINDS", "SimDevice", "Bss", "Param", "ParamError"]
