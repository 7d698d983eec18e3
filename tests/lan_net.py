"""A small home network of real devices, in network namespaces, for testing ``sweeper lan``.

``lan_network()`` builds a bridge (in its own namespace, so the host's network is never
touched) with subnet 10.77.0.0/24, the sweeper's namespace ``swl-sweeper`` (``lan0`` =
10.77.0.2) and 20 hosts, each a namespace with a fixed IP and MAC running real servers:
three cameras (RTSP only, ONVIF only, mDNS + a camera web UI) and hard negatives that
look like cameras to a careless scanner (a printer, a NAS, a TV, a music player that
serves RTSP audio, phones with private MACs) plus idle hosts that only answer ARP.

Everything is named ``swl-*`` and torn down on exit; leftovers of a killed run are
removed before building. Servers run as separate processes with the system Python
(tests/lan_services.py), since GStreamer's gi bindings and zeroconf are Debian packages.

The probe functions at the end are tiny clients the fixture uses to wait for each
service (and tests use to check the network); they run inside a namespace through
:func:`in_namespace`.
"""
from __future__ import annotations

import contextlib
import ctypes
import fcntl
import glob
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

#: every namespace's name starts with this (a test of the clean-up uses another)
PREFIX = os.environ.get("SWL_PREFIX", "swl-")
BRIDGE_NS = PREFIX + "bridge"
SWEEPER_NS = PREFIX + "sweeper"
SWEEPER_IF = "lan0"
SWEEPER_IP = "10.77.0.2"
SWEEPER_MAC = "b8:27:eb:77:00:02"  # a Raspberry Pi
SUBNET = "10.77.0.0/24"
SYSTEM_PYTHON = "/usr/bin/python3"
SERVICES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lan_services.py")
MDNS = ("224.0.0.251", 5353)
SSDP = ("239.255.255.250", 1900)
WSD = ("239.255.255.250", 3702)
#: how long the services may take to come up
START_TIMEOUT = 20.0


@dataclass(frozen=True)
class LanHost:
    """One device on the test network and what a scanner should conclude about it.

    ``expected``: "camera" (must be a finding) or "negative" (must not be).
    ``evidence``: what gives it away (or what makes it a trap), for test messages.
    """

    name: str
    ip: str
    mac: str
    expected: str
    evidence: str = ""

    @property
    def namespace(self) -> str:
        return PREFIX + self.name


