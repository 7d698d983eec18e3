"""``sweeper selftest``: is every piece of the device there, and if not, what to do.

Users' most common failures on a Pi gadget are a blank display (I2C off, wrong address), a
radio that is not seen (DVB driver, no udev rule, built-in Wi-Fi without monitor mode) and
permissions. Each check here looks at one piece the way the daemon will use it, never
raises, and says how to fix what is missing. Nothing is initialised or taken over: the
panel is only addressed, the dongle only counted, so the self-test is safe to run while
the daemon is running.
"""
from __future__ import annotations

import dataclasses
import errno
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import warnings
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, TextIO

from sweeper.config import SYSTEM_CONFIG_PATH, Config, default_config, load_config
from sweeper.errors import ConfigError, HardwareError

CONFIG = "config file"
SDR = "RTL-SDR"
WIFI = "Wi-Fi adapter"
IW = "iw"
CAPS = "capabilities"
VENDORS = "vendor database"
DISPLAY = "display (I2C)"
GPIO = "GPIO (buttons, buzzer)"
HISTORY = "sweep history"
MQTT = "MQTT broker"

#: exit codes: one detection path usable / config unreadable / no radio at all
READY, BAD_CONFIG, NO_RADIO = 0, ConfigError.exit_code, HardwareError.exit_code

#: capability numbers from linux/capability.h
CAP_NET_ADMIN = 12
CAP_NET_RAW = 13
_CAP_NAMES = {CAP_NET_ADMIN: "CAP_NET_ADMIN", CAP_NET_RAW: "CAP_NET_RAW"}

_DVB_BLACKLIST = ("echo 'blacklist dvb_usb_rtl28xxu' | sudo tee /etc/modprobe.d/blacklist-rtlsdr.conf"
                  " && sudo rmmod dvb_usb_rtl28xxu")
_WIFI_FIX = ("plug in a USB Wi-Fi adapter whose driver does monitor mode (mt76 family: mt7612u, "
             "mt7921au; or rt2800usb); the Raspberry Pi's built-in Wi-Fi (brcmfmac) cannot")


@dataclass(frozen=True)
class Check:
    """One piece of the device: present or not, what was seen, and how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: Optional[str] = None

    @property
    def status(self) -> str:
        return "OK" if self.ok else "MISSING"


# --------------------------------------------------------------------------- checks


def check_config(cfg: Config, problem: Optional[str] = None) -> Check:
    """The config file loaded (its path), or the loader's ``FILE:LINE: key: problem``."""
    if problem is not None:
        return Check(CONFIG, False, problem,
                     "correct the line named, then check it with `sweeper --config FILE config`")
    if cfg.source_path is None:
        return Check(CONFIG, True, f"none: built-in defaults ({SYSTEM_CONFIG_PATH} changes them)")
    return Check(CONFIG, True, f"{cfg.source_path} loaded")


