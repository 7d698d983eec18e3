"""A Wi-Fi IP camera streaming video (the thing the sweeper hunts).

The encoder captures frames at ``fps`` (on the camera's own, slightly wrong clock; the
sending thread adds scheduling jitter and, now and then, a stall) and codes them with an
I-frame every ``gop_s`` seconds: I-frames are ``iratio`` times a P-frame (H.265 codes
P-frames more efficiently than H.264, so its ratio is higher). Constant-bitrate rate
control keeps frame sizes steady; variable bitrate follows the scene: still periods at
``calm_level`` of the cap, motion episodes near the cap. Every coded frame is handed to
the network at once and leaves as a burst of ``mtu``-sized IP packets with a partial
last one (RTP over UDP, or a TCP stream: RTSP interleaved, RTMP, HTTP-FLV or a vendor
protocol), optionally paced over part of the frame interval; over TCP a frame larger
than the congestion window waits a round trip per window. The far end answers: TCP ACKs
(every ``ack_every`` segments, delayed ACK after a burst), RTCP receiver reports for
RTP, or per-packet acknowledgements of the P2P protocols many cheap cameras use
(``udp_ack_every``). An audio track adds small packets every ``audio_interval_ms``; a
sub-stream adds a second, low-rate copy.

``mode: infra``: the camera is a station of the household access point (to-DS up,
ACKs from-DS from the Internet side). ``mode: ap``: it is its own hotspot, beacons every
102.4 ms, and the owner's phone joins it to watch (video from-DS to the phone).

The stream runs from ``start_s`` to ``stop_s``; outside it an infra camera only sends
cloud keepalives. ``delivery: clip`` cameras (battery models) do not stream but upload a
recorded clip over TCP when motion triggers them. ``delivery: motion`` cameras stream
live only while their motion detector fires: each motion event starts a live stream of
about ``motion_event_s`` seconds (the recording window plus post-roll), then the camera
falls back to keepalives for an idle gap of mean ``motion_gap_s``.

Encoders with B-frames (``bframes`` between reference frames) code a B-frame only after
the next reference frame it predicts from has been captured: the reference (I or P) is
coded and sent first, then the B-frames before it (decode order), so the stream runs
``bframes`` frame intervals late and B-frames, predicted from both sides, are smaller
(``bratio`` of a P-frame). GOPs are closed (the frame before each I-frame is a P-frame).
Cheap and battery cameras run long GOPs (up to 10 s) and low bitrates (a few hundred
kbit/s at 5-15 fps).

Over UDP the video is RTP (RTSP/RTP, cloud relays; ``rtp``) or a vendor's P2P framing.
RTP packets carry real header facts for the renderer (per-stream SSRC, sequence number
+1 per packet, 90 kHz timestamp of the frame's capture time, marker on a frame's last
packet; audio on its own SSRC and clock). Over TCP, cameras that push to a cloud relay
wrap the stream in TLS (``tls``): the application writes each frame as records of at
most ``tls_record`` bytes (+ header and tag), and every record is segmented on its own,
so each record boundary leaves a short remainder segment.

Why one module of over 400 lines: one camera: encoder (GOP, B-frames, rate control),
transports and delivery modes drive one packet schedule.
"""
from __future__ import annotations

import math
from typing import Any, Dict

import numpy as np

from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.devices.base import (F_ACKME, F_BURST_END, ME, PEER, SimDevice, Param, added_draws, check_ranges,
                                           choice, logu, packetise, random_radio)
from sweeper.sim.wifi.devices.flows import level_at, on_off, tcp_transfer
from sweeper.sim.wifi.devices.rtp import RtpStream

#: TLS 1.2 AES-GCM record overhead: 5-byte header, 8-byte explicit nonce, 16-byte tag
TLS_RECORD_OVERHEAD = 29
#: share of random cameras that barely react to what they see (response_gain 0.02-0.15)
WEAK_RESPONSE_SHARE = 0.1
#: vbr: bitrate in IR night mode as a share of a lit picture (grey, little colour detail)
NIGHT_LEVEL = 0.6

_SSID_STYLES = ("IPC-{h6}", "HDWIFICAM-{h4}", "MV{d8}", "LookCam_{h4}", "CAM-{h6}", "SmartLife-{h4}",
                "WIFICAM-{h4}", "DIRECT-{h2}-IPCAM", "{word}-{h4}", "Mini_{h6}")


