"""An rtl_tcp server whose samples come from a render function instead of a dongle.

It speaks the osmocom protocol exactly (so rtl_433, SDR++ or our own client can connect)
and serves one client at a time, like rtl_tcp. Used to demo and test the network path
without radio hardware: ``render`` decides what the "antenna" hears at each tuning.
"""
from __future__ import annotations

import dataclasses
import logging
import socket
import struct
import threading
import time
from collections import deque
from typing import Callable, Optional

import numpy as np

from sweeper.errors import HardwareError

log = logging.getLogger(__name__)

Render = Callable[[float, float, Optional[float], float, int], np.ndarray]

_RATE_RANGES = ((225_001, 300_000), (900_001, 3_200_000))  # what librtlsdr accepts
_COMMAND_NAMES = {
    0x01: "frequency",
    0x02: "sample_rate",
    0x03: "gain_mode",
    0x04: "gain",
    0x05: "ppm",
    0x06: "if_gain",
    0x07: "test_mode",
    0x08: "agc_mode",
    0x09: "direct_sampling",
    0x0A: "offset_tuning",
    0x0B: "rtl_xtal",
    0x0C: "tuner_xtal",
    0x0D: "gain_by_index",
    0x0E: "bias_tee",
}
#: how far behind schedule pacing may fall before it stops trying to catch up
_MAX_LAG_S = 0.1
_SNDBUF_BYTES = 64 * 1024


@dataclasses.dataclass
class ServerState:
    """The tuning the (simulated) dongle is at; ``gain`` is in dB, used when
    ``gain_mode`` is 1 (manual), 0 being automatic gain."""

    center_hz: float = 100e6
    sample_rate: float = 2.048e6
    gain_mode: int = 0
    gain: float = 0.0
    ppm: int = 0
    bias_tee: bool = False

    @property
    def gain_db(self) -> Optional[float]:
        return self.gain if self.gain_mode else None


def _signed(param: int) -> int:
    return param - (1 << 32) if param & 0x80000000 else param