def check_sdr(cfg: Config) -> Check:
    """The RF path: a dongle librtlsdr can see (or the configured rtl_tcp server)."""
    rf = cfg.rf
    if not rf.enabled:
        return Check(SDR, False, "rf.enabled is false: no RF sweep", "set rf.enabled: true")
    if rf.source == "simulator":
        return Check(SDR, False, "rf.source is simulator: RF sweeps are simulated",
                     "set rf.source: auto to use the dongle")
    if rf.source == "rtl_tcp":
        return _check_rtl_tcp(rf.rtl_tcp.host, rf.rtl_tcp.port, min(rf.rtl_tcp.timeout_s, 3.0))
    lib, error = _load_librtlsdr()
    if lib is None:
        return Check(SDR, False, f"librtlsdr cannot be loaded ({error})",
                     "sudo apt install librtlsdr0 rtl-sdr (the library and its udev rule)")
    count = int(lib.rtlsdr_get_device_count())
    if count == 0:
        return Check(SDR, False, "no RTL-SDR dongle on USB (librtlsdr is installed)",
                     "plug the dongle in (a powered USB hub helps) and check with `rtl_test`; if "
                     "the kernel's DVB-T driver grabs it, blacklist dvb_usb_rtl28xxu: "
                     + _DVB_BLACKLIST)
    names = [_device_name(lib, i) for i in range(count)]
    found = f"{count} dongle{'s' if count > 1 else ''}: " + ", ".join(
        f"#{i} {n}" for i, n in enumerate(names))
    if rf.rtlsdr.serial is None and rf.rtlsdr.device_index >= count:
        return Check(SDR, False, f"{found}; rf.rtlsdr.device_index is {rf.rtlsdr.device_index}",
                     f"set rf.rtlsdr.device_index to 0-{count - 1}")
    try:  # what the daemon imports: catches pyrtlsdr/librtlsdr version mismatches
        from sweeper.rf.sources.rtlsdr_local import _import_rtlsdr
        _import_rtlsdr()
    except HardwareError as exc:
        return Check(SDR, False, f"{found}; pyrtlsdr unusable", str(exc))
    if os.path.isdir("/sys/module/dvb_usb_rtl28xxu"):
        return Check(SDR, True, f"{found} (the kernel DVB-T driver dvb_usb_rtl28xxu is loaded: "
                     "librtlsdr detaches it, but if opening fails blacklist it)", _DVB_BLACKLIST)
    return Check(SDR, True, found)


def _load_librtlsdr():
    """librtlsdr through ctypes, without pyrtlsdr (whose import fails for other reasons)."""
    import ctypes
    import ctypes.util

    errors = []
    for name in filter(None, (ctypes.util.find_library("rtlsdr"), "librtlsdr.so.0", "librtlsdr.so")):
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            errors.append(str(exc))
            continue
        lib.rtlsdr_get_device_count.restype = ctypes.c_uint32
        lib.rtlsdr_get_device_name.restype = ctypes.c_char_p
        lib.rtlsdr_get_device_name.argtypes = [ctypes.c_uint32]
        return lib, None
    return None, errors[0] if errors else "not found"


def _device_name(lib, index: int) -> str:
    name = lib.rtlsdr_get_device_name(index)
    return name.decode("utf-8", "replace") if name else "unknown"


def _check_rtl_tcp(host: str, port: int, timeout: float) -> Check:
    from sweeper.rf.sources.rtlsdr_local import tuner_info_for
    from sweeper.rf.sources.rtltcp import parse_header

    where = f"rtl_tcp server {host}:{port}"
    fix = (f"start `rtl_tcp -a {host} -p {port}` on the machine with the dongle, or set "
           "rf.source: auto for a local dongle")
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            data = b""
            while len(data) < 12:
                chunk = sock.recv(12 - len(data))
                if not chunk:
                    break
                data += chunk
    except socket.timeout:
        return Check(SDR, False, f"{where} accepted but sent no greeting in {timeout:g} s "
                     "(rtl_tcp serves one client: is another, maybe the daemon, connected?)", fix)
    except OSError as exc:
        return Check(SDR, False, f"no {where} ({exc.strerror or exc})", fix)
    header = parse_header(data)
    if header is None:
        return Check(SDR, False, f"{where} is not rtl_tcp (greeting {data!r})", fix)
    return Check(SDR, True, f"{where} answers ({tuner_info_for(header[0]).name})")


