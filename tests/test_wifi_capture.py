"""The hardware edge of the Wi-Fi capture: monitor mode set-up and the AF_PACKET source.

There is no radio here, so the live capture runs for real over a veth pair: the receiving
end sits alone in a fresh network namespace (nothing else talks on it) and recorded
frames are written into the other end with a raw socket.
"""
import ctypes
import os
import secrets
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest

from sweeper.errors import HardwareError
from sweeper.wifi.capture import AfPacketSource
from sweeper.wifi.monitor import MonitorInterface, find_adapters, parse_iftype, parse_supported_modes
from sweeper.wifi.source import LINKTYPE_ETHERNET, LINKTYPE_IEEE802_11_RADIOTAP

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLINK_PCAP = os.path.join(ROOT, "..", "shared", "data", "wifi", "tjoconnor-blink-cam-01.pcap")
CLONE_NEWNET = 0x40000000

IW_PHY_MT76X2U = """\
Wiphy phy1
\twiphy index: 1
\tmax # scan SSIDs: 4
\tmax scan IEs length: 482 bytes
\tRTS threshold: otherwise disabled
\tRetry short limit: 7
\tAvailable Antennas: TX 0x3 RX 0x3
\tConfigured Antennas: TX 0x3 RX 0x3
\tSupported interface modes:
\t\t * IBSS
\t\t * managed
\t\t * AP
\t\t * AP/VLAN
\t\t * monitor
\t\t * mesh point
\t\t * P2P-client
\t\t * P2P-GO
\tBand 1:
\t\tCapabilities: 0x1ff
\t\t\tRX LDPC
\t\t\tHT20/HT40
\t\tFrequencies:
\t\t\t* 2412 MHz [1] (20.0 dBm)
\t\t\t* 2484 MHz [14] (disabled)
\tsoftware interface modes (can always be added):
\t\t * AP/VLAN
\t\t * monitor
\tvalid interface combinations:
\t\t * #{ IBSS } <= 1, #{ managed, AP, mesh point, P2P-client, P2P-GO } <= 2,
\t\t   total <= 2, #channels <= 1, STA/AP BI must match
"""

IW_PHY_BRCMFMAC = """\
Wiphy phy0
\twiphy index: 0
\tmax # scan SSIDs: 10
\tSupported Ciphers:
\t\t* WEP40 (00-0f-ac:1)
\t\t* CCMP-128 (00-0f-ac:4)
\tAvailable Antennas: TX 0 RX 0
\tSupported interface modes:
\t\t * IBSS
\t\t * managed
\t\t * AP
\t\t * P2P-client
\t\t * P2P-GO
\t\t * P2P-device
\tBand 1:
\t\tCapabilities: 0x1020
\tvalid interface combinations:
\t\t * #{ managed } <= 1, #{ P2P-device } <= 1, #{ P2P-client, P2P-GO } <= 1,
\t\t   total <= 3, #channels <= 2
\tSupported commands:
\t\t * new_interface
\t\t * set_interface
"""


# --- monitor mode -------------------------------------------------------------------

def test_supported_modes_of_a_monitor_capable_adapter():
    modes = parse_supported_modes(IW_PHY_MT76X2U)
    assert modes == {"IBSS", "managed", "AP", "AP/VLAN", "monitor", "mesh point", "P2P-client", "P2P-GO"}


def test_supported_modes_of_the_pi_builtin_adapter_lack_monitor():
    modes = parse_supported_modes(IW_PHY_BRCMFMAC)
    assert "monitor" not in modes and "managed" in modes and "P2P-device" in modes
    assert parse_supported_modes("Wiphy phy3\n\twiphy index: 3\n") == set()


def test_iftype_from_iw_dev_info():
    text = "Interface wlan1\n\tifindex 5\n\twdev 0x100000001\n\taddr 00:c0:ca:00:00:01\n\ttype monitor\n\twiphy 1\n"
    assert parse_iftype(text) == "monitor"
    assert parse_iftype("Interface wlan0\n") == "unknown"


@pytest.mark.skipif(any(os.path.isdir(f"/sys/class/net/{n}/phy80211") for n in os.listdir("/sys/class/net")),
                    reason="this machine has a Wi-Fi adapter")
def test_auto_without_any_adapter_says_to_plug_one_in():
    assert find_adapters() == []
    mon = MonitorInterface("auto")
    with pytest.raises(HardwareError, match=r"^no Wi-Fi adapter found: plug in a USB adapter .*mt7612u"):
        mon.open()
    assert mon.describe() == "auto (not open)"
    mon.close()  # nothing to undo


def test_named_interface_that_does_not_exist():
    with pytest.raises(HardwareError, match=r"no network interface wlan9: .*ip link"):
        with MonitorInterface("wlan9"):
            pass


def test_named_interface_that_is_not_wifi():
    with pytest.raises(HardwareError, match=r"^lo is not a Wi-Fi interface"):
        MonitorInterface("lo").open()


