#!/usr/bin/python3
"""The servers of the LAN test network's hosts (tests/lan_net.py), one per process.

Run with the system Python (/usr/bin/python3): the RTSP server is GStreamer's
rtsp-server through python3-gi, and the mDNS responder is python3-zeroconf, neither of
which is in the project's venv. Each process runs inside one host's network namespace
until it is killed.

    lan_services.py rtsp --media video|audio
    lan_services.py http --port 80 --title T --server S [--route /p=FILE:TYPE] [--header K=V]
    lan_services.py wsd --xaddr URL --scope S [--scope S ...]
    lan_services.py ssdp --location URL --server S --st ST [--st ST ...]
    lan_services.py mdns --ip IP --host NAME --service TYPE|NAME|PORT|k=v,k=v [...]
"""
import argparse
import http.server
import re
import signal
import socket
import socketserver
import struct
import sys
import time
import uuid

MULTICAST_SSDP = "239.255.255.250"


def serve_rtsp(args):
    """A real RTSP server (GStreamer) at / and /live: a video test pattern, or a tone."""
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer
    Gst.init(None)
    if args.media == "video":
        launch = ("( videotestsrc is-live=true pattern=smpte ! video/x-raw,format=I420,width=320,height=240,"
                  "framerate=5/1 ! jpegenc quality=50 ! rtpjpegpay name=pay0 pt=26 )")
    else:
        launch = ("( audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! "
                  "audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay0 pt=0 )")
    server = GstRtspServer.RTSPServer()
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for path in ("/", "/live"):
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        factory.set_shared(True)
        mounts.add_factory(path, factory)
    if server.attach(None) == 0:
        sys.exit("rtsp: cannot listen on port %d" % args.port)
    GLib.MainLoop().run()


class _Handler(http.server.BaseHTTPRequestHandler):
    """GET/HEAD: the route's file or a page with the host's title; POST: a SOAP 200."""

    protocol_version = "HTTP/1.0"
    opts = None  # set per server

    def version_string(self):
        return self.opts.server

    def log_message(self, *a):
        pass

    def _reply(self, body, ctype, head_only=False):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in self.opts.headers:
            self.send_header(k, v)
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _page(self):
        path = self.path.split("?")[0]
        if path in self.opts.routes:
            fname, ctype = self.opts.routes[path]
            with open(fname, "rb") as f:
                return f.read(), ctype
        html = ("<!DOCTYPE html><html><head><title>%s</title></head><body><h1>%s</h1>"
                "</body></html>" % (self.opts.title, self.opts.title))
        return html.encode(), "text/html; charset=utf-8"

    def do_GET(self):
        self._reply(*self._page())

    def do_HEAD(self):
        self._reply(*self._page(), head_only=True)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(min(length, 65536))
        body = (b'<?xml version="1.0" encoding="UTF-8"?><s:Envelope '
                b'xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>')
        self._reply(body, "application/soap+xml; charset=utf-8")


def serve_http(args):
    """A plain web server whose page title and Server header say what the host is."""
    routes = {}
    for r in args.route:
        path, rest = r.split("=", 1)
        fname, ctype = rest.rsplit(":", 1) if ":" in rest else (rest, "text/xml")
        routes[path] = (fname, ctype)
    args.routes = routes
    args.headers = [tuple(h.split("=", 1)) for h in args.header]
    handler = type("Handler", (_Handler,), {"opts": args})
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("", args.port), handler)
    server.daemon_threads = True
    server.serve_forever()


def _multicast_socket(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("", port))
    mreq = struct.pack("4s4s", socket.inet_aton(MULTICAST_SSDP), socket.inet_aton("0.0.0.0"))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    return sock


_PROBE_MATCH = """<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" \
xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" \
xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" \
xmlns:dn="http://www.onvif.org/ver10/network/wsdl" \
xmlns:tds="http://www.onvif.org/ver10/device/wsdl">
<s:Header>
<a:MessageID>urn:uuid:{msg_id}</a:MessageID>
<a:RelatesTo>{relates_to}</a:RelatesTo>
<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>
<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action>
</s:Header>
<s:Body><d:ProbeMatches><d:ProbeMatch>
<a:EndpointReference><a:Address>urn:uuid:{device_id}</a:Address></a:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>
<d:Scopes>{scopes}</d:Scopes>
<d:XAddrs>{xaddr}</d:XAddrs>
<d:MetadataVersion>1</d:MetadataVersion>
</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>"""