def check_wifi(cfg: Config) -> Check:
    """The Wi-Fi path: an adapter whose driver supports monitor mode."""
    w = cfg.wifi
    if not w.enabled:
        return Check(WIFI, False, "wifi.enabled is false: no Wi-Fi sweep", "set wifi.enabled: true")
    if w.source == "simulator":
        return Check(WIFI, False, "wifi.source is simulator: Wi-Fi sweeps are simulated",
                     "set wifi.source: auto to use an adapter")
    from sweeper.wifi.monitor import find_adapters

    try:
        adapters = find_adapters()
    except HardwareError as exc:
        return Check(WIFI, False, f"cannot list Wi-Fi adapters: {exc}", str(exc))
    seen = ", ".join(f"{a.name} ({a.driver}{', monitor mode' if a.supports_monitor else ', no monitor mode'})"
                     for a in adapters)
    if w.interface != "auto":
        adapters = [a for a in adapters if a.name == w.interface]
        if not adapters:
            return Check(WIFI, False, f"wifi.interface {w.interface} is not a wireless interface "
                         f"here (found: {seen or 'none'})",
                         "plug the adapter in, or set wifi.interface to a name from `iw dev` (or auto)")
    if any(a.supports_monitor for a in adapters):
        return Check(WIFI, True, seen)
    return Check(WIFI, False, seen or "no wireless adapter", _WIFI_FIX)


def check_iw() -> Check:
    """``iw`` puts the adapter in monitor mode; the daemon runs it by name."""
    path = shutil.which("iw")
    off_path = None
    if path is None:
        off_path = next((p for p in ("/usr/sbin/iw", "/sbin/iw") if os.access(p, os.X_OK)), None)
    exe = path or off_path
    if exe is None:
        return Check(IW, False, "iw is not installed: monitor mode cannot be set up",
                     "sudo apt install iw")
    version = ""
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10).stdout
        version = " (" + out.strip() + ")" if out.strip() else ""
    except (OSError, subprocess.SubprocessError):
        pass
    if off_path:  # a user's PATH often lacks /usr/sbin; systemd's and root's have it
        return Check(IW, True, f"{exe}{version}, not on this shell's PATH (the service's PATH has it)")
    return Check(IW, True, f"{exe}{version}")


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


def check_capabilities(status_path: str = "/proc/self/status") -> Check:
    """Monitor mode needs CAP_NET_ADMIN and capture CAP_NET_RAW (root has them; so does the service)."""
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
        return Check(CAPS, True, f"CAP_NET_ADMIN and CAP_NET_RAW (running as {who})")
    return Check(CAPS, False, f"running as {who} without {' and '.join(missing)}: Wi-Fi monitor "
                 "mode and capture would be refused (the RF sweep does not need them)",
                 "run the self-test as root (sudo sweeper selftest); the sweeper service gets both "
                 "from AmbientCapabilities=")


def check_vendors() -> Check:
    """MAC vendor names (a hint in Wi-Fi findings, never proof)."""
    from sweeper.wifi.oui import database_path

    path = database_path()
    if path is None:
        return Check(VENDORS, False, "no IEEE OUI registry: Wi-Fi findings will lack vendor names",
                     "sudo apt install ieee-data")
    return Check(VENDORS, True, path)


def check_display(cfg: Config) -> Check:
    """The OLED: the I2C bus exists, is ours to open, and something answers at its address."""
    d = cfg.display
    if not d.enabled:
        return Check(DISPLAY, True, "not used (display.enabled: false)")
    node = f"/dev/i2c-{d.i2c_port}"
    addr = f"0x{d.i2c_address:02X}"
    wiring = (f"check the wiring (SDA to GPIO2, SCL to GPIO3, 3.3 V, GND) and the address with "
              f"`i2cdetect -y {d.i2c_port}`; set display.i2c_address to what it shows (0x3C or 0x3D)")
    if not os.path.exists(node):
        return Check(DISPLAY, False, f"{node} not found: I2C is off, or this is not a Raspberry Pi",
                     "enable I2C: add dtparam=i2c_arm=on to /boot/firmware/config.txt (or "
                     "`sudo raspi-config nonint do_i2c 0`) and reboot; then " + wiring)
    try:
        import luma.oled.device
        import smbus2
        from luma.core.interface.serial import i2c
    except ImportError as exc:
        return Check(DISPLAY, False, f"luma.oled is not installed ({exc})", "pip install luma.oled")
    if not hasattr(luma.oled.device, d.driver):
        return Check(DISPLAY, False, f"luma.oled has no {d.driver} driver",
                     "upgrade luma.oled (pip install -U luma.oled) or pick another display.driver")
    try:
        bus = smbus2.SMBus(d.i2c_port)
    except PermissionError:
        return Check(DISPLAY, False, f"no permission to open {node}",
                     "add the user to group i2c (sudo usermod -aG i2c $USER, then log in again)")
    except OSError as exc:
        return Check(DISPLAY, False, f"cannot open {node}: {exc}", wiring)
    try:
        i2c(bus=bus, address=d.i2c_address)  # luma's own checks on the configured panel
        # Address the panel the way i2cdetect does (a quick write) instead of initialising it:
        # luma's constructor would clear the screen the daemon is drawing, and its exit
        # hook would switch the panel off.
        _probe(bus, d.i2c_address)
    except OSError as exc:
        if exc.errno in (errno.EREMOTEIO, errno.EIO, errno.ENXIO):
            return Check(DISPLAY, False, f"nothing answers at {addr} on {node}", wiring)
        return Check(DISPLAY, False, f"probing {addr} on {node} failed: {exc}", wiring)
    finally:
        bus.close()
    return Check(DISPLAY, True, f"{d.driver} {d.width}x{d.height} answers at {addr} on {node}")


