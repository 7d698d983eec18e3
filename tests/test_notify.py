"""sd_notify client: real datagrams to a real AF_UNIX socket standing in for systemd."""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import uuid

import pytest

from sweeper.device import notify


@pytest.fixture
def path_socket(monkeypatch):
    """A bound datagram socket at a filesystem path, exported as $NOTIFY_SOCKET."""
    # a short directory: AF_UNIX paths are limited to 107 bytes, pytest's tmp_path can exceed it
    with tempfile.TemporaryDirectory(prefix="sdn") as d:
        path = os.path.join(d, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        yield sock
        sock.close()


@pytest.fixture
def abstract_socket(monkeypatch):
    """A datagram socket in the abstract namespace, exported as $NOTIFY_SOCKET=@name."""
    name = f"sweeper-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
    yield sock
    sock.close()


def test_helpers_send_the_protocol_lines(path_socket):
    assert notify.ready() is True
    assert path_socket.recv(4096) == b"READY=1"
    assert notify.status("sweeping 2.4GHz") is True
    assert path_socket.recv(4096) == b"STATUS=sweeping 2.4GHz"
    assert notify.watchdog() is True
    assert path_socket.recv(4096) == b"WATCHDOG=1"
    assert notify.stopping() is True
    assert path_socket.recv(4096) == b"STOPPING=1"
    assert notify.notify("READY=1\nSTATUS=up") is True
    assert path_socket.recv(4096) == b"READY=1\nSTATUS=up"


def test_status_keeps_to_one_line(path_socket):
    notify.status("no SDR\nno adapter")
    assert path_socket.recv(4096) == b"STATUS=no SDR no adapter"


def test_abstract_namespace_socket(abstract_socket):
    assert notify.ready() is True
    assert abstract_socket.recv(4096) == b"READY=1"
    assert notify.status("ready; missing: display") is True
    assert abstract_socket.recv(4096) == b"STATUS=ready; missing: display"


def test_datagram_comes_from_this_process(path_socket):
    """NotifyAccess=main: systemd trusts the sender's kernel credentials, so they must be ours."""
    path_socket.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    assert notify.watchdog()
    data, ancdata, _flags, _addr = path_socket.recvmsg(4096, socket.CMSG_SPACE(12))
    assert data == b"WATCHDOG=1"
    creds = [d for level, kind, d in ancdata
             if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS]
    pid, uid, _gid = struct.unpack("3i", creds[0][:12])
    assert (pid, uid) == (os.getpid(), os.getuid())


def test_a_subprocess_reaches_the_socket_too(path_socket):
    """The installed daemon is a separate interpreter: the socket name is all it needs."""
    code = "from sweeper.device import notify; raise SystemExit(0 if notify.ready() else 1)"
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ), timeout=60)
    assert path_socket.recv(4096) == b"READY=1"


def test_not_under_systemd(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify.ready() is False
    assert notify.status("x") is False
    assert notify.watchdog() is False
    monkeypatch.setenv("NOTIFY_SOCKET", "")
    assert notify.notify("READY=1") is False


def test_a_vanished_or_unknown_socket_is_not_an_error(monkeypatch):
    with tempfile.TemporaryDirectory(prefix="sdn") as d:
        monkeypatch.setenv("NOTIFY_SOCKET", os.path.join(d, "gone"))
        assert notify.ready() is False
    monkeypatch.setenv("NOTIFY_SOCKET", f"@sweeper-nobody-{uuid.uuid4().hex}")
    assert notify.ready() is False
    monkeypatch.setenv("NOTIFY_SOCKET", "vsock:2:1234")
    assert notify.ready() is False


def test_watchdog_interval(monkeypatch):
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert notify.watchdog_interval() is None
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")  # WatchdogSec=30
    assert notify.watchdog_interval() == pytest.approx(15.0)
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert notify.watchdog_interval() == pytest.approx(15.0)
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))  # meant for another process
    assert notify.watchdog_interval() is None
    monkeypatch.setenv("WATCHDOG_PID", "garbage")
    assert notify.watchdog_interval() is None
    monkeypatch.delenv("WATCHDOG_PID")
    for bad in ("0", "-5", "thirty", ""):
        monkeypatch.setenv("WATCHDOG_USEC", bad)
        assert notify.watchdog_interval() is None
