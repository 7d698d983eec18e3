"""Monitor mode on a USB Wi-Fi adapter: find it, switch it, put it back afterwards.

Capturing camera traffic needs an interface in monitor mode (every frame on the channel,
with radiotap headers). :class:`MonitorInterface` sets one up with ``iw``/``ip`` and
undoes exactly what it did on close, so the adapter is left as the user had it.
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from typing import List, Optional, Set

from sweeper.errors import HardwareError
from sweeper.wifi.channels import channel_to_mhz

SYS_NET = "/sys/class/net"
#: drivers we know do monitor mode, named in the "no adapter" message
GOOD_DRIVERS = "mt7612u, mt7921au, rt2800usb"
NO_ADAPTER = ("no Wi-Fi adapter found: plug in a USB adapter whose driver supports monitor mode "
              f"(e.g. {GOOD_DRIVERS})")
NEEDS_ADMIN = "needs CAP_NET_ADMIN: run as root or through the sweeper service"
_TOOL_PACKAGES = {"iw": "iw", "ip": "iproute2"}


@dataclass
class Adapter:
    """One wireless network interface and what its driver can do."""

    name: str
    phy: str
    driver: str
    supports_monitor: bool
    iftype: str  # current mode as iw names it: "managed", "monitor", "AP", ...


def parse_supported_modes(text: str) -> Set[str]:
    """The "Supported interface modes" of ``iw phy PHY info`` output (e.g. {"managed", "monitor"})."""
    modes: Set[str] = set()
    header_indent = None
    for line in text.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if header_indent is None:
            if stripped.startswith("Supported interface modes"):
                header_indent = indent
            continue
        if not stripped:
            continue
        if indent <= header_indent or not stripped.startswith("*"):
            break
        modes.add(stripped[1:].strip())
    return modes


def parse_iftype(text: str) -> str:
    """The current mode from ``iw dev NAME info`` output ("unknown" when absent)."""
    match = re.search(r"^\s*type\s+(\S+)", text, re.MULTILINE)
    return match.group(1) if match else "unknown"


def _run(*args: str) -> subprocess.CompletedProcess:
    """Run iw/ip; a missing tool becomes a HardwareError that says which package to install."""
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=15)
    except FileNotFoundError:
        tool = args[0]
        raise HardwareError(f"install the {_TOOL_PACKAGES.get(tool, tool)} package: "
                            f"apt install {_TOOL_PACKAGES.get(tool, tool)}") from None


def _failure(proc: subprocess.CompletedProcess) -> str:
    return (proc.stderr or proc.stdout).strip().replace("\n", "; ") or f"exit status {proc.returncode}"


def _is_permission_problem(proc: subprocess.CompletedProcess) -> bool:
    text = proc.stderr + proc.stdout
    return "Operation not permitted" in text or "Permission denied" in text


def _check(what: str, *args: str) -> None:
    """Run a command and raise a HardwareError naming ``what`` (with the tool's stderr) on failure."""
    proc = _run(*args)
    if proc.returncode == 0:
        return
    if _is_permission_problem(proc):
        raise HardwareError(f"{what} {NEEDS_ADMIN}")
    hint = ""
    if "RF-kill" in proc.stderr:
        hint = " (the radio is blocked: rfkill unblock wifi)"
    elif "Device or resource busy" in proc.stderr:
        hint = (" (another interface on the same adapter holds the radio: list them with `iw dev`, "
                "then `ip link set <name> down` or stop NetworkManager/wpa_supplicant)")
    elif "Invalid argument" in proc.stderr and "channel" in args:
        hint = " (the regulatory domain may not allow this channel: check `iw reg get`)"
    raise HardwareError(f"{what} failed: {' '.join(args)}: {_failure(proc)}{hint}")


def _read(path: str) -> str:
    with open(path) as f:
        return f.read().strip()


def _is_up(name: str) -> bool:
    return bool(int(_read(f"{SYS_NET}/{name}/flags"), 16) & 1)  # IFF_UP


def _adapter(name: str) -> Adapter:
    """Describe one wireless interface (sysfs for phy and driver, iw for modes)."""
    base = f"{SYS_NET}/{name}"
    phy = _read(f"{base}/phy80211/name")
    driver_link = f"{base}/device/driver"
    driver = os.path.basename(os.readlink(driver_link)) if os.path.islink(driver_link) else "unknown"
    phy_info = _run("iw", "phy", phy, "info")
    if phy_info.returncode != 0:
        raise HardwareError(f"cannot query {name} ({driver}, {phy}): iw phy {phy} info: {_failure(phy_info)}")
    dev_info = _run("iw", "dev", name, "info")
    return Adapter(name, phy, driver, "monitor" in parse_supported_modes(phy_info.stdout),
                   parse_iftype(dev_info.stdout) if dev_info.returncode == 0 else "unknown")


def find_adapters() -> List[Adapter]:
    """Every wireless interface on this machine (those with a phy80211 in sysfs), by name."""
    try:
        names = sorted(os.listdir(SYS_NET))
    except FileNotFoundError:
        return []
    return [_adapter(n) for n in names if os.path.isdir(f"{SYS_NET}/{n}/phy80211")]


def _no_monitor_error(adapter: Adapter) -> HardwareError:
    return HardwareError(
        f"{adapter.name} ({adapter.driver}) cannot do monitor mode: its driver lacks it (the "
        f"Raspberry Pi's built-in brcmfmac cannot); use a USB adapter such as {GOOD_DRIVERS}")


class MonitorInterface:
    """An interface in monitor mode for the life of a capture.

    ``interface="auto"`` takes the first adapter whose driver supports monitor mode,
    preferring one already in monitor mode. A new monitor interface ``name`` is added on
    the adapter's phy; when the driver refuses a second interface, the adapter itself is
    switched to monitor mode. :meth:`close` restores what was there before.
    """

    def __init__(self, interface: str = "auto", name: str = "sweepmon0"):
        self.interface = interface
        self.vif_name = name
        self.name = name  # the interface in monitor mode once open
        self.adapter: Optional[Adapter] = None
        self.channel = 0
        self._created = False  # we added the vif ``name``
        self._switched = False  # we switched ``adapter`` from managed to monitor
        self._was_up = False
        self._open = False

    def __enter__(self) -> "MonitorInterface":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> "MonitorInterface":
        """Put an adapter in monitor mode and bring the monitor interface up."""
        if self._open:
            return self
        adapter = self._choose()
        self.adapter = adapter
        self.name = self.vif_name
        self._open = True
        try:
            if adapter.iftype == "monitor":
                self.name = adapter.name
                self._was_up = _is_up(adapter.name)
            else:
                self._add_or_switch(adapter)
            _check(f"bringing up {self.name}", "ip", "link", "set", self.name, "up")
        except BaseException:
            self.close()
            raise
        return self

    def _choose(self) -> Adapter:
        if self.interface == "auto":
            adapters = find_adapters()
            if not adapters:
                raise HardwareError(NO_ADAPTER)
            capable = [a for a in adapters if a.supports_monitor]
            if not capable:
                raise _no_monitor_error(adapters[0]) if len(adapters) == 1 else HardwareError(
                    "no Wi-Fi adapter here can do monitor mode ("
                    + ", ".join(f"{a.name}: {a.driver}" for a in adapters)
                    + "; the Raspberry Pi's built-in brcmfmac cannot): plug in a USB adapter such as "
                    + GOOD_DRIVERS)
            return next((a for a in capable if a.iftype == "monitor"), capable[0])
        if not os.path.exists(f"{SYS_NET}/{self.interface}"):
            raise HardwareError(f"no network interface {self.interface}: check the name with `iw dev` "
                                "or `ip link`, or plug the adapter in")
        if not os.path.isdir(f"{SYS_NET}/{self.interface}/phy80211"):
            raise HardwareError(f"{self.interface} is not a Wi-Fi interface: name a wireless adapter "
                                "(see `iw dev`) or use interface auto")
        adapter = _adapter(self.interface)
        if not adapter.supports_monitor:
            raise _no_monitor_error(adapter)
        return adapter

    def _add_or_switch(self, adapter: Adapter) -> None:
        proc = _run("iw", "phy", adapter.phy, "interface", "add", self.name, "type", "monitor")
        if proc.returncode == 0:
            self._created = True
            return
        if _is_permission_problem(proc):
            raise HardwareError(f"adding a monitor interface to {adapter.name} {NEEDS_ADMIN}")
        # Some drivers allow one interface per phy: switch the adapter itself instead.
        self.name = adapter.name
        self._was_up = _is_up(adapter.name)
        _check(f"taking {adapter.name} down", "ip", "link", "set", adapter.name, "down")
        self._switched = True
        _check(f"switching {adapter.name} to monitor mode", "iw", "dev", adapter.name, "set", "type", "monitor")

    def set_channel(self, channel: int) -> None:
        """Tune to ``channel`` at 20 MHz width (plain width where HT20 is refused, e.g. channel 14)."""
        if not self._open:
            raise RuntimeError("set_channel() on a MonitorInterface that is not open")
        channel_to_mhz(channel)  # ValueError for a number that is not a channel
        cmd = ("iw", "dev", self.name, "set", "channel", str(channel))
        if _run(*cmd, "HT20").returncode != 0:
            _check(f"tuning {self.name} to channel {channel}", *cmd)
        self.channel = channel

    def close(self) -> None:
        """Undo :meth:`open`: delete the interface we added, or switch the adapter back."""
        if not self._open:
            return
        self._open = False
        steps = []
        if self._created:
            steps.append(("iw", "dev", self.name, "del"))
        elif self._switched:
            steps += [("ip", "link", "set", self.name, "down"),
                      ("iw", "dev", self.name, "set", "type", "managed")]
            if self._was_up:
                steps.append(("ip", "link", "set", self.name, "up"))
        elif self.adapter is not None and self.adapter.iftype == "monitor" and not self._was_up:
            steps.append(("ip", "link", "set", self.name, "down"))
        self._created = self._switched = False
        failures = []
        for args in steps:
            proc = _run(*args)
            # an adapter unplugged meanwhile has nothing left to restore
            if proc.returncode != 0 and os.path.exists(f"{SYS_NET}/{self.name}"):
                failures.append(f"{' '.join(args)}: {_failure(proc)}")
        if failures:
            raise HardwareError(f"restoring {self.name} failed: {'; '.join(failures)}")

    def describe(self) -> str:
        """One line for logs and the ready screen, e.g. "wlan1 (mt76x2u, phy1) in monitor mode as sweepmon0"."""
        a = self.adapter
        if a is None:
            return f"{self.interface} (not open)"
        what = f"{a.name} ({a.driver}, {a.phy})"
        if self._created:
            return f"{what} in monitor mode as {self.name}"
        if self._switched:
            return f"{what} switched to monitor mode"
        if self._open:
            return f"{what} already in monitor mode"
        return f"{what} (closed)"


IW_CHECK = "iw"
CAPS_CHECK = "capabilities"
#: capability numbers from linux/capability.h
CAP_NET_ADMIN = 12
CAP_NET_RAW = 13
_CAP_NAMES = {CAP_NET_ADMIN: "CAP_NET_ADMIN", CAP_NET_RAW: "CAP_NET_RAW"}


def probe_iw():
    """Self-test: ``iw`` puts the adapter in monitor mode; the daemon runs it by name."""
    import shutil

    from sweeper.probe import Check

    path = shutil.which("iw")
    off_path = None
    if path is None:
        off_path = next((p for p in ("/usr/sbin/iw", "/sbin/iw") if os.access(p, os.X_OK)), None)
    exe = path or off_path
    if exe is None:
        return Check(IW_CHECK, False, "iw is not installed: monitor mode cannot be set up", "sudo apt install iw")
    version = ""
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10).stdout
        version = " (" + out.strip() + ")" if out.strip() else ""
    except (OSError, subprocess.SubprocessError):
        pass
    if off_path:  # a user's PATH often lacks /usr/sbin; systemd's and root's have it
        return Check(IW_CHECK, True, f"{exe}{version}, not on this shell's PATH (the service's PATH has it)")
    return Check(IW_CHECK, True, f"{exe}{version}")


