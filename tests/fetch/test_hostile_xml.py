"""Hostile feeds and sitemaps: entity attacks, truncation, HTML instead of a feed, bombs, loops.

Each is survived, quickly, and recorded with a kind (``error_kind``) an operator can act on.
"""

from __future__ import annotations

import gzip
import time
import zlib
from pathlib import Path

import pytest

from aggregator.fetch.feeds import parse_feed
from aggregator.fetch.sitemaps import MAX_SITEMAP_BYTES, SitemapWalk, parse_sitemap
from aggregator.fetch.xmlguard import entity_refusal

BASE = "https://news.example/feed.xml"
ITEM = b"<item><title>T</title><link>https://news.example/2024/05/a-story</link></item>"


def _rss(doctype: bytes, title: bytes = b"t") -> bytes:
    return (
        b'<?xml version="1.0"?>\n' + doctype + b'\n<rss version="2.0"><channel><title>'
        + title + b"</title>" + ITEM + b"</channel></rss>"
    )  # fmt: skip


def _laughs(levels: int = 10, one_line: bool = True) -> bytes:
    sep = b"" if one_line else b"\n"
    entities = [b'<!ENTITY lol0 "lol">']
    entities += [b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, levels)]
    return b"<!DOCTYPE rss [" + sep + sep.join(entities) + sep + b"]>"


SECRET = "never-read-this-secret"

HOSTILE_DTDS = {
    "xxe one line": b'<!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>',
    "xxe multi line": b'<!DOCTYPE rss [\n<!ENTITY x SYSTEM "file://{secret}">\n]>',
    "xxe behind a markup entity": b'<!DOCTYPE rss [\n<!ENTITY a "<b>">\n'
    b'<!ENTITY x SYSTEM "file://{secret}">\n]>',
    "xxe public": b'<!DOCTYPE rss [<!ENTITY x PUBLIC "-//x//y" "file://{secret}">]>',
    "parameter entity": b'<!DOCTYPE rss [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>',
    "billion laughs, one line": _laughs(),
    "billion laughs, multi line": _laughs(one_line=False),
    "quadratic blow-up": b'<!DOCTYPE rss [\n<!ENTITY a "' + b"x" * 20_000 + b'">\n]>',
    "unparsed entity": b'<!DOCTYPE rss [<!NOTATION n SYSTEM "x"><!ENTITY u SYSTEM "y" NDATA n>]>',
    "many entities": b"<!DOCTYPE rss ["
    + b"".join(b'<!ENTITY e%d "x">' % i for i in range(300))
    + b"]>",
}


def _with_secret(dtd: bytes, secret: Path) -> bytes:
    return dtd.replace(b"{secret}", str(secret).encode())


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(HOSTILE_DTDS))
def test_entity_attacks_are_refused_and_recorded(name: str, secret: Path) -> None:
    dtd = _with_secret(HOSTILE_DTDS[name], secret)
    started = time.perf_counter()
    feed = parse_feed(_rss(dtd, b"&x;&lol9;"), BASE)
    sitemap = parse_sitemap(dtd.replace(b"rss", b"urlset") + b"<urlset></urlset>", BASE)
    assert time.perf_counter() - started < 1.0
    for parsed in (feed, sitemap):
        assert parsed.error_kind == "xml_entities", (name, parsed)
        assert "refused" in (parsed.error or "") and SECRET not in repr(parsed)


def test_entity_attacks_in_utf16_are_refused(secret: Path) -> None:
    text = _rss(_with_secret(HOSTILE_DTDS["xxe one line"], secret), b"&x;").decode()
    body = text.replace('version="1.0"?>', 'version="1.0" encoding="utf-16"?>').encode("utf-16")
    assert parse_feed(body, BASE).error_kind == "xml_entities"


def test_an_unreadable_dtd_with_entities_is_refused_unread() -> None:
    body = b'<?xml version="1.0" encoding="x-no-such"?><!DOCTYPE rss [<!ENTITY a "x">]><rss/>'
    assert "refused unread" in (entity_refusal(body) or "")


@pytest.mark.parametrize(
    "dtd",
    [
        b'<!DOCTYPE rss [\n<!ENTITY nbsp "&#160;">\n<!ENTITY mdash "&#x2014;">\n]>',
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">',
    ],
)
def test_harmless_doctypes_still_parse(dtd: bytes) -> None:
    parsed = parse_feed(_rss(dtd, b"A&nbsp;B" if b"nbsp" in dtd else b"A B"), BASE)
    assert parsed.error_kind is None, parsed.error
    assert [i.url for i in parsed.items] == ["https://news.example/2024/05/a-story"]


