"""Asking the running daemon for a sweep of a named room: ``sweeper trigger --room R``.

The daemon owns the radios, so a scheduled sweep cannot be a second process sweeping on
its own. ``sweeper-sweep@ROOM.timer`` runs ``sweeper trigger --room ROOM``, which sends
one datagram to the daemon's control socket; the daemon sweeps as if the button was
pressed, and labels the sweep with the room. (SIGUSR1, used by the plain hourly timer,
carries no room: it sweeps ``venue.room``.)

The socket lives in the service's runtime directory (``/run/sweeper``, mode 0750, user
sweeper), so only the sweeper user and root can reach it. Datagrams are small JSON
objects; anything else (too long, not JSON, an odd room label) is counted and dropped:
whoever can write to the socket can ask for a sweep, nothing more.
"""
from __future__ import annotations

import json
import os
import socket
import stat
import threading
import time
from typing import Callable, Optional

from sweeper.errors import HardwareError, InputError

MAX_DATAGRAM = 1024
MAX_ROOM_CHARS = 64


#: at most one log line per this many seconds about malformed requests
LOG_EVERY_S = 60.0


def _private_dir(folder: str) -> None:
    """``folder`` as a directory of this user's own, mode 0700: created so, or refused
    when something else is there (another user's directory, a planted symlink)."""
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise HardwareError(f"cannot create the control socket's folder {folder}: {exc.strerror}") from None
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
        raise HardwareError(f"{folder} exists and is not a private folder of this user (a symlink or someone "
                            "else's?): remove it, or run under systemd (RuntimeDirectory)")


def socket_path(environ=os.environ) -> str:
    """``$RUNTIME_DIRECTORY/control.sock`` under systemd, else /run/sweeper, else a
    per-user runtime folder (so ``sweeper run --simulate`` works unprivileged)."""
    if environ.get("RUNTIME_DIRECTORY"):
        return os.path.join(environ["RUNTIME_DIRECTORY"].split(":")[0], "control.sock")
    if os.path.isdir("/run/sweeper") and os.access("/run/sweeper", os.W_OK | os.X_OK):
        return "/run/sweeper/control.sock"
    base = environ.get("XDG_RUNTIME_DIR") or f"/tmp/sweeper-{os.getuid()}"
    return os.path.join(base, "sweeper", "control.sock")


def check_room(room) -> str:
    """A room label as stored: printable text of at most 64 characters."""
    if not isinstance(room, str) or len(room) > MAX_ROOM_CHARS or not room.isprintable():
        raise InputError(f"a room label is printable text of at most {MAX_ROOM_CHARS} characters, "
                         f"not {str(room)[:80]!r}")
    return room.strip()


class ControlServer:
    """Receives sweep requests on a unix datagram socket and posts them to the daemon as
    ``("sweep", {"room": ..., "trigger": ...})``."""

    def __init__(self, path: str, post: Callable[[str, object], None],
                 log: Callable[[str], None] = lambda m: None):
        self.path = path
        self.post = post
        self.log = log
        self.dropped = 0
        self._logged_at = float("-inf")
        self._dropped_logged = 0
        folder = os.path.dirname(path)
        shared = next((t for t in ("/tmp/", "/var/tmp/") if folder.startswith(t)), None)
        if shared:  # anyone may create names there first: its entry there must be ours alone
            _private_dir(shared + folder[len(shared):].split("/")[0])
        os.makedirs(folder, mode=0o700 if shared else 0o750, exist_ok=True)
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o002:
            raise HardwareError(f"the control socket's folder {folder} is not this user's own, or anyone "
                                "may write to it")
        try:
            os.unlink(path)  # left by a daemon that was killed
        except FileNotFoundError:
            pass
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        old = os.umask(0o117)  # the socket: owner and group may write
        try:
            self._sock.bind(path)
        except OSError as exc:
            raise HardwareError(f"cannot create the control socket {path}: {exc.strerror}") from None
        finally:
            os.umask(old)
        self._thread = threading.Thread(target=self._serve, name="control", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                data = self._sock.recv(MAX_DATAGRAM + 1)
            except OSError:
                return  # closed
            request = self.parse(data)
            if request is None:
                self.dropped += 1
                now = time.monotonic()
                if now - self._logged_at >= LOG_EVERY_S:  # a flood is a line a minute, not a line each
                    self.log(f"control socket: dropped {self.dropped - self._dropped_logged} malformed "
                             f"request(s) ({self.dropped} so far)")
                    self._logged_at, self._dropped_logged = now, self.dropped
                continue
            self.post("sweep", request)

    @staticmethod
    def parse(data: bytes) -> Optional[dict]:
        """``{"sweep": {"room": "..."}}`` -> the sweep request, or None if malformed."""
        if len(data) > MAX_DATAGRAM:
            return None
        try:
            msg = json.loads(data.decode("utf-8"))
            sweep = msg["sweep"]
            room = sweep.get("room")
            request = {"trigger": "timer" if sweep.get("trigger", "timer") == "timer" else "remote"}
            if room is not None:
                request["room"] = check_room(room)
            return request
        except (ValueError, KeyError, TypeError, AttributeError, InputError):
            return None

    def close(self) -> None:
        self._sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


def request_sweep(path: str, room: Optional[str] = None, trigger: str = "timer") -> None:
    """Send one sweep request; raises a clear error when no daemon is listening."""
    msg = {"sweep": {"trigger": trigger}}
    if room is not None:
        msg["sweep"]["room"] = check_room(room)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        try:
            s.sendto(json.dumps(msg).encode(), path)
        except (FileNotFoundError, ConnectionRefusedError):
            raise HardwareError(f"the sweeper daemon is not running (no one listens on {path}); "
                                "start it with `systemctl start sweeper`") from None
        except PermissionError:
            raise HardwareError(f"no permission to write to {path}: run as the sweeper user or root") from None