def _probe(bus, address: int) -> None:
    try:
        bus.write_quick(address)
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.ENOTSUP):
            raise
        bus.read_byte(address)  # an adapter without SMBus quick: read instead


def check_gpio() -> Check:
    """Buttons and buzzer: a GPIO chip and a gpiozero backend that loads on it."""
    chips = sorted(glob.glob("/dev/gpiochip*"))
    pi_fix = ("run on a Raspberry Pi; on a Pi 5 install the lgpio backend (sudo apt install "
              "python3-lgpio, with a venv made --system-site-packages, or pip install lgpio); "
              "add the user to group gpio")
    if os.environ.get("GPIOZERO_PIN_FACTORY", "").lower() == "mock":
        return Check(GPIO, False, "GPIOZERO_PIN_FACTORY=mock: buttons and buzzer would be simulated",
                     "unset GPIOZERO_PIN_FACTORY")
    try:
        from gpiozero import Device
    except ImportError as exc:
        return Check(GPIO, False, f"gpiozero is not installed ({exc})", "pip install 'gpiozero>=2'")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            factory = Device._default_pin_factory()
        except Exception as exc:  # gpiozero raises BadPinFactory, backends anything
            tried = "; ".join(str(w.message).replace("Falling back from ", "") for w in caught)
            where = ", ".join(chips) if chips else "no /dev/gpiochip*"
            return Check(GPIO, False, f"{where}; no gpiozero backend loads ({tried or exc})", pi_fix)
    try:
        board = getattr(getattr(factory, "board_info", None), "model", "") or ""
    except Exception:
        board = ""
    finally:
        try:
            factory.close()
        except Exception:
            pass
    backend = type(factory).__name__
    denied = [c for c in chips if not os.access(c, os.R_OK | os.W_OK)]
    if denied:
        return Check(GPIO, False, f"{backend}, but no access to {', '.join(denied)}",
                     "add the user to group gpio (sudo usermod -aG gpio $USER, then log in again)")
    if not chips:
        return Check(GPIO, False, f"{backend} loaded but there is no /dev/gpiochip*", pi_fix)
    found = f"{backend} on {board or 'this board'} ({', '.join(chips)})"
    if backend == "NativeFactory":  # gpiozero's last resort
        return Check(GPIO, True, found + ": gpiozero's fallback backend",
                     "install python3-lgpio (or pip install lgpio): the native backend watches "
                     "buttons through /sys/class/gpio, which the service keeps read-only")
    return Check(GPIO, True, found)


# --------------------------------------------------------------------------- running


