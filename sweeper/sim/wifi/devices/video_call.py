"""A phone (or laptop) in a video call: real-time video and audio both ways (hard negative).

WebRTC-style media over UDP/SRTP: each side encodes video at its frame rate with rare
key frames (every ``keyframe_s`` or when the other side reports loss) and a bitrate
that congestion control keeps adjusting; the pacer spreads each frame's packets
(at most ``max_packet`` bytes, smaller than an MTU) at ``pacing_mult`` times the target
rate instead of bursting them. Opus audio leaves every 20-60 ms, transport-wide
congestion-control feedback every 50-100 ms, forward error correction adds a share of
packets. The remote side's media arrives through the Internet with jitter, so the
downlink frames are smeared. Phones use a randomised (locally administered) MAC on most
networks.

SRTP encrypts only the payload: the RTP header stays readable, so every media packet
carries its stream's SSRC (video, audio and the FEC/retransmission stream apart, per
direction), a sequence number +1 per packet, the 90 kHz (video) or 48 kHz (Opus)
timestamp of its frame, and the marker bit on a video frame's last packet.
"""
from __future__ import annotations

import math
from typing import Any, Dict

import numpy as np

from sweeper.sim.wifi import events as E
from sweeper.sim.wifi.devices.base import ME, PEER, SimDevice, Param, check_ranges, choice, logu, packetise, random_radio
from sweeper.sim.wifi.devices.rtp import RtpStream


