"""Client of the standard osmocom rtl_tcp protocol (a dongle on another machine).

Protocol: the server sends a 12-byte header (``RTL0``, tuner type and gain count as
big-endian uint32), then an endless stream of cu8 bytes. The client sends 5-byte
commands: one command byte and a big-endian uint32 parameter. This is NOT pyrtlsdr's
``RtlSdrTcpServer``/``RtlSdrTcpClient`` JSON protocol.

rtl_tcp never marks where a new tuning starts in the stream, so after a retune the
client drops what its socket already holds and then RETUNE_FLUSH_BYTES more (what the
server had queued at the old tuning); the caller discards a settle period after that.
"""
from __future__ import annotations

import socket
import struct
from typing import Optional

import numpy as np

from sweeper.errors import HardwareError
from sweeper.rf.convert import cu8_to_complex64
from sweeper.rf.sources.base import IQSource, TunerInfo
from sweeper.rf.sources.rtlsdr_local import check_center, check_sample_rate, tuner_info_for

HEADER_MAGIC = b"RTL0"
HEADER = struct.Struct(">4sII")

CMD_FREQUENCY = 0x01
CMD_SAMPLE_RATE = 0x02
CMD_GAIN_MODE = 0x03
CMD_GAIN = 0x04
CMD_FREQ_CORRECTION = 0x05
CMD_IF_GAIN = 0x06
CMD_TEST_MODE = 0x07
CMD_AGC_MODE = 0x08
CMD_DIRECT_SAMPLING = 0x09
CMD_OFFSET_TUNING = 0x0A
CMD_RTL_XTAL = 0x0B
CMD_TUNER_XTAL = 0x0C
CMD_GAIN_BY_INDEX = 0x0D
CMD_BIAS_TEE = 0x0E

_COMMAND = struct.Struct(">BI")

#: socket receive buffer: small so stale samples after a retune stay bounded
#: (Linux doubles it: ~256 KiB, about 50 ms at 2.4 MS/s)
RCVBUF_BYTES = 128 * 1024
_DRAIN_CHUNK = 64 * 1024
#: after a retune, bytes read and dropped beyond what the socket held: what the server
#: had already queued at the old tuning (its send buffer, which Linux doubles, and the
#: block or USB transfer in hand). 256 KiB is 53 ms at 2.4 MS/s on every retune; less,
#: and a busy machine hears the old frequency at the start of the new hop
RETUNE_FLUSH_BYTES = 256 * 1024


def encode_command(cmd: int, param: int) -> bytes:
    """One rtl_tcp command record; negative params (ppm, gain) go as two's complement."""
    return _COMMAND.pack(cmd & 0xFF, int(param) & 0xFFFFFFFF)


def parse_header(data: bytes):
    """(tuner_type, gain_count) from the 12-byte greeting, or None if it is not rtl_tcp."""
    if len(data) != HEADER.size:
        return None
    magic, tuner_type, gain_count = HEADER.unpack(data)
    if magic != HEADER_MAGIC:
        return None
    return tuner_type, gain_count