def check_history(cfg: Config) -> Check:
    """Where sweeps are recorded: readable if there, or creatable. Read-only: the daemon
    may be writing it."""
    from sweeper.venue.history import history_path

    if not cfg.history.enabled:
        return Check(HISTORY, True, "disabled (history.enabled: false): sweeps are not recorded")
    path = history_path(cfg)
    fix = ("run as the sweeper user (`sudo -u sweeper sweeper ...`), or set history.path to a "
           "writable place")
    if os.path.exists(path):
        import sqlite3

        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            try:
                n, = db.execute("SELECT count(*) FROM sweeps").fetchone()
            finally:
                db.close()
        except sqlite3.Error as exc:
            return Check(HISTORY, False, f"{path} cannot be read: {exc}", fix)
        writable = os.access(path, os.W_OK) and os.access(os.path.dirname(path), os.W_OK)
        return Check(HISTORY, writable, f"{path}: {n} sweeps, {os.path.getsize(path) / 1e6:.1f} MB"
                     + ("" if writable else "; not writable by this user"), None if writable else fix)
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(folder):
        folder = os.path.dirname(folder)
    if os.access(folder, os.W_OK | os.X_OK):
        return Check(HISTORY, True, f"{path} will be created by the first sweep")
    return Check(HISTORY, False, f"{path} cannot be created ({folder} is not writable by this user)", fix)


def check_mqtt(cfg: Config, timeout: float = 5.0) -> Check:
    """Log in to the fleet broker the way the daemon will (TLS, user), under a client id of
    its own so the daemon's session is not kicked off."""
    m = cfg.mqtt
    if not m.enabled:
        return Check(MQTT, True, "disabled (mqtt.enabled: false): no fleet reporting")
    import threading

    import paho.mqtt.client as mqtt

    where = f"{m.host}:{m.port}"
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"sweeper-selftest-{os.getpid()}")
    try:
        if m.tls:
            for what in ("ca_file", "cert_file", "key_file"):
                f = getattr(m, what)
                if f is not None and not os.access(f, os.R_OK):
                    return Check(MQTT, False, f"mqtt.{what} {f} cannot be read", "check the path and its permissions")
            client.tls_set(ca_certs=m.ca_file, certfile=m.cert_file, keyfile=m.key_file)
            client.tls_insecure_set(m.tls_insecure)
        if m.username is not None:
            client.username_pw_set(m.username, m.password)
        answered, result = threading.Event(), {}

        def on_connect(c, userdata, flags, reason, properties):
            result["reason"] = reason
            answered.set()
        client.on_connect = on_connect
        client.connect(m.host, m.port, keepalive=10)
        client.loop_start()
        answered.wait(timeout)
    except (OSError, ValueError) as exc:  # refused, unreachable, TLS handshake or bad PEM
        return Check(MQTT, False, f"no MQTT broker at {where} ({exc})",
                     "check mqtt.host, mqtt.port and the network; results wait in the outbox meanwhile")
    finally:
        client.loop_stop()
        client.disconnect()
    reason = result.get("reason")
    if reason is None:
        return Check(MQTT, False, f"{where} accepted a connection but did not answer as MQTT in {timeout:g} s",
                     "is mqtt.port the broker's MQTT port (1883, or 8883 with TLS)?")
    if reason.is_failure:
        return Check(MQTT, False, f"{where} refused the login: {reason}",
                     "check mqtt.username and mqtt.password, and the broker's ACL")
    return Check(MQTT, True, f"logged in to {where}" + (" over TLS" if m.tls else "")
                 + (f" as {m.username}" if m.username else ""))


