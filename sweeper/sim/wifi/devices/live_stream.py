"""A phone live-streaming its own camera to a platform (not a hidden camera, but live video
going up: labelled ``video`` so tests can report it on its own).

The phone's hardware encoder codes 30 frames per second at a constant target bitrate
the streaming app chooses (1-6 Mbit/s), with a key frame every 1-4 s as the ingest
servers ask, and sends them by one of three ingest protocols:

* ``rtmp``: FLV over TCP (RTMPS over TLS on most platforms): each frame leaves as a burst
  of segments, held back a round trip when it outgrows the congestion window.
* ``srt``: MPEG-TS in SRT over UDP: seven 188-byte TS packets per datagram (1316 bytes of
  payload, 1360 IP bytes), paced by the SRT sender at about the input rate, with the
  receiver's ACKs and NAKs coming back every few packets.
* ``webrtc``: WHIP ingest, RTP over UDP in packets of about 1200 bytes, spread by the
  pacer, Opus audio at 48 kHz, transport feedback from the server.

The machinery is the camera's (frame timing, sizes, packetising, ACKs, RTP headers);
what differs is the device (a phone, randomised MAC), the rates and the protocols.
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from sweeper.sim.wifi.devices.base import Param, check_ranges, choice, logu, random_radio
from sweeper.sim.wifi.devices.camera import Camera


class LiveStream(Camera):
    """A phone streaming its camera live (see the module docstring)."""

    kind = "live_stream"
    is_camera = False
    is_video = True
    MAC_POOL = "phone"
    LOCAL_MAC_SHARE = 0.8
    KIND_PARAMS = {
        **Camera.KIND_PARAMS,
        "protocol": Param("rtmp", "ingest protocol: rtmp (TCP), srt (UDP) or webrtc (RTP over UDP)",
                          choices=("rtmp", "srt", "webrtc")),
    }

    @classmethod
    def owns_bss(cls, params: Dict[str, Any]) -> bool:
        return False

    @classmethod
    def random_params(cls, rng: np.random.Generator, ranges: str = "calibration") -> Dict[str, Any]:
        test = check_ranges(ranges) == "test"
        p = Camera.random_params(rng, ranges)
        p.update(random_radio(rng, rates=(65.0, 72.2, 130.0, 144.4, 173.3, 286.8, 433.3),
                              peer_rates=(65.0, 130.0, 173.3, 286.8, 433.3), retry_hi=0.08))
        proto = choice(rng, ["rtmp", "srt", "webrtc"], [0.45, 0.2, 0.35])
        udp = proto != "rtmp"
        start = 0.0 if rng.random() < 0.6 else float(rng.uniform(0.0, 30.0))
        p.update(
            protocol=proto,
            mode="infra",
            open_ap=False,
            delivery="live",
            codec=choice(rng, ["h264", "h265"], [0.8, 0.2]),
            bitrate_bps=logu(rng, 0.8e6, 8e6) if test else logu(rng, 1e6, 6e6),
            fps=float(choice(rng, [30.0, 30.0, 30.0, 29.97, 25.0, 60.0] if test else [30.0, 30.0, 30.0, 29.97])),
            gop_s=float(rng.uniform(0.5, 6.0) if test else choice(rng, [1.0, 2.0, 2.0, 2.0, 3.0, 4.0])),
            rc=choice(rng, ["cbr", "vbr"], [0.7, 0.3]),
            motion_share=float(rng.uniform(0.3, 1.0)),  # a hand-held phone: the picture keeps moving
            calm_level=float(rng.uniform(0.5, 0.9)),
            bframes=int(choice(rng, [0, 0, 0, 1])),
            transport="udp" if udp else "tcp",
            tls=bool(proto == "rtmp" and rng.random() < 0.6),
            rtp=proto == "webrtc",
            mtu=1360 if proto == "srt" else (int(rng.integers(1150, 1260)) if proto == "webrtc" else
                                            int(choice(rng, [1500, 1500, 1480, 1420, 1400]))),
            pacing=float(rng.uniform(0.7, 1.0)) if proto == "srt" else (
                float(rng.uniform(0.3, 0.8)) if proto == "webrtc" else (0.0 if rng.random() < 0.7 else
                                                                      float(rng.uniform(0.05, 0.3)))),
            udp_ack_every=int(rng.integers(4, 17)) if proto == "srt" else (
                int(rng.integers(10, 31)) if proto == "webrtc" else 0),
            rtt_ms=logu(rng, 2.0, 400.0) if test else logu(rng, 15.0, 200.0),
            audio=True,
            audio_interval_ms=20.0 if proto == "webrtc" else float(choice(rng, [21.33, 23.22, 20.0])),
            audio_bytes=int(rng.integers(80, 200)) if proto == "webrtc" else int(rng.integers(150, 400)),
            audio_clock_hz=48000,
            substream=False,
            stall_p=0.0 if rng.random() < 0.7 else float(rng.uniform(0.0, 0.02)),
            start_s=start,
            stop_s=-1.0 if rng.random() < 0.85 else start + logu(rng, 10.0, 300.0),
            keepalive_s=logu(rng, 60.0, 600.0),
            tid=int(choice(rng, [0, 0, 0, 5])),
        )
        return p

    def labels(self):
        out = super().labels()
        out[self.mac]["protocol"] = self.p["protocol"]
        return out
