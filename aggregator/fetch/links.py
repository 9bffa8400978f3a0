"""Homepage link discovery, the fallback for sites without feeds or sitemaps.

Keeps links that look like articles on the same site and drops navigation (links inside
``nav``/``header``/``footer``/``aside``), taxonomy pages (tags, topics, categories, authors),
utility pages and files. The rules are data (the frozensets and patterns below), so a site that
slips through is fixed by adding a word, not by writing a branch.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = [
    "MAX_URL_LENGTH",
    "absolute_url",
    "discover_article_links",
    "document_base",
    "looks_like_article",
]

_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside", "menu", "form"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "menu", "menubar", "search"})
_NOT_ARTICLE_SEGMENTS = frozenset(
    {
        "tag", "tags", "topic", "topics", "category", "categories", "section", "sections",
        "author", "authors", "people", "profile", "profiles", "user", "users", "by",
        "search", "login", "signin", "sign-in", "logout", "register", "signup", "sign-up",
        "account", "subscribe", "subscription", "subscriptions", "newsletter", "newsletters",
        "about", "about-us", "contact", "contact-us", "privacy", "privacy-policy", "terms",
        "terms-of-service", "terms-of-use", "cookies", "cookie-policy", "legal", "imprint",
        "impressum", "careers", "jobs", "advertise", "advertising", "partners", "help", "faq",
        "feed", "feeds", "rss", "page", "archive", "archives", "shop", "store", "cart",
        "wp-admin", "wp-login.php", "cdn-cgi",
    }
)  # fmt: skip
_FILE_SUFFIXES = (
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".ico", ".css", ".js", ".json",
    ".xml", ".rss", ".pdf", ".zip", ".gz", ".mp3", ".mp4", ".webm", ".mov", ".avi",
)  # fmt: skip
_DATE_PATH = re.compile(r"/(19|20)\d{2}/(0?[1-9]|1[0-2])(/|$)")
_LONG_ID = re.compile(r"\d{5,}")
_PAGE_SUFFIX = re.compile(r"\.(s?html?|php|aspx?)$")


def discover_article_links(html: str | bytes, base_url: str) -> tuple[str, ...]:
    """Absolute URLs of likely articles linked from a page, in page order, without repeats."""
    tree = LexborHTMLParser(html)
    base = document_base(tree, base_url)
    site = _site(base_url)
    found: dict[str, None] = {}
    for node in tree.css("a[href]"):
        url = absolute_url(node.attributes.get("href"), base)
        if url is None or url in found or _site(url) != site or _in_chrome(node):
            continue
        if looks_like_article(url):
            found[url] = None
    return tuple(found)


def looks_like_article(url: str) -> bool:
    """True when the path reads like one story rather than a listing, a utility or a file."""
    path = urlsplit(url).path
    segments = [s for s in path.lower().split("/") if s]
    if not segments or path.lower().endswith(_FILE_SUFFIXES):
        return False
    if any(segment in _NOT_ARTICLE_SEGMENTS for segment in segments):
        return False
    slug = _PAGE_SUFFIX.sub("", segments[-1])
    words = [w for w in re.split(r"[-_+.]", slug) if w]
    if len(words) >= 3:
        return True
    date = _DATE_PATH.search(path)
    if date is not None and path[date.end() :].strip("/0123456789"):
        return True  # /2024/05/17/something, not the /2024/05/17/ archive
    return len(segments) >= 2 and bool(_LONG_ID.search(path))


def _in_chrome(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None and parent.tag not in ("body", "html", "-undef"):
        role = (parent.attributes.get("role") or "").lower()
        if parent.tag in _CHROME_TAGS or role in _CHROME_ROLES:
            return True
        parent = parent.parent
    return False


def _site(url: str) -> str:
    """Host without a leading ``www.``: ``www.example.com`` and ``example.com`` are one site."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def document_base(tree: LexborHTMLParser, base_url: str) -> str:
    """``<base href>`` resolved against the page URL (HTML Living Standard §4.2.3)."""
    node = tree.css_first("base[href]")
    href = node.attributes.get("href") if node is not None else None
    if not href:
        return base_url
    try:
        base = urljoin(base_url, href.strip())
        urlsplit(base)
    except ValueError:  # an invalid IPv6 literal and the like: no usable base, keep the page's
        return base_url
    return base


# Longer links are not article URLs (browsers and servers stop near 8 KB, RFC 9110 §4.1 asks
# for at least 8000 octets); a feed full of megabyte "links" would only fill the fetch log.
MAX_URL_LENGTH = 8192


def absolute_url(link: str | None, base_url: str) -> str | None:
    """``link`` resolved against ``base_url`` without its fragment; None unless a plain http(s) URL.

    javascript:, data:, file:, ftp: and the rest are dropped, and so are links with credentials
    (``http://user:pw@host/``): the fetcher would send them to whoever the feed names.
    """
    if not link or len(link) > MAX_URL_LENGTH:
        return None
    try:
        parts = urlsplit(urljoin(base_url, link.strip()))
    except ValueError:  # e.g. an invalid IPv6 literal
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return parts._replace(fragment="").geturl()