def _guarded(name: str, fn: Callable[[], Check]) -> Check:
    """Run one check; a bug in it becomes a MISSING line, never a traceback."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 (the self-test must always finish its report)
        return Check(name, False, f"the check itself failed: {type(exc).__name__}: {exc}",
                     "report this as a Sweeper bug, with the line above")


def run_selftest(cfg: Optional[Config] = None, config_problem: Optional[str] = None) -> List[Check]:
    """Every check, in report order. ``config_problem`` is the loader's message when the
    file was unreadable (then ``cfg`` is the defaults the rest is checked with)."""
    cfg = cfg if cfg is not None else default_config()
    steps = [
        (CONFIG, lambda: check_config(cfg, config_problem)),
        (SDR, lambda: check_sdr(cfg)),
        (WIFI, lambda: check_wifi(cfg)),
        (IW, check_iw),
        (CAPS, check_capabilities),
        (VENDORS, check_vendors),
        (DISPLAY, lambda: check_display(cfg)),
        (GPIO, check_gpio),
        (HISTORY, lambda: check_history(cfg)),
        (MQTT, lambda: check_mqtt(cfg)),
    ]
    return [_guarded(name, fn) for name, fn in steps]


def _by_name(checks: List[Check]) -> Dict[str, Check]:
    return {c.name: c for c in checks}


def exit_code(checks: List[Check]) -> int:
    """0 when at least one detection path (RTL-SDR or Wi-Fi adapter) is there; 3 when
    neither is; 2 when the config file is broken (the daemon would not start)."""
    found = _by_name(checks)
    if CONFIG in found and not found[CONFIG].ok:
        return BAD_CONFIG
    if any(found[n].ok for n in (SDR, WIFI) if n in found):
        return READY
    return NO_RADIO


def _summary(checks: List[Check]) -> str:
    code = exit_code(checks)
    if code == BAD_CONFIG:
        return "NOT READY: the config file is broken (see above); the daemon would not start."
    if code == NO_RADIO:
        return ("NOT READY: no radio to detect with: plug in an RTL-SDR dongle or a "
                "monitor-capable USB Wi-Fi adapter (see the fixes above).")
    found = _by_name(checks)
    paths = [what for name, what in ((SDR, "RF sweep"), (WIFI, "Wi-Fi sweep"))
             if name in found and found[name].ok]
    missing = [c.name for c in checks if not c.ok]
    return "READY: " + " and ".join(paths) + (f"; missing: {', '.join(missing)}" if missing else "")


def format_report(checks: List[Check], width: int = 100) -> str:
    """A table: check, OK/MISSING, what was seen; the fix indented under a missing line."""
    name_w = max([len("CHECK")] + [len(c.name) for c in checks])
    status_w = len("MISSING")
    indent = " " * (name_w + status_w + 4)
    text_w = max(30, width - len(indent))
    lines = [f"{'CHECK':<{name_w}}  {'STATUS':<{status_w}}  DETAIL"]
    for c in checks:
        detail = _wrap(c.detail, text_w) or [""]
        lines.append(f"{c.name:<{name_w}}  {c.status:<{status_w}}  {detail[0]}")
        lines += [indent + more for more in detail[1:]]
        if c.fix:
            lines += [indent + part for part in _wrap("fix: " + c.fix, text_w, "     ")]
    lines.append("")
    lines += _wrap(_summary(checks), width)
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int, hang: str = "") -> List[str]:
    """Wrap at spaces only, so option names and paths are never split at a hyphen."""
    return textwrap.wrap(text, width, subsequent_indent=hang, break_on_hyphens=False,
                         break_long_words=False)


def report_dict(checks: List[Check]) -> dict:
    """The report as JSON-ready data (for scripts and the install check)."""
    return {"checks": [dict(dataclasses.asdict(c), status=c.status) for c in checks],
            "exit_code": exit_code(checks), "summary": _summary(checks)}


def main(config_path: Optional[str] = None, as_json: bool = False,
         out: Optional[TextIO] = None) -> int:
    """``sweeper selftest``: load the config itself (a broken file is a finding, not a
    crash), run every check, print the report, return the exit code."""
    out = out or sys.stdout
    problem = None
    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        cfg, problem = default_config(), str(exc)
    checks = run_selftest(cfg, problem)
    if as_json:
        out.write(json.dumps(report_dict(checks), indent=2) + "\n")
    else:
        out.write(format_report(checks))
    return exit_code(checks)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else None))