def parse_capeff(status_text: str) -> Optional[int]:
    """The effective capability mask from /proc/PID/status text (``CapEff:`` in hex)."""
    for line in status_text.splitlines():
        key, _, rest = line.partition(":")
        if key.strip() == "CapEff":
            try:
                return int(rest.strip(), 16)
            except ValueError:
                return None
    return None


def missing_caps(capeff: int, needed=(CAP_NET_ADMIN, CAP_NET_RAW)) -> List[str]:
    """Names of the ``needed`` capabilities absent from the mask ``capeff``."""
    return [_CAP_NAMES.get(c, f"CAP_{c}") for c in needed if not (capeff >> c) & 1]


def probe_capabilities(status_path: str = "/proc/self/status"):
    """Self-test: monitor mode needs CAP_NET_ADMIN and capture CAP_NET_RAW (root has
    them; so does the service)."""
    from sweeper.probe import Check

    try:
        with open(status_path) as f:
            capeff = parse_capeff(f.read())
    except OSError:
        capeff = None
    root = os.geteuid() == 0
    if capeff is None:  # no /proc: trust uid 0
        missing = [] if root else list(_CAP_NAMES.values())
    else:
        missing = missing_caps(capeff)
    who = "root" if root else f"uid {os.geteuid()}"
    if not missing:
        return Check(CAPS_CHECK, True, f"CAP_NET_ADMIN and CAP_NET_RAW (running as {who})")
    return Check(CAPS_CHECK, False, f"running as {who} without {' and '.join(missing)}: Wi-Fi monitor "
                 "mode and capture would be refused (the RF sweep does not need them)",
                 "run the self-test as root (sudo sweeper selftest); the sweeper service gets both "
                 "from AmbientCapabilities=")
