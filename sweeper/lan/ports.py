"""Which camera ports a host has open, and what they answer to read-only requests.

An RTSP server that describes a video stream, a web page titled "NVR" or a realm
"IP Camera" say camera more plainly than any announcement. Only read-only requests are
sent (RTSP OPTIONS and DESCRIBE, HTTP HEAD and GET): no credentials, no login, no
exploits; every answer is capped (RTSP 16 KB, HTTP 32 KB) and stored through
:func:`clean`.
"""
from __future__ import annotations

import html
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Iterable, List, Optional, Tuple

from sweeper.lan import wire
from sweeper.lan.conduct import RateLimiter
from sweeper.lan.hosts import Service, clean

QUICK_PORTS = (554, 8554, 80, 443, 8080, 8000, 8443, 8899, 10554, 34567, 37777, 1935, 5000)
#: --thorough adds: alternative RTSP and web ports of NVRs, ONVIF's common 2020, RTMP/HLS relays
THOROUGH_EXTRA = (88, 81, 7070, 8081, 8088, 9000, 2020, 6667, 1554, 5554, 9527, 8200)
RTSP_PORTS = {554, 8554, 10554, 7070, 1554, 5554}
TLS_PORTS = {443, 8443}
HTTP_PORTS = {80, 81, 88, 8080, 8000, 8081, 8088, 8899, 5000, 9000, 2020, 8200}
#: tried with DESCRIBE only, in order, until one answers 200 or asks for credentials
STREAM_PATHS = ("/", "/live", "/stream1", "/h264", "/11", "/test")
RTSP_CAP = 16 * 1024
HTTP_CAP = 32 * 1024
REQUEST_TIMEOUT_S = 2.0
USER_AGENT = "sweeper (hidden-camera check; read-only)"


def is_open(ip: str, port: int, limiter: RateLimiter) -> bool:
    """A TCP connect (1 s) succeeds. The caller drew the SYN; this draws the ACK and FIN
    when it is open."""
    try:
        with socket.create_connection((ip, port), timeout=wire.CONNECT_TIMEOUT_S):
            pass
    except OSError:
        return False
    limiter.acquire(2)
    return True


def _rtsp(ip: str, port: int, method: str, path: str, cseq: int, limiter: RateLimiter) -> wire.Reply:
    extra = "Accept: application/sdp\r\n" if method == "DESCRIBE" else ""
    req = (f"{method} rtsp://{ip}:{port}{path} RTSP/1.0\r\nCSeq: {cseq}\r\n"
           f"User-Agent: {USER_AGENT}\r\n{extra}\r\n").encode()
    return wire.parse(wire.exchange(ip, port, req, RTSP_CAP, limiter, REQUEST_TIMEOUT_S))


def sdp_media(body: bytes) -> List[str]:
    """The media types of an SDP's m= lines ("video", "audio", "application")."""
    kinds: List[str] = []
    for m in re.finditer(rb"(?m)^m=([a-z]{1,20}) ", body):
        kind = m.group(1).decode()
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def probe_rtsp(ip: str, port: int, limiter: RateLimiter, deadline: float = float("inf")) -> Optional[Service]:
    """OPTIONS, then DESCRIBE on common stream paths (while before ``deadline``); None
    when it does not speak RTSP."""
    options = _rtsp(ip, port, "OPTIONS", "/", 1, limiter)
    if options.status is None:
        return None
    server = clean(options.headers.get("server"))
    details: Dict[str, object] = {"status": options.status, "server": server, "media": [], "realm": ""}
    for cseq, path in enumerate(STREAM_PATHS, start=2):
        if time.monotonic() + REQUEST_TIMEOUT_S > deadline:
            break
        reply = _rtsp(ip, port, "DESCRIBE", path, cseq, limiter)
        if reply.status is None:
            continue
        details["status"] = reply.status
        details["server"] = server = server or clean(reply.headers.get("server"))
        if reply.status == 200:
            details["media"] = sdp_media(reply.body)
            details["path"] = path
            break
        if reply.status == 401:
            details["realm"] = clean(wire.realm(reply.headers))
            break
    media = "/".join(details["media"])
    banner = server or "RTSP"
    banner += f" (DESCRIBE {details['status']}{': ' + media if media else ''})"
    return Service(port, "rtsp", clean(banner), details)


