"""A local HTTP server with fixture pages, so no test touches the internet."""

import socket
import threading
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Page:
    """A canned response: status, headers, body."""

    def __init__(self, body=b"", status=200, content_type="text/html; charset=utf-8",
                 headers=None):
        self.body = body.encode() if isinstance(body, str) else body
        self.status, self.content_type, self.headers = status, content_type, headers or {}


def redirect(location, status=302):
    return Page(b"", status=status, content_type="text/plain", headers={"Location": location})


class _Handler(BaseHTTPRequestHandler):
    routes: dict = {}
    seen: list = []

    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.seen.append((self.path, dict(self.headers)))
        page = self.routes.get(self.path)
        if callable(page):
            page = page(self)
            if page is None:
                return  # the callable wrote the response itself
        if page is None:
            page = Page("<h1>Not here</h1>", status=404)
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        for name, value in page.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        with suppress(BrokenPipeError, ConnectionResetError):  # the client stopped (size cap)
            self.wfile.write(page.body)

    def log_message(self, *args):
        pass


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


@contextmanager
def fixture_server(routes: dict, host: str = "127.0.0.1"):
    """Serve routes ({path: Page | callable(handler) -> Page, or None
    once it wrote its own response}) on 127.0.0.1 (or host, e.g. "::1"); yields the base URL
    and the server (server.routes can be changed while it runs; server.seen logs requests)."""
    handler = type("Handler", (_Handler,), {"routes": routes, "seen": []})
    server = (_IPv6Server if ":" in host else ThreadingHTTPServer)((host, 0), handler)
    server.daemon_threads = True
    server.routes, server.seen = handler.routes, handler.seen
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        name = f"[{host}]" if ":" in host else host
        yield f"http://{name}:{server.server_port}", server
    finally:
        server.shutdown()
        server.server_close()
