"""``sweeper join``: the network managers are stood in for by small executables on PATH
that record what they were asked (no radio here to join a real network with; the real
nmcli / wpa_cli are not exercised). What is checked is what a user relies on: the
password never appears on any command line and is not saved, the monitor adapter is
refused, and bad input is one line with exit 2."""
import os
import stat
import subprocess
import sys

import pytest

from sweeper.lan import join

IP_JSON = '[{"ifname":"wlan0","addr_info":[{"family":"inet","local":"192.168.4.57","prefixlen":24,"scope":"global"}]}]'


def tool(bin_dir, name, body):
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + f'echo "$0 $*" >> "{bin_dir}/calls"\n' + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def nm(tmp_path, monkeypatch):
    """A NetworkManager that is running and joins whatever it is asked to (and saves the
    password file it is given, to check its contents and its mode)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool(bin_dir, "nmcli", f"""
case "$*" in
  *"RUNNING general"*) echo running ;;
  *passwd-file*) f=$(echo "$*" | sed 's/.*passwd-file //'); cp "$f" "{bin_dir}/secret"; stat -c %a "$f" > "{bin_dir}/secret_mode" ;;
esac
""")
    tool(bin_dir, "ip", f"echo '{IP_JSON}'\n")
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return bin_dir


def test_networkmanager_joins_with_the_password_off_every_command_line_and_not_saved(nm):
    done = join.join("Hotel Guest", "correct horse battery", "wlan0", "wlan1", timeout_s=2)
    assert (done.backend, done.address) == ("NetworkManager", "192.168.4.57/24")
    calls = (nm / "calls").read_text()
    assert "correct horse" not in calls
    assert "wifi-sec.psk-flags 2" in calls and "ssid Hotel Guest" in calls  # 2: NetworkManager does not save it
    assert (nm / "secret").read_text() == "802-11-wireless-security.psk:correct horse battery\n"
    assert (nm / "secret_mode").read_text().strip() == "600"
    leftovers = [f for f in os.listdir(os.environ.get("TMPDIR", "/tmp")) if f.startswith("sweeper-join-")]
    assert leftovers == []


def test_wpa_supplicant_gets_the_password_on_its_control_channel(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool(bin_dir, "wpa_cli", f"""
case "$*" in
  *add_network) echo 3 ;;
  *) cat >> "{bin_dir}/stdin"; echo OK ;;
esac
""")
    tool(bin_dir, "ip", f"echo '{IP_JSON}'\n")
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    if any(os.path.exists(os.path.join(d, "nmcli")) for d in ("/usr/bin", "/bin")):
        pytest.skip("this machine has nmcli; the wpa_supplicant path is taken only without it")
    done = join.join("Cafe", "s3cret-pass", "wlan0", timeout_s=2)
    assert done.backend == "wpa_supplicant"
    assert "s3cret" not in (bin_dir / "calls").read_text()
    sent = (bin_dir / "stdin").read_text()
    assert 'set_network 3 ssid "Cafe"' in sent and 'set_network 3 psk "s3cret-pass"' in sent
    assert "save_config" not in sent


@pytest.mark.parametrize("ssid,password,interface,message", [
    ("Hotel", "short", "wlan0", "8 to 63 printable ASCII"),
    ("x" * 33, "long enough pass", "wlan0", "1 to 32 bytes"),
    ("bad\x1b[2Jssid", "long enough pass", "wlan0", "control characters"),
    ("Hotel", "long enough pass", "wlan1", "monitor-mode adapter"),
])
def test_bad_input_is_refused_before_anything_is_run(nm, ssid, password, interface, message):
    with pytest.raises(join.InputError, match=message):
        join.join(ssid, password, interface, "wlan1")
    assert not (nm / "calls").exists()


def test_the_command_asks_for_a_file_or_a_terminal_and_says_so_in_one_line(nm, tmp_path):
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-m", "sweeper", "join", "Hotel"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, env=env)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--password-file" in r.stderr
    pw = tmp_path / "pw"
    pw.write_text("correct horse battery\n")
    r = subprocess.run([sys.executable, "-m", "sweeper", "join", "Hotel", "--password-file", str(pw)],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "joined Hotel on wlan0 through NetworkManager: 192.168.4.57/24"