class Camera(SimDevice):
    """A Wi-Fi camera streaming video (see the module docstring)."""

    kind = "camera"
    is_camera = True
    is_video = True
    MAC_POOL = "camera"
    SCENE_FILE_DEFAULTS = ("bframes", "bratio", "tls", "tls_record", "audio_clock_hz", "motion_event_s",
                           "motion_gap_s")
    KIND_PARAMS = {
        "mode": Param("infra", "infra: a station of an access point; ap: its own hotspot watched by a phone",
                      choices=("infra", "ap")),
        "open_ap": Param(False, "ap mode: the hotspot has no password (clear-text frames)"),
        "delivery": Param("live", "live: a continuous stream; clip: motion-triggered clip uploads; "
                                  "motion: live streams while motion events last", choices=("live", "clip", "motion")),
        "codec": Param("h264", "video codec (sets the typical I:P size ratio)", choices=("h264", "h265")),
        "bitrate_bps": Param(1.5e6, "CBR: the target bitrate; VBR: the cap", 2e4, 3e7),
        "fps": Param(15.0, "frames per second", 1.0, 60.0),
        "gop_s": Param(2.0, "I-frame interval", 0.04, 30.0),
        "iratio": Param(6.0, "I-frame size / P-frame size", 1.0, 60.0),
        "rc": Param("vbr", "rate control: cbr or vbr", choices=("cbr", "vbr")),
        "calm_level": Param(0.4, "vbr: bitrate of a still scene as a share of the cap", 0.02, 1.0),
        "motion_share": Param(0.2, "vbr: share of time with motion in view", 0.0, 1.0),
        "motion_episode_s": Param(8.0, "vbr: mean length of a motion episode", 0.2, 3600.0),
        "size_sigma": Param(0.15, "frame size scatter (log-normal sigma)", 0.0, 1.5),
        "jitter_ms": Param(1.0, "frame timing jitter (sender thread scheduling)", 0.0, 100.0),
        "stall_p": Param(0.0, "share of frames delayed by a stall (busy CPU, flash writes)", 0.0, 1.0),
        "stall_ms": Param(10.0, "mean delay of a stalled frame", 0.0, 1000.0),
        "clock_ppm": Param(0.0, "frame clock error", -5000.0, 5000.0),
        "drop_p": Param(0.0, "share of P-frames the encoder skips", 0.0, 0.5),
        "mtu": Param(1500, "IP MTU (full packets are this long)", 576, 1500),
        "transport": Param("tcp", "tcp (RTSP/RTMP/HTTP/vendor) or udp (RTP, P2P)", choices=("tcp", "udp")),
        "rtt_ms": Param(40.0, "round trip to the far end (cloud server, or the phone in ap mode)", 0.2, 2000.0),
        "ack_every": Param(2, "tcp: the receiver ACKs every this many segments", 1, 16),
        "cwnd_segs": Param(40, "tcp: segments per round trip a large frame is limited to", 2, 2000),
        "pacing": Param(0.0, "share of the frame interval a frame's packets are spread over (0: one burst)",
                        0.0, 1.0),
        "udp_ack_every": Param(0, "udp: the far end acknowledges every this many packets (0: RTCP only)", 0, 64),
        "audio": Param(False, "an audio track"),
        "audio_interval_ms": Param(40.0, "audio packet interval", 5.0, 500.0),
        "audio_bytes": Param(160, "audio payload bytes per packet", 8, 1400),
        "substream": Param(False, "a second low-rate stream (sub-stream for a phone app)"),
        "substream_bps": Param(3e5, "sub-stream bitrate", 1e4, 5e6),
        "start_s": Param(0.0, "when the stream starts (before it: idle keepalives)", 0.0, 1e7),
        "stop_s": Param(-1.0, "when the stream stops (-1: never)", -1.0, 1e7),
        "keepalive_s": Param(20.0, "idle: interval of cloud keepalives", 0.5, 7200.0),
        "tid": Param(0, "QoS TID of the video (0 best effort, 4/5 video)", 0, 7),
        "clip_s": Param(10.0, "clip: length of a recorded clip", 1.0, 600.0),
        "clip_gap_s": Param(120.0, "clip: mean time between motion triggers", 1.0, 1e6),
        "upload_bps": Param(2e6, "clip: upload throughput", 1e5, 1e8),
        "bframes": Param(0, "B-frames between reference frames (sent after the reference they precede)", 0, 3),
        "bratio": Param(0.5, "B-frame size / P-frame size", 0.05, 1.0),
        "tls": Param(False, "tcp: TLS records (a short remainder segment at each record boundary)"),
        "tls_record": Param(16384, "tls: largest record plaintext the application writes", 256, 16384),
        "rtp": Param(True, "udp: RTP (RTSP over UDP, RTP relays); false: a vendor P2P framing"),
        "audio_clock_hz": Param(8000, "audio RTP clock (8000 G.711, 16000 AAC, 48000 Opus/AAC)",
                                choices=(8000, 16000, 48000)),
        "motion_event_s": Param(17.5, "motion: mean live-stream length per motion event (+-33%)", 1.0, 3600.0),
        "motion_gap_s": Param(60.0, "motion: mean idle time between motion events", 0.5, 1e6),
        # how it reacts to the room it sees (the stimulus of a confirmation)
        "sees_room": Param(True, "it sees the room the stimulus is made in (false: next door, in a drawer, "
                                 "facing a wall)"),
        "response_gain": Param(0.6, "vbr: how far its bitrate follows what it sees (0 not at all .. 1 fully)",
                               0.0, 1.0),
        "response_delay_s": Param(0.2, "encoder and rate-control delay before its frames follow the picture",
                                  0.0, 3.0),
        "dark_level": Param(0.35, "vbr: bitrate of a dark picture as a share of a lit one (above 1: a noisy "
                                  "picture at high gain)", 0.05, 3.0),
        "scene_cut_p": Param(0.8, "chance its encoder starts an I-frame at a scene cut (a light switched)",
                             0.0, 1.0),
        "change_boost": Param(2.0, "the first frame after a change of the picture is (1 + this x response_gain) "
                                   "times its usual size", 0.0, 10.0),
        "night_mode_s": Param(-1.0, "seconds of dark before it switches to IR night mode (an I-frame, then a "
                                    "grey picture; -1: never)", -1.0, 60.0),
    }

    @classmethod
    def owns_bss(cls, params: Dict[str, Any]) -> bool:
        return params.get("mode") == "ap"

    @classmethod
    def random_params(cls, rng: np.random.Generator, ranges: str = "calibration") -> Dict[str, Any]:
        test = check_ranges(ranges) == "test"
        p = random_radio(rng, rates=(13.0, 19.5, 26.0, 39.0, 52.0, 58.5, 65.0, 72.2, 72.2, 150.0),
                         peer_rates=(52.0, 65.0, 72.2, 130.0, 144.4), retry_hi=0.10)
        mode = "ap" if rng.random() < 0.3 else "infra"
        codec = choice(rng, ["h264", "h265"], [0.6, 0.4])
        bitrate = logu(rng, 0.2e6, 8e6)
        # a camera whose link cannot carry its stream is re-aimed or turned down by its owner
        fast = [r for r in (13.0, 19.5, 26.0, 39.0, 52.0, 58.5, 65.0, 72.2, 150.0) if r >= 4 * bitrate / 1e6]
        if p["phy_rate_mbps"] < 4 * bitrate / 1e6:
            p["phy_rate_mbps"] = float(choice(rng, fast)) if fast else 150.0
        transport = "udp" if rng.random() < 0.45 else "tcp"
        start = 0.0 if rng.random() < 0.5 else float(rng.uniform(0.0, 60.0))
        stop = -1.0 if rng.random() < 0.8 else start + logu(rng, 10.0, 300.0)
        p.update(
            mode=mode,
            open_ap=bool(mode == "ap" and rng.random() < 0.4),
            delivery="clip" if rng.random() < 0.08 else "live",
            codec=codec,
            bitrate_bps=bitrate,
            fps=float(choice(rng, [10.0, 12.0, 12.5, 15.0, 15.0, 20.0, 20.0, 25.0, 25.0, 29.97, 30.0, 30.0])),
            gop_s=logu(rng, 0.25, 4.0),
            iratio=float(rng.uniform(3.0, 10.0) if codec == "h264" else rng.uniform(5.0, 16.0)),
            rc=choice(rng, ["cbr", "vbr"], [0.4, 0.6]),
            calm_level=float(rng.uniform(0.15, 0.7)),
            motion_share=float(rng.uniform(0.0, 0.6)),
            motion_episode_s=logu(rng, 2.0, 30.0),
            size_sigma=float(rng.uniform(0.05, 0.35)),
            jitter_ms=logu(rng, 0.1, 3.0),
            stall_p=0.0 if rng.random() < 0.4 else float(rng.uniform(0.0, 0.05)),
            stall_ms=logu(rng, 5.0, 30.0),
            clock_ppm=float(rng.uniform(-500.0, 500.0)),
            drop_p=0.0 if rng.random() < 0.7 else float(rng.uniform(0.0, 0.02)),
            mtu=int(choice(rng, [1500, 1500, 1500, 1492, 1480, 1460, 1440, 1400, 1360, 1280, 1200])),
            transport=transport,
            rtt_ms=logu(rng, 1.0, 20.0) if mode == "ap" else logu(rng, 5.0, 250.0),
            ack_every=int(choice(rng, [1, 2, 2, 2])),
            cwnd_segs=int(logu(rng, 10, 120)),
            pacing=0.0 if rng.random() < 0.8 else float(rng.uniform(0.1, 0.6)),
            udp_ack_every=0 if rng.random() < 0.6 else int(rng.integers(1, 9)),
            audio=bool(rng.random() < 0.5),
            audio_interval_ms=float(choice(rng, [20.0, 20.0, 40.0, 64.0, 128.0])),
            audio_bytes=int(rng.integers(60, 400)),
            substream=bool(rng.random() < 0.2),
            substream_bps=logu(rng, 0.1e6, 0.6e6),
            start_s=start,
            stop_s=stop,
            keepalive_s=logu(rng, 5.0, 60.0),
            tid=int(choice(rng, [0, 0, 0, 0, 5, 4])),
            clip_s=float(rng.uniform(5.0, 30.0)),
            clip_gap_s=logu(rng, 20.0, 600.0),
            upload_bps=logu(rng, 1e6, 6e6),
        )
        # later additions, from a child stream: the original draws keep their values
        x = added_draws(rng)
        low = x.random() < 0.3  # cheap / battery cameras: a few hundred kbit/s at low frame rates
        p.update(
            bframes=int(choice(x, [0, 0, 0, 0, 0, 0, 1, 2, 2, 3])),
            bratio=float(x.uniform(0.3, 0.7)),
            tls=bool(transport == "tcp" and mode == "infra" and x.random() < 0.4),
            tls_record=int(choice(x, [16384, 16384, 16384, 8192, 4096, 2048])),
            rtp=bool(x.random() < 0.5),
            audio_clock_hz=int(choice(x, [8000, 8000, 16000, 48000])),
            motion_event_s=float(x.uniform(12.0, 19.0)),
            motion_gap_s=logu(x, 15.0, 300.0),
        )
        # how it reacts to the room (a third child stream: the draws above keep their values)
        # (WEAK_RESPONSE_SHARE of them barely respond: heavy noise reduction, a fixed
        # exposure, a picture that is mostly a bright window)
        r = added_draws(rng)
        weak = r.random() < WEAK_RESPONSE_SHARE
        p.update(
            sees_room=bool(r.random() < 0.7),  # the rest: next door, in a drawer, facing a wall
            response_gain=float(r.uniform(0.02, 0.15)) if weak else float(r.uniform(0.5, 1.0) if not test
                                                                          else r.uniform(0.4, 1.0)),
            response_delay_s=float(r.uniform(0.05, 0.8) if not test else r.uniform(0.0, 1.5)),
            dark_level=float(r.uniform(0.1, 0.6) if not test else r.uniform(0.05, 0.7)) if r.random() < 0.8
            else float(r.uniform(1.4, 2.5)),
            scene_cut_p=float(r.uniform(0.5, 1.0)) if r.random() < 0.8 else float(r.uniform(0.0, 0.3)),
            night_mode_s=-1.0 if r.random() < 0.6 else float(r.uniform(2.0, 10.0)),
            # tight-buffer CBR encoders hold every frame near its budget
            change_boost=float(r.uniform(0.5, 4.0)) if p["rc"] == "vbr" or r.random() < 0.6
            else float(r.uniform(0.0, 0.3)),
        )
        if p["delivery"] == "live" and mode == "infra" and x.random() < 0.15:
            p["delivery"] = "motion"
        if low:
            p["bitrate_bps"] = logu(x, 0.12e6 if test else 0.15e6, 0.4e6)
            p["fps"] = float(choice(x, [5.0, 6.0, 8.0, 10.0, 10.0, 12.0, 12.5, 15.0, 15.0]))
        if x.random() < 0.25:
            p["gop_s"] = logu(x, 4.0, 12.0 if test else 10.0)
        if test:
            # a shifted, wider test range: bitrates 0.12-12 Mbit/s, 5-30 fps, round trips 2-400 ms
            if not low:
                p["bitrate_bps"] = logu(x, 0.3e6, 12e6)
                p["fps"] = float(choice(x, [5.0, 7.5, 8.0, 10.0, 12.0, 15.0, 18.0, 20.0, 24.0, 25.0, 29.97, 30.0]))
            p["rtt_ms"] = logu(x, 1.0, 40.0) if mode == "ap" else logu(x, 2.0, 400.0)
            p["gop_s"] = p["gop_s"] if p["gop_s"] > 4.0 else logu(x, 0.2, 4.0)
            p["jitter_ms"] = logu(x, 0.05, 10.0)
            p["pacing"] = 0.0 if x.random() < 0.7 else float(x.uniform(0.05, 0.9))
            p["size_sigma"] = float(x.uniform(0.03, 0.5))
            p["bratio"] = float(x.uniform(0.2, 0.8))
            p["iratio"] = float(x.uniform(2.0, 20.0))
            p["motion_event_s"] = float(x.uniform(8.0, 30.0))
            p["cwnd_segs"] = int(logu(x, 6, 200))
            p["audio_interval_ms"] = float(choice(x, [10.0, 20.0, 32.0, 40.0, 64.0, 128.0]))
        fast = [r for r in (13.0, 19.5, 26.0, 39.0, 52.0, 58.5, 65.0, 72.2, 150.0) if r >= 4 * p["bitrate_bps"] / 1e6]
        if p["phy_rate_mbps"] < 4 * p["bitrate_bps"] / 1e6:
            p["phy_rate_mbps"] = float(choice(x, fast)) if fast else 150.0
        return p

    def default_ssid(self, rng: np.random.Generator) -> str:
        style = choice(rng, _SSID_STYLES)
        return style.format(h2="%02X" % int(rng.integers(0, 256)), h4="%04X" % int(rng.integers(0, 1 << 16)),
                            h6="%06X" % int(rng.integers(0, 1 << 24)), d8="%08d" % int(rng.integers(0, 10 ** 8)),
                            word=choice(rng, ["Camera", "IPCAM", "WiFi_Cam", "HD_Cam", "Spy", "Clock"]))

    def labels(self):
        out = super().labels()
        p = self.p
        out[self.mac].update(delivery=p["delivery"], bitrate_bps=p["bitrate_bps"], fps=p["fps"],
                             transport=p["transport"], rtp=bool(self._rtp), tls=bool(self._tls),
                             bframes=p["bframes"])
        if self.ap_mode:
            out[self.peer] = {"kind": "camera_viewer", "camera": False, "video": False, "name": f"{self.name} viewer",
                              "channel": self.channel}
        return out

    # ---- set-up -------------------------------------------------------------------------
    def _setup(self) -> None:
        p = self.p
        if self.ap_mode:
            self.bss.protected = not p["open_ap"]
            self.bss.wired = False  # a hotspot of its own: nothing reaches the LAN
            self.bss.ie_bytes = int(np.random.default_rng(self.mac & 0xFFFFFFFF).integers(0, 60))
        self._T = (1.0 / p["fps"]) * (1.0 + p["clock_ppm"] * 1e-6)
        self._gop = max(1, int(round(p["gop_s"] * p["fps"])))
        self._udp = p["transport"] == "udp"
        self._hdr = 42 if self._udp else 52
        self._stop = p["stop_s"] if p["stop_s"] >= 0 else math.inf
        self._tls = bool(p["tls"] and not self._udp)
        self._rtp = bool(p["rtp"] and self._udp)
        # RTP stream state from its own generator (the traffic draws stay as they were)
        r = np.random.default_rng([self.mac & 0xFFFFFFFF, 0x52545020])
        self._rtp_video = [RtpStream(r), RtpStream(r)]  # main stream, sub-stream
        self._rtp_audio = RtpStream(r, p["audio_clock_hz"], pt=8 if p["audio_clock_hz"] == 8000 else 0)
        self._ticks = 90000.0 / p["fps"]  # RTP video clock ticks per frame
        # B-frame pattern of one GOP: reference frames every bframes + 1, and the last frame
        N, nb = self._gop, int(p["bframes"])
        pos = np.arange(N)
        self._anchor = ((pos % (nb + 1)) == 0) | (pos == N - 1)

    def _start(self, t0: float, rng: np.random.Generator) -> None:
        p = self.p
        start = p["start_s"]
        self._k = max(0, int(math.ceil((t0 - start) / self._T - 1e-9)))
        self._am = max(0, int(math.ceil((t0 - start) / (p["audio_interval_ms"] * 1e-3) - 1e-9)))
        self._motion = bool(rng.random() < p["motion_share"])
        on = p["motion_episode_s"]
        off = on * (1.0 - p["motion_share"]) / max(p["motion_share"], 1e-6)
        self._mean_on, self._mean_off = on, min(off, 1e7)
        self._motion_until = t0 + rng.exponential(self._mean_on if self._motion else self._mean_off)
        self._motion_gain = float(rng.uniform(0.75, 1.0))
        self._next_ka = t0 + rng.uniform(0.0, p["keepalive_s"])
        self._next_rtcp = [t0 + rng.uniform(0, 5.0), t0 + rng.uniform(0, 5.0)]
        self._next_clip = max(t0, start) + rng.exponential(p["clip_gap_s"])
        bi = self.bss.beacon_interval_tu * 1.024e-3
        self._bphase = float(rng.uniform(0, bi))
        self._bk = max(0, int(math.ceil((t0 - self._bphase) / bi)))
        if p["delivery"] == "motion":
            s = max(t0, start) + rng.uniform(0.0, min(p["motion_gap_s"], 10.0))
            self._event = (s, s + p["motion_event_s"] * rng.uniform(0.67, 1.33))
            self._event_new = True

    # ---- timing of the far end ----------------------------------------------------------
    def _ack_delay(self, side: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if side == ME:  # the viewer/cloud acknowledges the camera's data after a round trip
            rtt = self.p["rtt_ms"] * 1e-3
            return rtt * (0.9 + rng.exponential(0.15, n))
        return 0.0002 + rng.exponential(0.001, n)

    def _ack_every(self) -> int:
        return int(self.p["udp_ack_every"] if self._udp else self.p["ack_every"])

    def _tcp_acks(self, side, rec, res, acked, rng):
        if self._udp and side == ME:
            # P2P protocols acknowledge in small UDP datagrams instead of TCP ACKs
            before = len(self._new[PEER])
            super()._tcp_acks(side, rec, res, acked, rng)
            for r in self._new[PEER][before:]:
                r["proto"] = E.PROTO_UDP
                r["l3len"] = 28 + rng.integers(16, 33, len(r))
            return
        super()._tcp_acks(side, rec, res, acked, rng)

    # ---- traffic ------------------------------------------------------------------------
    def _produce(self, t0: float, t1: float, rng: np.random.Generator):
        p = self.p
        out = []
        if self.ap_mode:
            out.append(self._beacons(t0, t1, rng))
        a, b = max(t0, p["start_s"]), min(t1, self._stop)
        motion = p["delivery"] == "motion"
        if not self.ap_mode:
            # a motion camera keeps its cloud connection alive while it streams, too
            self._keepalives(t0, t1, 0.0, 0.0, rng) if motion else self._keepalives(t0, t1, a, b, rng)
        if a < b:
            if p["delivery"] == "live":
                self._live(t0, t1, a, b, rng)
            elif motion:
                self._motion_events(t0, t1, a, b, rng)
            else:
                self._clips(a, b, rng)
        return out

    def _motion_events(self, t0, t1, a, b, rng):
        """Live streams over the motion events that overlap [a, b)."""
        p = self.p
        while True:
            s, e = self._event
            if s >= b:
                return
            ia, ib = max(a, s), min(b, e)
            if ia < ib:
                if self._event_new:  # frames and audio restart at the event: nothing from the idle gap
                    self._event_new = False
                    self._k = max(self._k, int(math.ceil((s - p["start_s"]) / self._T - 1e-9)))
                    ai = p["audio_interval_ms"] * 1e-3
                    self._am = max(self._am, int(math.ceil((s - p["start_s"]) / ai - 1e-9)))
                self._live(t0, t1, ia, ib, rng)
            if e > b:
                return
            ns = e + max(0.5, rng.exponential(p["motion_gap_s"]))
            self._event = (ns, ns + p["motion_event_s"] * rng.uniform(0.67, 1.33))
            self._event_new = True

    def _beacons(self, t0, t1, rng):
        bi = self.bss.beacon_interval_tu * 1.024e-3
        k_end = int(math.ceil((t1 - self._bphase) / bi))
        if k_end <= self._bk:
            return E.empty()
        k = np.arange(self._bk, k_end)
        self._bk = k_end
        ts = self._bphase + k * bi + rng.exponential(0.0002, len(k)) * (rng.random(len(k)) < 0.3)
        return self._direct(ME, ts, E.BEACON, ra=E.BROADCAST, l3len=self.bss.ie_bytes, rng=rng)

    def _keepalives(self, t0, t1, a, b, rng):
        p = self.p
        ts = []
        while self._next_ka < t1:
            t = self._next_ka
            if not (a <= t < b):
                ts.append(t)
            self._next_ka = t + p["keepalive_s"] * rng.uniform(0.97, 1.03)
        if not ts:
            return
        ts = np.array(ts)
        n = len(ts)
        self._queue(ME, ts, rng.integers(60, 220, n), flags=F_ACKME | F_BURST_END)
        rtt = p["rtt_ms"] * 1e-3
        self._queue(PEER, ts + rtt * (1.0 + rng.exponential(0.2, n)), rng.integers(60, 140, n),
                    flags=F_ACKME | F_BURST_END)

    def _view(self, tn: np.ndarray, rng: np.random.Generator):
        """What the encoder sees at capture times ``tn`` (after its delay), when the room
        has a stimulus and it sees the room: (brightness factor, moving, scene cut)."""
        tl, p = self.stimulus, self.p
        if tl is None or not p["sees_room"] or not len(tn):
            return None
        t = tn - p["response_delay_s"]
        light = np.ones(len(t))
        moving = np.zeros(len(t), bool)
        cuts = list(tl.boundaries())
        for iv in tl.intervals:  # a few dozen intervals
            inside = (t >= iv.start_s) & (t < iv.end_s)
            if iv.kind == "dark":
                light[inside] = p["dark_level"]
                if p["night_mode_s"] >= 0 and iv.end_s - iv.start_s > p["night_mode_s"]:
                    switch = iv.start_s + p["night_mode_s"]
                    light[inside & (t >= switch)] = NIGHT_LEVEL  # IR on: a grey, low-detail picture
                    cuts.append(switch)
            elif iv.kind in ("motion", "flash"):
                moving[inside] = True
        cut = np.zeros(len(t), bool)
        changed = np.zeros(len(t), bool)
        if cuts:
            b = np.asarray(cuts, float)
            order = np.argsort(t, kind="stable")  # B-frames come in decode order, not capture order
            j = np.searchsorted(t[order], b)
            ok = j < len(t)
            j, b = j[ok], b[ok]
            i = order[j]
            i = i[(t[i] - b) < self._T]  # the first frame captured after the cut
            changed[i] = True
            cut[i[rng.random(len(i)) < p["scene_cut_p"]]] = True
        return light, moving, cut, changed

    def _frame_sizes(self, k, tn, bitrate, rng, motion, bframes=True):
        p = self.p
        N = self._gop
        is_i = (k % N) == 0
        if p["rc"] == "vbr":
            lvl = np.where(motion, self._motion_gain, p["calm_level"])
        else:
            lvl = np.ones(len(k))
        view = self._view(tn, rng)
        if view is not None:
            light, moving, cut, changed = view
            is_i = is_i | cut  # a scene cut: the encoder starts over with an I-frame
            g = p["response_gain"]
            # the first frame after a change codes the whole difference (a brightness step
            # touches every pixel); CBR's rate control shrinks the frames after it instead
            # of this one, unless its buffer is tight
            lvl = np.where(changed & ~cut, lvl * (1.0 + g * p["change_boost"]), lvl)
            if p["rc"] == "vbr":
                lvl = np.where(moving, lvl + g * np.maximum(self._motion_gain - lvl, 0.0), lvl)
                lvl = lvl * (1.0 - g + g * light)
        if bframes and p["bframes"]:
            # the GOP's budget: one I-frame, the P-frames, the smaller B-frames
            n_b = int((~self._anchor).sum())
            pbytes = lvl * bitrate * N / p["fps"] / (p["iratio"] + N - 1 - n_b + p["bratio"] * n_b) / 8.0
            is_b = ~self._anchor[k % N]
            size = np.where(is_i, p["iratio"] * pbytes, np.where(is_b, p["bratio"] * pbytes, pbytes))
        else:
            pbytes = lvl * bitrate * N / p["fps"] / (p["iratio"] + N - 1) / 8.0
            size = np.where(is_i, p["iratio"] * pbytes, pbytes)
        sig = np.where(is_i, p["size_sigma"] * 0.5, p["size_sigma"])
        size = size * np.exp(rng.normal(0.0, 1.0, len(k)) * sig - sig * sig / 2)
        return np.maximum(size, 24).astype(np.int64), is_i

    def _live(self, t0, t1, a, b, rng):
        p = self.p
        T = self._T
        start = p["start_s"]
        nb = int(p["bframes"])
        # self._k counts send slots: slot s leaves at start + (s + bframes) * T
        k_end = int(math.ceil((b - start) / T - nb - 1e-9))
        if k_end > self._k:
            if nb:
                k, slot = self._decode_order(self._k, k_end)
            else:
                k = slot = np.arange(self._k, k_end)
            self._k = k_end
            tn = start + k * T  # capture times
            if p["delivery"] == "motion":
                motion = np.ones(len(k), bool)  # the stream runs because something moves
            else:
                intervals, self._motion, self._motion_until = on_off(t0, t1, self._motion, self._motion_until,
                                                                      self._mean_on, self._mean_off, rng)
                motion = level_at(tn, intervals)
            ts = tn if not nb else start + (slot + nb) * T
            tf = ts + np.abs(rng.normal(0.0, p["jitter_ms"] * 1e-3, len(k)))
            stall = rng.random(len(k)) < p["stall_p"]
            tf = tf + np.where(stall, rng.exponential(p["stall_ms"] * 1e-3, len(k)), 0.0)
            size, is_i = self._frame_sizes(k, tn, p["bitrate_bps"], rng, motion)
            keep = is_i | (rng.random(len(k)) >= p["drop_p"])
            tf, size = tf[keep], size[keep]
            ticks = np.round(k[keep] * self._ticks).astype(np.int64)  # RTP clock of the capture time
            stream = np.zeros(len(tf), np.int64)
            if p["substream"]:
                sub, _ = self._frame_sizes(k[keep], tn[keep], p["substream_bps"], rng, motion[keep], bframes=False)
                tf = np.concatenate([tf, tf + rng.uniform(0.0005, 0.003, len(tf))])
                size = np.concatenate([size, sub])
                ticks = np.concatenate([ticks, ticks])
                stream = np.concatenate([stream, np.ones(len(sub), np.int64)])
            if not self._udp:
                size = size + 20  # container / chunk headers per frame
            self._send_frames(tf, size, rng, ticks, stream)
        if p["audio"]:
            ai = p["audio_interval_ms"] * 1e-3
            m_end = int(math.ceil((b - start) / ai - 1e-9))
            if m_end > self._am:
                m = np.arange(self._am, m_end)
                self._am = m_end
                ta = start + m * ai + np.abs(rng.normal(0.0, 0.0003, len(m)))
                l3 = p["audio_bytes"] + self._hdr + rng.integers(-4, 5, len(m))
                fl = (F_ACKME | F_BURST_END) if (not self._udp or p["udp_ack_every"]) else 0
                rtp = {}
                if self._rtp:
                    au = self._rtp_audio
                    per = int(round(ai * au.clock_hz))  # samples per packet
                    rtp = dict(rtp=au.first_byte(np.zeros(len(m))), rtp_seq=au.next_seqs(len(m)),
                               rtp_ts=au.stamps(m * per), ssrc=au.ssrc)
                self._queue(ME, np.sort(ta), l3, tid=p["tid"], proto=E.PROTO_UDP if self._udp else E.PROTO_TCP,
                            flags=fl, **rtp)
        if self._udp:
            self._rtcp(a, b, rng)

    def _decode_order(self, s0: int, s1: int):
        """(display index, send slot) of the frames sent in slots [s0, s1), by slot.

        A reference frame (I/P) at display index k is sent right after the previous
        reference (slot = previous reference + 1); the B-frames before it follow it
        (a B-frame at m gets slot m + 1). A slot s holds a frame k in [s - 1, s + bframes]."""
        nb = int(self.p["bframes"])
        N = self._gop
        k = np.arange(max(0, s0 - 1), s1 + nb + 1)
        pos = k % N
        anchor = self._anchor[pos]
        prev_ref = k - pos + ((pos - 1) // (nb + 1)) * (nb + 1)
        slot = np.where(anchor, np.where(pos == 0, k, prev_ref + 1), k + 1)
        sel = (slot >= s0) & (slot < s1)
        k, slot = k[sel], slot[sel]
        o = np.argsort(slot, kind="stable")
        return k[o], slot[o]

    def _send_frames(self, tf, size, rng, ticks=None, stream=None):
        """Packetise coded frames and hand the packets to the camera's Wi-Fi queue
        (``ticks``: RTP clock of each frame, ``stream``: 0 main, 1 sub-stream)."""
        p = self.p
        if not len(tf):
            return
        order = np.argsort(tf, kind="stable")
        tf, size = tf[order], size[order]
        if self._tls:
            # each frame is written as TLS records; every record is segmented on its own
            ovh = TLS_RECORD_OVERHEAD
            rmsg, rlen, _ = packetise(size, p["tls_record"] + ovh, ovh)
            pm, l3, rlast = packetise(rlen, p["mtu"], self._hdr)
            msg = rmsg[pm]
            last = rlast & np.append(rmsg[1:] != rmsg[:-1], True)[pm]
        else:
            msg, l3, last = packetise(size, p["mtu"], self._hdr)
        n_per = np.bincount(msg, minlength=len(size))
        j = np.arange(len(msg)) - (np.cumsum(n_per) - n_per)[msg]
        arr = tf[msg] + j * rng.uniform(8e-6, 30e-6)
        if p["pacing"] > 0:
            arr = arr + j / np.maximum(n_per[msg], 1) * p["pacing"] * self._T
        if not self._udp:
            arr = arr + (j // p["cwnd_segs"]) * p["rtt_ms"] * 1e-3
        ackme = F_ACKME if (not self._udp or p["udp_ack_every"]) else 0
        flags = np.where(last, F_BURST_END, 0) | ackme
        o = np.argsort(arr, kind="stable")
        rtp = {}
        if self._rtp and ticks is not None:
            fm = order[msg[o]]  # each packet's frame, in the caller's indexing
            st = stream[fm]
            rb = np.zeros(len(o), np.uint8)
            seq = np.zeros(len(o), np.int64)
            ts = np.zeros(len(o), np.int64)
            ssrc = np.zeros(len(o), np.int64)
            for sid in np.unique(st):
                m = st == sid
                v = self._rtp_video[int(sid)]
                rb[m] = v.first_byte(last[o][m])
                seq[m] = v.next_seqs(int(m.sum()))
                ts[m] = v.stamps(ticks[fm[m]])
                ssrc[m] = v.ssrc
            rtp = dict(rtp=rb, rtp_seq=seq, rtp_ts=ts, ssrc=ssrc)
        self._queue(ME, arr[o], l3[o], tid=p["tid"], proto=E.PROTO_UDP if self._udp else E.PROTO_TCP,
                    flags=flags[o], **rtp)

    def _rtcp(self, a, b, rng):
        """RTCP sender reports from the camera, receiver reports from the viewer."""
        for side, size in ((ME, (72, 100)), (PEER, (60, 110))):
            ts = []
            while self._next_rtcp[side] < b:
                t = self._next_rtcp[side]
                if t >= a:
                    ts.append(t)
                self._next_rtcp[side] = t + rng.uniform(2.5, 7.5)
            if ts:
                self._queue(side, np.array(ts), rng.integers(size[0], size[1], len(ts)), proto=E.PROTO_UDP,
                            tid=self.p["tid"])

    def _clips(self, a, b, rng):
        p = self.p
        while self._next_clip < b:
            t = self._next_clip
            if t >= a:
                nbytes = int(p["bitrate_bps"] * p["clip_s"] / 8)
                arr, l3 = tcp_transfer(t, nbytes, p["mtu"], 52, p["upload_bps"], p["rtt_ms"] * 1e-3, rng)
                flags = np.full(len(arr), F_ACKME)
                flags[-1] |= F_BURST_END
                self._queue(ME, arr, l3, tid=p["tid"], flags=flags)
            self._next_clip = t + p["clip_s"] + rng.exponential(p["clip_gap_s"])
