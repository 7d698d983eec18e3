"""Join a Wi-Fi network as a client, so that ``sweeper lan`` can look at it.

A guest is given the network's password; a camera planted by the host is usually on
that network. The Pi's built-in Wi-Fi joins it through whichever network manager the
image runs (Raspberry Pi OS since Bookworm: NetworkManager; older images and Debian
minimal: wpa_supplicant with dhcpcd or ifupdown), while the USB adapter stays in monitor
mode for the air sweep: joining with the monitor adapter is refused.

The password is never put on a command line (other local users could read it in the
process list): NetworkManager gets it from a 0600 file that is deleted at once, and
wpa_supplicant on its control channel. It is not saved either: NetworkManager keeps the
connection with "not saved" secrets and wpa_supplicant's config file is left unchanged,
so a hotel's password does not stay on the device after a reboot.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

from sweeper.errors import HardwareError, InputError

#: seconds to wait for the association and an IPv4 address
JOIN_TIMEOUT_S = 45.0
#: the connection NetworkManager keeps for a joined network, so a later join replaces it
NM_CONNECTION = "sweeper-lan"

Runner = Callable[..., subprocess.CompletedProcess]


@dataclass(frozen=True)
class Joined:
    interface: str
    ssid: str
    backend: str  # "NetworkManager" or "wpa_supplicant"
    address: Optional[str]  # the IPv4 address with prefix, e.g. 192.168.1.57/24


def check_ssid(ssid: str) -> str:
    raw = ssid.encode("utf-8")
    if not 1 <= len(raw) <= 32:
        raise InputError(f"an SSID is 1 to 32 bytes; this one is {len(raw)}")
    if any(not c.isprintable() for c in ssid):
        raise InputError("the SSID has control characters; type it as the network shows it")
    return ssid


def check_password(password: Optional[str]) -> Optional[str]:
    """WPA2/WPA3-Personal passphrases are 8-63 printable ASCII characters (or 64 hex digits)."""
    if password is None or password == "":
        return None
    if len(password) == 64 and all(c in "0123456789abcdefABCDEF" for c in password):
        return password
    if not 8 <= len(password) <= 63 or not all(" " <= c <= "~" for c in password):
        raise InputError("a Wi-Fi password is 8 to 63 printable ASCII characters (or 64 hex digits)")
    return password


def read_password_file(path: str) -> str:
    """The first line of a file (a password given by file, not typed)."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read(256).splitlines()[0] if os.path.getsize(path) else ""
    except (OSError, UnicodeDecodeError, IndexError) as e:
        raise InputError(f"cannot read the password file {path}: {getattr(e, 'strerror', None) or e}") from None


def backend(run: Runner = subprocess.run) -> str:
    """The network manager this image runs, or a HardwareError naming the fix."""
    if shutil.which("nmcli"):
        r = run(["nmcli", "-t", "-f", "RUNNING", "general"], capture_output=True, text=True, timeout=10)
        if r.returncode == 0 and r.stdout.strip() == "running":
            return "NetworkManager"
    if shutil.which("wpa_cli"):
        return "wpa_supplicant"
    raise HardwareError("no network manager to join with: install network-manager (Raspberry Pi OS has it) "
                        "or wpasupplicant")


def ipv4_address(interface: str, run: Runner = subprocess.run) -> Optional[str]:
    r = run(["ip", "-j", "-4", "addr", "show", "dev", interface], capture_output=True, text=True, timeout=10)
    try:
        for link in json.loads(r.stdout or "[]"):
            for a in link.get("addr_info", []):
                if a.get("family") == "inet" and a.get("scope") == "global":
                    return f"{a['local']}/{a['prefixlen']}"
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return None


def join(ssid: str, password: Optional[str], interface: str, monitor_interface: Optional[str] = None,
         run: Runner = subprocess.run, timeout_s: float = JOIN_TIMEOUT_S) -> Joined:
    """Join ``ssid`` on ``interface`` and wait for an address (see the module docstring)."""
    ssid, password = check_ssid(ssid), check_password(password)
    if monitor_interface and interface == monitor_interface:
        raise InputError(f"{interface} is the monitor-mode adapter (wifi.interface); join with the built-in "
                         "Wi-Fi instead (lan.interface, e.g. wlan0)")
    which = backend(run)
    if which == "NetworkManager":
        _join_nm(ssid, password, interface, run, timeout_s)
    else:
        _join_wpa(ssid, password, interface, run)
    deadline = time.monotonic() + timeout_s
    address = ipv4_address(interface, run)
    while address is None and time.monotonic() < deadline:
        time.sleep(0.5)
        address = ipv4_address(interface, run)
    if address is None:
        raise HardwareError(f"joined {ssid!r} on {interface} but got no IPv4 address in {timeout_s:.0f} s "
                            "(is DHCP running on the network?)")
    return Joined(interface, ssid, which, address)


def _checked(run: Runner, argv: Sequence[str], what: str, stdin: Optional[str] = None, timeout: float = 60) -> str:
    r = run(list(argv), input=stdin, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        said = " ".join((r.stderr or r.stdout or "").split())[:200]
        raise HardwareError(f"{what} failed: {said or f'exit {r.returncode}'}")
    return r.stdout or ""


def _join_nm(ssid: str, password: Optional[str], interface: str, run: Runner, timeout_s: float) -> None:
    run(["nmcli", "connection", "delete", NM_CONNECTION], capture_output=True, text=True, timeout=30)
    add: List[str] = ["nmcli", "connection", "add", "type", "wifi", "con-name", NM_CONNECTION, "ifname", interface,
                      "ssid", ssid, "connection.autoconnect", "no"]
    if password:
        add += ["wifi-sec.key-mgmt", "wpa-psk", "wifi-sec.psk-flags", "2"]  # 2: not saved
    _checked(run, add, "NetworkManager adding the connection")
    up = ["nmcli", "--wait", str(int(timeout_s)), "connection", "up", NM_CONNECTION]
    if not password:
        _checked(run, up, f"joining {ssid!r}", timeout=timeout_s + 15)
        return
    fd, path = tempfile.mkstemp(prefix="sweeper-join-")
    try:
        with os.fdopen(fd, "w") as f:  # mkstemp makes it 0600
            f.write(f"802-11-wireless-security.psk:{password}\n")
        _checked(run, up + ["passwd-file", path], f"joining {ssid!r}", timeout=timeout_s + 15)
    finally:
        os.unlink(path)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _join_wpa(ssid: str, password: Optional[str], interface: str, run: Runner) -> None:
    cli = ["wpa_cli", "-i", interface]
    net = _checked(run, cli + ["add_network"], "wpa_supplicant adding a network").strip().splitlines()
    if not net or not net[-1].strip().isdigit():
        raise HardwareError(f"wpa_supplicant on {interface} did not add a network (is it running for {interface}?)")
    n = net[-1].strip()
    # commands on its control channel, read from stdin: the password stays off every argv
    lines = [f"set_network {n} ssid {_quoted(ssid)}"]
    lines += [f"set_network {n} psk {_quoted(password)}"] if password else [f"set_network {n} key_mgmt NONE"]
    lines += [f"select_network {n}"]
    out = _checked(run, cli, f"joining {ssid!r}", stdin="\n".join(lines) + "\nquit\n")
    if "FAIL" in out:
        raise HardwareError(f"wpa_supplicant refused the network settings for {ssid!r}")
