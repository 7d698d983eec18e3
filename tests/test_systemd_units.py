"""The systemd units in systemd/: checked by systemd's own tools, not by eye.

``systemd-analyze verify`` parses them as PID 1 would (unknown keys, bad values, missing
binaries); ``systemd-analyze security --offline`` scores the hardening. Neither needs a
running systemd. The hardening's one risky promise, MemoryDenyWriteExecute, is checked by
importing what the daemon imports under the kernel's equivalent (PR_SET_MDWE).
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "systemd"
UNIT_FILES = ("sweeper.service", "sweeper-sweep.service", "sweeper-sweep.timer", "sweeper-sweep@.service",
              "sweeper-sweep@.timer")
#: a room label as an instance name (`systemd-escape "Room 101"`)
ROOM_INSTANCE = "Room\\x20101"
INSTALLED_SWEEPER = "/opt/sweeper/venv/bin/sweeper"
# what systemd-analyze may say about this machine rather than about the units
MACHINE_NOISE = ("not been booted with systemd", "Failed to connect to bus", "Host is down",
                 "Failed to connect to system scope bus")

SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or (
    "/usr/bin/systemd-analyze" if os.access("/usr/bin/systemd-analyze", os.X_OK) else None)
needs_analyze = pytest.mark.skipif(SYSTEMD_ANALYZE is None,
                                   reason="systemd-analyze is not installed (apt install systemd)")


def parse_unit(path):
    """{section: [(key, value), ...]}: keys repeat in units (DeviceAllow=), so no configparser."""
    sections, current = {}, None
    lines = Path(path).read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        while line.endswith("\\") and i + 1 < len(lines):  # continuation lines
            i += 1
            line = line[:-1] + " " + lines[i].strip()
        i += 1
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        else:
            key, _, value = line.partition("=")
            current.append((key.strip(), value.strip()))
    return sections


def values(unit, section, key):
    return [v for k, v in unit.get(section, []) if k == key]


def value(unit, section, key):
    found = values(unit, section, key)
    assert len(found) == 1, f"{key}= in [{section}]: {found}"
    return found[0]


@pytest.fixture
def unit_dir(tmp_path):
    """The units with the installed venv's path replaced by this test venv's `sweeper`, which
    exists (verify insists every ExecStart= binary does)."""
    sweeper = Path(sys.executable).parent / "sweeper"
    assert os.access(sweeper, os.X_OK), f"{sweeper} missing: run `pip install -e .` in the venv"
    for name in UNIT_FILES:
        text = (UNITS / name).read_text().replace(INSTALLED_SWEEPER, str(sweeper))
        (tmp_path / name).write_text(text)
        if "@." in name:  # templates are verified as an instance, like the installed ones run
            (tmp_path / name.replace("@.", f"@{ROOM_INSTANCE}.")).write_text(text)
    return tmp_path


def verifiable(name):
    return name.replace("@.", f"@{ROOM_INSTANCE}.")


def analyze(*args, cwd):
    proc = subprocess.run([SYSTEMD_ANALYZE, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)
    lines = (proc.stdout + proc.stderr).splitlines()
    noise = [ln for ln in lines if any(n in ln for n in MACHINE_NOISE)]
    for ln in noise:
        print("ignored (about this machine, not the units):", ln)
    return proc.returncode, [ln for ln in lines if ln not in noise]


@needs_analyze
def test_systemd_analyze_verify_finds_no_problem(unit_dir):
    rc, problems = analyze("verify", *(f"./{verifiable(n)}" for n in UNIT_FILES), cwd=unit_dir)
    assert problems == [], "\n".join(problems)
    assert rc == 0


@needs_analyze
def test_verify_would_catch_a_mistake(unit_dir):
    """Guard for the test above: a typo'd key and a missing binary must be reported."""
    bad = (unit_dir / "sweeper.service").read_text().replace("Type=notify", "Type=notfy")
    bad = re.sub(r"ExecStart=\S+", "ExecStart=/nonexistent/sweeper", bad)
    (unit_dir / "broken.service").write_text(bad)
    rc, problems = analyze("verify", "./broken.service", cwd=unit_dir)
    text = "\n".join(problems)
    assert rc != 0 and "notfy" in text and "/nonexistent/sweeper" in text


@needs_analyze
@pytest.mark.parametrize("name, limit", [("sweeper.service", 2.5), ("sweeper-sweep.service", 1.5),
                                         ("sweeper-sweep@.service", 1.5)])
