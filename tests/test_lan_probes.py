"""The LAN probes for real: a camera-like host in a network namespace behind a veth pair.

tests/lan_peer.py runs real servers in the namespace (HTTP, RTSP, mDNS, SSDP,
WS-Discovery); the scan runs here on the veth's outside end and must find each in the
Host evidence. Needs root (namespaces, ARP); skipped otherwise. Scoring is not tested
here (sweeper.lan.score is its own module): :func:`discover` is all of the network.
"""
import http.server
import ipaddress
import os
import secrets
import subprocess
import sys
import threading
import time

import pytest

from sweeper.errors import InputError
from sweeper.lan import conduct, ports, ssdp, wire, wsd
from sweeper.lan.conduct import Attachment, RateLimiter
from sweeper.lan.hosts import clean
from sweeper.lan.scan import discover

from conftest import ROOT

def _ip(*args, check=True):
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    assert not check or proc.returncode == 0, proc.stderr
    return proc


class _Counting(http.server.BaseHTTPRequestHandler):
    """Counts requests: an SSDP LOCATION outside the subnet points here and must not be fetched."""

    hits = 0

    def do_GET(self):
        type(self).hits += 1
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def lan(request):
    """A /24 with one camera-like peer: (outside interface, peer ip, peer mac, namespace, counter)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create a network namespace and a veth pair")
    tag = secrets.token_hex(3)
    ns, outside, inside = f"sweeplan-{tag}", f"slo{tag}", f"sli{tag}"
    net = f"10.213.{secrets.randbelow(200) + 20}"
    if _ip("netns", "add", ns, check=False).returncode != 0:
        pytest.skip("ip netns add failed")
    counter = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=counter.serve_forever, daemon=True).start()
    peer = None

    def cleanup():
        if peer is not None:
            peer.kill()
            peer.wait()
        counter.shutdown()
        _ip("link", "del", outside, check=False)
        _ip("netns", "del", ns, check=False)

    request.addfinalizer(cleanup)
    if _ip("link", "add", outside, "type", "veth", "peer", "name", inside, "netns", ns, check=False).returncode:
        pytest.skip("cannot create a veth pair")
    for sysctl in (f"net.ipv6.conf.{outside}.accept_dad=0", f"net.ipv6.conf.{outside}.disable_ipv6=0"):
        subprocess.run(["sysctl", "-qw", sysctl], capture_output=True)
    for sysctl in (f"net.ipv6.conf.{inside}.accept_dad=0", f"net.ipv6.conf.{inside}.disable_ipv6=0"):
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", sysctl], capture_output=True)
    _ip("addr", "add", f"{net}.1/24", "dev", outside)
    _ip("-n", ns, "addr", "add", f"{net}.2/24", "dev", inside)
    _ip("link", "set", outside, "up")
    _ip("-n", ns, "link", "set", inside, "up")
    _ip("-n", ns, "link", "set", "lo", "up")
    peer_mac = _ip("-n", ns, "-j", "link", "show", inside).stdout.split('"address":"')[1].split('"')[0]
    env = dict(os.environ, PYTHONPATH=ROOT)
    peer = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, os.path.join(ROOT, "tests", "lan_peer.py"),
                             f"{net}.2", str(counter.server_address[1])],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = peer.stdout.readline()
    assert line.strip() == "ready", peer.stderr.read()
    return {"interface": outside, "peer": f"{net}.2", "mac": peer_mac, "ns": ns, "counter": _Counting,
            "net": ipaddress.ip_network(f"{net}.0/24"), "ours": f"{net}.1"}


def _tx_packets(interface):
    with open(f"/sys/class/net/{interface}/statistics/tx_packets") as f:
        return int(f.read())


@pytest.fixture(scope="module")
def found(lan):
    """One quick scan of the test network, and the packets the interface really sent."""
    before = _tx_packets(lan["interface"])
    start = time.monotonic()
    result = discover(lan["interface"], "quick", rate=100)
    elapsed = time.monotonic() - start
    return result, _tx_packets(lan["interface"]) - before, elapsed


def test_the_quick_scan_keeps_its_budget_and_rate(lan, found):
    result, sent, elapsed = found
    cov = result.coverage
    assert elapsed < 30 and cov["seconds"] <= elapsed + 0.1
    assert cov["subnet"] == str(lan["net"]) and cov["interface"] == lan["interface"]
    assert cov["rate_limit_pps"] == 100
    # the 253 ARP requests alone take 2.5 s at 100/s
    assert cov["packets_sent"] >= 253
    assert sent / elapsed <= 100 * 1.1, (sent, elapsed, cov)
    assert set(cov["probes"]) == {"arp", "nd", "mdns", "ssdp", "wsd", "tcp"}


def test_arp_finds_the_peer_and_its_mac(lan, found):
    host = found[0].hosts[lan["peer"]]
    assert host.mac == lan["mac"]
    assert "arp" in host.seen_by
    assert host.private_mac == conduct_private(lan["mac"])
    assert lan["ours"] not in found[0].hosts


def conduct_private(mac):
    return bool(int(mac[:2], 16) & 2)


def test_neighbour_discovery_adds_the_peers_ipv6_link_local(lan, found):
    host = found[0].hosts[lan["peer"]]
    assert any(a.startswith("fe80:") for a in host.ipv6), found[0].coverage["probes"]["nd"]
    assert "nd" in host.seen_by


def test_mdns_finds_the_rtsp_announcement(lan, found):
    host = found[0].hosts[lan["peer"]]
    rtsp = [m for m in host.mdns if m["type"] == "_rtsp._tcp"]
    assert rtsp and rtsp[0]["name"] == "Test Camera"
    assert rtsp[0]["txt"]["model"] == "TC-1"
    assert rtsp[0]["txt"]["evil"] == "a [2Jb"  # the escape is gone
    assert "testcam-2.local" in host.names


def test_ssdp_reads_the_description_and_skips_hostile_locations(lan, found):
    host = found[0].hosts[lan["peer"]]
    by_st = {e["st"]: e for e in host.ssdp}
    root = by_st["upnp:rootdevice"]
    assert root["manufacturer"] == "Acme Vision" and root["model"] == "AV-100 2"
    assert root["friendly_name"] == "Nursery Cam"
    assert root["device_type"] == "urn:schemas-upnp-org:device:Basic:1"
    assert "AcmeCam" in root["server"]
    assert by_st["urn:test:laughs"]["manufacturer"] == ""  # entities refused
    assert by_st["urn:test:outside"]["manufacturer"] == ""
    assert lan["counter"].hits == 0  # 127.0.0.1 is not on the subnet: never fetched


def test_wsd_finds_the_onvif_transmitter(lan, found):
    host = found[0].hosts[lan["peer"]]
    assert host.onvif
    match = host.onvif[0]
    assert "dn:NetworkVideoTransmitter" in match["types"]
    assert "onvif://www.onvif.org/hardware/AV-100" in match["scopes"]
    assert match["xaddrs"] == [f"http://{lan['peer']}/onvif/device_service"]


def test_ports_describe_rtsp_and_read_http(lan, found):
    host = found[0].hosts[lan["peer"]]
    services = {s.port: s for s in host.services}
    assert set(services) == {80, 443, 554, 8000, 8080, 8554}
    rtsp = services[554]
    assert rtsp.proto == "rtsp"
    assert rtsp.details["status"] == 200 and rtsp.details["media"] == ["video", "audio"]
    assert rtsp.details["server"] == "TestCam RTSP 1.0"
    locked = services[8554]
    assert locked.details["status"] == 401 and locked.details["media"] == []
    assert locked.details["realm"] == "IP Camera( [2J)"
    assert locked.details["server"] == "Evil [31mCam X"  # control characters cleaned
    assert all(c.isprintable() for c in locked.banner)
    web = services[80]
    assert web.proto == "http" and web.details["title"] == "IPCAM Web Viewer"
    assert web.details["server"] == "Boa/0.94.14rc21" and web.details["status"] == 200
    assert services[8080].details["title"] == "Big"
    tls = services[443]
    assert tls.proto == "https" and tls.details["title"] == "IPCAM Web Viewer"
    assert services[8000].proto == "rtsp" and services[8000].details["media"] == ["video", "audio"]


WITHOUT_RAW = """
import json, sys
from sweeper.lan.scan import discover
found = discover(sys.argv[1], "quick")
print(json.dumps({"probes": found.coverage["probes"],
                  "hosts": {ip: {"mac": h.mac, "seen_by": h.seen_by, "ports": [s.port for s in h.services]}
                            for ip, h in found.hosts.items()}}))
