"""The service's network allow-list (sweeper netpolicy): the daemon that parses hostile
frames may reach the MQTT broker and a network dongle over IP, and nothing else.

The drop-in is made by the real command from real config files and read back by
systemd-analyze (tests/test_systemd_units.py style); names go through the real resolver.
"""
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sweeper.config import load_config
from sweeper.device import netpolicy
from sweeper.selftest import run_selftest

ROOT = Path(__file__).resolve().parent.parent
ANALYZE = shutil.which("systemd-analyze")


def config(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_default_config_allows_only_localhost(tmp_path, cli):
    rc, out, err = cli("--config", str(config(tmp_path, "{}\n")), "netpolicy")
    assert rc == 0, err
    assert "IPAddressDeny=any" in out.splitlines()
    assert [ln for ln in out.splitlines() if ln.startswith("IPAddressAllow=")] == ["IPAddressAllow=localhost"]


def test_broker_and_network_dongle_are_allowed(tmp_path, cli):
    cfg = config(tmp_path, "mqtt:\n  enabled: true\n  host: 192.168.4.20\n"
                           "rf:\n  source: rtl_tcp\n  rtl_tcp:\n    host: 2001:db8::7\n")
    target = tmp_path / "sweeper.service.d" / "20-network.conf"
    rc, out, err = cli("--config", str(cfg), "netpolicy", "--install", str(target))
    assert rc == 0, err
    assert "systemctl daemon-reload" in out
    assert netpolicy.installed(target.read_text()) == ("localhost", "192.168.4.20", "2001:db8::7")
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    # the drop-in says why each address is there
    assert "192.168.4.20: mqtt.host" in target.read_text()
    # a broker switched off again: only localhost
    cfg.write_text("mqtt:\n  enabled: false\n  host: 192.168.4.20\n")
    assert netpolicy.policy(load_config(str(cfg))).allow == ("localhost",)


def test_a_named_broker_is_resolved_and_name_servers_allowed(tmp_path):
    """A name is fixed to its addresses when the service starts; the daemon resolves it
    again on each connect, so the resolv.conf name servers must be reachable too."""
    name = socket.gethostname()
    try:
        addresses = netpolicy.resolve(name)
    except OSError:
        pytest.skip(f"this machine's own name {name!r} does not resolve here")
    cfg = load_config(str(config(tmp_path, f"mqtt:\n  enabled: true\n  host: {name}\n")))
    pol = netpolicy.policy(cfg, resolv_conf="# x\nnameserver 10.0.0.1\nnameserver fe80::1%eth0\nsearch lan\n")
    for address in addresses:
        assert address in pol.allow or address.startswith(("127.", "::1"))
    assert "10.0.0.1" in pol.allow and "fe80::1" in pol.allow
    # given as an address, no name server is needed
    literal = load_config(str(config(tmp_path, "mqtt:\n  enabled: true\n  host: 10.9.9.9\n")))
    assert netpolicy.policy(literal, resolv_conf="nameserver 10.0.0.1\n").allow == ("localhost", "10.9.9.9")


def test_an_unresolvable_broker_is_one_line_exit_2(tmp_path, cli):
    cfg = config(tmp_path, "mqtt:\n  enabled: true\n  host: no-such-broker.invalid\n")
    rc, out, err = cli("--config", str(cfg), "netpolicy")
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "mqtt.host 'no-such-broker.invalid' does not resolve" in err


def test_a_stale_allow_list_is_reported(tmp_path):
    """The broker moved after the drop-in was written: the daemon's start and the
    self-test say so in one line, naming the fix."""
    dropin = tmp_path / "20-network.conf"
    old = load_config(str(config(tmp_path, "mqtt:\n  enabled: true\n  host: 10.0.0.5\n")))
    netpolicy.install(netpolicy.render(netpolicy.policy(old), old.source_path), dropin)
    assert netpolicy.stale(old, dropin) is None
    moved = load_config(str(config(tmp_path, "mqtt:\n  enabled: true\n  host: 10.0.0.6\n")))
    problem = netpolicy.stale(moved, dropin)
    assert problem and "10.0.0.6" in problem and netpolicy.INSTALL_HINT in problem
    check = netpolicy.probe(moved, dropin)
    assert not check.ok and check.fix == netpolicy.INSTALL_HINT
    assert netpolicy.probe(old, dropin).ok
    # none installed (a development machine): nothing to check, and the self-test says so
    assert netpolicy.stale(moved, tmp_path / "absent.conf") is None
    lines = {c.name: c for c in run_selftest(moved)}
    assert netpolicy.NETWORK_CHECK in lines


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed (apt install systemd)")
@pytest.mark.parametrize("broker, verdict", [(None, "only localhost entries"),
                                             ("192.168.4.20", "non-localhost entries")])
def test_systemd_reads_the_drop_in(tmp_path, broker, verdict):
    unit = (ROOT / "systemd" / "sweeper.service").read_text().replace(
        "/opt/sweeper/venv/bin/sweeper", str(Path(sys.executable).parent / "sweeper"))
    (tmp_path / "sweeper.service").write_text(unit)
    text = "mqtt:\n  enabled: true\n  host: %s\n" % broker if broker else "{}\n"
    cfg = load_config(str(config(tmp_path, text)))
    netpolicy.install(netpolicy.render(netpolicy.policy(cfg), cfg.source_path),
                      tmp_path / "sweeper.service.d" / "20-network.conf")
    env = dict(os.environ, SYSTEMD_LOG_LEVEL="err")
    verify = subprocess.run([ANALYZE, "verify", "./sweeper.service"], cwd=tmp_path, capture_output=True,
                            text=True, env=env, timeout=120)
    problems = [ln for ln in (verify.stdout + verify.stderr).splitlines()
                if "booted with systemd" not in ln and "connect to bus" not in ln]
    assert problems == [] and verify.returncode == 0, problems
    sec = subprocess.run([ANALYZE, "security", "--offline=true", "./sweeper.service"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    line = next(ln for ln in sec.stdout.splitlines() if "IPAddressDeny=" in ln)
    assert f"IP address allow list with {verdict}" in line, line


def test_a_lan_scan_may_reach_the_private_ranges_and_their_discovery_multicast(tmp_path, cli):
    """The joined network is not known when the service starts: with lan.enabled the
    service may reach every private range the scan may be confined to (the scan itself
    refuses any subnet but the joined one), and no public address."""
    rc, out, err = cli("--config", str(config(tmp_path, "lan:\n  enabled: true\n")), "netpolicy")
    assert rc == 0, err
    allowed = [ln.split("=", 1)[1] for ln in out.splitlines() if ln.startswith("IPAddressAllow=")]
    assert allowed == ["localhost", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                       "169.254.0.0/16", "224.0.0.0/4", "fe80::/10", "ff02::/16"]
    assert "# " in out and "mDNS, SSDP and WS-Discovery" in out