def test_security_exposure(unit_dir, name, limit):
    """`systemd-analyze security` needs PID 1, but --offline=true (systemd 250+) reads the file."""
    rc, lines = analyze("security", "--offline=true", f"./{verifiable(name)}", cwd=unit_dir)
    text = "\n".join(lines)
    if rc != 0 and ("offline" in text and ("unrecognized" in text or "Unknown" in text)):
        pytest.skip("this systemd-analyze has no --offline (systemd < 250)")
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", text)
    assert match, text
    print(f"{name}: exposure {match.group(1)}")
    assert float(match.group(1)) <= limit, text
    # the system call allow list is in force: none of the dangerous groups is allowed
    assert re.search(r"✓ SystemCallFilter=~@mount", text) and re.search(r"✓ SystemCallFilter=~@module", text), text


def test_daemon_unit_properties():
    unit = parse_unit(UNITS / "sweeper.service")
    s = "Service"
    assert value(unit, s, "Type") == "notify" and value(unit, s, "NotifyAccess") == "main"
    assert value(unit, s, "WatchdogSec") == "30"
    assert value(unit, s, "ExecStart") == f"{INSTALLED_SWEEPER} run"
    assert value(unit, s, "Restart") == "on-failure" and value(unit, s, "RestartSec") == "5"
    assert value(unit, s, "RestartPreventExitStatus") == "2"  # a bad config: no restart loop
    assert value(unit, s, "User") == "sweeper" and value(unit, s, "Group") == "sweeper"
    assert set(value(unit, s, "SupplementaryGroups").split()) == {"gpio", "i2c", "plugdev"}
    caps = {"CAP_NET_ADMIN", "CAP_NET_RAW"}
    assert set(value(unit, s, "AmbientCapabilities").split()) == caps
    assert set(value(unit, s, "CapabilityBoundingSet").split()) == caps
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectKernelTunables", "ProtectControlGroups",
                "RestrictNamespaces", "LockPersonality", "MemoryDenyWriteExecute"):
        assert value(unit, s, key) == "yes", key
    assert value(unit, s, "ProtectSystem") == "strict" and value(unit, s, "ProtectHome") == "yes"
    assert value(unit, s, "StateDirectory") == "sweeper"
    assert value(unit, s, "SystemCallArchitectures") == "native"
    assert set(value(unit, s, "RestrictAddressFamilies").split()) == {
        "AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET"}
    # the hardware stays reachable: closed policy plus exactly these, and no PrivateDevices
    assert value(unit, s, "DevicePolicy") == "closed"
    allowed = {v.split()[0]: v.split()[1] for v in values(unit, s, "DeviceAllow")}
    assert allowed == {"char-i2c": "rw", "char-gpiochip": "rw", "/dev/gpiomem": "rw",
                       "char-usb_device": "rw"}
    assert values(unit, s, "PrivateDevices") == []
    assert "network.target" in value(unit, "Unit", "After").split()
    assert value(unit, "Install", "WantedBy") == "multi-user.target"


def test_device_classes_are_real_kernel_names():
    """DeviceAllow=char-NAME must match a name in /proc/devices, or it silently allows nothing.

    The kernel sources register i2c-dev as "i2c", gpiolib's character devices as "gpiochip"
    and usbfs as "usb_device". This machine may have none of those drivers, so what it has
    is only printed.
    """
    unit = parse_unit(UNITS / "sweeper.service")
    names = {v.split()[0][5:] for v in values(unit, "Service", "DeviceAllow") if v.startswith("char-")}
    assert names == {"i2c", "gpiochip", "usb_device"}
    here = Path("/proc/devices").read_text().split("Block devices")[0]
    registered = {ln.split(None, 1)[1].strip() for ln in here.splitlines()[1:] if ln.strip()}
    print("registered here:", sorted(names & registered), "absent here:", sorted(names - registered))


def test_timer_and_its_service():
    timer = parse_unit(UNITS / "sweeper-sweep.timer")
    assert value(timer, "Timer", "Unit") == "sweeper-sweep.service"
    assert (UNITS / value(timer, "Timer", "Unit")).exists()
    assert value(timer, "Timer", "OnCalendar") == "hourly"
    assert value(timer, "Timer", "Persistent") == "true"
    assert value(timer, "Timer", "RandomizedDelaySec") == "60"
    assert value(timer, "Install", "WantedBy") == "timers.target"
    sweep = parse_unit(UNITS / "sweeper-sweep.service")
    assert value(sweep, "Service", "Type") == "oneshot"
    # asks the daemon over its control socket as the sweeper user, with no privilege
    # (it once ran as root with CAP_KILL only to send SIGUSR1)
    assert value(sweep, "Service", "ExecStart") == f"{INSTALLED_SWEEPER} trigger"
    assert value(sweep, "Service", "User") == "sweeper"
    assert value(sweep, "Service", "CapabilityBoundingSet") == ""
    assert "sweeper.service" in value(sweep, "Unit", "After").split()
    assert value(sweep, "Unit", "Requisite") == "sweeper.service"  # not running: skipped, not started


