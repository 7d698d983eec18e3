"""The LAN scorer on labelled hosts: cameras as real ones show themselves (each with a
different, partial set of evidence) and the devices that share one cue with a camera
(printers, NAS boxes, TVs, music players, phones, routers). Both the hit rate and the
false alarms are asserted, and the numbers in the scorer's docstring table are the code's."""
import re

import pytest

from sweeper.lan import score
from sweeper.lan.hosts import Host, Service
from sweeper.lan.score import score_host


def rtsp(port=554, status=200, media=(), realm=""):
    return Service(port, "rtsp", "", {"status": status, "media": list(media), "realm": realm})


def http(port=80, title="", server="", realm=""):
    return Service(port, "http", title or server, {"status": 200, "title": title, "server": server, "realm": realm})


ONVIF = {"types": ["dn:NetworkVideoTransmitter", "tds:Device"],
         "scopes": ["onvif://www.onvif.org/type/video_encoder", "onvif://www.onvif.org/hardware/IPC-123"],
         "xaddrs": ["http://10.0.0.11/onvif/device_service"]}

CAMERAS = {
    "RTSP video only": Host("10.0.0.10", services=[rtsp(media=["video", "audio"])]),
    "ONVIF only": Host("10.0.0.11", onvif=[ONVIF]),
    "mDNS and web only (Xiongmai)": Host("10.0.0.12", vendor="Espressif Inc.", services=[
        http(title="NETSurveillance WEB", server="uc-httpd 1.0.0")],
        mdns=[{"type": "_http._tcp.local.", "name": "IPCAM-7F3A", "txt": {}}]),
    "Hikvision, RTSP behind a login and its web UI": Host("10.0.0.13", vendor="Hangzhou Hikvision Digital Technology",
                                                        services=[rtsp(status=401, realm="IP Camera(C1234)"),
                                                                  http(server="App-webs/")]),
    "Dahua, SDK port and login RTSP": Host("10.0.0.14", services=[rtsp(status=401), Service(37777, "tcp")]),
    "HomeKit camera": Host("10.0.0.15", mdns=[{"type": "_hap._tcp.local.", "name": "Living Room",
                                               "txt": {"ci": "17"}}]),
    "UPnP camera": Host("10.0.0.16", ssdp=[{"device_type": "urn:schemas-upnp-org:device:NetworkCamera:1",
                                            "manufacturer": "Foo", "friendly_name": "Foo"}]),
    "Axis": Host("10.0.0.17", mdns=[{"type": "_axis-video._tcp.local.", "name": "AXIS M1065", "txt": {}}]),
}

NEGATIVES = {
    "printer": Host("10.0.0.20", vendor="HP Inc.", services=[http(631, title="HP LaserJet"), http(80, title="HP LaserJet")],
                    mdns=[{"type": "_ipp._tcp.local.", "name": "HP LaserJet", "txt": {}},
                          {"type": "_printer._tcp.local.", "name": "HP LaserJet", "txt": {}}]),
    "NAS with a media server": Host("10.0.0.21", services=[http(5000, title="Synology DiskStation"),
                                                           http(8200, server="MiniDLNA/1.3.0")],
                                    ssdp=[{"device_type": "urn:schemas-upnp-org:device:MediaServer:1",
                                           "manufacturer": "Synology", "friendly_name": "DiskStation",
                                           "model": "DS220+"}]),
    "smart TV": Host("10.0.0.22", services=[http(8008, title="")],
                     ssdp=[{"device_type": "urn:dial-multiscreen-org:device:dial:1", "friendly_name": "Living Room TV",
                            "manufacturer": "Samsung", "model": "QE55"}],
                     mdns=[{"type": "_googlecast._tcp.local.", "name": "Living Room TV", "txt": {}}]),
    "music player serving RTSP": Host("10.0.0.23", services=[rtsp(media=["audio"])],
                                      mdns=[{"type": "_raop._tcp.local.", "name": "Kitchen speaker", "txt": {}},
                                            {"type": "_rtsp._tcp.local.", "name": "Kitchen speaker", "txt": {}}]),
    "phone with a private MAC": Host("10.0.0.30", private_mac=True,
                                     mdns=[{"type": "_companion-link._tcp.local.", "name": "Anna's iPhone", "txt": {}}]),
    "router with an embedded web server": Host("10.0.0.1", services=[http(80, title="Login", server="GoAhead-Webs")]),
    "smart plug on an Espressif module": Host("10.0.0.40", vendor="Espressif Inc.", services=[http(80, title="Tasmota")]),
    "a laptop named cam-laptop": Host("10.0.0.41", names=["cam-laptop.local"], vendor="Hangzhou Hikvision"),
}