def page_title(body: bytes) -> str:
    m = re.search(rb"<title[^>]*>(.*?)</title", body, re.I | re.S)
    return clean(html.unescape(m.group(1).decode("utf-8", "replace"))) if m else ""


def probe_http(ip: str, port: int, tls: bool, limiter: RateLimiter,
               deadline: float = float("inf")) -> Optional[Service]:
    """HEAD / then GET / (32 KB at most; not past ``deadline``): status, Server, title
    and realm; None when silent."""
    def ask(method):
        req = (f"{method} / HTTP/1.1\r\nHost: {ip}:{port}\r\nUser-Agent: {USER_AGENT}\r\n"
               "Accept: text/html\r\nConnection: close\r\n\r\n").encode()
        return wire.parse(wire.exchange(ip, port, req, HTTP_CAP, limiter, REQUEST_TIMEOUT_S, tls=tls,
                                        body_expected=method != "HEAD"))

    head = ask("HEAD")
    if head.raw.startswith(b"RTSP/"):  # an RTSP server on a web port
        return probe_rtsp(ip, port, limiter, deadline)
    page = ask("GET") if time.monotonic() + REQUEST_TIMEOUT_S <= deadline else wire.Reply(None)
    status = page.status if page.status is not None else head.status
    if status is None:
        return None
    headers = {**head.headers, **page.headers}
    details = {"status": status, "server": clean(headers.get("server")), "title": page_title(page.body),
               "realm": clean(wire.realm(headers))}
    banner = " - ".join(t for t in (details["title"], details["server"], details["realm"]) if t)
    return Service(port, "https" if tls else "http", clean(banner or f"HTTP {status}"), details)


def identify(ip: str, port: int, limiter: RateLimiter, deadline: float = float("inf")) -> Service:
    """The service on an open port: RTSP, HTTP(S) by port, else an open "tcp" port (also
    when there is no time left to ask)."""
    service = None
    if time.monotonic() + REQUEST_TIMEOUT_S > deadline:
        pass
    elif port in RTSP_PORTS:
        service = probe_rtsp(ip, port, limiter, deadline)
    elif port in TLS_PORTS:
        service = probe_http(ip, port, True, limiter, deadline)
    elif port in HTTP_PORTS:
        service = probe_http(ip, port, False, limiter, deadline)
    return service or Service(port, "tcp")


def probe_hosts(ips: Iterable[str], ports: Iterable[int], limiter: RateLimiter,
                deadline: float, workers: int = 32) -> Tuple[Dict[str, List[Service]], int]:
    """({ip: open services}, connects tried): every port of every ip, rate-limited, until
    ``deadline``."""
    ports = list(ports)
    pairs = [(ip, p) for ip in ips for p in ports]

    def one(pair):
        ip, port = pair
        if time.monotonic() >= deadline or not limiter.acquire(deadline=deadline):
            return ip, False, None
        if not is_open(ip, port, limiter):
            return ip, True, None
        return ip, True, identify(ip, port, limiter, deadline)

    found: Dict[str, List[Service]] = {}
    tried = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for ip, connected, service in pool.map(one, pairs):
            tried += connected
            if service is not None:
                found.setdefault(ip, []).append(service)
    for services in found.values():
        services.sort(key=lambda s: s.port)
    return found, tried


def touch(ips: Iterable[str], limiter: RateLimiter, deadline: float, port: int = 9) -> int:
    """One non-blocking connect to each address, so the kernel resolves it (ARP) without
    raw sockets; the answers land in its neighbour table. How many were touched."""
    touched = 0
    pending: List[socket.socket] = []
    for ip in ips:
        if not limiter.acquire(deadline=deadline):
            break
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex((ip, port))
        pending.append(sock)
        touched += 1
        if len(pending) >= 64:  # the kernel keeps resolving after the socket is gone
            pending.pop(0).close()
    time.sleep(max(0.0, min(1.0, deadline - time.monotonic())))
    for sock in pending:
        sock.close()
    return touched