def test_room_timer_template_runs_sweeper_trigger_with_the_room():
    timer = parse_unit(UNITS / "sweeper-sweep@.timer")
    assert values(timer, "Timer", "Unit") == []  # sweeper-sweep@ROOM.timer starts sweeper-sweep@ROOM.service
    assert value(timer, "Install", "WantedBy") == "timers.target"
    sweep = parse_unit(UNITS / "sweeper-sweep@.service")
    assert value(sweep, "Service", "ExecStart") == f"{INSTALLED_SWEEPER} trigger --room %I"
    assert value(sweep, "Service", "User") == "sweeper"  # the control socket is the sweeper user's
    daemon = parse_unit(UNITS / "sweeper.service")
    assert value(daemon, "Service", "RuntimeDirectory") == "sweeper"
    assert value(daemon, "Service", "RuntimeDirectoryMode") == "0750"
    proc = subprocess.run([sys.executable, "-m", "sweeper", "trigger", "--help"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0 and "--room" in proc.stdout


def test_daemon_command_line_exists():
    """ExecStart=... sweeper run: the sub-command the unit starts must exist in the CLI."""
    proc = subprocess.run([sys.executable, "-m", "sweeper", "run", "--help"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------- MemoryDenyWriteExecute

MDWE_PROBE = r"""
import ctypes, mmap, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
    sys.exit(77)
try:  # the restriction is real: writable+executable memory is refused
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    sys.exit("W+X mapping was allowed: MDWE is not in force")
except OSError:
    pass
import numpy
numpy.fft.rfft(numpy.ones(4096, dtype=numpy.float32))
import yaml, smbus2, gpiozero, luma.oled.device, luma.core.interface.serial
import sweeper.cli, sweeper.rf.engine, sweeper.wifi.capture, sweeper.selftest
import sweeper.device.app, sweeper.device.notify
try:
    import rtlsdr  # loads librtlsdr through ctypes
except ImportError:
    pass
# a fresh ctypes callback (libffi closure): pyrtlsdr's async reads would make one
assert ctypes.CFUNCTYPE(ctypes.c_int)(lambda: 7)() == 7
print("ok")
"""


def test_daemon_imports_survive_memory_deny_write_execute():
    """The kernel's PR_SET_MDWE (Linux 6.3+) refuses what MemoryDenyWriteExecute=yes refuses."""
    proc = subprocess.run([sys.executable, "-c", MDWE_PROBE], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    if proc.returncode == 77:
        pytest.skip("kernel without PR_SET_MDWE (Linux < 6.3): cannot emulate the unit's MDWE")
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]


# --------------------------------------------------------------- polkit rule

POLKIT_HARNESS = r"""
const fs = require("fs");
const rules = [];
const polkit = {Result: {YES: "yes", NO: "no", NOT_HANDLED: null}, addRule: f => rules.push(f)};
new Function("polkit", fs.readFileSync(process.argv[2], "utf8"))(polkit);
const verdict = (user, id) => {
  for (const r of rules) { const v = r({id}, {user}); if (v !== null && v !== undefined) return v; }
  return "not handled";
};
const out = {};
for (const [user, id] of JSON.parse(process.argv[3])) out[user + " " + id] = verdict(user, id);
console.log(JSON.stringify(out));
"""


def test_polkit_rule_allows_only_poweroff_for_sweeper(tmp_path):
    """Evaluate the JavaScript rule as polkitd would, with node standing in for its duktape."""
    import json

    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed: cannot evaluate the polkit rule")
    harness = tmp_path / "harness.js"
    harness.write_text(POLKIT_HARNESS)
    login1 = "org.freedesktop.login1."
    cases = [("sweeper", login1 + "power-off"), ("sweeper", login1 + "power-off-multiple-sessions"),
             ("sweeper", login1 + "power-off-ignore-inhibit"), ("sweeper", login1 + "reboot"),
             ("sweeper", "org.freedesktop.systemd1.manage-units"), ("pi", login1 + "power-off")]
    proc = subprocess.run([node, str(harness), str(UNITS / "50-sweeper-poweroff.rules"),
                           json.dumps(cases)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got == {
        "sweeper " + login1 + "power-off": "yes",
        "sweeper " + login1 + "power-off-multiple-sessions": "yes",
        "sweeper " + login1 + "power-off-ignore-inhibit": "yes",
        "sweeper " + login1 + "reboot": "not handled",
        "sweeper org.freedesktop.systemd1.manage-units": "not handled",
        "pi " + login1 + "power-off": "not handled",
    }