# --- AF_PACKET source: errors without a network namespace ----------------------------

def test_capture_on_missing_interface_names_it():
    with pytest.raises(HardwareError, match=r"no network interface nosuchif0: .*ip link"):
        AfPacketSource("nosuchif0")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to open a raw socket")
def test_capture_on_an_interface_of_unknown_type():
    with pytest.raises(HardwareError, match=r"lo has hardware type 772"):
        AfPacketSource("lo")


def _drop_cap_net_raw():
    """In the child before exec: remove CAP_NET_RAW from the bounding set, so even root lacks it."""
    PR_CAPBSET_DROP, CAP_NET_RAW = 24, 13
    if ctypes.CDLL(None, use_errno=True).prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_capture_without_cap_net_raw_says_how_to_fix():
    code = ("from sweeper.wifi.capture import AfPacketSource\n"
            "from sweeper.errors import HardwareError\n"
            "try:\n    AfPacketSource('lo')\nexcept HardwareError as e:\n    print(e)\n")
    try:
        proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                              timeout=60, preexec_fn=_drop_cap_net_raw)
    except subprocess.SubprocessError as e:
        pytest.skip(f"cannot drop CAP_NET_RAW here: {e}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "capture on lo needs CAP_NET_RAW: run as root or through the sweeper service"


# --- AF_PACKET source over a veth pair ----------------------------------------------

def _ip(*args):
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


class Veth:
    """A veth pair: ``outside`` in this namespace, ``inside`` alone in namespace ``ns``."""

    def __init__(self, ns, outside, inside):
        self.ns, self.outside, self.inside = ns, outside, inside

    def open_source(self, **kwargs):
        """An AfPacketSource on the inside end, created from within the namespace."""
        return _in_netns(self.ns, lambda: AfPacketSource(self.inside, **kwargs))

    def sender(self):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        sock.bind((self.outside, 0))
        return sock


def _in_netns(ns, fn):
    """Run ``fn`` in a thread that joined network namespace ``ns`` (sockets keep their namespace)."""
    libc = ctypes.CDLL(None, use_errno=True)
    out = {}

    def target():
        try:
            fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns {ns}: {os.strerror(err)}")
            finally:
                os.close(fd)
            out["value"] = fn()
        except BaseException as e:  # handed to the calling thread
            out["error"] = e

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


@pytest.fixture
def veth(request):
    if os.geteuid() != 0:
        pytest.skip("needs root to create a network namespace and a veth pair")
    tag = secrets.token_hex(3)
    ns, outside, inside = f"sweeptest-{tag}", f"swo{tag}", f"swi{tag}"
    proc = _ip("netns", "add", ns)
    if proc.returncode != 0:
        pytest.skip(f"ip netns add failed: {proc.stderr.strip()}")

    def cleanup():
        _ip("link", "del", outside)
        _ip("netns", "del", ns)

    request.addfinalizer(cleanup)
    proc = _ip("link", "add", outside, "type", "veth", "peer", "name", inside, "netns", ns)
    if proc.returncode != 0:
        pytest.skip(f"cannot create a veth pair: {proc.stderr.strip()}")
    # Keep the kernel from sending IPv6 router solicitations etc. across the pair.
    for cmd in (["sh", "-c", f"echo 1 > /proc/sys/net/ipv6/conf/{outside}/disable_ipv6"],
                ["ip", "netns", "exec", ns, "sh", "-c", f"echo 1 > /proc/sys/net/ipv6/conf/{inside}/disable_ipv6"]):
        subprocess.run(cmd, capture_output=True, timeout=30)
    for args in (["link", "set", outside, "up"], ["-n", ns, "link", "set", inside, "up"]):
        proc = _ip(*args)
        assert proc.returncode == 0, proc.stderr
    return Veth(ns, outside, inside)


def _receive(source, count, timeout=10.0):
    """Read until ``count`` records arrived (or the timeout); [(ts, bytes, caplen, origlen)]."""
    records = []
    deadline = time.monotonic() + timeout
    while len(records) < count and time.monotonic() < deadline:
        batch = source.read_batch(0.2)
        assert batch is not None and batch.linktype == source.linktype
        records += [(float(batch.ts[i]), batch.record(i), int(batch.caplen[i]), int(batch.origlen[i]))
                    for i in range(len(batch))]
    return records


def _send_and_receive(veth, source, frames, chunk=200):
    """Write ``frames`` into the outside end in chunks, reading each chunk back."""
    received = []
    with veth.sender() as tx:
        for start in range(0, len(frames), chunk):
            for frame in frames[start:start + chunk]:
                assert tx.send(frame) == len(frame)
            received += _receive(source, min(len(frames), start + chunk) - len(received))
    return received


def _assert_arrived_intact(received, frames, snaplen):
    assert len(received) == len(frames)
    for i, ((_, data, caplen, origlen), frame) in enumerate(zip(received, frames)):
        assert origlen == len(frame), f"record {i}"
        assert caplen == min(len(frame), snaplen) == len(data), f"record {i}"
        assert data == frame[:snaplen], f"record {i}"


def _pcap_frames(path, limit):
    """Records of a little-endian classic pcap, zero-padded back to their original length."""
    with open(path, "rb") as f:
        raw = f.read()
    magic, _, _, _, _, _, linktype = struct.unpack_from("<IHHiIII", raw)
    assert magic == 0xA1B2C3D4 and linktype == LINKTYPE_ETHERNET
    frames, off = [], 24
    while off + 16 <= len(raw) and len(frames) < limit:
        _, _, caplen, origlen = struct.unpack_from("<IIII", raw, off)
        off += 16
        frames.append(raw[off:off + caplen].ljust(origlen, b"\0"))
        off += caplen
    return frames


def test_recorded_camera_frames_arrive_in_order_with_true_lengths(veth):
    if not os.path.exists(BLINK_PCAP):
        pytest.skip(f"recording not found: {BLINK_PCAP}")
    frames = _pcap_frames(BLINK_PCAP, 2000)
    assert any(len(f) > 256 for f in frames) and any(f[12:14] == b"\x81\x00" for f in frames)
    started = time.time()
    with veth.open_source() as source:
        assert source.linktype == LINKTYPE_ETHERNET and not source.can_tune
        received = _send_and_receive(veth, source, frames)
        assert source.read_batch(0.05).ts.size == 0  # nothing else crossed the link
        assert source.stats() == {"packets": len(frames), "drops": 0}
    _assert_arrived_intact(received, frames, 256)
    stamps = [r[0] for r in received]
    assert stamps == sorted(stamps) and started - 1 < stamps[0] and stamps[-1] < time.time() + 1


def test_frames_longer_than_snaplen_keep_their_length_not_their_payload(veth):
    vlan = bytes(range(12)) + b"\x81\x00\x00\x2a\x08\x00" + bytes(1000)  # 802.1Q tag, VLAN 42
    frames = [bytes(range(256)) * 5 + b"end",  # 1283 bytes
              b"\xff" * 6 + b"\x02" + b"\x11" * 5 + b"\x08\x06" + bytes(46),  # minimum size ARP
              vlan, vlan[:14] + bytes(50)]
    with veth.open_source(snaplen=64) as source:
        received = _send_and_receive(veth, source, frames)
    _assert_arrived_intact(received, frames, 64)
    assert received[0][2:] == (64, 1283)


def test_radiotap_frames_cross_intact_with_a_linktype_override(veth):
    radiotap = struct.pack("<BBHI", 0, 0, 8, 0)  # version, pad, it_len=8, it_present=0
    qos_data = (struct.pack("<BBH", 0x88, 0x01, 44)  # QoS data, to-DS; duration
                + bytes.fromhex("02112233445b 0a1b2c3d4e5f 02112233445b")  # BSSID, camera, DA
                + struct.pack("<HH", 0x1230, 0x0005))  # sequence control, QoS control (TID 5)
    ccmp = bytes.fromhex("0100002000000000")
    frame = radiotap + qos_data + ccmp + bytes(range(200))
    with veth.open_source(linktype=LINKTYPE_IEEE802_11_RADIOTAP) as source:
        assert source.linktype == LINKTYPE_IEEE802_11_RADIOTAP
        received = _send_and_receive(veth, source, [frame, frame[:-100]])
    _assert_arrived_intact(received, [frame, frame[:-100]], 256)
    assert received[0][1][8:10] == b"\x88\x01"


def test_batches_are_capped_and_close_ends_the_stream(veth):
    frames = [bytes([i]) * 6 + b"\x02" * 6 + b"\x88\xb5" + bytes([i]) * 80 for i in range(50)]
    source = veth.open_source(batch_frames=16)
    empty = source.read_batch(0.05)
    assert len(empty) == 0 and empty.linktype == LINKTYPE_ETHERNET and empty.channel == 0
    with veth.sender() as tx:
        for frame in frames:
            tx.send(frame)
    sizes, received = [], []
    while len(received) < len(frames):
        batch = source.read_batch(1.0)
        assert len(batch) > 0
        sizes.append(len(batch))
        received += [batch.record(i) for i in range(len(batch))]
        assert batch.data.flags.owndata  # not a view of the buffer the next batch reuses
    assert max(sizes) == 16 and received == frames
    source.set_channel(6)  # no monitor: nothing to tune
    assert source.channel == 0
    source.close()
    source.close()
    assert source.read_batch(0.01) is None
    assert source.stats() == {"packets": 50, "drops": 0}


def test_capture_on_an_interface_that_is_down(veth):
    assert _ip("-n", veth.ns, "link", "set", veth.inside, "down").returncode == 0
    with pytest.raises(HardwareError, match=rf"{veth.inside} is down: .*ip link set {veth.inside} up"):
        veth.open_source()