def test_every_labelled_camera_is_found_and_no_hard_negative_is():
    found = {name: score_host(h) for name, h in CAMERAS.items()}
    flagged = {name: score_host(h) for name, h in NEGATIVES.items()}
    assert [n for n, s in found.items() if s.verdict == "none"] == []  # hit rate 8/8
    assert {n: s for n, s in flagged.items() if s.verdict != "none"} == {}  # false alarms 0/8


def test_the_evidence_is_said_in_plain_words():
    assert score_host(CAMERAS["ONVIF only"]).reasons[0] == (
        "answers ONVIF discovery as a network video transmitter (hardware IPC-123)")
    assert "serves a live video stream over RTSP (port 554)" in score_host(CAMERAS["RTSP video only"]).reasons
    web = score_host(CAMERAS["mDNS and web only (Xiongmai)"])
    assert any("names a camera's software" in r for r in web.reasons)
    assert any("named like a camera" in r for r in web.reasons)
    music = score_host(NEGATIVES["music player serving RTSP"])
    assert any("audio only" in r for r in music.reasons) and music.verdict == "none"


def test_two_cues_make_a_camera_where_one_makes_a_suspect():
    assert score_host(CAMERAS["RTSP video only"]).verdict == "suspect"
    both = Host("10.0.0.10", services=[rtsp(media=["video"])], onvif=[ONVIF])
    assert score_host(both).verdict == "camera" and score_host(both).score > score_host(CAMERAS["ONVIF only"]).score
    assert score_host(CAMERAS["Hikvision, RTSP behind a login and its web UI"]).verdict == "camera"


def test_names_and_vendors_alone_never_make_a_finding():
    hinted = Host("10.0.0.50", vendor="Hangzhou Hikvision Digital Technology", names=["IPCAM.local"],
                  mdns=[{"type": "_http._tcp.local.", "name": "Nanny camera", "txt": {}}])
    s = score_host(hinted)
    assert s.verdict == "none" and s.score < score.SUSPECT_SCORE
    assert len(s.reasons) == 2  # both hints are still said


@pytest.mark.parametrize("name", ["W_ONVIF", "W_RTSP_VIDEO", "W_MDNS_CAMERA", "W_UPNP_CAMERA", "W_RTSP_LOGIN",
                                  "W_WEB_SDK", "W_SDK_PORT", "W_MDNS_RTSP", "W_RTSP_OPTIONS", "W_NAME"])
def test_the_docstring_table_has_the_codes_weights(name):
    table = [line for line in score.__doc__.splitlines() if line.startswith("| ") and re.search(r"\| 0\.\d\d", line)]
    assert any(f"| {getattr(score, name):.2f} |" in line for line in table), name


def test_a_lan_finding_is_keyed_by_its_makers_mac_or_else_by_its_address():
    """A venue's own camera stays known across sweeps; a randomised MAC would not."""
    from sweeper import kinds
    from sweeper.findings import Finding

    made = Finding.from_json({"type": "lan_camera", "verdict": "camera", "ip": "10.0.0.7", "mac": "a4:14:37:00:00:07"})
    assert kinds.of(made).key(made) == "lan:a4:14:37:00:00:07"
    assert kinds.of(made).name(made) == "LAN unknown maker 10.0.0.7"
    private = Finding.from_json({"type": "lan_camera", "verdict": "suspect", "ip": "10.0.0.8", "mac": "da:a1:19:00:00:01"})
    assert kinds.of(private).key(private) == "lan:ip:10.0.0.8"
    assert made.to_json()["ip"] == "10.0.0.7"