class VideoCall(SimDevice):
    """Bidirectional real-time video (see the module docstring)."""

    kind = "video_call"
    MAC_POOL = "phone"
    LOCAL_MAC_SHARE = 0.8
    KIND_PARAMS = {
        "up_bps": Param(1.0e6, "outgoing video bitrate", 2e4, 2e7),
        "down_bps": Param(1.0e6, "incoming video bitrate", 2e4, 2e7),
        "fps_up": Param(30.0, "outgoing frame rate", 1.0, 60.0),
        "fps_down": Param(30.0, "incoming frame rate", 1.0, 60.0),
        "max_packet": Param(1200, "largest media packet (IP bytes)", 300, 1500),
        "pacing_mult": Param(2.5, "pacer rate as a multiple of the video bitrate", 1.0, 20.0),
        "keyframe_s": Param(20.0, "mean interval between key frames", 0.5, 3600.0),
        "iratio": Param(3.0, "key frame size / delta frame size", 1.0, 20.0),
        "size_sigma": Param(0.3, "frame size scatter (log-normal sigma)", 0.0, 1.5),
        "adapt_sigma": Param(0.15, "bitrate adaptation: spread of the congestion controller's walk", 0.0, 1.0),
        "adapt_tau_s": Param(5.0, "bitrate adaptation time scale", 0.2, 600.0),
        "audio_interval_ms": Param(20.0, "audio packet interval (Opus frame)", 5.0, 200.0),
        "audio_bytes": Param(90, "audio payload bytes", 8, 800),
        "feedback_ms": Param(75.0, "congestion-control feedback interval", 5.0, 2000.0),
        "fec_share": Param(0.05, "share of extra FEC/retransmission packets", 0.0, 1.0),
        "net_jitter_ms": Param(8.0, "Internet jitter on incoming packets", 0.0, 200.0),
        "tid_video": Param(0, "QoS TID of video", 0, 7),
        "tid_audio": Param(0, "QoS TID of audio", 0, 7),
        "start_s": Param(0.0, "when the call starts", 0.0, 1e7),
        "stop_s": Param(-1.0, "when it ends (-1: never)", -1.0, 1e7),
    }

    @classmethod
    def random_params(cls, rng: np.random.Generator, ranges: str = "calibration") -> Dict[str, Any]:
        test = check_ranges(ranges) == "test"
        p = random_radio(rng, rates=(65.0, 72.2, 130.0, 144.4, 173.3, 286.8, 433.3),
                         peer_rates=(65.0, 130.0, 173.3, 286.8, 433.3), retry_hi=0.10)
        wmm = rng.random() < 0.4
        start = 0.0 if rng.random() < 0.6 else float(rng.uniform(0.0, 40.0))
        p.update(
            up_bps=logu(rng, 0.3e6, 2.5e6),
            down_bps=logu(rng, 0.3e6, 2.5e6),
            fps_up=float(choice(rng, [15.0, 24.0, 25.0, 30.0, 30.0, 30.0])),
            fps_down=float(choice(rng, [15.0, 24.0, 25.0, 30.0, 30.0, 30.0])),
            max_packet=int(rng.integers(1000, 1300)),
            pacing_mult=float(rng.uniform(1.5, 5.0)),
            keyframe_s=logu(rng, 5.0, 60.0),
            iratio=float(rng.uniform(2.0, 6.0)),
            size_sigma=float(rng.uniform(0.1, 0.5)),
            adapt_sigma=float(rng.uniform(0.0, 0.3)),
            adapt_tau_s=logu(rng, 2.0, 10.0),
            audio_interval_ms=float(choice(rng, [20.0, 20.0, 20.0, 40.0, 60.0])),
            audio_bytes=int(rng.integers(40, 160)),
            feedback_ms=float(rng.uniform(50.0, 100.0)),
            fec_share=float(rng.uniform(0.0, 0.2)),
            net_jitter_ms=logu(rng, 1.0, 30.0),
            tid_video=5 if wmm else 0,
            tid_audio=6 if wmm else 0,
            start_s=start,
            stop_s=-1.0 if rng.random() < 0.85 else start + logu(rng, 10.0, 300.0),
        )
        if test:  # shifted, wider ranges for a test set
            p.update(up_bps=logu(rng, 0.15e6, 4e6), down_bps=logu(rng, 0.15e6, 4e6),
                     fps_up=float(choice(rng, [10.0, 15.0, 20.0, 24.0, 25.0, 30.0, 60.0])),
                     fps_down=float(choice(rng, [10.0, 15.0, 20.0, 24.0, 25.0, 30.0, 60.0])),
                     pacing_mult=float(rng.uniform(1.1, 8.0)), keyframe_s=logu(rng, 2.0, 120.0),
                     net_jitter_ms=logu(rng, 0.5, 60.0), feedback_ms=float(rng.uniform(30.0, 200.0)))
        return p

    def _setup(self) -> None:
        self._stop = self.p["stop_s"] if self.p["stop_s"] >= 0 else math.inf
        # RTP stream state per direction, from its own generator (traffic draws unchanged)
        r = np.random.default_rng([self.mac & 0xFFFFFFFF, 0x56434C4C])
        self._rtp_v = [RtpStream(r), RtpStream(r)]
        self._rtp_fec = [RtpStream(r), RtpStream(r)]
        self._rtp_a = [RtpStream(r, 48000), RtpStream(r, 48000)]

    def _start(self, t0: float, rng: np.random.Generator) -> None:
        p = self.p
        st = p["start_s"]
        self._k = [max(0, int(math.ceil((t0 - st) * p["fps_up"]))), max(0, int(math.ceil((t0 - st) * p["fps_down"])))]
        self._phase = [0.0, float(rng.uniform(0, 1.0 / p["fps_down"]))]
        ai = p["audio_interval_ms"] * 1e-3
        self._am = [max(0, int(math.ceil((t0 - st) / ai))), max(0, int(math.ceil((t0 - st) / ai)))]
        self._aphase = [0.0, float(rng.uniform(0, ai))]
        self._fb = [t0 + rng.uniform(0, 0.1), t0 + rng.uniform(0, 0.1)]
        self._adapt = [0.0, 0.0]
        self._next_key = [st, st + rng.uniform(0, 0.2)]

    def _media(self, side: int, a: float, b: float, rng: np.random.Generator) -> None:
        p = self.p
        up = side == ME
        fps = p["fps_up"] if up else p["fps_down"]
        bps = p["up_bps"] if up else p["down_bps"]
        st = p["start_s"] + self._phase[side]
        k_end = int(math.ceil((b - st) * fps - 1e-9))
        if k_end > self._k[side]:
            k = np.arange(self._k[side], k_end)
            self._k[side] = k_end
            tf = st + k / fps + np.abs(rng.normal(0.0, 0.002, len(k)))
            # congestion control walks the bitrate (log-space AR(1) per frame)
            a1 = math.exp(-1.0 / (fps * p["adapt_tau_s"]))
            x = np.empty(len(k))
            prev = self._adapt[side]
            w = rng.standard_normal(len(k)) * p["adapt_sigma"] * math.sqrt(1 - a1 * a1)
            for i in range(len(k)):
                prev = a1 * prev + w[i]
                x[i] = prev
            self._adapt[side] = prev
            rate = bps * np.exp(x)
            key = np.zeros(len(k), bool)
            while self._next_key[side] < b:
                i = int(np.searchsorted(tf, self._next_key[side]))
                if i < len(k):
                    key[i] = True
                self._next_key[side] += rng.exponential(p["keyframe_s"])
            # delta frames sized so the average over key intervals stays at the rate
            n_key = max(1.0, p["keyframe_s"] * fps)
            dsize = rate / fps / 8.0 * n_key / (n_key - 1 + p["iratio"])
            size = np.where(key, p["iratio"] * dsize, dsize)
            size = size * np.exp(rng.normal(0, p["size_sigma"], len(k)) - p["size_sigma"] ** 2 / 2)
            size = np.maximum(size, 30).astype(np.int64)
            msg, l3, last = packetise(size, p["max_packet"], 50)
            # FEC / retransmissions: extra packets of the same frames
            extra = rng.random(len(msg)) < p["fec_share"]
            fec = np.concatenate([np.zeros(len(msg), bool), np.ones(int(extra.sum()), bool)])
            last = np.concatenate([last, np.zeros(int(extra.sum()), bool)])
            msg = np.concatenate([msg, msg[extra]])
            l3 = np.concatenate([l3, l3[extra]])
            n_per = np.bincount(msg, minlength=len(size))
            order = np.argsort(msg, kind="stable")
            msg, l3, fec, last = msg[order], l3[order], fec[order], last[order]
            j = np.arange(len(msg)) - (np.cumsum(n_per) - n_per)[msg]
            spacing = l3 * 8.0 / (p["pacing_mult"] * rate[msg])
            arr = tf[msg] + j * spacing
            if not up:
                arr = arr + np.abs(rng.normal(0.0, p["net_jitter_ms"] * 1e-3, len(arr)))
            o = np.argsort(arr, kind="stable")
            msg, fec, last = msg[o], fec[o], last[o]
            ticks = np.round(k[msg] * (90000.0 / fps)).astype(np.int64)
            rb = np.zeros(len(o), np.uint8)
            seq = np.zeros(len(o), np.int64)
            ssrc = np.zeros(len(o), np.int64)
            ts = np.zeros(len(o), np.int64)
            for st, m in ((self._rtp_v[side], ~fec), (self._rtp_fec[side], fec)):
                rb[m] = st.first_byte(last[m])
                seq[m] = st.next_seqs(int(m.sum()))
                ts[m] = st.stamps(ticks[m])
                ssrc[m] = st.ssrc
            self._queue(side, arr[o], l3[o], tid=p["tid_video"], proto=E.PROTO_UDP, rtp=rb, rtp_seq=seq, rtp_ts=ts,
                        ssrc=ssrc)
        # audio
        ai = p["audio_interval_ms"] * 1e-3
        sta = p["start_s"] + self._aphase[side]
        m_end = int(math.ceil((b - sta) / ai - 1e-9))
        if m_end > self._am[side]:
            m = np.arange(self._am[side], m_end)
            self._am[side] = m_end
            ta = sta + m * ai + np.abs(rng.normal(0.0, 0.0005 if up else p["net_jitter_ms"] * 1e-3, len(m)))
            l3 = p["audio_bytes"] + 50 + rng.integers(-15, 16, len(m))
            au = self._rtp_a[side]
            self._queue(side, np.sort(ta), np.maximum(l3, 60), tid=p["tid_audio"], proto=E.PROTO_UDP,
                        rtp=au.first_byte(np.zeros(len(m))), rtp_seq=au.next_seqs(len(m)),
                        rtp_ts=au.stamps(np.round(m * ai * 48000).astype(np.int64)), ssrc=au.ssrc)
        # congestion-control feedback (RTCP transport-cc)
        fb = []
        while self._fb[side] < b:
            if self._fb[side] >= a:
                fb.append(self._fb[side])
            self._fb[side] += p["feedback_ms"] * 1e-3 * rng.uniform(0.8, 1.2)
        if fb:
            self._queue(side, np.array(fb), rng.integers(60, 130, len(fb)), tid=p["tid_audio"], proto=E.PROTO_UDP)

    def _produce(self, t0: float, t1: float, rng: np.random.Generator):
        a, b = max(t0, self.p["start_s"]), min(t1, self._stop)
        if a < b:
            self._media(ME, a, b, rng)
            self._media(PEER, a, b, rng)
        return []
