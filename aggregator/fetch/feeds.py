"""Feeds: RSS, Atom and JSON Feed into ``FeedItem``s, and feed autodiscovery from HTML.

Like feedparser itself, ``parse_feed`` never raises on bad input: it returns what it could read
and says in ``error`` what was wrong (feedparser's "bozo" flag).
"""

from __future__ import annotations

import calendar
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser
from selectolax.lexbor import LexborHTMLParser

from aggregator.models import FeedItem

from .links import absolute_url, document_base

__all__ = ["FEED_TYPES", "FeedParse", "discover_feeds", "parse_feed"]

# <link rel="alternate" type=...> values that announce a feed (RSS Board autodiscovery,
# RFC 4287 for Atom, jsonfeed.org for JSON Feed).
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "application/xml",
        "text/xml",
    }
)


@dataclass(frozen=True, slots=True)
class FeedParse:
    """A parsed feed: its items (absolute http(s) links), title, and what was wrong, if anything."""

    items: tuple[FeedItem, ...] = ()
    title: str | None = None
    error: str | None = None


def parse_feed(body: bytes, base_url: str) -> FeedParse:
    """Items of an RSS / Atom / JSON Feed document; relative links resolve against ``base_url``."""
    if body.lstrip()[:1] == b"{":
        return _parse_json_feed(body, base_url)
    # Always bytes: handed a str, feedparser would treat a URL-looking string as one to fetch.
    parsed = feedparser.parse(
        bytes(body),
        response_headers={"content-location": base_url, "content-type": "application/xml"},
        sanitize_html=False,
    )
    items = _unique(_feed_item(entry, base_url) for entry in parsed.entries)
    title = _text(parsed.feed.get("title"))
    return FeedParse(items, title, _bozo(parsed, items))


def _bozo(parsed: Any, items: tuple[FeedItem, ...]) -> str | None:
    problems = []
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        problems.append(f"{type(exc).__name__}: {exc}")
    if not parsed.get("version") and not items:
        problems.append("not a feed (no RSS, Atom or JSON Feed root)")
    return "; ".join(problems) or None


def _feed_item(entry: Any, base_url: str) -> FeedItem | None:
    url = absolute_url(entry.get("link") or _permalink_guid(entry), base_url)
    if url is None:
        return None
    published = entry.get("published_parsed") or entry.get("updated_parsed")
    return FeedItem(url=url, title=_text(entry.get("title")), published=_from_struct(published))


def _permalink_guid(entry: Any) -> str | None:
    # RSS 2.0: a guid is a permalink unless isPermaLink="false".
    guid = entry.get("id")
    if entry.get("guidislink") and isinstance(guid, str):
        return guid
    return None


def _from_struct(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)  # feedparser gives UTC
    except (OverflowError, ValueError, OSError):
        return None


def _parse_json_feed(body: bytes, base_url: str) -> FeedParse:
    """JSON Feed 1.0 / 1.1 (https://www.jsonfeed.org/version/1.1/)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return FeedParse(error=f"invalid JSON: {exc}")
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        return FeedParse(error="not a JSON Feed (no items list)")
    base = document.get("home_page_url") if isinstance(document.get("home_page_url"), str) else None
    items = _unique(_json_item(item, base or base_url) for item in document["items"])
    error = None if "jsonfeed.org" in str(document.get("version", "")) else "no JSON Feed version"
    return FeedParse(items, _text(document.get("title")), error)


def _json_item(item: object, base_url: str) -> FeedItem | None:
    if not isinstance(item, dict):
        return None
    link = item.get("url") or item.get("external_url")
    url = absolute_url(link if isinstance(link, str) else None, base_url)
    if url is None:
        return None
    date = item.get("date_published") or item.get("date_modified")
    return FeedItem(url=url, title=_text(item.get("title")), published=parse_date(date))


def parse_date(value: object) -> datetime | None:
    """An RFC 3339 / W3C-DTF date as an aware datetime (UTC when no offset), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def discover_feeds(html: str | bytes, base_url: str) -> tuple[str, ...]:
    """Feed URLs announced by ``<link rel="alternate" type=...>`` in a page's markup."""
    tree = LexborHTMLParser(html)
    base = document_base(tree, base_url)
    found = []
    for node in tree.css("link[href]"):
        rel = (node.attributes.get("rel") or "").lower().split()
        kind = (node.attributes.get("type") or "").lower().split(";")[0].strip()
        if ("alternate" in rel or "feed" in rel) and kind in FEED_TYPES:
            url = absolute_url(node.attributes.get("href"), base)
            if url is not None:
                found.append(url)
    return tuple(dict.fromkeys(found))


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def _unique(items: Any) -> tuple[FeedItem, ...]:
    seen: dict[str, FeedItem] = {}
    for item in items:
        if item is not None and item.url not in seen:
            seen[item.url] = item
    return tuple(seen.values())
