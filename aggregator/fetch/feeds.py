"""Feeds: RSS, Atom and JSON Feed into ``FeedItem``s, and feed autodiscovery from HTML.

Like feedparser itself, ``parse_feed`` never raises on bad input: it returns what it could read,
says in ``error`` what was wrong (feedparser's "bozo" flag) and names it in ``error_kind``:

    xml_entities  the DTD declares external, parameter, nested or long entities (xmlguard.py)
    malformed     not well-formed XML (truncated, bad bytes); what was read before is kept
    encoding      the declared encoding was wrong or unknown
    invalid_json  a JSON body that does not parse, or is not a JSON Feed
    html          an HTML page where a feed was expected: ``alternates`` lists the feeds it
                  announces and, when it announces none, ``items`` are its article links
    not_a_feed    none of the above, and no feed root either
"""

from __future__ import annotations

import calendar
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser
from selectolax.lexbor import LexborHTMLParser

from aggregator.models import FeedItem

from .links import absolute_url, discover_article_links, document_base
from .xmlguard import ENTITY_KIND, entity_refusal

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


# An HTML page where a feed was configured: its first bytes say so (WHATWG MIME sniffing §7.1
# looks for these tags the same way).
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]", re.I | re.S
)
_SNIFF_BYTES = 1024


@dataclass(frozen=True, slots=True)
class FeedParse:
    """A parsed feed: its items (absolute http(s) links), title, and what was wrong, if anything.

    ``alternates`` are the feeds an HTML page announced where a feed was expected.
    """

    items: tuple[FeedItem, ...] = ()
    title: str | None = None
    error: str | None = None
    error_kind: str | None = None
    alternates: tuple[str, ...] = ()


def parse_feed(body: bytes, base_url: str) -> FeedParse:
    """Items of an RSS / Atom / JSON Feed document; relative links resolve against ``base_url``."""
    if body.lstrip()[:1] == b"{":
        return _parse_json_feed(body, base_url)
    if _HTML_START.match(body[:_SNIFF_BYTES]):
        return _html_instead(body, base_url)
    refusal = entity_refusal(body)
    if refusal is not None:
        return FeedParse(error=refusal, error_kind=ENTITY_KIND)
    try:
        parsed = _feedparser(body, base_url)
    except (LookupError, ValueError) as exc:
        # feedparser hands a declared encoding name to codecs unchecked: one with a NUL in it
        # raises ValueError, one it half-knows LookupError.
        return FeedParse(error=f"feed encoding error: {exc}", error_kind="encoding")
    items = _unique(_feed_item(entry, base_url) for entry in parsed.entries)
    title = _text(parsed.feed.get("title"))
    if not parsed.get("version") and not items and _looks_like_html(body):
        return _html_instead(body, base_url)
    return FeedParse(items, title, *_bozo(parsed, items))


def _feedparser(body: bytes, base_url: str) -> Any:
    # Always bytes: handed a str, feedparser would treat a URL-looking string as one to fetch.
    return feedparser.parse(
        bytes(body),
        response_headers={"content-location": base_url, "content-type": "application/xml"},
        sanitize_html=False,
    )


def _bozo(parsed: Any, items: tuple[FeedItem, ...]) -> tuple[str | None, str | None]:
    """The problem feedparser found, as (message, kind)."""
    problems, kind = [], None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        problems.append(f"{type(exc).__name__}: {exc}")
        kind = "encoding" if "Encoding" in type(exc).__name__ else "malformed"
    if not parsed.get("version") and not items:
        problems.append("not a feed (no RSS, Atom or JSON Feed root)")
        kind = "not_a_feed"
    return "; ".join(problems) or None, kind


def _looks_like_html(body: bytes) -> bool:
    head = body[: _SNIFF_BYTES * 4].lower()
    return b"<html" in head or b"<body" in head or b"<!doctype html" in head


def _html_instead(body: bytes, base_url: str) -> FeedParse:
    """An HTML page served where a feed was configured: follow what it announces, as a homepage
    without feeds would be (its feeds, else its article links)."""
    alternates = discover_feeds(body, base_url)
    links = () if alternates else discover_article_links(body, base_url)
    items = tuple(FeedItem(url=link) for link in links)
    found = f"announces {len(alternates)} feeds" if alternates else f"{len(items)} article links"
    return FeedParse(
        items=items,
        error=f"an HTML page, not a feed ({found})",
        error_kind="html",
        alternates=alternates,
    )


def _feed_item(entry: Any, base_url: str) -> FeedItem | None:
    url = absolute_url(entry.get("link") or _permalink_guid(entry), base_url)
    if url is None:
        return None
    published = entry.get("published_parsed") or entry.get("updated_parsed")
    when = _from_struct(published)
    return FeedItem(
        url=url, title=_text(entry.get("title")), published=when, dated_by="entry" if when else None
    )


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
        return FeedParse(error=f"invalid JSON: {exc}", error_kind="invalid_json")
    except RecursionError:
        return FeedParse(error="invalid JSON: nested too deeply", error_kind="invalid_json")
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        return FeedParse(error="not a JSON Feed (no items list)", error_kind="invalid_json")
    base = document.get("home_page_url") if isinstance(document.get("home_page_url"), str) else None
    items = _unique(_json_item(item, base or base_url) for item in document["items"])
    if "jsonfeed.org" in str(document.get("version", "")):
        return FeedParse(items, _text(document.get("title")))
    return FeedParse(items, _text(document.get("title")), "no JSON Feed version", "invalid_json")


def _json_item(item: object, base_url: str) -> FeedItem | None:
    if not isinstance(item, dict):
        return None
    link = item.get("url") or item.get("external_url")
    url = absolute_url(link if isinstance(link, str) else None, base_url)
    if url is None:
        return None
    date = item.get("date_published") or item.get("date_modified")
    when = parse_date(date)
    return FeedItem(
        url=url, title=_text(item.get("title")), published=when, dated_by="entry" if when else None
    )


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
