"""firmware/: the shell scripts, udev rules, boot fragment and the installer itself.

The installer is really run: once with --dry-run (it must print every step and touch
nothing), then twice into a scratch root with the steps that need network or a full OS
(apt, user, venv, pip) skipped through SWEEPER_INSTALL_SKIP; the second run must change
nothing. Needs `shellcheck` (Debian package `shellcheck`) for the lint; skips it without.
"""
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FW = REPO / "firmware"
INSTALL = FW / "install.sh"
PIN = FW / "lib" / "pyrtlsdr-pin.sh"
SCRIPTS = sorted(FW.rglob("*.sh"))
RULES = sorted((FW / "udev").glob("*.rules"))
FRAGMENT = FW / "boot" / "config.txt.fragment"
SKIP_OFFLINE = "apt user venv pip"
RTL_IDS = {("0bda", "2838"), ("0bda", "2832")}


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)


def test_scripts_found():
    names = {p.relative_to(FW).as_posix() for p in SCRIPTS}
    assert {"install.sh", "lib/pyrtlsdr-pin.sh", "pi-gen/stage-sweeper/prerun.sh",
            "pi-gen/stage-sweeper/00-install-sweeper/00-run.sh"} <= names


# --- (a) shellcheck, (b) bash -n -------------------------------------------------------

@pytest.mark.skipif(shutil.which("shellcheck") is None,
                    reason="shellcheck not installed (Debian package: shellcheck)")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(FW).as_posix())
def test_shellcheck(script):
    r = run(["shellcheck", "-x", "--severity=style", script.name], cwd=script.parent)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(FW).as_posix())
def test_bash_syntax(script):
    r = run(["bash", "-n", str(script)])
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("script", [INSTALL, *FW.glob("pi-gen/**/*-run.sh"),
                                    FW / "pi-gen/stage-sweeper/prerun.sh"],
                         ids=lambda p: p.name)
def test_scripts_executable(script):
    assert os.access(script, os.X_OK), f"{script} is not executable"


# --- (c) udev rules --------------------------------------------------------------------

TOKEN = re.compile(
    r'^(?P<key>SUBSYSTEMS?|ACTION|DRIVERS?|KERNEL|NAME|MODE|GROUP|TAG|'
    r'(?:ATTRS?|ENV)\{[A-Za-z0-9_]+\})\s*(?P<op>==|!=|\+=|=)\s*"(?P<val>[^"]*)"$')
MATCH_OPS = {"==", "!="}


def rule_lines(path):
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield n, line


@pytest.mark.parametrize("rules", RULES, ids=lambda p: p.name)
def test_udev_rules_lint(rules):
    assert rule_lines(rules), f"{rules.name} has no rules"
    for n, line in rule_lines(rules):
        assert line.count('"') % 2 == 0, f"{rules.name}:{n}: unbalanced quotes"
        tokens = [t.strip() for t in line.split(",")]
        kinds = []
        for tok in tokens:
            m = TOKEN.match(tok)
            assert m, f"{rules.name}:{n}: bad or unknown token {tok!r}"
            key, op = m["key"], m["op"]
            if key in ("NAME", "MODE", "GROUP"):
                assert op == "=", f"{rules.name}:{n}: {key} must be assigned with ="
            if key == "TAG":
                assert op in ("+=", "=")
            kinds.append(op in MATCH_OPS)
        assert any(kinds) and not all(kinds), f"{rules.name}:{n}: needs matches and actions"


def test_udev_rtlsdr_ids_and_permissions():
    rules = FW / "udev" / "60-sweeper-rtlsdr.rules"
    seen = set()
    for _, line in rule_lines(rules):
        vid = re.search(r'ATTRS\{idVendor\}=="([0-9a-f]{4})"', line)
        pid = re.search(r'ATTRS\{idProduct\}=="([0-9a-f]{4})"', line)
        assert vid and pid, line
        seen.add((vid[1], pid[1]))
        assert 'SUBSYSTEM=="usb"' in line
        assert 'MODE="0660"' in line and 'GROUP="plugdev"' in line and 'TAG+="uaccess"' in line
    assert seen == RTL_IDS


def test_udev_wifi_name():
    rules = FW / "udev" / "70-sweeper-wifi.rules"
    drivers = set()
    for _, line in rule_lines(rules):
        assert 'SUBSYSTEM=="net"' in line and 'ACTION=="add"' in line
        assert 'NAME="sweepwifi0"' in line
        drivers.update(re.findall(r'DRIVERS=="([^"]+)"', line))
    assert drivers == {"mt76x2u", "mt7921u", "rt2800usb"}
    assert "interface: sweepwifi0" in rules.read_text()


def test_udevadm_verify():
    udevadm = shutil.which("udevadm")
    if udevadm is None:
        pytest.skip("udevadm not installed")
    if run([udevadm, "verify", "--help"]).returncode != 0:
        pytest.skip("udevadm has no verify (systemd < 254)")
    r = run([udevadm, "verify", *map(str, RULES)])
    assert r.returncode == 0, r.stdout + r.stderr


