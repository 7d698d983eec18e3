"""How camera-like a host is, from what it serves and announces (pure: no network).

Each cue is a mechanism by which a camera shows itself on a network even when nobody
watches it, with a weight: how sure the cue alone makes us. Cues combine as independent
evidence (``1 - prod(1 - weight)``), so two medium cues outweigh one, and every cue that
fired is a reason in plain words.

| cue | weight | why a camera shows it | what else shows it |
| --- | --- | --- | --- |
| ONVIF WS-Discovery answer as a NetworkVideoTransmitter | 0.80 | ONVIF is how recorders find IP cameras; a camera answers probes even when idle | video encoders, some recorders |
| RTSP stream whose SDP has video | 0.70 | RTSP is how a camera serves its live picture | a PC or recorder re-streaming video |
| mDNS camera service (_axis-video, HomeKit camera or doorbell) | 0.70 | made to announce cameras to apps and hubs | nothing else |
| UPnP device type of a camera | 0.60 | its description names what it is | nothing else |
| RTSP server that asks for a login | 0.45 | cameras keep their stream behind a login | recorders, a few media servers |
| web UI naming a camera SDK (title, Server, login realm) | 0.50 | cheap cameras ship the SDK's web server and page | recorders (DVR/NVR) |
| port of a camera SDK open (34567, 37777) | 0.40 | Xiongmai and Dahua devices' own protocols | their recorders |
| mDNS _rtsp._tcp | 0.35 | announces an RTSP server | music and media servers |
| RTSP answering OPTIONS only | 0.30 | an RTSP server hiding its paths | media servers |
| camera words in a name (mDNS, UPnP, ONVIF scope) | 0.30 | owners and vendors name them so | anything named so |
| a camera maker's or camera Wi-Fi module maker's OUI | 0.20 / 0.10 | cameras are built on these | plugs, bulbs, sensors |

Hints (names and vendors) never make a finding alone: without another cue the score
stays below :data:`SUSPECT_SCORE`. An RTSP server whose stream is audio only is a music
or radio player, and its RTSP counts for nothing (a reason says so). Thresholds:
``camera`` from :data:`CAMERA_SCORE`, ``suspect`` from :data:`SUSPECT_SCORE`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, List, Optional, Tuple

from sweeper import verdicts
from sweeper.lan.hosts import Host
from sweeper.wifi.classify import is_module_vendor

CAMERA_SCORE = 0.75
SUSPECT_SCORE = 0.45

W_ONVIF = 0.80
W_RTSP_VIDEO = 0.70
W_MDNS_CAMERA = 0.70
W_UPNP_CAMERA = 0.60
W_WEB_SDK = 0.50
W_RTSP_LOGIN = 0.45
W_SDK_PORT = 0.40
W_MDNS_RTSP = 0.35
W_RTSP_OPTIONS = 0.30
W_NAME = 0.30
W_CAMERA_MAKER = 0.20
W_MODULE_MAKER = 0.10

#: the ports of camera makers' own protocols: Xiongmai (NETSurveillance), Dahua
SDK_PORTS = {34567: "Xiongmai's NETSurveillance protocol", 37777: "Dahua's protocol"}
#: web servers and pages of camera SDKs (matched in a title, a Server header, a realm)
WEB_SDK = re.compile(r"netsurveillance|uc-httpd|dvrdvs-webs|app-webs|hikvision|dahua|dh_web|"
                     r"ip ?camera|network ?camera|web ?cam|ipc[- ]?web|xmeye|v380|reolink|amcrest|foscam|"
                     r"wansview|ezviz|tapo c\d|wyze|hi3516|anyka|goolink|yoosee|\bnvr\b|\bdvr\b|"
                     r"video ?server", re.I)
#: camera words in a name (a hint: people and vendors name cameras so)
CAMERA_WORDS = re.compile(r"camera|\bcam\b|\bipc\b|ipcam|doorbell|baby ?monitor|webcam|nanny|spycam|"
                          r"surveillance|cctv|\bnvr\b|\bdvr\b", re.I)
#: makers of cameras (IEEE registry names), beyond the Wi-Fi module makers of
#: :func:`sweeper.wifi.classify.is_module_vendor`
CAMERA_MAKERS = ("hikvision", "dahua", "axis communications", "uniview", "vivotek", "hanwha", "techwin",
                 "reolink", "amcrest", "foscam", "hanbang", "tiandy", "milesight", "xiongmai", "ezviz")
#: UPnP device types of cameras
UPNP_CAMERA = re.compile(r"camera|digitalsecurity|videoserver|nvt", re.I)
#: HomeKit accessory categories (TXT ci=) of cameras and doorbells
HOMEKIT_CAMERA = {"17": "IP camera", "18": "video doorbell"}


@dataclass(frozen=True)
class HostScore:
    score: float  # 0..1
    verdict: str  # "camera", "suspect" or "none"
    reasons: Tuple[str, ...]


def _any(texts: Iterable[object], pattern: "re.Pattern") -> Optional[str]:
    for t in texts:
        m = pattern.search(str(t or ""))
        if m:
            return str(t)
    return None


def _rtsp_cues(host: Host) -> List[Tuple[float, str]]:
    """The strongest RTSP cue of the host: video, a login, OPTIONS only; audio only is a
    player (a reason, no weight)."""
    best: Optional[Tuple[float, str]] = None
    audio_only = None
    for s in host.services:
        if s.proto != "rtsp":
            continue
        d = s.details or {}
        media = [str(m) for m in (d.get("media") or [])]
        status = d.get("status")
        if "video" in media:
            cue = (W_RTSP_VIDEO, f"serves a live video stream over RTSP (port {s.port})")
        elif media:
            audio_only = s.port
            continue
        elif status in (401, 403):
            realm = f" ({d.get('realm')})" if d.get("realm") else ""
            cue = (W_RTSP_LOGIN, f"an RTSP server on port {s.port} that hides its stream behind a login{realm}")
        else:
            cue = (W_RTSP_OPTIONS, f"an RTSP server on port {s.port}")
        if best is None or cue[0] > best[0]:
            best = cue
    if best is not None:
        return [best]
    if audio_only is not None:
        return [(0.0, f"serves audio only over RTSP (port {audio_only}): a music or radio player, not a camera")]
    return []


def _cues(host: Host) -> Tuple[List[Tuple[float, str]], List[Tuple[float, str]]]:
    """(evidence, hints): each (weight, reason)."""
    evidence: List[Tuple[float, str]] = []
    hints: List[Tuple[float, str]] = []
    for m in host.onvif:
        types = " ".join(str(t) for t in m.get("types") or [])
        if "networkvideotransmitter" in types.lower():
            hw = [str(s).rsplit("/", 1)[-1] for s in m.get("scopes") or [] if "/hardware/" in str(s)]
            evidence.append((W_ONVIF, "answers ONVIF discovery as a network video transmitter"
                             + (f" (hardware {hw[0]})" if hw else "")))
            break
    evidence += _rtsp_cues(host)
    mdns_types = {str(m.get("type", "")).lower(): m for m in host.mdns}
    for t, m in mdns_types.items():
        ci = str((m.get("txt") or {}).get("ci", ""))
        if t.startswith("_axis-video."):
            evidence.append((W_MDNS_CAMERA, "announces an Axis video service over mDNS"))
        elif t.startswith("_hap.") and ci in HOMEKIT_CAMERA:
            evidence.append((W_MDNS_CAMERA, f"announces a HomeKit {HOMEKIT_CAMERA[ci]} over mDNS"))
    if any(t.startswith("_rtsp.") for t in mdns_types):
        evidence.append((W_MDNS_RTSP, "announces an RTSP server over mDNS"))
    for d in host.ssdp:
        if UPNP_CAMERA.search(str(d.get("device_type") or "")):
            evidence.append((W_UPNP_CAMERA, f"describes itself over UPnP as {d.get('device_type')}"))
            break
    for s in host.services:
        if s.proto in ("http", "https"):
            d = s.details or {}
            hit = _any((d.get("title"), d.get("server"), d.get("realm")), WEB_SDK)
            if hit:
                evidence.append((W_WEB_SDK, f"a web interface on port {s.port} that names a camera's software "
                                 f"(\"{hit}\")"))
                break
    for s in host.services:
        if s.port in SDK_PORTS:
            evidence.append((W_SDK_PORT, f"port {s.port} open: {SDK_PORTS[s.port]}, used by cameras and recorders"))
    names = list(host.names) + [m.get("name") for m in host.mdns]
    names += [d.get(k) for d in host.ssdp for k in ("friendly_name", "model", "manufacturer")]
    names += [s for m in host.onvif for s in m.get("scopes") or [] if "/name/" in str(s) or "/type/" in str(s)]
    named = _any(names, CAMERA_WORDS)
    if named:
        hints.append((W_NAME, f"named like a camera (\"{named}\")"))
    vendor = (host.vendor or "").lower()
    if any(k in vendor for k in CAMERA_MAKERS):
        hints.append((W_CAMERA_MAKER, f"its network card is made by {host.vendor}, a camera maker"))
    elif is_module_vendor(host.vendor):
        hints.append((W_MODULE_MAKER, f"its network card is made by {host.vendor}, common in cheap cameras"))
    return evidence, hints


def _combine(weights: Iterable[float]) -> float:
    miss = 1.0
    for w in weights:
        miss *= 1.0 - w
    return 1.0 - miss


def score_host(host: Host) -> HostScore:
    """The host's camera score, verdict and reasons in plain words (see the module table)."""
    evidence, hints = _cues(host)
    weighted = [c for c in evidence if c[0] > 0]
    score = _combine(w for w, _ in weighted + hints)
    if not weighted:  # names and vendors are hints, never a finding on their own
        score = min(score, SUSPECT_SCORE - 0.05)
    score = round(score, 2)
    verdict = verdicts.for_score(score, CAMERA_SCORE, SUSPECT_SCORE)
    reasons = tuple(r for _, r in sorted(evidence + hints, key=lambda c: -c[0]))
    return HostScore(score, str(verdict) if verdict else "none", reasons)