# MAC prefixes are real IEEE OUIs (/usr/share/ieee-data/oui.txt) except the phones',
# which are locally administered (bit 1 of the first byte), as a phone's randomised MAC.
HOSTS: Tuple[LanHost, ...] = (
    LanHost("camera_rtsp", "10.77.0.10", "00:e0:4c:77:00:10", "camera",
            "RTSP on 554 streaming video; nothing else (Realtek MAC: only the weakest hint)"),
    LanHost("camera_onvif", "10.77.0.11", "08:ed:ed:77:00:11", "camera",
            "ONVIF WS-Discovery NetworkVideoTransmitter; device service on 80 (Dahua MAC)"),
    LanHost("camera_mdns_web", "10.77.0.12", "24:6f:28:77:00:12", "camera",
            "mDNS _http._tcp 'IPCAM'; web UI 'NETSurveillance WEB', uc-httpd (Espressif MAC)"),
    LanHost("printer", "10.77.0.20", "3c:d9:2b:77:00:20", "negative",
            "IPP printer (ippeveprinter, _ipp._tcp via avahi) and a printer web page"),
    LanHost("nas", "10.77.0.21", "00:11:32:77:00:21", "negative",
            "UPnP MediaServer (minidlna) and a DiskStation web UI"),
    LanHost("tv", "10.77.0.22", "a8:23:fe:77:00:22", "negative",
            "DIAL over SSDP, MediaRenderer description, DIAL REST on 8008"),
    LanHost("music_rtsp", "10.77.0.23", "00:0e:58:77:00:23", "negative",
            "RTSP on 554 with an audio-only stream; _raop._tcp over mDNS"),
    LanHost("phone_1", "10.77.0.30", "da:a1:19:5e:30:01", "negative",
            "private MAC; answers mDNS _companion-link._tcp"),
    LanHost("phone_2", "10.77.0.31", "3e:52:8c:11:31:02", "negative", "private MAC"),
    LanHost("phone_3", "10.77.0.32", "72:0b:e4:9a:32:03", "negative", "private MAC"),
    LanHost("phone_4", "10.77.0.33", "a6:f3:07:2c:33:04", "negative", "private MAC"),
    LanHost("laptop", "10.77.0.40", "00:1b:21:77:00:40", "negative", "idle (Intel)"),
    LanHost("pi", "10.77.0.41", "dc:a6:32:77:00:41", "negative", "idle (Raspberry Pi)"),
    LanHost("macbook", "10.77.0.42", "f0:18:98:77:00:42", "negative", "idle (Apple)"),
    LanHost("desktop", "10.77.0.43", "d4:be:d9:77:00:43", "negative", "idle (Dell)"),
    LanHost("smart_plug", "10.77.0.44", "00:17:3f:77:00:44", "negative", "idle (Belkin)"),
    LanHost("xbox", "10.77.0.45", "00:1d:d8:77:00:45", "negative", "idle (Microsoft)"),
    LanHost("ipad", "10.77.0.46", "28:cf:e9:77:00:46", "negative", "idle (Apple)"),
    LanHost("conference_phone", "10.77.0.47", "64:16:7f:77:00:47", "negative", "idle (Polycom)"),
    LanHost("vm_host", "10.77.0.48", "00:0c:29:77:00:48", "negative", "idle (VMware)"),
)


@dataclass
class LanNet:
    """The running network: its hosts, and how long it took to start."""

    hosts: Tuple[LanHost, ...]
    workdir: str
    started_at: float  # time.time() when building began
    start_seconds: float = 0.0  # until every service answered
    processes: Dict[str, List[subprocess.Popen]] = field(default_factory=dict)
    sweeper_ns: str = SWEEPER_NS
    interface: str = SWEEPER_IF
    sweeper_ip: str = SWEEPER_IP

    def host(self, name: str) -> LanHost:
        return next(h for h in self.hosts if h.name == name)

    @property
    def cameras(self) -> List[LanHost]:
        return [h for h in self.hosts if h.expected == "camera"]

    @property
    def negatives(self) -> List[LanHost]:
        return [h for h in self.hosts if h.expected == "negative"]

    def in_sweeper(self, fn: Callable, *args, **kwargs):
        """``fn(*args, **kwargs)`` with the sockets it opens in the sweeper's namespace."""
        return in_namespace(self.sweeper_ns, fn, *args, **kwargs)


def unavailable_reason() -> Optional[str]:
    """Why this network cannot be built here (None when it can)."""
    if os.geteuid() != 0:
        return "the LAN test network needs root (network namespaces, veth, a bridge)"
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    if probe.returncode != 0:
        return "`ip netns` is unavailable: " + probe.stderr.strip()
    for tool in (SYSTEM_PYTHON, "minidlnad", "ippeveprinter", "avahi-daemon", "dbus-daemon"):
        if shutil.which(tool) is None:
            return "%s is not installed (./dev test installs it)" % tool
    check = subprocess.run([SYSTEM_PYTHON, "-c", "import gi, zeroconf; gi.require_version("
                            "'GstRtspServer', '1.0'); from gi.repository import GstRtspServer"],
                           capture_output=True, text=True)
    if check.returncode != 0:
        return ("the system Python lacks GStreamer's RTSP server or zeroconf "
                "(./dev test installs them): " + check.stderr.strip().splitlines()[-1])
    return None


# ---------------------------------------------------------------- namespaces and links