def serve_wsd(args):
    """ONVIF WS-Discovery: a ProbeMatch (NetworkVideoTransmitter) to every Probe on 3702,
    multicast or unicast."""
    sock = _multicast_socket(3702)
    device_id = str(uuid.uuid5(uuid.NAMESPACE_URL, args.xaddr))
    while True:
        data, peer = sock.recvfrom(65536)
        text = data.decode("utf-8", "replace")
        if "Probe" not in text or "ProbeMatches" in text:
            continue
        m = re.search(r"MessageID[^>]*>\s*([^<\s]+)\s*<", text)
        reply = _PROBE_MATCH.format(msg_id=uuid.uuid4(), relates_to=m.group(1) if m else "",
                                    device_id=device_id, scopes=" ".join(args.scope),
                                    xaddr=args.xaddr)
        sock.sendto(reply.encode(), peer)


def serve_ssdp(args):
    """SSDP: answers M-SEARCH (ssdp:all, upnp:rootdevice or one of its STs) and announces
    itself once with NOTIFY."""
    sock = _multicast_socket(1900)
    usn = "uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, args.location))
    targets = ["upnp:rootdevice"] + args.st

    def message(first_line, target, kind):
        return ("%s\r\nCACHE-CONTROL: max-age=1800\r\nLOCATION: %s\r\nSERVER: %s\r\n"
                "%s: %s\r\nUSN: %s::%s\r\n%s\r\n" % (
                    first_line, args.location, args.server, kind, target, usn, target,
                    "EXT:\r\n" if kind == "ST" else
                    "HOST: 239.255.255.250:1900\r\nNTS: ssdp:alive\r\n")).encode()

    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
    for t in targets:
        out.sendto(message("NOTIFY * HTTP/1.1", t, "NT"), (MULTICAST_SSDP, 1900))
    while True:
        data, peer = sock.recvfrom(65536)
        text = data.decode("utf-8", "replace")
        if not text.upper().startswith("M-SEARCH"):
            continue
        m = re.search(r"^ST:\s*(\S+)", text, re.I | re.M)
        st = m.group(1) if m else ""
        for t in targets:
            if st in ("ssdp:all", t):
                out.sendto(message("HTTP/1.1 200 OK", t, "ST"), peer)


def serve_mdns(args):
    """DNS-SD over mDNS (python-zeroconf): registers the services, then answers."""
    from zeroconf import IPVersion, ServiceInfo, Zeroconf
    zc = Zeroconf(interfaces=[args.ip], ip_version=IPVersion.V4Only)
    for spec in args.service:
        stype, name, port, txt = (spec.split("|") + [""])[:4]
        props = dict(kv.split("=", 1) for kv in txt.split(",") if "=" in kv)
        full_type = stype + ".local."
        info = ServiceInfo(full_type, "%s.%s" % (name, full_type),
                           addresses=[socket.inet_aton(args.ip)], port=int(port),
                           properties=props, server=args.host + ".local.")
        zc.register_service(info)
    print("mdns: registered", flush=True)
    while True:
        time.sleep(3600)


def main(argv=None):
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="role", required=True)
    p = sub.add_parser("rtsp")
    p.add_argument("--media", choices=("video", "audio"), required=True)
    p.add_argument("--port", type=int, default=554)
    p = sub.add_parser("http")
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--title", default="")
    p.add_argument("--server", default="httpd")
    p.add_argument("--route", action="append", default=[])
    p.add_argument("--header", action="append", default=[])
    p = sub.add_parser("wsd")
    p.add_argument("--xaddr", required=True)
    p.add_argument("--scope", action="append", default=[])
    p = sub.add_parser("ssdp")
    p.add_argument("--location", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--st", action="append", default=[])
    p = sub.add_parser("mdns")
    p.add_argument("--ip", required=True)
    p.add_argument("--host", required=True)
    p.add_argument("--service", action="append", default=[])
    args = ap.parse_args(argv)
    {"rtsp": serve_rtsp, "http": serve_http, "wsd": serve_wsd, "ssdp": serve_ssdp,
     "mdns": serve_mdns}[args.role](args)


if __name__ == "__main__":
    main()
