#!/usr/bin/env python3
"""A fault-injecting HTTPS proxy in front of one registry, for bench/soak.sh.

    faultproxy.py LISTEN_PORT UPSTREAM_PORT CERT KEY CA LOG [FAULT=RATE ...]

Terminates TLS on 127.0.0.1:LISTEN_PORT (CERT and KEY: the name the clients use) and forwards each
HTTP/1.1 request, headers and body as they came (Host included, so the registry's Location headers
name the proxy), to https://127.0.0.1:UPSTREAM_PORT (certificate checked against CA), one kept-alive
upstream connection per client connection. Before forwarding, each request draws at most one fault:

    503      answered 503 with Retry-After: 1, not forwarded
    429      answered 429 with Retry-After: 1, not forwarded
    drop     the connection closed, nothing answered, not forwarded
    lost     forwarded (the registry acts on it), then the connection closed: the answer is lost
    cut      forwarded, the answer's headers and half its body sent, then the connection closed
             (a HEAD, or an answer without a body, is lost instead)

RATE is a probability per request (say 503=0.03). Every fault, and every forwarded request, is one
line in LOG ("503 PUT /v2/...", "fwd HEAD manifests 200"), flushed as it is written, so a proxy
killed with SIGKILL leaves its count. A registry that cannot be reached closes the client's
connection ("upstream-down"). Only the Python standard library; small images only: bodies are read
whole.
"""
import http.client
import http.server
import random
import socket
import ssl
import sys
import threading

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade"}
OURS = {"content-length", "date", "server"}  # written by this proxy


def kind(path):
    """What a request is about, for the log: manifests, blobs, uploads, tags, or the path."""
    parts = path.split("?")[0].split("/")
    for k in ("uploads", "manifests", "blobs", "tags"):
        if k in parts:
            return k
    return path


class Faults:
    def __init__(self, specs):
        self.rates = []
        for spec in specs:
            kind, rate = spec.split("=", 1)
            if kind not in ("503", "429", "drop", "lost", "cut"):
                sys.exit(f"faultproxy: unknown fault {kind}")
            self.rates.append((kind, float(rate)))

    def draw(self):
        x = random.random()
        for kind, rate in self.rates:
            if x < rate:
                return kind
            x -= rate
        return None


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def line(self, text):
        with self.lock:
            self.f.write(text + "\n")


def make_handler(upstream_port, ca, faults, log):
    upstream_tls = ssl.create_default_context(cafile=ca)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        upstream = None

        def log_message(self, *args):
            pass

        def body(self):
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def close(self):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def answer(self, code):
            error = ("TOOMANYREQUESTS", "slow down") if code == 429 else ("UNAVAILABLE", "busy")
            data = ('{"errors":[{"code":"%s","message":"%s (injected by faultproxy)"}]}\n'
                    % error).encode()
            self.send_response(code)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def forward(self, data):
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            headers["X-Forwarded-Proto"] = "https"
            if data or self.command in ("PUT", "POST", "PATCH"):
                headers["Content-Length"] = str(len(data))
            for attempt in (1, 2):
                if self.upstream is None:  # the registry's certificate names 127.0.0.1 too
                    self.upstream = http.client.HTTPSConnection(
                        "127.0.0.1", upstream_port, context=upstream_tls, timeout=120)
                try:
                    self.upstream.request(self.command, self.path, body=data, headers=headers)
                    resp = self.upstream.getresponse()
                    return resp, resp.read()
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                    # the registry closed a kept-alive connection: once more on a new one
                    self.upstream.close()
                    self.upstream = None
                    if attempt == 2:
                        raise

        def handle_one(self):
            data = self.body()
            fault = faults.draw()
            where = f"{self.command} {self.path.split('?')[0]}"
            if fault in ("503", "429"):
                log.line(f"{fault} {where}")
                self.answer(int(fault))
                return
            if fault == "drop":
                log.line(f"drop {where}")
                self.close()
                return
            try:
                resp, payload = self.forward(data)
            except OSError as e:  # the registry is down or restarting: as a dead gateway would
                log.line(f"upstream-down {where} {e.__class__.__name__}")
                self.close()
                return
            log.line(f"fwd {self.command} {kind(self.path)} {resp.status}")
            if fault == "cut" and (self.command == "HEAD" or len(payload) < 2):
                fault = "lost"
            if fault == "lost":
                log.line(f"lost {where} {resp.status}")
                self.close()
                return
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() not in HOP and k.lower() not in OURS:
                    self.send_header(k, v)
            length = resp.getheader("Content-Length") if self.command == "HEAD" else len(payload)
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.end_headers()
            if fault == "cut":
                log.line(f"cut {where} {resp.status} {len(payload) // 2}/{len(payload)}")
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self.close()
                return
            if payload:
                self.wfile.write(payload)

        def do_GET(self):
            self.handle_one()

        do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = do_GET

        def finish(self):
            if self.upstream is not None:
                self.upstream.close()
            super().finish()

    return Handler


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # a connection this proxy or its client closed; the faults are in the log


def main():
    if len(sys.argv) < 7:
        sys.exit(__doc__)
    port, upstream_port = int(sys.argv[1]), int(sys.argv[2])
    cert, key, ca, log_path = sys.argv[3:7]
    faults = Faults(sys.argv[7:])
    server = Server(("127.0.0.1", port), make_handler(upstream_port, ca, faults, Log(log_path)))
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    # the handshake happens in the connection's own thread, not in the accepting one
    server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.serve_forever()


if __name__ == "__main__":
    main()
