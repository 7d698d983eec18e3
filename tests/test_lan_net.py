"""The LAN test network itself (tests/lan_net.py), checked with clients nobody here wrote
(gst-discoverer-1.0, ping, urllib) or a few lines of socket code: that each host really
serves what its label says, from the sweeper's namespace, and nothing leaks out."""
import glob
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

import lan_net
from lan_net import SWEEPER_NS

pytestmark = pytest.mark.xdist_group("lan_net")


def sweeper_run(*argv, timeout=20):
    return subprocess.run(["ip", "netns", "exec", SWEEPER_NS, *argv], capture_output=True,
                          text=True, timeout=timeout)


def test_starts_quickly_and_labels_every_host(lan):
    assert lan.start_seconds < 15
    assert len(lan.hosts) == 20
    assert len({h.ip for h in lan.hosts}) == len({h.mac for h in lan.hosts}) == 20
    assert {h.name for h in lan.cameras} == {"camera_rtsp", "camera_onvif", "camera_mdns_web"}
    with open("/usr/share/ieee-data/oui.txt") as f:
        registry = f.read()
    for h in lan.hosts:
        first = int(h.mac[:2], 16)
        if h.name.startswith("phone"):
            assert first & 0x02, "a phone's private MAC is locally administered"
        else:
            assert not first & 0x02
            assert re.search(r"^%s\s+\(base 16\)" % h.mac[:8].replace(":", "").upper(),
                             registry, re.M), h


def test_every_host_answers_ping_with_its_mac(lan):
    pings = [subprocess.Popen(["ip", "netns", "exec", SWEEPER_NS, "ping", "-c", "1", "-W", "2",
                               h.ip], stdout=subprocess.DEVNULL) for h in lan.hosts]
    assert [p.wait(10) for p in pings] == [0] * len(pings)
    neigh = sweeper_run("ip", "neigh", "show", "dev", lan.interface).stdout
    for h in lan.hosts:
        assert re.search(r"^%s lladdr %s" % (re.escape(h.ip), h.mac), neigh, re.M), h