class RtlTcpServer:
    """Serve ``render``'s samples over rtl_tcp. Binds in the constructor, so ``.port`` is
    known at once (also with ``port=0``); ``start()`` serves in a background thread."""

    def __init__(self, render: Render, host: str = "127.0.0.1", port: int = 1234,
                 realtime: bool = True, block_samples: int = 8192, tuner_type: int = 5,
                 gain_count: int = 29):
        if int(block_samples) <= 0:
            raise ValueError("block_samples must be positive")
        self._render = render
        self.realtime = bool(realtime)
        self.block_samples = int(block_samples)
        self._header = struct.pack(">4sII", b"RTL0", int(tuner_type), int(gain_count))
        self._lock = threading.Condition()
        self._state = ServerState()
        #: (command name, value) as received, newest last (bounded)
        self.commands: deque = deque(maxlen=1000)
        self.clients_served = 0
        self._stop = threading.Event()
        self._conn: Optional[socket.socket] = None
        self._thread: Optional[threading.Thread] = None
        self._t = 0.0  # stream time (s): continuous across blocks and clients
        try:
            self._listener = socket.create_server((host, int(port)), reuse_port=False)
        except OSError as exc:
            raise HardwareError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}): choose another "
                "port, or stop the program already using it (another rtl_tcp?)"
            ) from None
        self._listener.settimeout(0.2)  # so shutdown() is noticed between accepts
        self.host = host
        self.port = self._listener.getsockname()[1]

    # -- public -----------------------------------------------------------------

    @property
    def state(self) -> ServerState:
        """A snapshot of the current tuning."""
        with self._lock:
            return dataclasses.replace(self._state)

    def wait_for(self, predicate: Callable[[ServerState], bool], timeout: float = 5.0) -> bool:
        """Block until ``predicate(state)`` holds after some command (or timeout)."""
        with self._lock:
            return self._lock.wait_for(lambda: predicate(self._state), timeout)

    def start(self) -> "RtlTcpServer":
        """Serve in a daemon thread; returns self for chaining."""
        self._thread = threading.Thread(target=self.serve_forever, name="rtltcp-server",
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Accept clients one after another until :meth:`shutdown`."""
        while not self._stop.is_set():
            try:
                conn, peer = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                if self._stop.is_set():
                    break
                raise
            self._session(conn, peer)

    def shutdown(self) -> None:
        """Stop serving, drop the client and release the port. Safe to call twice."""
        self._stop.set()
        conn = self._conn
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        try:
            self._listener.close()
        except OSError:
            pass

    def __enter__(self):
        return self.start() if self._thread is None else self

    def __exit__(self, *exc):
        self.shutdown()

    # -- one client -------------------------------------------------------------

    def _session(self, conn: socket.socket, peer) -> None:
        log.info("rtl_tcp client %s connected", peer)
        self.clients_served += 1
        self._conn = conn
        gone = threading.Event()
        reader = threading.Thread(target=self._read_commands, args=(conn, gone),
                                  name="rtltcp-commands", daemon=True)
        try:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SNDBUF_BYTES)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.sendall(self._header)
            reader.start()
            self._stream(conn, gone)
        except OSError as exc:  # client went away mid-send
            log.info("rtl_tcp client %s gone (%s)", peer, exc)
        except Exception:  # a render bug must not kill the server
            log.exception("rtl_tcp render failed; dropping client %s", peer)
        finally:
            gone.set()
            self._conn = None
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
            if reader.is_alive():
                reader.join(timeout=2)
            log.info("rtl_tcp client %s disconnected", peer)

    def _stream(self, conn: socket.socket, gone: threading.Event) -> None:
        deadline = time.monotonic()
        while not gone.is_set() and not self._stop.is_set():
            with self._lock:
                st = dataclasses.replace(self._state)
            n = self.block_samples
            block = self._render(st.center_hz, st.sample_rate, st.gain_db, self._t, n)
            block = np.asarray(block)
            if block.dtype != np.uint8 or block.size != 2 * n:
                raise TypeError(
                    f"render returned {block.dtype} x {block.size}, expected uint8 x {2 * n}"
                )
            self._t += n / st.sample_rate
            if self.realtime:
                # a dongle hands over a block once it has been captured
                deadline += n / st.sample_rate
                now = time.monotonic()
                if now < deadline:
                    time.sleep(deadline - now)
                elif now - deadline > _MAX_LAG_S:
                    deadline = now  # fell behind: do not build an unbounded backlog
            conn.sendall(np.ascontiguousarray(block).data)

    def _read_commands(self, conn: socket.socket, gone: threading.Event) -> None:
        pending = bytearray()
        while not gone.is_set():
            try:
                data = conn.recv(4096)
            except OSError:
                break
            if not data:
                break  # rtl_tcp ends the session when the client stops talking
            pending += data
            while len(pending) >= 5:
                cmd, param = struct.unpack(">BI", pending[:5])
                del pending[:5]
                self._apply(cmd, param)
        gone.set()
        try:  # wake the streamer if it is blocked sending to a client that left
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _apply(self, cmd: int, param: int) -> None:
        name = _COMMAND_NAMES.get(cmd, f"0x{cmd:02x}")
        with self._lock:
            st = self._state
            if cmd == 0x01:
                st.center_hz = float(param)
            elif cmd == 0x02:
                if any(lo <= param <= hi for lo, hi in _RATE_RANGES):
                    st.sample_rate = float(param)
                else:  # librtlsdr would refuse it; rtl_tcp only logs
                    log.warning("rtl_tcp: sample rate %d S/s refused (librtlsdr range)", param)
            elif cmd == 0x03:
                st.gain_mode = 1 if param else 0
            elif cmd == 0x04:
                st.gain = _signed(param) / 10.0
            elif cmd == 0x05:
                st.ppm = _signed(param)
            elif cmd == 0x0E:
                st.bias_tee = bool(param)
            else:
                log.info("rtl_tcp: ignoring command %s (%d)", name, param)
            value = _signed(param) if cmd in (0x04, 0x05) else param
            self.commands.append((name, value))
            self._lock.notify_all()
