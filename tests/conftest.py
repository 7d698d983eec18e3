"""Shared test fixtures: where the real captures live, and running the CLI."""
import json
import os
import pty
import subprocess
import sys

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPWMPin

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_RF = os.path.join(ROOT, "..", "shared", "data", "rf")
SHARED_WIFI = os.path.join(ROOT, "..", "shared", "data", "wifi")
BLINK_CAMERA = os.path.join(SHARED_WIFI, "tjoconnor-blink-cam-01.pcap")
BLINK_MAC = "f4:b8:5e:ff:2b:1b"
SIFELY_HUB = os.path.join(SHARED_WIFI, "tjoconnor-sifely-hub-01.pcap")


def real_rf_captures():
    if not os.path.isdir(SHARED_RF):
        return []
    return sorted(os.path.join(SHARED_RF, f) for f in os.listdir(SHARED_RF) if f.endswith(".npy"))


def run_cli(*args, check_json=True):
    """Run the installed `sweeper` command as a user would; returns (rc, stdout, stderr)."""
    proc = subprocess.run([sys.executable, "-m", "sweeper", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def run_on_a_terminal(*args):
    """`sweeper` with stderr on a pseudo-terminal: (rc, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "sweeper", *args], stdout=subprocess.PIPE, stderr=slave,
                            cwd=ROOT, text=True)
    os.close(slave)
    out, _ = proc.communicate(timeout=120)
    got = b""
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the other end is closed and drained
            break
        if not data:
            break
        got += data
    os.close(master)
    return proc.returncode, out, got.decode()


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def cli_json():
    def go(*args):
        rc, out, err = run_cli(*args)
        assert rc == 0, err
        return json.loads(out)
    return go


@pytest.fixture
def pins():
    factory = MockFactory(pin_class=MockPWMPin)
    previous = Device.pin_factory
    Device.pin_factory = factory
    yield factory
    factory.reset()
    Device.pin_factory = previous


@pytest.fixture(autouse=True, scope="session")
def _private_state_and_runtime(tmp_path_factory):
    """Sweeps run by tests record their history, and daemons open their control socket,
    in a temporary folder: never in the user's ~/.local/state or /run."""
    base = tmp_path_factory.mktemp("xdg")
    for var in ("XDG_STATE_HOME", "XDG_RUNTIME_DIR"):
        os.environ[var] = str(base / var.lower())
    os.environ.pop("STATE_DIRECTORY", None)
    os.environ.pop("RUNTIME_DIRECTORY", None)


@pytest.fixture(scope="module")
def lan():
    """The LAN test network of tests/lan_net.py (root only), built for each module that
    uses it (about 2.5 s to build and tear down).

    Its tests carry ``xdist_group("lan_net")`` so that under ``./dev test`` they mostly
    share one worker; a lock makes another worker wait for the network, and holding it
    per module (not per worker session) keeps that wait to one module's run, not the
    rest of the other worker's suite (which cost 9 minutes when xdist split a group)."""
    import lan_net
    reason = lan_net.unavailable_reason()
    if reason:
        pytest.skip(reason)
    with lan_net.lan_network() as net:
        yield net
