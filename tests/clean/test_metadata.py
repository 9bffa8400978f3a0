"""Metadata: JSON-LD first, then meta tags, then htmldate; publishers are not authors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from aggregator.clean import clean_html

BODY = (
    "<article><h1>Bridge to be rebuilt</h1>"
    + (
        "<p>The council voted on Tuesday to rebuild the old bridge across the river, ending a"
        " decade of argument about its cost and its place in the town's history.</p>" * 4
    )
    + "</article>"
)


def _page(head: str, lang: str = "en-GB") -> bytes:
    return f'<html lang="{lang}"><head>{head}</head><body>{BODY}</body></html>'.encode()


def test_json_ld_article() -> None:
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Town Times"},
            {
                "@type": "NewsArticle",
                "headline": "Council votes to rebuild the bridge",
                "author": [{"@type": "Person", "name": "Ana Ruiz"}, {"name": "Town Times"}],
                "publisher": {"@type": "Organization", "name": "Town Times"},
                "datePublished": "2026-05-02T09:30:00+02:00",
                "image": {"@type": "ImageObject", "url": "/img/bridge.jpg"},
            },
        ],
    }
    head = (
        f'<script type="application/ld+json">{json.dumps(ld)}</script>'
        '<link rel="canonical" href="/news/bridge">'
    )
    article = clean_html(_page(head), url="https://town.example/news/bridge?utm=x")
    assert article.title == "Council votes to rebuild the bridge"
    assert article.authors == ("Ana Ruiz",)
    assert article.published == datetime(2026, 5, 2, 7, 30, tzinfo=UTC)
    assert article.image == "https://town.example/img/bridge.jpg"
    assert article.canonical_url == "https://town.example/news/bridge"
    assert article.language == "en"


def test_meta_tags_when_there_is_no_json_ld() -> None:
    head = (
        '<meta property="og:title" content="Bridge to be rebuilt | Town Times">'
        '<meta property="og:site_name" content="Town Times">'
        '<meta name="author" content="Ana Ruiz">'
        '<meta property="article:published_time" content="2026-05-02T09:30:00Z">'
        '<meta property="og:image" content="https://cdn.example/b.jpg">'
    )
    article = clean_html(_page(head, lang="de"))
    assert article.title == "Bridge to be rebuilt"
    assert article.authors == ("Ana Ruiz",)
    assert article.published is not None and article.published.year == 2026
    assert article.image == "https://cdn.example/b.jpg"
    assert article.language == "de"


def test_htmldate_fallback_and_h1_title() -> None:
    body = BODY.replace("<h1>", '<p class="date">Published 3 March 2025</p><h1>')
    page = f"<html><head><title>Site</title></head><body>{body}</body></html>".encode()
    article = clean_html(page)
    assert article.title == "Bridge to be rebuilt"
    assert article.published is not None and article.published.date().isoformat() == "2025-03-03"
    assert "Published 3 March 2025" not in article.text


def test_malformed_json_ld_is_ignored() -> None:
    head = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
    assert clean_html(_page(head)).title == "Bridge to be rebuilt"


def test_undeclared_date_from_the_url_path() -> None:
    page = _page("<title>Bridge</title>")
    article = clean_html(page, url="https://town.example/news/2025/03/04/bridge.html")
    assert article.published == datetime(2025, 3, 4)


def test_undeclared_date_from_a_time_element_in_the_article() -> None:
    body = BODY.replace("<h1>", '<time datetime="2025-03-04T09:30:00Z">4 March</time><h1>')
    page = f"<html><head><title>Bridge</title></head><body>{body}</body></html>".encode()
    article = clean_html(page, url="https://town.example/news/bridge")
    assert article.published == datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


def test_dates_in_a_pruned_related_rail_are_not_the_page_date() -> None:
    rail = (
        '<aside class="related-posts"><ul><li><a href="/a">Older story</a>'
        '<time datetime="2019-01-02">2 Jan 2019</time></li></ul></aside>'
    )
    page = f"<html><head><title>Bridge</title></head><body>{BODY}{rail}</body></html>".encode()
    assert clean_html(page, url="https://town.example/news/bridge").published is None
