"""One polite, bounded, conditional GET: ``fetch(client, url, options=...) -> FetchResult``.

Redirects are followed here, hop by hop, so each hop is checked; retries with exponential
backoff and full jitter cover timeouts, 429 and 5xx; the body is streamed through bounded
decoders and capped after decompression. Every failure leaves as an ``aggregator.errors``
``FetchError``; httpx exceptions are translated in exactly one place, ``map_exception``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import SplitResult, urlsplit

import httpx

from aggregator.errors import (
    Blocked,
    ConnectError,
    ContentTypeError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    TooLarge,
)
from aggregator.models import FetchResult

from .addresses import AddressPolicy
from .decoding import make_decoder
from .options import FetchOptions

__all__ = [
    "ACCEPT_DOCUMENTS",
    "DOCUMENT_TYPES",
    "RedirectCheck",
    "check_url",
    "fetch",
    "map_exception",
    "parse_retry_after",
]

ACCEPT_DOCUMENTS = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/feed+json,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5"
)
# What the later stages can read: HTML, XML (feeds, sitemaps), JSON Feed, plain text (robots.txt,
# text sitemaps) and gzip files (sitemap.xml.gz). "+xml" and "+json" suffixes (RFC 6839) pass too.
DOCUMENT_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "application/xml",
    "text/xml",
    "application/json",
    "text/plain",
    "application/gzip",
    "application/x-gzip",
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


RedirectCheck = Callable[[str], Awaitable[None]]


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    options: FetchOptions,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str = ACCEPT_DOCUMENTS,
    allowed_types: tuple[str, ...] = DOCUMENT_TYPES,
    check_redirect: RedirectCheck | None = None,
) -> FetchResult:
    """GET ``url``; a 304 returns ``not_modified=True`` and an empty body. Raises ``FetchError``.

    ``check_redirect`` is awaited with each redirect target before it is requested and may
    raise a ``FetchError`` (the crawler uses it to apply the target's robots.txt).
    """
    policy = AddressPolicy.from_allow_list(options.allow_private)
    check_url(url, policy)
    headers = _request_headers(accept, etag, last_modified)
    call = _Call(url, headers, options, allowed_types, check_redirect, policy)
    started = time.perf_counter()
    for attempt in range(options.retries + 1):
        try:
            exchange = await _attempt(client, call)
        except (FetchTimeout, HTTPStatusError) as exc:
            delay = _retry_delay(exc, attempt, options)
            if delay is None:
                raise
            await asyncio.sleep(delay)
            continue
        return _result(url, exchange, started, etag=etag, last_modified=last_modified)
    raise AssertionError("unreachable: the last attempt either returns or raises")


def _request_headers(accept: str, etag: str | None, last_modified: str | None) -> dict[str, str]:
    # We decode these ourselves (see decoding.py), so we offer exactly these.
    headers = {"Accept": accept, "Accept-Encoding": "gzip, deflate, br"}
    # Conditional GET, RFC 9110 §13.1.2 / §13.1.3; sent on every hop, because the validators
    # the caller stored came from the final URL of an earlier redirect chain.
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


@dataclass(frozen=True, slots=True)
class _Call:
    """What stays the same across the attempts and hops of one ``fetch``."""

    url: str
    headers: dict[str, str]
    options: FetchOptions
    allowed_types: tuple[str, ...]
    check_redirect: RedirectCheck | None
    policy: AddressPolicy


class _Exchange:
    """The final response of one attempt, with its body already read and capped."""

    __slots__ = ("body", "final_url", "headers", "status")

    def __init__(self, final_url: str, status: int, headers: httpx.Headers, body: bytes) -> None:
        self.final_url = final_url
        self.status = status
        self.headers = headers
        self.body = body


async def _attempt(client: httpx.AsyncClient, call: _Call) -> _Exchange:
    """One try, redirects included, bounded by ``options.timeout`` as a whole."""
    try:
        async with asyncio.timeout(call.options.timeout):
            return await _follow(client, call)
    except TimeoutError as exc:
        raise map_exception(exc, call.url) from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise map_exception(exc, call.url) from exc


async def _follow(client: httpx.AsyncClient, call: _Call) -> _Exchange:
    current = call.url
    for _ in range(call.options.max_redirects + 1):
        async with client.stream("GET", current, headers=call.headers) as response:
            target = _redirect_target(response, current, call.policy)
            if target is None:
                return await _finish(response, current, call.options, call.allowed_types)
        if call.check_redirect is not None:
            await call.check_redirect(target)
        current = target
    raise FetchError(f"more than {call.options.max_redirects} redirects from {call.url}")


def _redirect_target(response: httpx.Response, current: str, policy: AddressPolicy) -> str | None:
    location = response.headers.get("location")
    if response.status_code not in _REDIRECTS or not location:
        return None
    # Location may be relative (RFC 9110 §10.2.2).
    target = str(httpx.URL(current).join(location))
    check_url(target, policy)
    if target[:5].lower() == "http:" and current[:6].lower() == "https:":
        # Never trade TLS for a page: an https → http redirect is refused, not followed.
        raise Blocked(f"refusing TLS downgrade from {current} to {target}")
    return target


def check_url(url: str, policy: AddressPolicy) -> None:
    """Refuse ``url`` before any connection (and before its robots.txt is asked).

    Only http(s) is fetched; a URL with credentials is refused (httpx would send them as Basic
    auth to whoever the link names, RFC 9110 §4.2.4 deprecates them); a host that is itself a
    non-public address (in any spelling) is refused as ``AddressRefused``.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise FetchError(f"invalid URL {url}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise Blocked(f"scheme {scheme!r} not allowed (only http and https): {url[:200]}")
    if "@" in parts.netloc:
        raise Blocked(f"credentials in URL refused: {_without_userinfo(parts)}")
    policy.check_host(parts.hostname, url)


def _without_userinfo(parts: SplitResult) -> str:
    # Never echo a password into a log line or the fetch log.
    return parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()


async def _finish(
    response: httpx.Response, url: str, options: FetchOptions, allowed_types: tuple[str, ...]
) -> _Exchange:
    status = response.status_code
    if status >= 400:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise HTTPStatusError(status, url, retry_after=retry_after)
    if status == 304:
        return _Exchange(url, status, response.headers, b"")
    _check_content_type(response.headers.get("content-type"), url, allowed_types)
    body = await read_capped(response, url, options.max_bytes)
    return _Exchange(url, status, response.headers, body)


def _check_content_type(header: str | None, url: str, allowed: tuple[str, ...]) -> None:
    if header is None:
        return  # RFC 9110 §8.3: absent type may be sniffed; the cleaner decides.
    mime = header.partition(";")[0].strip().lower()
    if mime in allowed or mime.endswith(("+xml", "+json")):
        return
    raise ContentTypeError(f"content type {mime!r} not accepted for {url}")


async def read_capped(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    """The decoded body, refusing more than ``max_bytes`` on the wire or after decompression."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"{url} declares {declared} bytes, over the {max_bytes} byte cap")
    parts: list[bytes] = []
    total = 0
    async for piece in _decoded(response, url, max_bytes):
        total += len(piece)
        if total > max_bytes:
            raise TooLarge(f"{url} is over the {max_bytes} byte cap after decompression")
        parts.append(piece)
    return b"".join(parts)


async def _decoded(response: httpx.Response, url: str, max_bytes: int) -> AsyncIterator[bytes]:
    if response.is_stream_consumed:
        # Only test transports hand over a body httpx has already read (and decoded).
        yield response.content
        return
    decoder = make_decoder(response.headers.get("content-encoding"))
    wire = 0
    async for raw in response.aiter_raw():
        wire += len(raw)
        if wire > max_bytes:
            raise TooLarge(f"{url} sent over the {max_bytes} byte cap")
        for piece in decoder.decode(raw):
            yield piece
    for piece in decoder.flush():
        yield piece


def _result(
    url: str,
    exchange: _Exchange,
    started: float,
    *,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    headers = exchange.headers
    not_modified = exchange.status == 304
    content_type = headers.get("content-type")
    return FetchResult(
        url=url,
        final_url=exchange.final_url,
        status=exchange.status,
        body=exchange.body,
        fetched_at=datetime.now(UTC),
        elapsed_ms=(time.perf_counter() - started) * 1000.0,
        content_type=content_type.partition(";")[0].strip().lower() if content_type else None,
        charset=_charset(content_type),
        # A 304 may omit validators (RFC 9110 §15.4.5); keep the ones the caller sent.
        etag=headers.get("etag") or (etag if not_modified else None),
        last_modified=headers.get("last-modified") or (last_modified if not_modified else None),
        not_modified=not_modified,
    )


def _charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of Content-Type (RFC 9110 §8.3.2), lower-cased, or None."""
    if not content_type:
        return None
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'").strip().lower() or None
    return None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from Retry-After: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _retry_delay(exc: FetchError, attempt: int, options: FetchOptions) -> float | None:
    """How long to sleep before the next attempt, or None to give up and raise."""
    if attempt >= options.retries:
        return None
    if isinstance(exc, HTTPStatusError):
        if exc.status != 429 and exc.status < 500:
            return None
        if exc.retry_after is not None:
            # A long Retry-After is the caller's business (delay the source), not a sleep here.
            return exc.retry_after if exc.retry_after <= options.max_retry_after else None
    # Exponential backoff with full jitter: spreads retries so hosts are not hit in lockstep.
    ceiling = min(options.backoff_max, options.backoff_base * 2**attempt)
    return random.uniform(0.0, ceiling)


def map_exception(exc: Exception, url: str) -> FetchError:
    """The one translation from httpx (and asyncio timeout) exceptions to ours."""
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return FetchTimeout(f"timed out fetching {url}")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return Blocked(f"unsupported protocol for {url}")
    if isinstance(exc, httpx.InvalidURL):
        return FetchError(f"invalid URL {url}: {exc}")
    if isinstance(exc, httpx.NetworkError | httpx.ProtocolError):
        return ConnectError(f"{type(exc).__name__} for {url}: {exc}")
    return FetchError(f"{type(exc).__name__} for {url}: {exc}")
