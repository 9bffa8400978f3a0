"""Discovery parsers: feeds, feed autodiscovery, sitemaps, homepage links; bounded decoders."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime

import brotli
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.fetch.decoding import CHUNK, make_decoder
from aggregator.fetch.feeds import discover_feeds, parse_feed
from aggregator.fetch.links import discover_article_links, looks_like_article
from aggregator.fetch.sitemaps import parse_sitemap

BASE = "https://news.example/section/page.html"

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title> The  News </title>
<item><title>One</title><link>/2024/05/one-story-here</link>
<pubDate>Fri, 17 May 2024 10:00:00 +0000</pubDate></item>
<item><title>Guid only</title><guid>https://news.example/guid-only-story</guid></item>
<item><title>Not a permalink</title><guid isPermaLink="false">tag:x,2024:1</guid></item>
<item><title>Dup</title><link>https://news.example/2024/05/one-story-here#comments</link></item>
<item><title>Mail</title><link>mailto:editor@news.example</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example/atom/">
<title>Atom News</title>
<entry><title>A</title><link rel="alternate" href="a-story"/>
<updated>2024-05-17T10:00:00Z</updated></entry>
</feed>"""

JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "J",
"items": [{"id": "1", "url": "/j/one", "title": "One",
"date_published": "2024-05-17T10:00:00+02:00"},
{"id": "2", "external_url": "https://elsewhere.example/x"}, {"id": "3"}, "junk"]}"""


def test_rss_items_are_absolute_dated_and_unique() -> None:
    parsed = parse_feed(RSS, BASE)
    assert parsed.title == "The News"
    urls = [item.url for item in parsed.items]
    assert urls == [
        "https://news.example/2024/05/one-story-here",
        "https://news.example/guid-only-story",
    ]
    assert parsed.items[0].published == datetime(2024, 5, 17, 10, tzinfo=UTC)


def test_atom_honours_xml_base() -> None:
    parsed = parse_feed(ATOM, "https://news.example/feed")
    assert [i.url for i in parsed.items] == ["https://news.example/atom/a-story"]
    assert parsed.error is None and parsed.title == "Atom News"


def test_json_feed() -> None:
    parsed = parse_feed(JSON_FEED, "https://news.example/feed.json")
    assert [i.url for i in parsed.items] == [
        "https://news.example/j/one",
        "https://elsewhere.example/x",
    ]
    assert parsed.items[0].published == datetime(2024, 5, 17, 8, tzinfo=UTC)
    assert parsed.error is None


@pytest.mark.parametrize(
    "body", [b"", b"<html><body>hi</body></html>", b"{not json", b"\x00\xff" * 50]
)
def test_bad_feeds_are_reported_not_raised(body: bytes) -> None:
    parsed = parse_feed(body, BASE)
    assert parsed.items == () and parsed.error


def test_truncated_feed_keeps_what_it_read() -> None:
    parsed = parse_feed(RSS[: RSS.index(b"<item><title>Guid")], BASE)
    assert len(parsed.items) == 1 and parsed.error


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_parse_feed_never_raises(body: bytes) -> None:
    parse_feed(body, BASE)
    parse_sitemap(body, BASE)


def test_feed_autodiscovery() -> None:
    html = b"""<html><head><base href="/base/">
    <link rel="alternate" type="application/rss+xml" href="rss.xml">
    <link rel="alternate" type="application/atom+xml" href="https://news.example/atom">
    <link rel="alternate" type="application/feed+json" href="/feed.json">
    <link rel="alternate" hreflang="fr" href="/fr/">
    <link rel="stylesheet" type="text/css" href="/s.css">
    <link rel="alternate" type="application/rss+xml" href="rss.xml">
    </head></html>"""
    assert discover_feeds(html, "https://news.example/") == (
        "https://news.example/base/rss.xml",
        "https://news.example/atom",
        "https://news.example/feed.json",
    )
    assert discover_feeds("", "https://news.example/") == ()


URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://news.example/a-story</loc><lastmod>2024-05-17</lastmod></url>
  <url><loc>https://news.example/b-story</loc>
    <news:news><news:publication><news:name>N</news:name><news:language>en</news:language></news:publication>
    <news:publication_date>2024-05-17T10:00:00+00:00</news:publication_date>
    <news:title>B  story</news:title></news:news></url>
  <url><loc>https://news.example/a-story</loc></url>
  <url><loc>javascript:alert(1)</loc></url>
</urlset>"""


def test_urlset_with_news_extension() -> None:
    parsed = parse_sitemap(URLSET, "https://news.example/sitemap.xml")
    assert parsed.error is None and parsed.sitemaps == ()
    a, b = parsed.urls
    assert a.url == "https://news.example/a-story" and a.published == datetime(
        2024, 5, 17, tzinfo=UTC
    )
    assert b.title == "B story" and b.published == datetime(2024, 5, 17, 10, tzinfo=UTC)