"""


def test_without_raw_sockets_the_neighbour_table_stands_in_for_arp(lan):
    import json

    if subprocess.run(["setpriv", "--version"], capture_output=True).returncode != 0:
        pytest.skip("no setpriv to drop CAP_NET_RAW")
    _ip("neigh", "flush", "dev", lan["interface"])
    proc = subprocess.run(["setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw", sys.executable, "-c",
                           WITHOUT_RAW, lan["interface"]], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["probes"]["arp"].startswith("not sent (needs root or CAP_NET_RAW)")
    peer = out["hosts"][lan["peer"]]
    assert peer["mac"] == lan["mac"] and "arp" not in peer["seen_by"] and "tcp" in peer["seen_by"]
    assert 554 in peer["ports"]


def test_a_10mb_page_is_read_only_to_the_cap(lan):
    limiter = RateLimiter(1000)
    start = time.monotonic()
    raw = wire.exchange(lan["peer"], 8080, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                        ports.HTTP_CAP, limiter)
    assert len(raw) == ports.HTTP_CAP
    assert time.monotonic() - start < 2.5


def test_wsd_answers_a_unicast_probe(lan):
    att = conduct.attachment(lan["interface"])
    found = wsd.probe(att, lan["net"], RateLimiter(1000), 1.0, unicast_to=[lan["peer"]])
    assert "dn:NetworkVideoTransmitter" in found[lan["peer"]][0]["types"]


# --- conduct: what may be scanned ------------------------------------------------------

def _att(cidr, interface="eth9"):
    iface = ipaddress.ip_interface(cidr)
    return Attachment(interface, iface.ip, iface.network, None)


@pytest.mark.parametrize("cidr, asked, message", [
    ("8.8.8.10/24", None, "public address space"),
    ("192.168.1.10/24", "192.168.2.0/24", "not eth9's own subnet"),
    ("10.1.2.3/16", None, "65536 addresses: at most 1024"),
    ("10.1.2.3/24", "not-a-net", "is not a subnet"),
])
def test_refused_targets(cidr, asked, message):
    with pytest.raises(InputError, match=message):
        conduct.check_target(_att(cidr), asked)


@pytest.mark.parametrize("cidr", ["192.168.1.10/24", "10.0.0.5/22", "100.64.3.2/24", "169.254.7.7/24",
                                  "172.20.0.9/23"])
def test_allowed_targets(cidr):
    assert conduct.check_target(_att(cidr)) == ipaddress.ip_interface(cidr).network


def test_the_other_subnet_is_refused_on_a_real_interface(lan):
    with pytest.raises(InputError, match="own subnet"):
        discover(lan["interface"], subnet="10.99.0.0/24")


def test_the_cli_refuses_with_exit_2(lan, cli):
    rc, out, err = cli("lan", "--interface", "no-such-if0", "--json")
    assert rc == 2 and "no interface" in err and err.count("\n") == 1


@pytest.mark.parametrize("cidr, message", [("203.0.113.5/24", "is public address space"),
                                           ("10.77.0.1/16", "has 65536 addresses: at most 1024")])
def test_the_cli_refuses_real_interfaces_on_public_or_large_subnets(lan, cli, cidr, message):
    tag = secrets.token_hex(3)
    name = f"sld{tag}"
    _ip("link", "add", name, "type", "veth", "peer", "name", f"slp{tag}")
    try:
        _ip("addr", "add", cidr, "dev", name)
        _ip("link", "set", name, "up")
        rc, out, err = cli("lan", "--interface", name)
        assert rc == 2 and message in err and err.count("\n") == 1 and out == ""
    finally:
        _ip("link", "del", name, check=False)


def test_the_rate_limiter_keeps_under_its_rate_across_threads():
    limiter = RateLimiter(200)
    stamps = []
    lock = threading.Lock()

    def send():
        for _ in range(40):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=send) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    assert limiter.sent == 200
    assert (len(stamps) - 1) / (stamps[-1] - stamps[0]) <= 200 * 1.02
    # and in any half second no more than half a second's worth, give or take the
    # threads' wake-up jitter (no bursts)
    assert max(sum(1 for s in stamps if t0 <= s < t0 + 0.5) for t0 in stamps) <= 100 + 5


def test_the_rate_limiter_stops_at_a_deadline():
    limiter = RateLimiter(10)
    deadline = time.monotonic() + 0.35
    got = sum(limiter.acquire(deadline=deadline) for _ in range(20))
    assert 3 <= got <= 5 and limiter.sent == got


# --- hostile input ----------------------------------------------------------------------

def test_billion_laughs_is_refused_quickly():
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    laughs = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
              + b"".join(b'<!ENTITY a%d "%s">' % (i, (b"&a%d;" % (i - 1) if i > 1 else b"&a;") * 10)
                         for i in range(1, 10))
              + b']><root><device><manufacturer>&a9;</manufacturer></device></root>')
    start = time.monotonic()
    assert ssdp.parse_description(laughs) is None
    assert wsd.parse_matches(laughs.replace(b"root", b"ProbeMatches")) == []
    assert time.monotonic() - start < 0.5


def test_locations_outside_the_subnet_are_not_fetched():
    net = ipaddress.ip_network("192.168.1.0/24")
    assert ssdp.location_in_subnet("http://192.168.1.7:49152/desc.xml", net)
    for loc in ("http://192.168.2.7/desc.xml", "http://127.0.0.1/desc.xml", "https://192.168.1.7/d.xml",
                "file:///etc/passwd", "http://example.com/d.xml", "http://[::1]/d.xml", ""):
        assert not ssdp.location_in_subnet(loc, net)


def test_banners_are_cleaned():
    assert clean(b"Cam\x1b[2J\r\nServer\x00\x07 x" + b"y" * 500) == "Cam [2J Server x" + "y" * 104
    assert ports.page_title(b"<TITLE>\n Net&amp;Cam\x1b]0;pwned\x07 </title>") == "Net&Cam ]0;pwned"
    assert ports.sdp_media(b"v=0\r\nm=video 0 RTP/AVP 96\r\nm=video 0 x\r\nm=application 0 x\r\n") == \
        ["video", "application"]


def test_a_truncated_or_garbage_reply_parses_to_no_status():
    assert wire.parse(b"\x16\x03\x01garbage").status is None
    assert wire.parse(None).status is None
    reply = wire.parse(b"RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"NVR\"\r\n\r\n")
    assert reply.status == 401 and wire.realm(reply.headers) == "NVR"


# --- the report: built from evidence and given scores (no network) -----------------------

def _result():
    from sweeper.lan.hosts import Host, Service
    from sweeper.lan.scan import ScanResult
    from sweeper.lan.score import HostScore

    cam = Host("192.168.1.20", mac="00:40:8c:01:02:03", vendor="Axis Communications AB", names=["axis-cam.local"],
               services=[Service(554, "rtsp", "GStreamer (DESCRIBE 200: video)", {"status": 200})],
               mdns=[{"type": "_axis-video._tcp", "name": "AXIS M1065", "txt": {}}],
               onvif=[{"types": ["dn:NetworkVideoTransmitter"], "scopes": [], "xaddrs": []}])
    printer = Host("192.168.1.5", mac="3c:2a:f4:00:00:01", vendor="Brother", services=[Service(631, "tcp")])
    phone = Host("192.168.1.9", mac="da:a1:19:00:00:02", private_mac=True)
    scores = {cam.ip: HostScore(0.95, "camera", ("describes a video stream over RTSP", "ONVIF video\x1b[2J")),
              printer.ip: HostScore(0.05, "none", ()), phone.ip: HostScore(0.3, "suspect", ("\u202eodd",))}
    coverage = {"interface": "wlan0", "subnet": "192.168.1.0/24", "mode": "quick", "seconds": 17.2,
                "packets_sent": 812, "rate_limit_pps": 100.0, "probes": {"arp": "requests to 253 addresses"}}
    return ScanResult([printer, phone, cam], scores, coverage)


def test_the_report_lists_findings_first_and_other_hosts_briefly():
    rep = _result().to_json()
    assert rep["verdict"] == "camera"
    assert [f["ip"] for f in rep["findings"]] == ["192.168.1.20", "192.168.1.9"]
    cam = rep["findings"][0]
    assert cam == {"type": "lan_camera", "ip": "192.168.1.20", "mac": "00:40:8c:01:02:03",
                   "vendor": "Axis Communications AB", "verdict": "camera", "score": 0.95,
                   "reasons": ["describes a video stream over RTSP", "ONVIF video\x1b[2J"],
                   "services": [{"port": 554, "proto": "rtsp", "banner": "GStreamer (DESCRIBE 200: video)"}],
                   "names": ["axis-cam.local"], "mdns": ["_axis-video._tcp"], "onvif": True}
    assert rep["hosts"] == [{"ip": "192.168.1.5", "mac": "3c:2a:f4:00:00:01", "vendor": "Brother", "names": [],
                             "services": [{"port": 631, "proto": "tcp", "banner": ""}]}]
    assert rep["coverage"]["packets_sent"] == 812


def test_the_table_is_short_and_cannot_drive_the_terminal():
    import io

    from sweeper.ui.terminal import print_lan

    out = io.StringIO()
    print_lan(_result().to_json(), out)
    text = out.getvalue()
    assert text.splitlines()[0] == "CAMERA: a camera is on this network (192.168.1.0/24 on wlan0)"
    assert "describes a video stream over RTSP" in text and "554/rtsp" in text
    assert "1 other host on the network" in text
    assert text.splitlines()[-1].startswith("coverage: quick scan, 17 s, 812 packets at most 100/s")
    assert all(c.isprintable() for line in text.splitlines() for c in line)


def test_vendors_come_from_the_oui_registry_and_private_macs_have_none():
    from sweeper.lan import arp
    from sweeper.wifi import oui

    if oui.database_path() is None:
        pytest.skip("no IEEE OUI registry (apt install ieee-data)")
    names = arp.vendors(["00:40:8c:12:34:56", "da:a1:19:00:00:02"])
    assert names["00:40:8c:12:34:56"].upper().startswith("AXIS COMMUNICATIONS") and names["da:a1:19:00:00:02"] is None
    assert arp.is_private_mac("da:a1:19:00:00:02") and not arp.is_private_mac("00:40:8c:12:34:56")


def test_a_host_that_drips_bytes_is_left_at_the_exchange_deadline():
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip():
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.wait(0.05):
                try:
                    conn.sendall(b"X")
                except OSError:
                    return

    threading.Thread(target=drip, daemon=True).start()
    start = time.monotonic()
    raw = wire.exchange("127.0.0.1", listener.getsockname()[1], b"GET / HTTP/1.1\r\n\r\n", 32768,
                        RateLimiter(1000), timeout_s=1.0)
    stop.set()
    listener.close()
    assert 0.9 < time.monotonic() - start < 1.5
    assert raw.startswith(b"HTTP/1.1 200 OK\r\nX") and len(raw) < 100


def test_no_connect_starts_past_the_deadline():
    limiter = RateLimiter(1000)
    found, tried = ports.probe_hosts(["192.0.2.1"], ports.QUICK_PORTS, limiter, time.monotonic() - 1)
    assert found == {} and tried == 0 and limiter.sent == 0