def _ip_batch(commands: List[str], namespace: Optional[str] = None) -> None:
    """Many `ip` commands in one process (start-up stays well under a second)."""
    argv = ["ip"] + (["-n", namespace] if namespace else []) + ["-batch", "-"]
    proc = subprocess.run(argv, input="\n".join(commands) + "\n", capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("ip %s: %s" % (namespace or "", proc.stderr.strip()))


def leftover_namespaces() -> List[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(PREFIX)]


def remove_namespaces() -> None:
    """Kill every process in a ``swl-*`` namespace, then delete the namespaces (their
    veths and the bridge go with them)."""
    names = leftover_namespaces()
    for ns in names:
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                              text=True).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
    for ns in names:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def _build_links(hosts: Tuple[LanHost, ...]) -> None:
    """The bridge in its own namespace, and one veth per host from it."""
    members = [(SWEEPER_NS, SWEEPER_IF, SWEEPER_IP, SWEEPER_MAC)] + [
        (h.namespace, "eth0", h.ip, h.mac) for h in hosts]
    _ip_batch(["netns add %s" % BRIDGE_NS] + ["netns add %s" % ns for ns, *_ in members])
    bridge = ["link set lo up",
              # no snooping: the bridge floods multicast to every port, as a home switch
              "link add br0 type bridge mcast_snooping 0 stp_state 0 forward_delay 0",
              "link set br0 up"]
    for i, (ns, ifname, ip, mac) in enumerate(members):
        port = "p%d" % i
        bridge += ["link add %s type veth peer name %s netns %s" % (port, ifname, ns),
                   "link set %s master br0" % port, "link set %s up" % port]
    _ip_batch(bridge, BRIDGE_NS)
    for ns, ifname, ip, mac in members:
        _ip_batch(["link set lo up", "link set %s address %s" % (ifname, mac),
                   "addr add %s/24 dev %s" % (ip, ifname), "link set %s up" % ifname,
                   "route add 224.0.0.0/4 dev %s" % ifname], ns)


# ---------------------------------------------------------------- the hosts' servers

def _write(path: str, text: str) -> str:
    with open(path, "w") as f:
        f.write(text)
    return path


_DEVICE_XML = """<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<device>
<deviceType>{device_type}</deviceType>
<friendlyName>{friendly}</friendlyName>
<manufacturer>{maker}</manufacturer>
<modelName>{model}</modelName>
<UDN>uuid:{udn}</UDN>
</device>
</root>
"""

_DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
"""

_AVAHI_CONF = """[server]
host-name={host}
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-workstation=no
publish-hinfo=no
[rlimits]
"""

# The printer: a private D-Bus system bus and avahi-daemon (ippeveprinter registers its
# DNS-SD services through avahi over D-Bus), in a mount namespace of its own so that
# avahi's pid file cannot collide with the host's avahi-daemon.
_PRINTER_SH = """set -e
mkdir -p /run/avahi-daemon
mount -t tmpfs none /run/avahi-daemon
dbus-daemon --config-file={dir}/bus.conf --nofork --nosyslog &
for i in $(seq 100); do [ -S {dir}/bus ] && break; sleep 0.02; done
export DBUS_SYSTEM_BUS_ADDRESS=unix:path={dir}/bus
avahi-daemon --no-drop-root --no-chroot --no-rlimits -f {dir}/avahi.conf &
for i in $(seq 100); do [ -S /run/avahi-daemon/socket ] && break; sleep 0.02; done
exec ippeveprinter -p 631 -d {dir}/spool -M HP -m "LaserJet Pro M404dn" \
    -l "Office" "HP LaserJet Pro M404dn"