def test_sitemap_index_and_gzip() -> None:
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>/sitemap-1.xml.gz</loc></sitemap><sitemap><loc>/news.xml</loc></sitemap>
    </sitemapindex>"""
    parsed = parse_sitemap(gzip.compress(index), "https://news.example/sitemap.xml")
    assert parsed.sitemaps == (
        "https://news.example/sitemap-1.xml.gz",
        "https://news.example/news.xml",
    )
    assert parsed.urls == () and parsed.error is None


def test_gzip_sitemap_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<urlset>" + bytes(53_000_000), compresslevel=9)
    parsed = parse_sitemap(bomb, BASE)
    assert parsed.urls == () and "inflates past" in (parsed.error or "")


def test_text_sitemap_and_junk() -> None:
    parsed = parse_sitemap(b"https://news.example/x\nnot a url\n\nhttps://news.example/y\n", BASE)
    assert [u.url for u in parsed.urls] == ["https://news.example/x", "https://news.example/y"]
    assert parse_sitemap(b"<html><body/></html>", BASE).error
    truncated = parse_sitemap(b"<urlset><url><loc>https://n.example/a</loc></url><url><lo", BASE)
    assert [u.url for u in truncated.urls] == ["https://n.example/a"] and truncated.error


HOME = b"""<html><body>
<header><a href="/2024/05/17/header-link-story">header</a></header>
<nav><a href="/politics/a-nav-story-link">nav</a></nav>
<div role="navigation"><a href="/some-menu-story-link">menu</a></div>
<main>
  <a href="/2024/05/17/musk-testifies-in-court">story</a>
  <a href="/2024/05/17/musk-testifies-in-court#comments">comments</a>
  <a href="/world/europe/12345678">id story</a>
  <a href="https://www.news.example/business/markets-rally-on-rate-cut">www story</a>
  <a href="/tag/elon-musk-news-today">tag</a>
  <a href="/author/jane-doe-smith">author</a>
  <a href="/topics/ai">topic</a>
  <a href="/business">section</a>
  <a href="/2024/05/17/">day archive</a>
  <a href="/page/2">page</a>
  <a href="/media/photo-of-the-day.jpg">photo</a>
  <a href="https://other.example/2024/05/17/elsewhere-story-here">external</a>
  <a href="mailto:x@news.example">mail</a>
</main>
<footer><a href="/about/our-editorial-standards">about</a></footer>
</body></html>"""


def test_homepage_article_links() -> None:
    assert discover_article_links(HOME, "https://news.example/") == (
        "https://news.example/2024/05/17/musk-testifies-in-court",
        "https://news.example/world/europe/12345678",
        "https://www.news.example/business/markets-rally-on-rate-cut",
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://n.example/2024/05/17/short", True),
        ("https://n.example/story/a-b-c.html", True),
        ("https://n.example/news/123456", True),
        ("https://n.example/", False),
        ("https://n.example/tech", False),
        ("https://n.example/tags/three-word-tag", False),
        ("https://n.example/files/report-final-version.pdf", False),
    ],
)
def test_looks_like_article(url: str, expected: bool) -> None:
    assert looks_like_article(url) is expected


def _encode(name: str, data: bytes) -> bytes:
    if name == "gzip":
        return gzip.compress(data)
    if name == "deflate":
        return zlib.compress(data)
    if name == "raw-deflate":
        deflater = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        return deflater.compress(data) + deflater.flush()
    return brotli.compress(data)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["gzip", "deflate", "raw-deflate", "br"]),
    st.binary(max_size=5000),
    st.integers(min_value=1, max_value=997),
)
def test_decoders_round_trip_in_any_chunking(name: str, data: bytes, step: int) -> None:
    encoded = _encode(name, data)
    decoder = make_decoder("deflate" if name == "raw-deflate" else name)
    out = b"".join(
        piece
        for i in range(0, len(encoded), step)
        for piece in decoder.decode(encoded[i : i + step])
    )
    assert out + b"".join(decoder.flush()) == data


def test_decoders_never_hand_out_big_pieces() -> None:
    zeros = bytes(8 * CHUNK)
    for name in ("gzip", "br"):
        pieces = list(make_decoder(name).decode(_encode(name, zeros)))
        # brotli may overshoot its output limit by one buffer step; still a small bound.
        assert max(len(p) for p in pieces) <= 2 * CHUNK and sum(map(len, pieces)) == len(zeros)


def test_stacked_encodings_are_undone_in_reverse() -> None:
    data = b"hello " * 100
    encoded = brotli.compress(gzip.compress(data))
    decoder = make_decoder("gzip, br")
    assert b"".join(decoder.decode(encoded)) + b"".join(decoder.flush()) == data
