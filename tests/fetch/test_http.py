"""fetch() against the loopback server: conditional GET, retries, caps, timeouts, faults."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest

from aggregator.errors import (
    Blocked,
    ConnectError,
    ContentTypeError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    TooLarge,
)
from aggregator.fetch.client import build_client
from aggregator.fetch.http import fetch, parse_retry_after
from aggregator.fetch.options import FetchOptions
from aggregator.models import FetchResult
from tests.fetch.conftest import FAST, options_for, run
from tests.loopback import LoopbackServer


async def _get(url: str, options: FetchOptions = FAST, **kwargs: str | None) -> FetchResult:
    async with build_client(options) as client:
        return await fetch(client, url, options=options, **kwargs)  # type: ignore[arg-type]


def _fault(server: LoopbackServer, path: str) -> str:
    return f"{server.base}/_fault/{path}"


def test_fetches_a_page_with_validators_and_charset(site_server: LoopbackServer) -> None:
    options = options_for(site_server, "news.test")
    result = run(_get("http://news.test/2024/05/first-story-here", options))
    assert result.status == 200 and not result.not_modified
    assert b"first-story-here" in result.body
    assert result.content_type == "text/html" and result.charset == "utf-8"
    assert result.etag and result.last_modified
    assert result.final_url == "http://news.test/2024/05/first-story-here"
    sent = site_server.requests[-1]
    assert sent.host == "news.test"
    assert sent.header("User-Agent") == FAST.user_agent
    assert sent.header("Accept-Encoding") == "gzip, deflate, br"


def test_conditional_get_returns_not_modified(site_server: LoopbackServer) -> None:
    options = options_for(site_server, "news.test")
    url = "http://news.test/feed.xml"
    first = run(_get(url, options))
    by_etag = run(_get(url, options, etag=first.etag))
    by_date = run(_get(url, options, last_modified=first.last_modified))
    for again in (by_etag, by_date):
        assert again.not_modified and again.status == 304 and again.body == b""
    assert by_etag.etag == first.etag
    assert by_date.last_modified == first.last_modified


def test_not_modified_keeps_the_callers_validators(server: LoopbackServer) -> None:
    result = run(_get(_fault(server, "etag?etag=%22v1%22"), etag='"v1"', last_modified="x"))
    assert result.not_modified and result.etag == '"v1"' and result.last_modified == "x"


def test_server_error_is_retried_then_raised(server: LoopbackServer) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        run(_get(_fault(server, "500")))
    assert caught.value.status == 500 and caught.value.kind == "http_status"
    assert str(caught.value).startswith("fetch: HTTP 500 for http://127.0.0.1")
    assert len(server.requests) == FAST.retries + 1


def test_transient_failures_recover(server: LoopbackServer) -> None:
    result = run(_get(_fault(server, "flaky/recover?fail=2")))
    assert result.status == 200
    assert len(server.requests) == 3


def test_client_errors_are_not_retried(server: LoopbackServer) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        run(_get(_fault(server, "status/404")))
    assert caught.value.status == 404
    assert len(server.requests) == 1


def test_short_retry_after_is_waited_out(server: LoopbackServer) -> None:
    started = time.monotonic()
    with pytest.raises(HTTPStatusError) as caught:
        run(_get(_fault(server, "429?retry_after=0")))
    assert caught.value.status == 429 and caught.value.retry_after == 0.0
    assert len(server.requests) == FAST.retries + 1
    assert time.monotonic() - started < 3.0  # no backoff on top of "Retry-After: 0"


def test_long_retry_after_is_raised_at_once_for_the_caller(server: LoopbackServer) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        run(_get(_fault(server, "503?retry_after=3600")))
    assert caught.value.status == 503 and caught.value.retry_after == 3600.0
    assert len(server.requests) == 1


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2024, 5, 17, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Fri, 17 May 2024 10:01:00 GMT", now=now) == 60.0
    assert parse_retry_after("Fri, 17 May 2024 09:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_slow_headers_time_out(server: LoopbackServer) -> None:
    options = replace(FAST, retries=0)
    with pytest.raises(FetchTimeout) as caught:
        run(_get(_fault(server, "slow?delay=2"), options))
    assert caught.value.kind == "timeout"


def test_a_dripping_body_hits_the_total_timeout(server: LoopbackServer) -> None:
    # Each byte arrives well within read_timeout; only the whole-attempt timeout stops it.
    options = replace(FAST, retries=0, timeout=0.6, read_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        run(_get(_fault(server, "drip?delay=0.1&n=40"), options))
    assert time.monotonic() - started < 2.5  # the drip alone would take 4 s


def test_timeouts_are_retried(server: LoopbackServer) -> None:
    options = replace(FAST, retries=1, read_timeout=0.2)
    with pytest.raises(FetchTimeout):
        run(_get(_fault(server, "slow?delay=1"), options))
    assert len(server.requests) == 2


def test_dropped_connection_is_a_connect_error(server: LoopbackServer) -> None:
    with pytest.raises(ConnectError):
        run(_get(_fault(server, "drop")))


def test_refused_connection_is_a_connect_error() -> None:
    with LoopbackServer() as gone:
        url = gone.base + "/"
    with pytest.raises(ConnectError):
        run(_get(url))


def test_redirects_are_followed(server: LoopbackServer) -> None:
    result = run(_get(_fault(server, "redirect?to=/_fault/gzip-page&status=301")))
    assert result.final_url == _fault(server, "gzip-page")
    assert result.url == _fault(server, "redirect?to=/_fault/gzip-page&status=301")


def test_redirect_loop_stops_at_the_limit(server: LoopbackServer) -> None:
    with pytest.raises(FetchError, match="more than 5 redirects"):
        run(_get(_fault(server, "redirect-loop")))
    assert len(server.requests) == FAST.max_redirects + 1


@pytest.mark.parametrize("path", ["huge?mb=60", "huge?mb=60&length=1"])
def test_huge_bodies_are_cut_off(server: LoopbackServer, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(TooLarge):
        run(_get(_fault(server, path)))
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("path", ["gzip-bomb", "brotli-bomb"])
def test_compression_bombs_hit_the_cap_after_decompression(
    server: LoopbackServer, path: str
) -> None:
    with pytest.raises(TooLarge, match="after decompression"):
        run(_get(_fault(server, path)))


def test_cap_is_configurable(server: LoopbackServer) -> None:
    with pytest.raises(TooLarge):
        run(_get(_fault(server, "gzip-page"), replace(FAST, max_bytes=50)))


@pytest.mark.parametrize("path", ["gzip-page", "brotli-page"])
def test_compressed_pages_are_decoded(server: LoopbackServer, path: str) -> None:
    result = run(_get(_fault(server, path)))
    assert result.body.startswith(b"<!doctype html>")


def test_binary_body_is_refused_by_content_type(server: LoopbackServer) -> None:
    with pytest.raises(ContentTypeError, match="application/octet-stream"):
        run(_get(_fault(server, "binary")))


def test_charset_comes_from_the_header_and_bytes_are_untouched(server: LoopbackServer) -> None:
    result = run(_get(_fault(server, "wrong-charset")))
    assert result.charset == "utf-8"
    assert "Café".encode("windows-1252") in result.body  # decoding is the cleaner's call


@pytest.mark.parametrize("url", ["ftp://example.org/", "file:///etc/passwd", "javascript:1"])
def test_non_http_schemes_are_blocked(url: str) -> None:
    with pytest.raises(Blocked):
        run(_get(url))


async def _stream(data: bytes) -> AsyncIterator[bytes]:
    # An async stream, so httpx does not pre-read (and pre-decode) the body itself.
    yield data


def _mock_client(handler: httpx.MockTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=handler, follow_redirects=False)


def test_https_to_http_redirect_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://example.org/plain"})

    async def go() -> None:
        async with _mock_client(httpx.MockTransport(answer)) as client:
            await fetch(client, "https://example.org/", options=FAST)

    with pytest.raises(Blocked, match="TLS downgrade"):
        run(go())


def test_redirect_to_another_scheme_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "file:///etc/passwd"})

    async def go() -> None:
        async with _mock_client(httpx.MockTransport(answer)) as client:
            await fetch(client, "http://example.org/", options=FAST)

    with pytest.raises(Blocked, match="scheme"):
        run(go())


def test_corrupt_gzip_is_a_fetch_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Encoding": "gzip", "Content-Type": "text/html"}
        return httpx.Response(200, headers=headers, content=_stream(b"\x1f\x8bnot gzip at all"))

    async def go() -> None:
        async with _mock_client(httpx.MockTransport(answer)) as client:
            await fetch(client, "http://example.org/", options=FAST)

    with pytest.raises(FetchError, match="corrupt gzip"):
        run(go())
