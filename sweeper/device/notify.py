"""Tell systemd how the daemon is doing (the sd_notify protocol), without libsystemd.

``sweeper.service`` is ``Type=notify`` with a watchdog: systemd waits for ``READY=1``
before it calls the daemon started, shows ``STATUS=`` lines in ``systemctl status``, and
restarts the daemon when ``WATCHDOG=1`` pings stop (a hung sweep loop). The protocol is
one datagram of ``KEY=VALUE`` lines to the AF_UNIX socket named in ``$NOTIFY_SOCKET``, so
a dozen lines of stdlib beat a dependency on python-systemd (not on PyPI in a usable
form, and a C build on the Pi).

Every call is a no-op returning False outside systemd (no ``$NOTIFY_SOCKET``), so the
same code runs from a shell, in tests and under the service. With ``NotifyAccess=main``
systemd only accepts datagrams from the main process: call these from the daemon's own
process (any thread), never from a subprocess.
"""
from __future__ import annotations

import os
import socket
from typing import Optional

__all__ = ["notify", "ready", "status", "watchdog", "stopping", "watchdog_interval"]


def _address() -> Optional[bytes]:
    """``$NOTIFY_SOCKET`` as a socket address: a path, or ``@name`` for the abstract namespace."""
    name = os.environ.get("NOTIFY_SOCKET", "")
    if name.startswith("@"):
        return b"\0" + os.fsencode(name[1:])
    if name.startswith("/"):
        return os.fsencode(name)
    return None  # unset, or a kind we do not speak (e.g. systemd 253+'s vsock:)


def notify(state: str) -> bool:
    """Send ``state`` (newline-separated ``KEY=VALUE`` pairs) to systemd.

    Returns True when the datagram was sent, False when not running under systemd or
    the socket is gone: a status report must never take the daemon down.
    """
    address = _address()
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode("utf-8", "replace"))
    except OSError:
        return False
    return True


def ready() -> bool:
    """Start-up is done: ``systemctl start`` returns and units ordered after us may start."""
    return notify("READY=1")


def status(text: str) -> bool:
    """One line for ``systemctl status`` (newlines would end the field, so they become spaces)."""
    return notify("STATUS=" + " ".join(str(text).splitlines()))


def watchdog() -> bool:
    """Ping the watchdog: call it from the main loop, so a hung loop stops the pings."""
    return notify("WATCHDOG=1")


def stopping() -> bool:
    """Shutdown has begun (restoring the Wi-Fi adapter may take a moment)."""
    return notify("STOPPING=1")


def watchdog_interval() -> Optional[float]:
    """Seconds between watchdog pings, or None when systemd expects none.

    Half of ``$WATCHDOG_USEC``, as sd_watchdog_enabled(3) recommends, so one late ping
    is not a restart. ``$WATCHDOG_PID``, when set, must be this process: a child that
    inherited the environment must not think the watchdog is its job.
    """
    pid = os.environ.get("WATCHDOG_PID")
    if pid:
        try:
            if int(pid) != os.getpid():
                return None
        except ValueError:
            return None
    try:
        usec = int(os.environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    return usec / 2 / 1_000_000
