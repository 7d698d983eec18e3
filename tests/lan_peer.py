"""A small camera-like host for tests/test_lan_probes.py, run inside a network namespace.

``python tests/lan_peer.py IP OUTSIDE_PORT`` serves, on IP (the namespace's address):
HTTP on 80 and HTTPS on 443 (a camera's login page, its UPnP description and a
billion-laughs XML), a 10 MB page on 8080, RTSP on 554 and on the web port 8000 (a
video+audio SDP) and on 8554 (401, a hostile Server header), an mDNS ``_rtsp._tcp`` registration, SSDP answers (one LOCATION at
127.0.0.1:OUTSIDE_PORT, outside the subnet) and WS-Discovery ProbeMatches of an ONVIF
NetworkVideoTransmitter. Prints "ready" once all listen; runs until killed.
"""
import http.server
import re
import socket
import socketserver
import struct
import sys
import threading

IP = sys.argv[1]
OUTSIDE_PORT = int(sys.argv[2])
TITLE = "IPCAM Web Viewer"
DESCRIPTION = """<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion>
<device><deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType>
<friendlyName>Nursery Cam</friendlyName><manufacturer>Acme Vision</manufacturer>
<modelName>AV-100</modelName><modelNumber>2</modelNumber><UDN>uuid:acme-1</UDN></device></root>"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">""" + "".join(
    f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10)) + """]>
<root xmlns="urn:schemas-upnp-org:device-1-0"><device><manufacturer>&lol9;</manufacturer></device></root>"""
SDP = b"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=cam\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio 0 RTP/AVP 0\r\n"


class Web(http.server.BaseHTTPRequestHandler):
    server_version = "Boa/0.94.14rc21"
    sys_version = ""

    def log_message(self, *args):
        pass

    def _page(self, body: bytes, kind="text/html"):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return body

    def do_HEAD(self):
        self._page(b"")

    def do_GET(self):
        if self.path == "/description.xml":
            body = self._page(DESCRIPTION.encode(), "text/xml")
        elif self.path == "/laughs.xml":
            body = self._page(LAUGHS.encode(), "text/xml")
        else:
            body = self._page(f"<html><head><title>{TITLE}</title></head><body>login</body></html>".encode())
        self.wfile.write(body)


class BigPage(Web):
    """A 10 MB page: the reader must stop at its cap."""

    def do_GET(self):
        size = 10 * 1024 * 1024
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        head = b"<html><title>Big</title>"
        try:
            self.wfile.write(head)
            chunk = b"x" * 65536
            for _ in range(size // len(chunk)):
                self.wfile.write(chunk)
        except OSError:
            pass


def rtsp_server(port: int, describe_ok: bool, server_header: str):
    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            while True:
                lines = []
                while True:
                    line = self.rfile.readline(4096)
                    if not line:
                        return
                    if line in (b"\r\n", b"\n"):
                        break
                    lines.append(line.decode("latin-1"))
                if not lines:
                    continue
                method = lines[0].split(" ")[0]
                cseq = next((l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("cseq")), "0")
                head = f"CSeq: {cseq}\r\nServer: {server_header}\r\n"
                if method == "OPTIONS":
                    reply = f"RTSP/1.0 200 OK\r\n{head}Public: OPTIONS, DESCRIBE, SETUP, PLAY\r\n\r\n".encode()
                elif method == "DESCRIBE" and describe_ok:
                    reply = (f"RTSP/1.0 200 OK\r\n{head}Content-Type: application/sdp\r\n"
                             f"Content-Length: {len(SDP)}\r\n\r\n").encode() + SDP
                elif method == "DESCRIBE":
                    reply = (f"RTSP/1.0 401 Unauthorized\r\n{head}"
                             'WWW-Authenticate: Digest realm="IP Camera(\x1b[2J)", nonce="1"\r\n\r\n').encode("latin-1")
                else:
                    reply = f"RTSP/1.0 405 Method Not Allowed\r\n{head}\r\n".encode()
                self.wfile.write(reply)

    srv = socketserver.ThreadingTCPServer((IP, port), Handler, bind_and_activate=False)
    srv.allow_reuse_address = True
    srv.daemon_threads = True
    srv.server_bind()
    srv.server_activate()
    return srv


def multicast_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("", port))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                    struct.pack("4s4s", socket.inet_aton("239.255.255.250"), socket.inet_aton(IP)))
    return sock


def ssdp_responder():
    sock = multicast_socket(1900)
    locations = [("upnp:rootdevice", f"http://{IP}:80/description.xml"),
                 ("urn:test:laughs", f"http://{IP}:80/laughs.xml"),
                 ("urn:test:outside", f"http://127.0.0.1:{OUTSIDE_PORT}/description.xml")]
    while True:
        data, addr = sock.recvfrom(4096)
        if not data.startswith(b"M-SEARCH"):
            continue
        for st, loc in locations:
            sock.sendto((f"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=60\r\nEXT:\r\nLOCATION: {loc}\r\n"
                         f"SERVER: Linux/3.10 UPnP/1.0 AcmeCam/1.0\r\nST: {st}\r\nUSN: uuid:acme-1::{st}\r\n\r\n")
                        .encode(), addr)


def wsd_responder():
    sock = multicast_socket(3702)
    while True:
        data, addr = sock.recvfrom(65536)
        m = re.search(rb"<[\w:]*MessageID>([^<]+)<", data)
        if b"Probe" not in data or not m:
            continue
        sock.sendto(f"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"
 xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
 xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">
<SOAP-ENV:Header><wsa:RelatesTo>{m.group(1).decode()}</wsa:RelatesTo>
<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action></SOAP-ENV:Header>
<SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch>
<wsa:EndpointReference><wsa:Address>urn:uuid:acme-1</wsa:Address></wsa:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>
<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/hardware/AV-100 onvif://www.onvif.org/name/Acme</d:Scopes>
<d:XAddrs>http://{IP}/onvif/device_service</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>
</d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>""".encode(), addr)


def tls_server():
    """The login page over TLS on 443, with a throwaway self-signed certificate."""
    import ssl
    import subprocess
    import tempfile

    folder = tempfile.mkdtemp()
    key, cert = f"{folder}/key.pem", f"{folder}/cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=cam", "-days", "1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    srv = http.server.ThreadingHTTPServer((IP, 443), Web)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    return srv


def main():
    servers = [http.server.ThreadingHTTPServer((IP, 80), Web), http.server.ThreadingHTTPServer((IP, 8080), BigPage),
               rtsp_server(554, True, "TestCam RTSP 1.0"), rtsp_server(8554, False, "Evil\x1b[31mCam\x07X"),
               rtsp_server(8000, True, "TestCam RTSP 1.0"), tls_server()]
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    for fn in (ssdp_responder, wsd_responder):
        threading.Thread(target=fn, daemon=True).start()
    from zeroconf import IPVersion, ServiceInfo, Zeroconf

    zc = Zeroconf(interfaces=[IP], ip_version=IPVersion.V4Only)
    zc.register_service(ServiceInfo("_rtsp._tcp.local.", "Test Camera._rtsp._tcp.local.",
                                    addresses=[socket.inet_aton(IP)], port=554,
                                    properties={"model": "TC-1", "evil": "a\x1b[2Jb"}, server=f"testcam-{IP.split('.')[-1]}.local."),
                        allow_name_change=True)
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