# --- (d) boot fragment -----------------------------------------------------------------

def test_boot_fragment_lint():
    settings = []
    for n, line in enumerate(FRAGMENT.read_text().splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s == "[all]":
            continue
        m = re.fullmatch(r"(dtparam|dtoverlay)=([A-Za-z0-9_,=.-]+)", s)
        assert m, f"config.txt.fragment:{n}: not key=value with a known key: {s!r}"
        settings.append(m[2])
    assert settings == ["i2c_arm=on", "i2c_arm_baudrate=400000"]
    assert "#dtoverlay=disable-bt" in FRAGMENT.read_text()


def test_modprobe_blacklist():
    lines = [l.split() for l in (FW / "modprobe.d/blacklist-rtlsdr.conf").read_text().splitlines()
             if l.strip() and not l.startswith("#")]
    assert all(len(l) == 2 and l[0] == "blacklist" for l in lines), lines
    assert {l[1] for l in lines} == {"dvb_usb_rtl28xxu", "rtl2832", "rtl2830", "rtl2832_sdr"}


# --- (f) the pyrtlsdr pin --------------------------------------------------------------

@pytest.mark.parametrize("version,pin", [
    ("0.6.0-4", "pyrtlsdr==0.3.0"),     # Debian bookworm
    ("2.0.1-1", "pyrtlsdr>=0.3.0"),     # rtl-sdr-blog package
    ("1:2.0.2-1", "pyrtlsdr>=0.3.0"),
    ("2.0", "pyrtlsdr>=0.3.0"),
    ("0.5.3-14", "pyrtlsdr==0.3.0"),    # Debian buster
    ("1.99", "pyrtlsdr==0.3.0"),
    ("10.0", "pyrtlsdr>=0.3.0"),
    ("", "pyrtlsdr==0.3.0"),            # unknown: the safe pin
])
def test_pyrtlsdr_pin(version, pin):
    r = run(["bash", "-c", f'. "{PIN}"; pyrtlsdr_pin "$1"', "_", version])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == pin
    assert run([str(PIN), version]).stdout.strip() == pin


def expected_pin():
    """The pin for this machine's librtlsdr0 (installed, else apt's candidate)."""
    v = ""
    if shutil.which("dpkg-query"):
        r = run(["dpkg-query", "-W", "-f=${Status} ${Version}", "librtlsdr0"])
        if r.returncode == 0 and "install ok installed" in r.stdout:
            v = r.stdout.split()[-1]
    if not v and shutil.which("apt-cache"):
        m = re.search(r"Candidate:\s*(\S+)", run(["apt-cache", "policy", "librtlsdr0"]).stdout)
        v = m[1] if m and m[1] != "(none)" else ""
    return run([str(PIN), v]).stdout.strip()


# --- (e) the installer, really run -----------------------------------------------------

def tree_digest(root):
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = Path(dirpath, name)
            st = p.lstat()
            h.update(f"{p.relative_to(root)} {oct(st.st_mode)}\n".encode())
            if p.is_symlink():
                h.update(os.readlink(p).encode())
            elif p.is_file():
                h.update(p.read_bytes())
    return h.hexdigest()


def installer(*args, skip=None):
    env = dict(os.environ)
    env.pop("SWEEPER_LIBRTLSDR_VERSION", None)
    if skip is not None:
        env["SWEEPER_INSTALL_SKIP"] = skip
    return run([str(INSTALL), *args], env=env)


@pytest.fixture
def target(tmp_path):
    root = tmp_path / "root"
    (root / "boot/firmware").mkdir(parents=True)
    (root / "boot/firmware/config.txt").write_text("# stock\n[pi4]\narm_boost=1\n")
    return root


def test_install_dry_run(target):
    before = tree_digest(target)
    r = installer("--dry-run", "--root", str(target))
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    cmds = [l for l in out.splitlines() if l.startswith("+ ")]
    want = [
        r"apt-get install .*librtlsdr0",
        r"useradd --root \S+ --system .*--shell /usr/sbin/nologin sweeper",
        r"python3 -m venv --system-site-packages /opt/sweeper/venv",
        r"/opt/sweeper/venv/bin/python -m pip install .* " + re.escape(expected_pin()) + "$",
        r"ln -sfn /opt/sweeper/venv/bin/sweeper \S+/usr/local/bin/sweeper$",  # on PATH, as the README types it
        r"install .*udev/60-sweeper-rtlsdr.rules \S+/etc/udev/rules.d/60-sweeper-rtlsdr.rules",
        r"install .*udev/70-sweeper-wifi.rules \S+/etc/udev/rules.d/70-sweeper-wifi.rules",
        r"install .*blacklist-rtlsdr.conf \S+/etc/modprobe.d/blacklist-rtlsdr.conf",
        r"install .*config.example.yaml \S+/etc/sweeper/config.yaml",
        r"config.txt.fragment >> \S+/boot/firmware/config.txt",
        r"install .*systemd/sweeper.service \S+/etc/systemd/system/sweeper.service",
        r"install .*50-sweeper-poweroff.rules \S+/etc/polkit-1/rules.d/",
        r"systemctl --root=\S+ enable sweeper.service",
        r"systemctl --root=\S+ enable sweeper-sweep.timer",
    ]
    for pat in want:
        assert any(re.search(pat, c) for c in cmds), f"no command matching {pat!r} in:\n{out}"
    assert "nothing was changed" in out
    assert tree_digest(target) == before, "--dry-run changed the target"


def test_install_into_root_twice(target):
    r = installer("--root", str(target), skip=SKIP_OFFLINE)
    assert r.returncode == 0, r.stdout + r.stderr
    for step in SKIP_OFFLINE.split():
        assert f"skipped ({step} in SWEEPER_INSTALL_SKIP)" in r.stdout
    etc = target / "etc"
    for rel, src in [
        ("udev/rules.d/60-sweeper-rtlsdr.rules", FW / "udev/60-sweeper-rtlsdr.rules"),
        ("udev/rules.d/70-sweeper-wifi.rules", FW / "udev/70-sweeper-wifi.rules"),
        ("modprobe.d/blacklist-rtlsdr.conf", FW / "modprobe.d/blacklist-rtlsdr.conf"),
        ("systemd/system/sweeper.service", REPO / "systemd/sweeper.service"),
        ("systemd/system/sweeper-sweep.service", REPO / "systemd/sweeper-sweep.service"),
        ("systemd/system/sweeper-sweep.timer", REPO / "systemd/sweeper-sweep.timer"),
        ("systemd/system/sweeper-sweep@.service", REPO / "systemd/sweeper-sweep@.service"),
        ("systemd/system/sweeper-sweep@.timer", REPO / "systemd/sweeper-sweep@.timer"),
        ("polkit-1/rules.d/50-sweeper-poweroff.rules", REPO / "systemd/50-sweeper-poweroff.rules"),
        ("sweeper/config.yaml", REPO / "sweeper/data/config.example.yaml"),
    ]:
        assert (etc / rel).read_bytes() == src.read_bytes(), rel
        # the config holds the MQTT password and the MAC salt: not for other users
        assert (etc / rel).stat().st_mode & 0o777 == (0o640 if rel == "sweeper/config.yaml" else 0o644), rel
    if shutil.which("systemctl"):
        for link in ("multi-user.target.wants/sweeper.service",
                     "timers.target.wants/sweeper-sweep.timer"):
            p = etc / "systemd/system" / link
            assert p.is_symlink(), link
            assert os.readlink(p) == "/etc/systemd/system/" + link.split("/")[1]
    cfg = (target / "boot/firmware/config.txt").read_text()
    assert cfg.startswith("# stock\n[pi4]\narm_boost=1\n")
    assert FRAGMENT.read_text() in cfg
    # after a [pi4] section the block must switch back to [all]
    assert re.search(r"\[all\]\s*\n(#.*\n|\s*\n)*dtparam=i2c_arm=on", cfg)
    assert not (target / "opt").exists(), "venv/pip ran although skipped"

    digest = tree_digest(target)
    r2 = installer("--root", str(target), skip=SKIP_OFFLINE)
    assert r2.returncode == 0, r2.stdout + r2.stderr
    assert tree_digest(target) == digest, "second run changed the target"
    assert not [l for l in r2.stdout.splitlines() if l.startswith("+ ")]
    assert "already done: /boot/firmware/config.txt has the sweeper block" in r2.stdout
    cfg2 = (target / "boot/firmware/config.txt").read_text()
    assert cfg2.count("dtparam=i2c_arm=on") == 1 and cfg2.count("# >>> sweeper (") == 1


def test_install_keeps_existing_config(target):
    (target / "etc/sweeper").mkdir(parents=True)
    (target / "etc/sweeper/config.yaml").write_text("wifi:\n  interface: sweepwifi0\n")
    r = installer("--root", str(target), skip=SKIP_OFFLINE)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (target / "etc/sweeper/config.yaml").read_text() == "wifi:\n  interface: sweepwifi0\n"
    assert "never overwritten" in r.stdout
    assert (target / "etc/sweeper/config.yaml").stat().st_mode & 0o777 == 0o640  # an old 0644 one is tightened


def test_install_replaces_outdated_boot_block(target):
    cfg = target / "boot/firmware/config.txt"
    cfg.write_text("# stock\n# >>> sweeper (firmware/boot/config.txt.fragment) >>>\n"
                   "dtparam=i2c_arm=on\n# <<< sweeper <<<\nover_voltage=0\n")
    r = installer("--root", str(target), skip=SKIP_OFFLINE)
    assert r.returncode == 0, r.stdout + r.stderr
    text = cfg.read_text()
    assert text.count("# >>> sweeper (") == 1 and "over_voltage=0" in text
    assert "dtparam=i2c_arm_baudrate=400000" in text


def test_install_rejects_bad_usage(tmp_path):
    assert installer("--bogus").returncode == 64
    assert installer("--root", str(tmp_path / "missing"), "--dry-run").returncode == 64
