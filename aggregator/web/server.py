"""Serve the read-only web page with the standard library's WSGI server, one thread a request."""

from __future__ import annotations

from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from aggregator.web.app import WSGIApp

__all__ = ["serve_web"]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # access logs go to the proxy
        pass


def serve_web(app: WSGIApp, host: str, port: int) -> None:
    """Serve until interrupted."""
    with make_server(host, port, app, _ThreadingServer, _QuietHandler) as server:
        server.serve_forever()
