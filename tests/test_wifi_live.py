"""The live path for real: frames written into one end of a veth pair are captured by
the AF_PACKET loop on the other end and classified as they arrive.

Frames are played in real time (their simulated timestamps become wall-clock send
times), because the kernel stamps them on arrival and burst timing is one of the cues.
"""
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.room import DeviceSpec, WifiScene, random_room
from sweeper.sim.wifi.devices import DEVICES
from sweeper.wifi.engine import WifiSweep

from test_wifi_capture import _ip, veth  # noqa: F401 (the fixture)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAY_S = 4.5


def _room(seed):
    """Access points, a bulk upload and a video call (hard negatives), and one camera."""
    rng = np.random.default_rng(seed)
    room = random_room(rng, camera=False, n_negatives=1, kinds=["bulk_upload"], max_start_s=0.5)
    ap = next(i for i, d in enumerate(room.devices) if d.kind == "access_point")
    channel = room.devices[ap].channel
    room = WifiScene([d if d.kind == "access_point" else DeviceSpec(
        d.kind, d.params, d.mac, channel, d.rssi_dbm, d.name, ap=ap) for d in room.devices], room.capture)
    call = DEVICES["video_call"]
    p = call.random_params(rng)
    p.update(start_s=0.0, stop_s=-1.0)
    room.devices.append(DeviceSpec("video_call", call.check_params(p), E.random_device_mac(rng, "phone", 0.8),
                                   channel, -60.0, "video call", ap=ap))
    cls = DEVICES["camera"]
    p = cls.random_params(rng)
    p.update(bitrate_bps=1.5e6, rc="cbr", start_s=0.0, stop_s=-1.0, delivery="live", mode="infra",
             pacing=0.0, transport="udp")
    cam = DeviceSpec("camera", cls.check_params(p), E.random_device_mac(rng, "camera", 0.0), channel,
                     -55.0, "camera", ap=ap)
    return WifiScene(room.devices + [cam], room.capture), cam.mac, channel, rng


def _play(veth, batch):
    """Send every record at its own time, relative to the first."""
    with veth.sender() as tx:
        t0, base = time.monotonic(), float(batch.ts[0])
        for i in range(len(batch)):
            delay = t0 + float(batch.ts[i]) - base - time.monotonic()
            if delay > 0.0005:
                time.sleep(delay)
            tx.send(batch.record(i))


def _mtu(veth, mtu=4000):
    """Room for whole 802.11 frames with radiotap (longer than Ethernet's 1514)."""
    assert _ip("link", "set", veth.outside, "mtu", str(mtu)).returncode == 0
    assert _ip("-n", veth.ns, "link", "set", veth.inside, "mtu", str(mtu)).returncode == 0


def test_live_capture_loop_classifies_a_camera_among_hard_negatives(veth):
    scene, cam_mac, channel, rng = _room(3)
    batch = scene.render(PLAY_S, rng, channel=channel)  # radiotap, whole frames
    _mtu(veth)
    source = veth.open_source(linktype=127, snaplen=256)
    sweep = WifiSweep(source, [channel], duration_s=PLAY_S + 1.0)
    result = {}
    reader = threading.Thread(target=lambda: result.update(sweep.run()))
    reader.start()
    try:
        _play(veth, batch)
    finally:
        reader.join(timeout=30)
        source.close()
    assert result, "the capture loop did not finish"
    flagged = {f["mac"]: f for f in result["findings"]}
    assert list(flagged) == [E.int_to_mac(cam_mac)], result["findings"]
    f = flagged[E.int_to_mac(cam_mac)]
    assert f["verdict"] == "camera" and f["channel"] == channel and f["rssi_dbm"] is not None
    assert result["frames"]["parsed"] >= 0.99 * len(batch)
    kinds = {E.int_to_mac(d.mac): d.kind for d in scene.devices}
    heard = {k for m, k in kinds.items() if m in {d["mac"] for d in result["devices"]}}
    assert {"bulk_upload", "video_call", "access_point"} <= heard  # seen, and judged not a camera


def test_wifi_command_on_a_wired_mirror_port(veth):
    """`sweeper wifi --wired IF` inside the namespace, fed Ethernet frames of the room."""
    scene, cam_mac, channel, rng = _room(12)
    batch = scene.render(PLAY_S, rng, linktype=1, channel=channel)
    cmd = ["ip", "netns", "exec", veth.ns, sys.executable, "-m", "sweeper", "wifi", "--wired", veth.inside,
           "--duration", str(PLAY_S + 2.5), "--json"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)  # the command opens its socket
    _play(veth, batch)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    rep = json.loads(out)
    assert rep["source"] == f"wired port {veth.inside}"
    assert [f["mac"] for f in rep["findings"]] == [E.int_to_mac(cam_mac)], rep["findings"]
    assert rep["findings"][0]["channel"] is None  # a wire has no radio channel