def discover(url):
    proc = sweeper_run("gst-discoverer-1.0", "-t", "10", url, timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_the_rtsp_camera_streams_video_and_the_music_player_only_audio(lan):
    for path in ("/", "/live"):
        report = discover("rtsp://%s%s" % (lan.host("camera_rtsp").ip, path))
        assert re.search(r"video #\d+: JPEG", report) and "Width: 320" in report, report
    report = discover("rtsp://%s/" % lan.host("music_rtsp").ip)
    assert re.search(r"audio #\d+: ", report) and "video" not in report, report


def test_mdns_browse_from_the_sweeper_sees_the_camera_printer_and_player(lan):
    def browse(service_type):
        return lan.in_sweeper(lan_net.mdns_query, lan_net.MDNS[0], service_type,
                            timeout=1.0)

    types = ("_http._tcp.local", "_ipp._tcp.local", "_raop._tcp.local",
             "_companion-link._tcp.local")
    with ThreadPoolExecutor(len(types)) as pool:
        http, ipp, raop, phone = pool.map(browse, types)
    assert any(ip == lan.host("camera_mdns_web").ip and b"IPCAM-77012 Web Camera" in data
               for ip, data in http), http
    assert any(ip == lan.host("printer").ip and b"HP LaserJet Pro M404dn" in data
               for ip, data in ipp), ipp
    assert [ip for ip, _ in raop] == [lan.host("music_rtsp").ip]
    assert [ip for ip, _ in phone] == [lan.host("phone_1").ip]


def fetch(url, method="GET", data=None):
    req = urllib.request.Request(url, method=method, data=data)
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status, dict(r.headers), r.read().decode("utf-8", "replace")


def test_ssdp_search_from_the_sweeper_finds_the_nas_and_the_tv(lan):
    replies = lan.in_sweeper(lan_net.ssdp_search, timeout=1.5)
    by_ip = {}
    for ip, headers in replies:
        by_ip.setdefault(ip, []).append(headers)
    nas, tv = lan.host("nas").ip, lan.host("tv").ip
    assert set(by_ip) == {nas, tv}
    assert "urn:dial-multiscreen-org:service:dial:1" in {h.get("st") for h in by_ip[tv]}

    nas_desc = lan.in_sweeper(fetch, by_ip[nas][0]["location"])[2]
    assert "urn:schemas-upnp-org:device:MediaServer:1" in nas_desc and "minidlna" in \
        nas_desc.lower()
    status, headers, tv_desc = lan.in_sweeper(fetch, by_ip[tv][0]["location"])
    assert status == 200 and "dial" in tv_desc
    assert headers["Application-URL"] == "http://%s:8008/apps/" % tv


def test_only_the_onvif_camera_answers_ws_discovery(lan):
    matches = lan.in_sweeper(lan_net.wsd_probe, timeout=1.5)
    cam = lan.host("camera_onvif")
    assert [ip for ip, _ in matches] == [cam.ip]
    xml = matches[0][1]
    assert "dn:NetworkVideoTransmitter" in xml
    assert "onvif://www.onvif.org/type/video_encoder" in xml
    assert "onvif://www.onvif.org/hardware/IPC-123" in xml
    xaddr = re.search(r"<d:XAddrs>([^<]+)</d:XAddrs>", xml).group(1)
    assert xaddr == "http://%s/onvif/device_service" % cam.ip
    body = (b'<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
            b'<s:Body><GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/>'
            b'</s:Body></s:Envelope>')
    assert lan.in_sweeper(fetch, xaddr, "POST", body)[0] == 200


def test_web_uis_name_what_they_are(lan):
    def title(host, port=80):
        status, headers, body = lan.in_sweeper(fetch, "http://%s:%d/" % (host.ip, port))
        return headers.get("Server"), re.search(r"<title>([^<]*)</title>", body).group(1)

    assert title(lan.host("camera_mdns_web")) == ("uc-httpd 1.0.0", "NETSurveillance WEB")
    assert "DiskStation" in title(lan.host("nas"))[1]
    assert "LaserJet" in title(lan.host("printer"))[1]
    server, page = title(lan.host("printer"), 631)  # ippeveprinter's own status page
    assert server.startswith("CUPS/") and "LaserJet" in page


def test_the_only_rtsp_camera_serves_nothing_else(lan):
    cam = lan.host("camera_rtsp")

    def refused(port):
        try:
            lan_net.http_get(cam.ip, port, timeout=1)
        except ConnectionRefusedError:
            return True
        return False

    for port in (80, 443, 631, 8000, 8008, 8080, 8200, 8554):
        assert lan.in_sweeper(refused, port), port
    assert lan.in_sweeper(lan_net.mdns_query, cam.ip, "_services._dns-sd._udp.local",
                        timeout=0.5) == []


def test_nothing_reaches_the_host_network(lan):
    """The network lives only in namespaces: the root namespace has neither an address
    nor a route in 10.77.0.0/24, and the bridge is not among its links."""
    assert "10.77.0." not in subprocess.run(["ip", "-o", "addr"], capture_output=True,
                                            text=True).stdout
    assert "10.77.0." not in subprocess.run(["ip", "route", "show", "table", "all"],
                                            capture_output=True, text=True).stdout
    bridge = subprocess.run(["ip", "-n", lan_net.BRIDGE_NS, "-d", "link", "show", "br0"],
                            capture_output=True, text=True).stdout
    assert "mcast_snooping 0" in bridge
    root_links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert "link-netns " + lan_net.PREFIX not in root_links  # no veth end in the root


LIFECYCLE = textwrap.dedent("""
    import os, subprocess, sys, time
    sys.path.insert(0, %(tests)r)
    import lan_net
    idle = lan_net.HOSTS[-2:]
    if sys.argv[1] == "hang":
        with lan_net.lan_network(hosts=idle):
            print("up", flush=True)
            time.sleep(60)
    else:
        try:
            with lan_net.lan_network(hosts=idle) as net:
                print(sorted(lan_net.leftover_namespaces()), flush=True)
                raise RuntimeError("a failing test")
        except RuntimeError:
            print(sorted(lan_net.leftover_namespaces()), flush=True)
""")


def test_a_killed_run_is_cleaned_up_by_the_next_and_a_failure_tears_down():
    """Under another prefix (so the session's network is untouched): a run killed with
    SIGKILL leaves namespaces; the next run removes them, and tears its own down even
    when the test inside it fails."""
    reason = lan_net.unavailable_reason()
    if reason:
        pytest.skip(reason)
    env = dict(os.environ, SWL_PREFIX="swt-")
    code = LIFECYCLE % {"tests": os.path.dirname(os.path.abspath(__file__))}
    hung = subprocess.Popen([sys.executable, "-c", code, "hang"], env=env, text=True,
                            stdout=subprocess.PIPE)
    try:
        assert hung.stdout.readline().strip() == "up"
    finally:
        hung.send_signal(signal.SIGKILL)
        hung.wait(5)
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "swt-sweeper" in listed  # left behind by the killed run
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code, "fail"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    inside, after = out.stdout.splitlines()
    assert inside == str(sorted(["swt-bridge", "swt-sweeper", "swt-" + lan_net.HOSTS[-2].name,
                                 "swt-" + lan_net.HOSTS[-1].name]))
    assert after == "[]"
    assert not glob.glob(os.path.join(tempfile.gettempdir(), "swt-lan-*"))  # nor its files
    assert time.monotonic() - t0 < 10


def test_it_says_why_it_cannot_run(monkeypatch):
    """Not root, or no iproute2: the network's tests skip with the reason, not fail."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "needs root" in lan_net.unavailable_reason()
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(lan_net.shutil, "which", lambda tool: None)
    assert "`ip`" in lan_net.unavailable_reason()
