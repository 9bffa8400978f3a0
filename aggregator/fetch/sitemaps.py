"""Sitemaps (sitemaps.org 0.9): URL sets, sitemap indexes, Google News sitemaps, text sitemaps.

``parse_sitemap`` never raises on bad input; it records what was wrong in ``error``. Gzipped
sitemaps (``sitemap.xml.gz`` served as a gzip file, not as a Content-Encoding) are inflated here,
capped at the protocol's 50 MB uncompressed limit.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from aggregator.models import FeedItem

from .feeds import parse_date
from .links import absolute_url

__all__ = ["MAX_SITEMAP_BYTES", "SitemapParse", "parse_sitemap"]

# sitemaps.org: "no larger than 50MB (52,428,800 bytes)" uncompressed.
MAX_SITEMAP_BYTES = 52_428_800
_MAX_URLS = 50_000
_FEED_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class SitemapParse:
    """Page URLs (with lastmod or news date and news title), child sitemaps, and any problem."""

    urls: tuple[FeedItem, ...] = ()
    sitemaps: tuple[str, ...] = ()
    error: str | None = None


def parse_sitemap(body: bytes, base_url: str) -> SitemapParse:
    """Read a sitemap or sitemap index; relative ``loc``s resolve against ``base_url``."""
    body, error = _gunzip(body)
    if error is not None:
        return SitemapParse(error=error)
    head = body.lstrip()[:1]
    if head and head != b"<":
        return _text_sitemap(body, base_url)
    return _xml_sitemap(body, base_url)


def _gunzip(body: bytes) -> tuple[bytes, str | None]:
    if not body.startswith(b"\x1f\x8b"):
        return body, None
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_SITEMAP_BYTES + 1)
    except zlib.error as exc:
        return b"", f"corrupt gzip sitemap: {exc}"
    if len(data) > MAX_SITEMAP_BYTES:
        return b"", f"gzip sitemap inflates past {MAX_SITEMAP_BYTES} bytes"
    return data, None


def _text_sitemap(body: bytes, base_url: str) -> SitemapParse:
    """sitemaps.org "Text file": one URL per line, UTF-8."""
    lines = body.decode("utf-8", errors="replace").splitlines()[:_MAX_URLS]
    # The protocol wants full URLs here; anything else is not a URL line.
    urls = [absolute_url(line.strip(), base_url) for line in lines if "://" in line]
    items = tuple(FeedItem(url) for url in dict.fromkeys(u for u in urls if u))
    return SitemapParse(items, error=None if items else "not a sitemap (no URLs)")


class _Collector:
    """Builds the result while elements stream past, so a huge document is never held whole."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.urls: dict[str, FeedItem] = {}
        self.sitemaps: dict[str, None] = {}
        self.root: str | None = None

    def take(self, element: Element) -> None:
        name = _local(element.tag)
        if name == "url" and len(self.urls) < _MAX_URLS:
            item = _url_item(element, self.base_url)
            if item is not None:
                self.urls.setdefault(item.url, item)
        elif name == "sitemap":
            loc = absolute_url(_child_text(element, "loc"), self.base_url)
            if loc is not None:
                self.sitemaps[loc] = None
        else:
            return
        element.clear()


def _xml_sitemap(body: bytes, base_url: str) -> SitemapParse:
    collector = _Collector(base_url)
    # expat refuses external entities and, since 2.4, entity-expansion bombs; the body is capped.
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    error = None
    try:
        for start in range(0, len(body), _FEED_CHUNK):
            parser.feed(body[start : start + _FEED_CHUNK])
            _drain(parser, collector)
        parser.close()
    except ParseError as exc:
        error = f"XML error: {exc}"
    _drain(parser, collector)
    if error is None and collector.root not in ("urlset", "sitemapindex"):
        error = f"not a sitemap (root element {collector.root!r})"
    return SitemapParse(tuple(collector.urls.values()), tuple(collector.sitemaps), error)


def _drain(parser: XMLPullParser[Element], collector: _Collector) -> None:
    for pair in parser.read_events():
        if len(pair) != 2 or not isinstance(pair[1], Element):  # typeshed's union, never at runtime
            continue
        event, element = pair
        if event == "start" and collector.root is None:
            collector.root = _local(element.tag)
        elif event == "end":
            collector.take(element)


def _url_item(element: Element, base_url: str) -> FeedItem | None:
    url = absolute_url(_child_text(element, "loc"), base_url)
    if url is None:
        return None
    news = next((c for c in element if _local(c.tag) == "news"), None)
    title = _clean(_child_text(news, "title")) if news is not None else None
    published = _news_date(news) or parse_date(_child_text(element, "lastmod"))
    return FeedItem(url=url, title=title, published=published)


def _news_date(news: Element | None) -> datetime | None:
    # Google News sitemaps: <news:publication_date> in W3C format.
    return parse_date(_child_text(news, "publication_date")) if news is not None else None


def _child_text(element: Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


def _local(tag: str) -> str:
    """Tag name without its namespace: sitemaps in the wild get namespaces wrong."""
    return tag.rpartition("}")[2].lower()


def _clean(text: str | None) -> str | None:
    return " ".join(text.split()) or None if text else None
