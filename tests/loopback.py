"""A loopback HTTP server for tests: fixture sites by Host header, plus fault endpoints.

``LoopbackServer(root)`` binds 127.0.0.1 on a free port and serves ``root/<host>/<path>``, where
``<host>`` is the Host header's name (port dropped, lower-cased). ``/`` is ``index.html``, a
path ending in ``/`` gets ``index.html`` appended, and ``/a/b`` falls back to ``/a/b.html``.
Fixture responses carry a strong ETag and Last-Modified and answer If-None-Match /
If-Modified-Since with 304 (RFC 9110 §13.1).

Point a client at a fixture site with the ``resolve`` override (``server.resolve(host, ...)``)
so ``http://<host>/`` connects here. Faults live under ``/_fault/`` on any host:

    /_fault/slow?delay=S          sleep S seconds, then answer
    /_fault/drip?delay=S&n=N      send headers, then N bytes one every S seconds
    /_fault/drop                  close the connection without a response
    /_fault/status/<code>         answer <code> (``/_fault/500`` for short)
    /_fault/429?retry_after=V     429 with Retry-After: V (``/_fault/503`` likewise)
    /_fault/flaky/<key>?fail=N    the first N hits per key answer 503, then 200
    /_fault/etag?etag=V           ETag V, 304 when If-None-Match carries it
    /_fault/redirect?to=URL       302 to URL (``&status=301`` etc.)
    /_fault/redirect-loop         302 to itself, forever
    /_fault/huge?mb=60            60 MB of HTML streamed chunked (``&length=1`` declares it)
    /_fault/gzip-bomb             ~64 KB of gzip that inflates to 64 MiB (``/_fault/brotli-bomb``)
    /_fault/gzip-page             a small page served gzip-encoded (``/_fault/brotli-page``)
    /_fault/binary                random bytes as application/octet-stream
    /_fault/wrong-charset         windows-1252 bytes labelled ``charset=utf-8``
    /_fault/robots-disallowed     a page the default robots.txt disallows
    /robots.txt                   the site's own, else a default disallowing the path above

Every request is recorded (``server.requests``) so tests can check politeness and headers.
``server.serve_tls(context)`` before ``start`` makes it speak HTTPS with a test certificate.
"""

from __future__ import annotations

import email.utils
import hashlib
import os
import socket
import ssl
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

import brotli

__all__ = ["DEFAULT_ROBOTS", "FIXTURE_SITES", "LoopbackServer", "RequestRecord"]

FIXTURE_SITES = Path(__file__).resolve().parent.parent / "fixtures" / "sites"
DEFAULT_ROBOTS = b"User-agent: *\nDisallow: /_fault/robots-disallowed\n"
_BOMB_SIZE = 64 * 1024 * 1024
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/feed+json",
    ".txt": "text/plain; charset=utf-8",
    ".gz": "application/gzip",
}
_SMALL_PAGE = b"<!doctype html><html><head><title>ok</title></head><body><p>ok</p></body></html>"


