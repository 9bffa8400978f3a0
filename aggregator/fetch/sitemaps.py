"""Sitemaps (sitemaps.org 0.9): URL sets, sitemap indexes, Google News sitemaps, text sitemaps.

``parse_sitemap`` never raises on bad input; it records what was wrong in ``error`` and names it
in ``error_kind``: ``corrupt_gzip``, ``too_large`` (a gzip file inflating past the cap),
``xml_entities`` (see xmlguard.py), ``malformed`` (not well-formed XML: what was read before
the fault is kept) or ``not_a_sitemap``. Gzipped sitemaps (``sitemap.xml.gz`` served as a gzip
file, not as a Content-Encoding) are inflated here, capped at the protocol's 50 MB uncompressed
limit. ``SitemapWalk`` keeps one cycle's walk through nested indexes finite.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from aggregator.models import FeedItem

from .feeds import parse_date
from .links import absolute_url
from .xmlguard import ENTITY_KIND, entity_refusal

__all__ = ["MAX_SITEMAP_BYTES", "SitemapParse", "SitemapWalk", "parse_sitemap"]

# sitemaps.org: "no larger than 50MB (52,428,800 bytes)" uncompressed.
MAX_SITEMAP_BYTES = 52_428_800
# sitemaps.org: at most 50,000 URLs per sitemap and 50,000 sitemaps per index.
_MAX_URLS = 50_000
_MAX_CHILDREN = 50_000
_FEED_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class SitemapParse:
    """Page URLs (with lastmod or news date and news title), child sitemaps, and any problem."""

    urls: tuple[FeedItem, ...] = ()
    sitemaps: tuple[str, ...] = ()
    error: str | None = None
    error_kind: str | None = None


def parse_sitemap(body: bytes, base_url: str) -> SitemapParse:
    """Read a sitemap or sitemap index; relative ``loc``s resolve against ``base_url``."""
    try:
        body = _gunzip(body)
    except _Refused as exc:
        return SitemapParse(error=exc.message, error_kind=exc.kind)
    head = body.lstrip()[:1]
    if head and head != b"<":
        return _text_sitemap(body, base_url)
    refusal = entity_refusal(body)
    if refusal is not None:
        return SitemapParse(error=refusal, error_kind=ENTITY_KIND)
    return _xml_sitemap(body, base_url)


class _Refused(Exception):
    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


def _gunzip(body: bytes) -> bytes:
    """Inflate a gzip file, every member of it (RFC 1952 §2.2), never past the cap."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    parts: list[bytes] = []
    room = MAX_SITEMAP_BYTES + 1
    while body and room > 0:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            parts.append(inflater.decompress(body, room))
        except zlib.error as exc:
            raise _Refused(f"corrupt gzip sitemap: {exc}", "corrupt_gzip") from exc
        room -= len(parts[-1])
        body = inflater.unused_data if inflater.eof else b""
    if room <= 0:
        message = f"gzip sitemap inflates past {MAX_SITEMAP_BYTES} bytes; refused unread"
        raise _Refused(message, "too_large")
    return b"".join(parts)


def _text_sitemap(body: bytes, base_url: str) -> SitemapParse:
    """sitemaps.org "Text file": one URL per line, UTF-8."""
    lines = body.decode("utf-8", errors="replace").splitlines()[:_MAX_URLS]
    # The protocol wants full URLs here; anything else is not a URL line.
    urls = [absolute_url(line.strip(), base_url) for line in lines if "://" in line]
    items = tuple(FeedItem(url) for url in dict.fromkeys(u for u in urls if u))
    if items:
        return SitemapParse(items)
    return SitemapParse(error="not a sitemap (no URLs)", error_kind="not_a_sitemap")


class _Collector:
    """Builds the result while elements stream past, so a huge document is never held whole."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.urls: dict[str, FeedItem] = {}
        self.sitemaps: dict[str, None] = {}
        self.root: str | None = None
        self.root_element: Element | None = None

    def take(self, element: Element) -> None:
        name = _local(element.tag)
        if name == "url" and len(self.urls) < _MAX_URLS:
            item = _url_item(element, self.base_url)
            if item is not None:
                self.urls.setdefault(item.url, item)
        elif name == "sitemap" and len(self.sitemaps) < _MAX_CHILDREN:
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
    error = kind = None
    try:
        for start in range(0, len(body), _FEED_CHUNK):
            parser.feed(body[start : start + _FEED_CHUNK])
            _drain(parser, collector)
        parser.close()
    except ParseError as exc:
        error, kind = f"XML error: {exc}", "malformed"
    except (LookupError, ValueError) as exc:  # expat asked for an encoding Python lacks
        error, kind = f"XML encoding error: {exc}", "encoding"
    _drain(parser, collector)
    if error is None and collector.root not in ("urlset", "sitemapindex"):
        error = f"not a sitemap (root element {str(collector.root)[:100]!r})"
        kind = "not_a_sitemap"
    urls, sitemaps = tuple(collector.urls.values()), tuple(collector.sitemaps)
    return SitemapParse(urls, sitemaps, error, kind)


def _drain(parser: XMLPullParser[Element], collector: _Collector) -> None:
    for pair in parser.read_events():
        if len(pair) != 2 or not isinstance(pair[1], Element):  # typeshed's union, never at runtime
            continue
        event, element = pair
        if event == "start" and collector.root is None:
            collector.root = _local(element.tag)
            collector.root_element = element
        elif event == "end":
            collector.take(element)
    if collector.root_element is not None:
        # Children the collector has read are of no further use; without this, a million
        # unknown elements under the root would all stay in memory. (An element still open is
        # held by the tree builder, and comes back whole in its "end" event.)
        del collector.root_element[:]


def _url_item(element: Element, base_url: str) -> FeedItem | None:
    url = absolute_url(_child_text(element, "loc"), base_url)
    if url is None:
        return None
    news = next((c for c in element if _local(c.tag) == "news"), None)
    title = _clean(_child_text(news, "title")) if news is not None else None
    news_date = _news_date(news)
    if news_date is not None:
        return FeedItem(url=url, title=title, published=news_date, dated_by="news")
    lastmod = parse_date(_child_text(element, "lastmod"))
    return FeedItem(
        url=url, title=title, published=lastmod, dated_by="lastmod" if lastmod else None
    )


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


@dataclass(slots=True)
class SitemapWalk:
    """One cycle's walk through sitemap indexes: each URL is read once, ``limit`` in all.

    An index that lists itself, or two that list each other, would otherwise be fetched again
    at every level of nesting; ``repeats`` keeps what was skipped, for the cycle's report.
    """

    limit: int = 100
    seen: set[str] = field(default_factory=set)
    repeats: list[str] = field(default_factory=list)

    def admit(self, urls: Iterable[str]) -> list[str]:
        """The URLs of ``urls`` not read yet in this walk, within the limit; marks them read."""
        fresh: list[str] = []
        for url in urls:
            if url in self.seen:
                self.repeats.append(url)
            elif len(self.seen) < self.limit:
                self.seen.add(url)
                fresh.append(url)
        return fresh

    @property
    def problem(self) -> str | None:
        """A line for the report when the walk met a loop."""
        if not self.repeats:
            return None
        shown = ", ".join(dict.fromkeys(self.repeats[:3]))
        return f"sitemap loop: {len(self.repeats)} repeated listing(s) skipped ({shown})"