def test_truncated_xml_keeps_what_was_read() -> None:
    body = _rss(b"")
    for cut in (len(body) // 2, len(body) - 10):
        parsed = parse_feed(body[:cut] + ITEM[:20], BASE)
        assert parsed.error_kind == "malformed", parsed
    truncated = parse_sitemap(b"<urlset><url><loc>https://n.example/a</loc></url><url><lo", BASE)
    assert [u.url for u in truncated.urls] == ["https://n.example/a"]
    assert truncated.error_kind == "malformed"


def test_an_html_page_instead_of_a_feed_leads_to_the_feeds_it_announces() -> None:
    page = (
        b"<!DOCTYPE html><html><head>"
        b'<link rel="alternate" type="application/rss+xml" href="/rss.xml"></head>'
        b'<body><a href="/2024/05/some-story-here">x</a></body></html>'
    )
    parsed = parse_feed(page, "https://news.example/news")
    assert parsed.error_kind == "html" and parsed.items == ()
    assert parsed.alternates == ("https://news.example/rss.xml",)


def test_an_html_page_without_feeds_gives_its_article_links() -> None:
    page = (
        b"<!-- served by a CMS -->\n<html><body><main>"
        b'<a href="/2024/05/some-story-here">x</a></main></body></html>'
    )
    parsed = parse_feed(page, "https://news.example/news")
    assert parsed.error_kind == "html" and parsed.alternates == ()
    assert [i.url for i in parsed.items] == ["https://news.example/2024/05/some-story-here"]


def test_an_xhtml_page_after_an_xml_declaration_is_html_too() -> None:
    page = b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'
    assert parse_feed(page, "https://news.example/news").error_kind == "html"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"{" * 100_000, "invalid_json"),
        (b"[" * 100_000, "not_a_feed"),
        (b'{"items": "nope"}', "invalid_json"),
        (b"just text", "not_a_feed"),
    ],
)
def test_other_non_feeds_have_a_kind(body: bytes, kind: str) -> None:
    assert parse_feed(body, BASE).error_kind == kind


def test_a_feed_of_5000_items_is_read_whole_and_fast() -> None:
    items = b"".join(
        b"<item><title>n</title><link>https://news.example/s/%d-story-here</link></item>" % i
        for i in range(5000)
    )
    started = time.perf_counter()
    parsed = parse_feed(b'<rss version="2.0"><channel>' + items + b"</channel></rss>", BASE)
    assert len(parsed.items) == 5000 and parsed.error is None
    assert time.perf_counter() - started < 5.0


def test_a_gzip_sitemap_of_hundreds_of_megabytes_is_capped() -> None:
    # Concatenated members (RFC 1952 §2.2): 300 of them, each 1 MiB of zeros, ~300 KB in all.
    member = gzip.compress(b"<urlset>" + bytes(1024 * 1024 - 8), compresslevel=9)
    bomb = member * 300
    started = time.perf_counter()
    parsed = parse_sitemap(bomb, BASE)
    assert parsed.error_kind == "too_large" and parsed.urls == ()
    assert str(MAX_SITEMAP_BYTES) in (parsed.error or "")
    assert time.perf_counter() - started < 5.0


def test_every_gzip_member_is_read() -> None:
    first = gzip.compress(b"<urlset><url><loc>https://n.example/a</loc></url>")
    second = gzip.compress(b"<url><loc>https://n.example/b</loc></url></urlset>")
    parsed = parse_sitemap(first + second, BASE)
    assert [u.url for u in parsed.urls] == ["https://n.example/a", "https://n.example/b"]


def test_corrupt_gzip_has_its_kind() -> None:
    body = gzip.compress(b"<urlset></urlset>")
    assert parse_sitemap(body[:12] + b"\x00" * 20, BASE).error_kind == "corrupt_gzip"
    deflated = zlib.compress(b"x")
    assert parse_sitemap(b"\x1f\x8b" + deflated, BASE).error_kind == "corrupt_gzip"


def test_a_sitemap_of_hundreds_of_thousands_of_unknown_elements_stays_small() -> None:
    body = b"<urlset>" + b"<junk/>" * 300_000 + b"<url><loc>https://n.example/a</loc></url>"
    parsed = parse_sitemap(body + b"</urlset>", BASE)
    assert [u.url for u in parsed.urls] == ["https://n.example/a"] and parsed.error is None


def test_sitemap_walk_reads_each_url_once_and_stops_at_its_limit() -> None:
    walk = SitemapWalk(limit=3)
    assert walk.admit(["a", "b", "a"]) == ["a", "b"]
    assert walk.admit(["b", "c", "d"]) == ["c"]
    assert walk.problem is not None and "2 repeated" in walk.problem
    assert SitemapWalk().problem is None
