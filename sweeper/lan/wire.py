"""One request, one bounded answer: the TCP exchange under HTTP, RTSP and SSDP fetches.

A host on a guest network may be hostile: it may send a page without end, drip one
byte a second or never close. Every exchange here has one deadline for the whole of it
(not per read) and a byte cap, so no host can hold the scan or fill its memory; TLS is
accepted without verification (a camera's certificate is self-signed; we read, never
trust).
"""
from __future__ import annotations

import re
import socket
import ssl
import time
import warnings
from dataclasses import dataclass, field
from typing import Dict, Optional

CONNECT_TIMEOUT_S = 1.0
#: packets we send for one exchange besides the ACKs of what we read: SYN, ACK, the
#: request, FIN (a TLS handshake adds about three)
EXCHANGE_PACKETS = 4
TLS_PACKETS = 3
#: bytes read per ACK we send (delayed ACKs: one for every two full segments)
BYTES_PER_ACK = 2 * 1448
_HEAD_END = b"\r\n\r\n"


@dataclass
class Reply:
    status: Optional[int]  # None when the answer did not start with a status line
    headers: Dict[str, str] = field(default_factory=dict)  # lower-case names; first of repeats
    body: bytes = b""
    raw: bytes = b""


def _tls_context() -> ssl.SSLContext:
    """Any certificate, and the old protocol versions and ciphers of old cameras."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with warnings.catch_warnings():  # deprecated for trust; we only read a page title
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):  # a build without them: the defaults
        pass
    return ctx


def exchange(ip: str, port: int, request: bytes, cap: int, limiter, timeout_s: float = 2.0,
             tls: bool = False, body_expected: bool = True) -> Optional[bytes]:
    """Send ``request`` and read the answer: until the peer closes, the message is
    complete (by Content-Length; after the headers when ``body_expected`` is False or
    no length is given to an RTSP request), ``cap`` bytes or ``timeout_s`` in all.
    None when it could not connect. The packets it sends are drawn from ``limiter``
    (the ACKs after the fact: the next exchange waits for them)."""
    limiter.acquire(EXCHANGE_PACKETS + (TLS_PACKETS if tls else 0))
    deadline = time.monotonic() + timeout_s
    try:
        sock = socket.create_connection((ip, port), timeout=CONNECT_TIMEOUT_S)
    except OSError:
        return None
    data = b""
    try:
        if tls:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            sock = _tls_context().wrap_socket(sock, server_hostname=None)
        sock.sendall(request)
        rtsp = request.split(b" ", 2)[-1].startswith(b"RTSP/")
        while len(data) < cap:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            chunk = sock.recv(min(65536, cap - len(data)))
            if not chunk:
                break
            data += chunk
            if _complete(data, body_expected, rtsp):
                break
    except (OSError, ssl.SSLError):
        pass
    finally:
        sock.close()
        limiter.acquire(len(data) // BYTES_PER_ACK)
    return data[:cap]


def _complete(data: bytes, body_expected: bool, rtsp: bool) -> bool:
    head, sep, body = data.partition(_HEAD_END)
    if not sep:
        return False
    if not body_expected:
        return True
    m = re.search(rb"(?im)^content-length:\s*(\d{1,9})\s*$", head)
    if m:
        return len(body) >= int(m.group(1))
    return rtsp  # RTSP without a length has no body; HTTP reads to the close


def parse(raw: Optional[bytes]) -> Reply:
    """Status, headers and body of an HTTP or RTSP answer (whatever part arrived)."""
    if not raw:
        return Reply(None, raw=raw or b"")
    head, _, body = raw.partition(_HEAD_END)
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"(?:HTTP|RTSP)/\d\.\d (\d{3})", lines[0])
    headers: Dict[str, str] = {}
    for line in lines[1:100]:
        key, sep, value = line.partition(":")
        if sep:
            headers.setdefault(key.strip().lower(), value.strip())
    return Reply(int(m.group(1)) if m else None, headers, body, raw)


def realm(headers: Dict[str, str]) -> str:
    """The realm of a WWW-Authenticate challenge, or ""."""
    m = re.search(r'realm="([^"]*)"', headers.get("www-authenticate", ""), re.I)
    return m.group(1) if m else ""