"""

_MINIDLNA_CONF = """media_dir=V,{media}
db_dir={db}
log_dir={db}
port=8200
network_interface=eth0
friendly_name=DiskStation
model_name=Synology DiskStation
serial=1130LWN000421
notify_interval=60
inotify=no
"""


def _service_commands(host: LanHost, work: str) -> List[List[str]]:
    """The argv of each server process the host runs (empty for idle hosts)."""
    py = [SYSTEM_PYTHON, SERVICES]
    ip = host.ip
    if host.name == "camera_rtsp":
        return [py + ["rtsp", "--media", "video"]]
    if host.name == "camera_onvif":
        return [py + ["wsd", "--xaddr", "http://%s/onvif/device_service" % ip,
                      "--scope", "onvif://www.onvif.org/type/video_encoder",
                      "--scope", "onvif://www.onvif.org/Profile/Streaming",
                      "--scope", "onvif://www.onvif.org/hardware/IPC-123",
                      "--scope", "onvif://www.onvif.org/name/IPCamera"],
                py + ["http", "--port", "80", "--server", "gSOAP/2.8"]]
    if host.name == "camera_mdns_web":
        return [py + ["http", "--port", "80", "--title", "NETSurveillance WEB",
                      "--server", "uc-httpd 1.0.0"],
                py + ["mdns", "--ip", ip, "--host", "IPCAM-77012",
                      "--service", "_http._tcp|IPCAM-77012 Web Camera|80|path=/"]]
    if host.name == "printer":
        d = os.path.join(work, "printer")
        os.makedirs(os.path.join(d, "spool"))
        _write(os.path.join(d, "bus.conf"), _DBUS_CONF.format(socket=os.path.join(d, "bus")))
        _write(os.path.join(d, "avahi.conf"), _AVAHI_CONF.format(host="office-printer"))
        script = _write(os.path.join(d, "run.sh"), _PRINTER_SH.format(dir=d))
        return [["unshare", "--mount", "sh", script],
                py + ["http", "--port", "80", "--title", "HP LaserJet Pro M404dn - Home",
                      "--server", "HP HTTP Server; HP LaserJet Pro M404dn"]]
    if host.name == "nas":
        d = os.path.join(work, "nas")
        os.makedirs(os.path.join(d, "media"))
        os.makedirs(os.path.join(d, "db"))
        conf = _write(os.path.join(d, "minidlna.conf"),
                      _MINIDLNA_CONF.format(media=os.path.join(d, "media"),
                                            db=os.path.join(d, "db")))
        return [["minidlnad", "-d", "-f", conf, "-P", os.path.join(d, "minidlna.pid")],
                py + ["http", "--port", "80", "--title", "DiskStation - Synology NAS",
                      "--server", "nginx"]]
    if host.name == "tv":
        desc = _write(os.path.join(work, "tv-dd.xml"), _DEVICE_XML.format(
            device_type="urn:dial-multiscreen-org:device:dial:1", friendly="Living Room TV",
            maker="LG Electronics", model="OLED55C1", udn=uuid.uuid5(uuid.NAMESPACE_DNS, ip)))
        location = "http://%s:8008/ssdp/device-desc.xml" % ip
        return [py + ["ssdp", "--location", location, "--server",
                      "Linux/4.4 UPnP/1.0 webOS/6.0",
                      "--st", "urn:dial-multiscreen-org:service:dial:1",
                      "--st", "urn:dial-multiscreen-org:device:dial:1",
                      "--st", "urn:schemas-upnp-org:device:MediaRenderer:1"],
                py + ["http", "--port", "8008", "--title", "webOS TV", "--server",
                      "Linux/4.4 UPnP/1.0 webOS/6.0",
                      "--route", "/ssdp/device-desc.xml=%s:text/xml" % desc,
                      "--header", "Application-URL=http://%s:8008/apps/" % ip]]
    if host.name == "music_rtsp":
        return [py + ["rtsp", "--media", "audio"],
                py + ["mdns", "--ip", ip, "--host", "Sonos-Kitchen",
                      "--service", "_raop._tcp|000E58770023@Kitchen|554|am=Sonos One,cn=0,1",
                      "--service", "_spotify-connect._tcp|Kitchen|554|CPath=/zc"]]
    if host.name == "phone_1":
        return [py + ["mdns", "--ip", ip, "--host", "Annas-iPhone",
                      "--service", "_companion-link._tcp|Anna's iPhone|49152|rpVr=360.4"]]
    return []


def _start(host: LanHost, argv: List[str], log_dir: str) -> subprocess.Popen:
    with open(os.path.join(log_dir, "%s.log" % host.name), "ab") as log:
        return subprocess.Popen(["ip", "netns", "exec", host.namespace] + argv, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, preexec_fn=_die_with_parent)


def _log_tail(log_dir: str, host_name: str, lines: int = 8) -> str:
    try:
        with open(os.path.join(log_dir, "%s.log" % host_name), errors="replace") as f:
            return " | ".join(f.read().splitlines()[-lines:])
    except OSError:
        return ""


def _die_with_parent():
    """The servers die with the test run (SIGKILL when the parent exits)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _stop(procs: List[subprocess.Popen]) -> None:
    for p in procs:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 2
    for p in procs:
        try:
            p.wait(max(0.05, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(2)


# ---------------------------------------------------------------- readiness

def _readiness_checks(hosts: Tuple[LanHost, ...]) -> List[Tuple[str, Callable[[], bool]]]:
    """What must answer, from the sweeper's namespace, before the network is handed out."""
    def rtsp(ip, media):
        status, sdp = rtsp_describe(ip, "/", timeout=2)
        return status == 200 and ("m=" + media) in sdp

    def ssdp(ip):  # minidlna listens on the group address only: search by multicast
        return ip in {responder for responder, _ in ssdp_search(timeout=0.5)}

    def mdns(ip, service_type):
        return bool(mdns_query(ip, service_type, timeout=0.5))

    def tcp(ip, port):
        return http_get(ip, port, "/", timeout=1)[0] > 0

    wanted = {
        "camera_rtsp": [(rtsp, "video")],
        "camera_onvif": [(lambda ip: bool(wsd_probe(ip, timeout=0.5)),), (tcp, 80)],
        "camera_mdns_web": [(mdns, "_http._tcp.local"), (tcp, 80)],
        "printer": [(mdns, "_ipp._tcp.local"), (tcp, 631), (tcp, 80)],
        "nas": [(ssdp,), (tcp, 80), (tcp, 8200)],
        "tv": [(ssdp,), (tcp, 8008)],
        "music_rtsp": [(rtsp, "audio"), (mdns, "_raop._tcp.local")],
        "phone_1": [(mdns, "_companion-link._tcp.local")],
    }
    checks = []
    for h in hosts:
        for fn, *args in wanted.get(h.name, []):
            label = "%s %s%r" % (h.name, getattr(fn, "__name__", "wsd"), tuple(args))
            checks.append((label, lambda fn=fn, ip=h.ip, args=args: fn(ip, *args)))
    return checks


def _wait_ready(hosts: Tuple[LanHost, ...], timeout: float, log_dir: str) -> None:
    """Each check retried (in parallel, from the sweeper's namespace) until it passes."""
    deadline = time.monotonic() + timeout
    failed: Dict[str, str] = {}

    def until_ok(name, check):
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except OSError as e:
                last = str(e)
            time.sleep(0.1)
        failed[name] = last

    threads = [threading.Thread(target=in_namespace, args=(SWEEPER_NS, until_ok, name, check),
                                kwargs={"within": timeout + 5}, daemon=True)
               for name, check in _readiness_checks(hosts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        logs = {label.split()[0] for label in failed}
        raise RuntimeError("LAN test network: not up within %.0f s: %s. Logs: %s" % (
            timeout, "; ".join("%s (%s)" % kv for kv in sorted(failed.items())),
            "; ".join("%s: %s" % (h, _log_tail(log_dir, h)) for h in sorted(logs))))


@contextlib.contextmanager
def _exclusive():
    """One network of a prefix at a time on this machine: two test processes (xdist
    workers, two runs) take turns instead of deleting each other's namespaces."""
    lock_dir = "/run/lock" if os.path.isdir("/run/lock") else tempfile.gettempdir()
    fd = os.open(os.path.join(lock_dir, PREFIX + "lan.lock"), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def lan_network(hosts: Tuple[LanHost, ...] = HOSTS, timeout: float = START_TIMEOUT):
    """Build the network, wait until every service answers, yield a :class:`LanNet`;
    always tear everything down afterwards."""
    with _exclusive():
        yield from _lan_network(hosts, timeout)


def _lan_network(hosts, timeout):
    started = time.time()
    t0 = time.monotonic()
    remove_namespaces()  # a killed earlier run's
    for stale in glob.glob(os.path.join(tempfile.gettempdir(), PREFIX + "lan-*")):
        shutil.rmtree(stale, ignore_errors=True)  # its files (we hold the lock)
    net = LanNet(hosts=hosts, workdir=tempfile.mkdtemp(prefix=PREFIX + "lan-"),
                 started_at=started)
    try:
        _build_links(hosts)
        for h in hosts:
            net.processes[h.name] = [_start(h, argv, net.workdir)
                                     for argv in _service_commands(h, net.workdir)]
        _wait_ready(hosts, timeout, net.workdir)
        net.start_seconds = time.monotonic() - t0
        yield net
    finally:
        _stop([p for procs in net.processes.values() for p in procs])
        remove_namespaces()
        shutil.rmtree(net.workdir, ignore_errors=True)


# ---------------------------------------------------------------- running in a namespace

_CLONE_NEWNET = 0x40000000


def in_namespace(namespace: str, fn: Callable, *args, within: float = 30.0, **kwargs):
    """``fn(*args, **kwargs)`` on a thread that has joined the network namespace, so the
    sockets it opens live there; its result, or its exception re-raised (a TimeoutError
    when it takes longer than ``within`` seconds)."""
    result = {}

    def run():
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open("/run/netns/" + namespace, os.O_RDONLY)
            try:
                if libc.setns(fd, _CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, "setns(%s): %s" % (namespace, os.strerror(err)))
            finally:
                os.close(fd)
            result["value"] = fn(*args, **kwargs)
        except BaseException as e:  # re-raised in the caller
            result["error"] = e

    t = threading.Thread(target=run, daemon=True, name="netns-" + namespace)
    t.start()
    t.join(within)
    if t.is_alive():
        raise TimeoutError("%s did not finish within %.0f s in %s" % (fn, within, namespace))
    if "error" in result:
        raise result["error"]
    return result.get("value")


# ---------------------------------------------------------------- tiny clients

def rtsp_describe(ip: str, path: str = "/", port: int = 554,
                  timeout: float = 3.0) -> Tuple[int, str]:
    """An RTSP DESCRIBE round trip: (status, body)."""
    url = "rtsp://%s:%d%s" % (ip, port, path)
    request = ("DESCRIBE %s RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n"
               "User-Agent: swl-test\r\n\r\n" % url).encode()
    with socket.create_connection((ip, port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        m = re.search(rb"Content-Length:\s*(\d+)", head, re.I)
        need = int(m.group(1)) if m else 0
        while len(body) < need:
            chunk = s.recv(4096)
            if not chunk:
                break
            body += chunk
    status = re.match(rb"RTSP/1\.0 (\d+)", head)
    return (int(status.group(1)) if status else 0), body.decode("utf-8", "replace")


def http_get(ip: str, port: int, path: str = "/", timeout: float = 3.0,
             method: str = "GET", body: bytes = b"",
             headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], str]:
    """(status, headers with lower-case names, body) of one HTTP/1.0 request."""
    extra = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
    request = ("%s %s HTTP/1.0\r\nHost: %s:%d\r\nConnection: close\r\n"
               "Content-Length: %d\r\n%s\r\n" % (
        method, path, ip, port, len(body), extra)).encode() + body
    with socket.create_connection((ip, port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            head, sep, rest = data.partition(b"\r\n\r\n")
            m = re.search(rb"Content-Length:\s*(\d+)", head, re.I)
            chunked = re.search(rb"Transfer-Encoding:\s*chunked", head, re.I)
            if sep and (method == "HEAD" or (m and len(rest) >= int(m.group(1)))
                        or (chunked and rest.endswith(b"0\r\n\r\n"))):
                break  # complete (CUPS keeps the connection open whatever one asks)
    head, _, rest = data.partition(b"\r\n\r\n")
    if re.search(rb"Transfer-Encoding:\s*chunked", head, re.I):
        rest = _dechunk(rest)
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.\d (\d+)", lines[0]) if lines else None
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return (int(m.group(1)) if m else 0), hdrs, rest.decode("utf-8", "replace")


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2:]
    return out


def _udp_exchange(dest: Tuple[str, int], payload: bytes, timeout: float,
                  source_port: int = 0) -> List[Tuple[str, bytes]]:
    """Send one datagram (unicast or multicast) and collect every reply until timeout."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
        s.bind(("", source_port))
        s.sendto(payload, dest)
        replies = []
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return replies
            s.settimeout(left)
            try:
                data, peer = s.recvfrom(65536)
            except socket.timeout:
                return replies
            replies.append((peer[0], data))
    finally:
        s.close()


def ssdp_search(dest_ip: str = SSDP[0], st: str = "ssdp:all",
                timeout: float = 1.5) -> List[Tuple[str, Dict[str, str]]]:
    """An SSDP M-SEARCH: [(responder ip, headers with lower-case names)]."""
    msg = ("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n"
           "MX: 1\r\nST: %s\r\n\r\n" % st).encode()
    out = []
    for ip, data in _udp_exchange((dest_ip, SSDP[1]), msg, timeout):
        hdrs = {}
        for line in data.decode("utf-8", "replace").split("\r\n")[1:]:
            k, _, v = line.partition(":")
            if k:
                hdrs[k.strip().lower()] = v.strip()
        out.append((ip, hdrs))
    return out


_WSD_PROBE = """<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" \
xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" \
xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" \
xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<s:Header><a:MessageID>urn:uuid:{id}</a:MessageID>
<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>
<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>
<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body>
</s:Envelope>"""


def wsd_probe(dest_ip: str = WSD[0], timeout: float = 1.5) -> List[Tuple[str, str]]:
    """A WS-Discovery Probe for NetworkVideoTransmitters: [(responder ip, ProbeMatches
    XML)], only replies that relate to this probe."""
    msg_id = "urn:uuid:%s" % uuid.uuid4()
    payload = _WSD_PROBE.format(id=msg_id[9:]).encode()
    return [(ip, data.decode("utf-8", "replace"))
            for ip, data in _udp_exchange((dest_ip, WSD[1]), payload, timeout)
            if msg_id.encode() in data and b"ProbeMatches" in data]


def _dns_name(labels: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in labels.split(".") if p) + b"\0"


def mdns_query(dest_ip: str, qname: str, qtype: int = 12,
               timeout: float = 1.0) -> List[Tuple[str, bytes]]:
    """A one-shot mDNS question (PTR by default) from an ephemeral port, so responders
    answer by unicast (RFC 6762 5.1): [(responder ip, raw answer)] with answers only."""
    query = struct.pack(">HHHHHH", 0x5377, 0, 1, 0, 0, 0) + _dns_name(qname) + \
        struct.pack(">HH", qtype, 1)
    return [(ip, data) for ip, data in _udp_exchange((dest_ip, MDNS[1]), query, timeout)
            if len(data) >= 12 and data[2] & 0x80 and struct.unpack(">H", data[6:8])[0] > 0]