@dataclass(frozen=True, slots=True)
class RequestRecord:
    host: str
    path: str
    headers: tuple[tuple[str, str], ...]
    at: float

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class LoopbackServer:
    """A threaded HTTP/1.1 server on 127.0.0.1:<free port>; use as a context manager."""

    def __init__(self, root: Path = FIXTURE_SITES) -> None:
        self.root = root
        self.scheme = "http"
        self._records: deque[RequestRecord] = deque(maxlen=100_000)
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}
        self._bombs: dict[str, bytes] = {}
        self._httpd = _Server(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def serve_tls(self, context: ssl.SSLContext) -> LoopbackServer:
        """Speak HTTPS with ``context``'s certificate instead of plain HTTP; call before start.

        The handshake runs in each connection's handler thread, so a client that stalls in it
        (or speaks plain HTTP) cannot block the accept loop.
        """
        self._httpd.socket = context.wrap_socket(
            self._httpd.socket, server_side=True, do_handshake_on_connect=False
        )
        self.scheme = "https"
        return self

    def resolve(self, *hosts: str) -> tuple[tuple[str, str], ...]:
        """``FetchOptions.resolve`` entries sending each host (any port) to this server."""
        return tuple((host, f"127.0.0.1:{self.port}") for host in hosts)

    def sites(self) -> tuple[str, ...]:
        """Host names with a folder under ``root``."""
        if not self.root.is_dir():
            return ()
        return tuple(sorted(p.name for p in self.root.iterdir() if p.is_dir()))

    @property
    def requests(self) -> tuple[RequestRecord, ...]:
        with self._lock:
            return tuple(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._counters.clear()

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Shared state used by the handler threads.
    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def hit(self, key: str) -> int:
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + 1
            return self._counters[key]

    def bomb(self, encoding: str) -> bytes:
        with self._lock:
            if encoding not in self._bombs:
                self._bombs[encoding] = _make_bomb(encoding)
            return self._bombs[encoding]


def _make_bomb(encoding: str) -> bytes:
    zeros = bytes(1024 * 1024)
    if encoding == "br":
        compressor = brotli.Compressor(quality=5)
        parts = [compressor.process(zeros) for _ in range(_BOMB_SIZE // len(zeros))]
        return b"".join(parts) + compressor.finish()
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [deflater.compress(zeros) for _ in range(_BOMB_SIZE // len(zeros))]
    return b"".join(parts) + deflater.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], owner: LoopbackServer
    ) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-response is what half the faults are about


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, each response would wait for
    # the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        owner = self.server.owner
        owner.record(RequestRecord(host, self.path, tuple(self.headers.items()), time.monotonic()))
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        try:
            if split.path.startswith("/_fault/"):
                _fault(self, split.path[len("/_fault/") :], query)
            else:
                self._serve_file(host, unquote(split.path))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- fixture files ------------------------------------------------------------------------

    def _serve_file(self, host: str, path: str) -> None:
        file = self._locate(host, path)
        if file is None:
            if path == "/robots.txt":
                self.respond(200, DEFAULT_ROBOTS, "text/plain; charset=utf-8")
            else:
                self.respond(404, b"not found", "text/plain")
            return
        body = file.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        mtime = int(file.stat().st_mtime)
        validators = {"ETag": etag, "Last-Modified": email.utils.formatdate(mtime, usegmt=True)}
        if self._not_modified(etag, mtime):
            self.respond(304, b"", None, validators)
            return
        content_type = _TYPES.get(file.suffix.lower(), "application/octet-stream")
        self.respond(200, body, content_type, validators)

    def _locate(self, host: str, path: str) -> Path | None:
        if not host or host.startswith(".") or "/" in host or "\\" in host:
            return None  # a Host header like ".." must not climb out of the fixtures
        # Not resolved itself: a site folder may be a symlink to the shared fixtures.
        site = (self.server.owner.root / host).resolve()
        relative = path.lstrip("/")
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        for candidate in (site / relative, site / (relative + ".html")):
            resolved = candidate.resolve()
            if resolved.is_file() and resolved.is_relative_to(site):
                return resolved
        return None

    def _not_modified(self, etag: str, mtime: int) -> bool:
        # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return etag in [tag.strip() for tag in if_none_match.split(",")]
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            return email.utils.parsedate_to_datetime(since).timestamp() >= mtime
        except (TypeError, ValueError):
            return False

    # -- writing ------------------------------------------------------------------------------

    def respond(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def send_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


def _fault(handler: _Handler, name: str, query: dict[str, str]) -> None:
    head, _, rest = name.partition("/")
    simple = _SIMPLE_FAULTS.get(head)
    if simple is not None:
        simple(handler, query)
    elif head == "status":
        handler.respond(int(rest), b"status %s" % rest.encode(), "text/plain")
    elif head == "flaky":
        _flaky(handler, rest, query)
    elif head.isdigit():
        _status(handler, int(head), query)
    else:
        handler.respond(404, b"no such fault", "text/plain")


def _status(handler: _Handler, status: int, query: dict[str, str]) -> None:
    headers = {"Retry-After": query["retry_after"]} if "retry_after" in query else {}
    handler.respond(status, HTTPStatus(status).phrase.encode(), "text/plain", headers)


def _flaky(handler: _Handler, key: str, query: dict[str, str]) -> None:
    count = handler.server.owner.hit(f"flaky/{key}")
    if count <= int(query.get("fail", "1")):
        _status(handler, int(query.get("status", "503")), query)
    else:
        handler.respond(200, _SMALL_PAGE, "text/html; charset=utf-8")


def _slow(handler: _Handler, query: dict[str, str]) -> None:
    time.sleep(min(float(query.get("delay", "2")), 10.0))
    handler.respond(200, _SMALL_PAGE, "text/html; charset=utf-8")


def _drip(handler: _Handler, query: dict[str, str]) -> None:
    delay, count = min(float(query.get("delay", "0.2")), 2.0), min(int(query.get("n", "50")), 500)
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(count))
    handler.end_headers()
    for _ in range(count):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(delay)


def _drop(handler: _Handler, query: dict[str, str]) -> None:
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)


def _etag(handler: _Handler, query: dict[str, str]) -> None:
    etag = query.get("etag", '"v1"')
    if etag in (handler.headers.get("If-None-Match") or ""):
        handler.respond(304, b"", None, {"ETag": etag})
    else:
        handler.respond(200, _SMALL_PAGE, "text/html; charset=utf-8", {"ETag": etag})


def _redirect(handler: _Handler, query: dict[str, str]) -> None:
    status = int(query.get("status", "302"))
    handler.respond(status, b"", "text/plain", {"Location": query.get("to", "/")})


def _redirect_loop(handler: _Handler, query: dict[str, str]) -> None:
    handler.respond(302, b"", "text/plain", {"Location": "/_fault/redirect-loop"})


def _huge(handler: _Handler, query: dict[str, str]) -> None:
    size = int(float(query.get("mb", "60")) * 1_000_000)
    block = b"<p>" + b"a" * 65_529 + b"</p>"
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    if query.get("length"):
        handler.send_header("Content-Length", str(size))
    else:
        handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunked = not query.get("length")
    sent = 0
    while sent < size:
        piece = block[: size - sent]
        handler.send_chunk(piece) if chunked else handler.wfile.write(piece)
        sent += len(piece)
    if chunked:
        handler.wfile.write(b"0\r\n\r\n")


def _bomb(encoding: str) -> _FaultHandler:
    def serve(handler: _Handler, query: dict[str, str]) -> None:
        body = handler.server.owner.bomb(encoding)
        handler.respond(200, body, "text/html", {"Content-Encoding": encoding})

    return serve


def _encoded_page(encoding: str) -> _FaultHandler:
    def serve(handler: _Handler, query: dict[str, str]) -> None:
        if encoding == "br":
            body = brotli.compress(_SMALL_PAGE)
        else:
            deflater = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            body = deflater.compress(_SMALL_PAGE) + deflater.flush()
        handler.respond(200, body, "text/html; charset=utf-8", {"Content-Encoding": encoding})

    return serve


def _binary(handler: _Handler, query: dict[str, str]) -> None:
    handler.respond(200, os.urandom(4096), "application/octet-stream")


def _wrong_charset(handler: _Handler, query: dict[str, str]) -> None:
    text = '<html><head><meta charset="windows-1252"><title>Café</title></head>'
    text += "<body><p>Déjà vu — naïve façade</p></body></html>"
    handler.respond(200, text.encode("windows-1252"), "text/html; charset=utf-8")


def _robots_disallowed(handler: _Handler, query: dict[str, str]) -> None:
    handler.respond(200, _SMALL_PAGE, "text/html; charset=utf-8")


_FaultHandler = type(_slow)
_SIMPLE_FAULTS = {
    "slow": _slow,
    "drip": _drip,
    "drop": _drop,
    "etag": _etag,
    "redirect": _redirect,
    "redirect-loop": _redirect_loop,
    "huge": _huge,
    "gzip-bomb": _bomb("gzip"),
    "brotli-bomb": _bomb("br"),
    "gzip-page": _encoded_page("gzip"),
    "brotli-page": _encoded_page("br"),
    "binary": _binary,
    "wrong-charset": _wrong_charset,
    "robots-disallowed": _robots_disallowed,
}