class RtlTcpSource(IQSource):
    """A dongle served by ``rtl_tcp`` (or Sweeper's simulator speaking the same protocol)."""

    def __init__(self, host: str, port: int = 1234, timeout: float = 5.0, ppm: int = 0,
                 bias_tee: bool = False):
        self.host, self.port, self.timeout = host, int(port), float(timeout)
        self._where = f"{host}:{self.port}"
        self._buf = bytearray()
        self._scratch = bytearray(_DRAIN_CHUNK)
        self._odd = False  # a drain stopped between an I byte and its Q byte
        self._sent = {}  # last value sent per command: only changes go on the wire
        self._sock = self._connect()
        try:
            header = self._recv_header()
        except BaseException:
            self.close()
            raise
        parsed = parse_header(header)
        if parsed is None:
            self.close()
            raise HardwareError(
                f"{self._where} is not an rtl_tcp server (its first bytes were "
                f"{bytes(header[:12])!r}, expected 'RTL0'): run osmocom `rtl_tcp` there; "
                "pyrtlsdr's RtlSdrTcpServer (port 1235) speaks a different protocol"
            )
        self.tuner_type, self.gain_count = parsed
        self._tuner = tuner_info_for(self.tuner_type)
        self.name = f"rtl_tcp {self._where} ({self._tuner.name})"
        if ppm:
            self.set_ppm(ppm)
        if bias_tee:
            self.set_bias_tee(True)

    # -- connection -------------------------------------------------------------

    def _connect(self) -> socket.socket:
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise HardwareError(
                f"cannot resolve rtl_tcp host {self.host!r} ({exc}): check the host name "
                "or use the Pi's IP address"
            ) from None
        last: Optional[BaseException] = None
        for family, kind, proto, _name, addr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                # before connect, so the TCP window is negotiated with it
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)
                sock.settimeout(self.timeout)
                sock.connect(addr)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
        if isinstance(last, ConnectionRefusedError):
            raise HardwareError(
                f"connection to rtl_tcp at {self._where} refused: start it on that machine "
                f"(`rtl_tcp -a 0.0.0.0 -p {self.port}`) or fix the host:port"
            ) from None
        if isinstance(last, socket.timeout):
            raise HardwareError(
                f"no answer from rtl_tcp at {self._where} within {self.timeout:g} s: check "
                "the address, that the machine is on the network, and its firewall"
            ) from None
        raise HardwareError(
            f"cannot connect to rtl_tcp at {self._where} ({last}): check the address and "
            "that rtl_tcp is running there"
        ) from None

    def _recv_header(self) -> bytes:
        data = bytearray()
        try:
            while len(data) < HEADER.size:
                part = self._sock.recv(HEADER.size - len(data))
                if not part:
                    break
                data += part
        except socket.timeout:
            raise HardwareError(
                f"{self._where} accepted the connection but sent no rtl_tcp header within "
                f"{self.timeout:g} s: it is not an rtl_tcp server, or it is serving another "
                "client (rtl_tcp takes one at a time); pyrtlsdr's RtlSdrTcpServer (port "
                "1235) speaks a different protocol"
            ) from None
        except OSError as exc:
            raise HardwareError(
                f"rtl_tcp at {self._where} dropped the connection ({exc}): check the server"
            ) from None
        if len(data) < HEADER.size and data[:4] == HEADER_MAGIC[: len(data)]:
            raise HardwareError(
                f"rtl_tcp at {self._where} closed the connection before its header: it may "
                "be busy with another client or have lost its dongle; restart rtl_tcp"
            )
        return bytes(data)

    def _send(self, cmd: int, param: int) -> None:
        if self._sock is None:
            raise HardwareError(f"the rtl_tcp connection to {self._where} is closed: reconnect")
        try:
            self._sock.sendall(encode_command(cmd, param))
        except OSError as exc:
            raise HardwareError(
                f"lost the rtl_tcp connection to {self._where} ({exc}): check the server "
                "and network, then reconnect"
            ) from None

    def _send_changed(self, cmd: int, param: int) -> bool:
        if self._sent.get(cmd) == param:
            return False
        self._send(cmd, param)
        self._sent[cmd] = param
        return True

    # -- IQSource ---------------------------------------------------------------

    @property
    def tuner(self) -> TunerInfo:
        return self._tuner

    def tune(self, center_hz: float, sample_rate: float, gain_db: Optional[float] = None) -> None:
        rate = check_sample_rate(sample_rate)
        freq = check_center(center_hz)
        changed = self._send_changed(CMD_SAMPLE_RATE, rate)
        changed |= self._send_changed(CMD_FREQUENCY, freq)
        if gain_db is None:
            changed |= self._send_changed(CMD_GAIN_MODE, 0)
        else:
            if self._send_changed(CMD_GAIN_MODE, 1):
                # librtlsdr resets the R820T gain when entering manual mode: resend it
                self._sent.pop(CMD_GAIN, None)
                changed = True
            changed |= self._send_changed(CMD_GAIN, int(round(float(gain_db) * 10)))
        if changed:
            self.drain()
            self._flush(RETUNE_FLUSH_BYTES)

    def set_ppm(self, ppm: int) -> None:
        """Crystal correction in parts per million (dongles are typically tens off)."""
        self._send(CMD_FREQ_CORRECTION, int(ppm))
        self._sent[CMD_FREQ_CORRECTION] = int(ppm)

    def set_bias_tee(self, on: bool) -> None:
        """Power an LNA or downconverter through the antenna port (RTL-SDR Blog V3+)."""
        self._send(CMD_BIAS_TEE, 1 if on else 0)
        self._sent[CMD_BIAS_TEE] = 1 if on else 0

    def drain(self) -> int:
        """Drop the bytes already waiting in the socket (old tuning); return how many.

        Bounded, so a server faster than us cannot keep us here; keeps I/Q alignment.
        """
        sock = self._require_sock()
        dropped = 0
        limit = 8 * RCVBUF_BYTES
        try:
            sock.setblocking(False)
            while dropped < limit:
                try:
                    got = sock.recv_into(self._scratch)
                except (BlockingIOError, InterruptedError):
                    break
                if got == 0:
                    raise self._closed_error()
                dropped += got
        except OSError as exc:
            raise self._lost_error(exc) from None
        finally:
            if self._sock is not None:
                sock.settimeout(self.timeout)
        if dropped % 2:
            self._odd = not self._odd
        if self._odd:  # finish the torn sample so the next byte is an I byte again
            self._recv_exact(memoryview(bytearray(1)))
            self._odd = False
            dropped += 1
        return dropped

    def _flush(self, nbytes: int) -> None:
        """Read and drop ``nbytes`` (even: I/Q alignment holds) as they arrive."""
        left = int(nbytes)
        while left > 0:
            chunk = memoryview(self._scratch)[:min(left, len(self._scratch))]
            self._recv_exact(chunk)
            left -= len(chunk)

    def read(self, n: int) -> np.ndarray:
        n = int(n)
        if n <= 0:
            return np.empty(0, dtype=np.complex64)
        want = 2 * n
        if len(self._buf) < want:
            self._buf = bytearray(want)
        self._recv_exact(memoryview(self._buf)[:want])
        return cu8_to_complex64(memoryview(self._buf)[:want])  # the gather makes a copy

    def close(self) -> None:
        sock, self._sock = getattr(self, "_sock", None), None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    # -- helpers ----------------------------------------------------------------

    def _require_sock(self) -> socket.socket:
        if self._sock is None:
            raise HardwareError(f"the rtl_tcp connection to {self._where} is closed: reconnect")
        return self._sock

    def _recv_exact(self, view: memoryview) -> None:
        sock = self._require_sock()
        got, want = 0, len(view)
        try:
            while got < want:
                k = sock.recv_into(view[got:])
                if k == 0:
                    raise self._closed_error()
                got += k
        except socket.timeout:
            raise HardwareError(
                f"rtl_tcp at {self._where} sent no samples for {self.timeout:g} s: the server "
                "or its dongle stalled; restart rtl_tcp and check the dongle's power"
            ) from None
        except HardwareError:
            raise
        except OSError as exc:
            raise self._lost_error(exc) from None

    def _closed_error(self) -> HardwareError:
        return HardwareError(
            f"rtl_tcp at {self._where} closed the connection: the server stopped or lost its "
            "dongle; restart rtl_tcp and reconnect"
        )

    def _lost_error(self, exc: BaseException) -> HardwareError:
        return HardwareError(
            f"lost the rtl_tcp connection to {self._where} ({exc}): check the server and "
            "network, then reconnect"
        )


def probe(host: str, port: int, timeout: float):
    """Self-test: the rtl_tcp server answers with its greeting (and is not taken)."""
    import socket

    from sweeper.probe import Check
    from sweeper.rf.sources.rtlsdr_local import SDR_CHECK, tuner_info_for

    where = f"rtl_tcp server {host}:{port}"
    fix = (f"start `rtl_tcp -a {host} -p {port}` on the machine with the dongle, or set "
           "rf.source: auto for a local dongle")
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            data = b""
            while len(data) < HEADER.size:
                chunk = sock.recv(HEADER.size - len(data))
                if not chunk:
                    break
                data += chunk
    except socket.timeout:
        return Check(SDR_CHECK, False, f"{where} accepted but sent no greeting in {timeout:g} s "
                     "(rtl_tcp serves one client: is another, maybe the daemon, connected?)", fix)
    except OSError as exc:
        return Check(SDR_CHECK, False, f"no {where} ({exc.strerror or exc})", fix)
    header = parse_header(data)
    if header is None:
        return Check(SDR_CHECK, False, f"{where} is not rtl_tcp (greeting {data!r})", fix)
    return Check(SDR_CHECK, True, f"{where} answers ({tuner_info_for(header[0]).name})", detects="RF sweep")
