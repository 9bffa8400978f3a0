"""The fixture sites are well-formed: every page carries a sidecar, and the sidecars,
feeds, sitemaps and robots files agree with the bytes on disk.

Parametrised over ``fixtures/sites``: adding a page or an outlet adds test cases.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

SITES = Path(__file__).resolve().parent.parent / "fixtures" / "sites"
SEED_STORY = "musk-xai-distillation-testimony"
SEED_HOSTS = {
    "abab.news",
    "promptledger.com",
    "neuraldigest.app",
    "www.theverge.com",
    "bytewisebrief.com",
}
REQUIRED = {
    "article",
    "url",
    "title",
    "language",
    "published",
    "authors",
    "story",
    "duplicate_of",
    "must_contain",
    "must_not_contain",
}
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
# The page must declare its charset early, as the WHATWG prescan expects (first 1024 bytes
# in the spec; 2048 here to allow for long comments and generators).
META_CHARSET = re.compile(rb'<meta[^>]+charset=["\']?([A-Za-z0-9_-]+)', re.I)


def _sidecar_path(page: Path) -> Path:
    return page.with_name(page.name.removesuffix(".html") + ".expected.json")


def _sidecar(page: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_sidecar_path(page).read_text(encoding="utf-8"))
    return data


def _id(page: Path) -> str:
    return str(page.relative_to(SITES))


def _decode(page: Path) -> str:
    raw = page.read_bytes()
    match = META_CHARSET.search(raw[:2048])
    assert match, f"{_id(page)}: no <meta charset> in the first 2048 bytes"
    return raw.decode(match.group(1).decode("ascii"))


def _node(tree: LexborHTMLParser, selector: str) -> LexborNode:
    node = tree.css_first(selector)
    assert node is not None, selector
    return node


def _visible(page: Path, separator: str = " ") -> str:
    tree = LexborHTMLParser(_decode(page))
    tree.strip_tags(["script", "style", "noscript", "template"])
    text = _node(tree, "body").text(separator=separator)
    return " ".join(html.unescape(text).split())


def _local(url: str | None) -> Path:
    assert url
    parts = urlsplit(url.strip())
    assert parts.scheme == "https", url
    return SITES / parts.netloc / parts.path.lstrip("/")


HOSTS = sorted(p.name for p in SITES.iterdir() if p.is_dir())
PAGES = sorted(SITES.rglob("*.html"))
ARTICLES = [p for p in PAGES if _sidecar_path(p).exists() and _sidecar(p).get("article")]


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_page_has_sidecar_and_charset(page: Path) -> None:
    assert isinstance(_sidecar(page).get("article"), bool)
    _decode(page)


@pytest.mark.parametrize("page", ARTICLES, ids=_id)
def test_sidecar_fields(page: Path) -> None:
    side = _sidecar(page)
    assert side.keys() >= REQUIRED, REQUIRED - side.keys()
    assert _local(side["url"]) == page, "sidecar url must be where the page is served"
    assert re.fullmatch(r"[a-z]{2}", side["language"])
    assert side["published"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", side["published"])
    assert isinstance(side["authors"], list)
    assert all(isinstance(a, str) and a for a in side["authors"])
    assert re.fullmatch(r"[a-z0-9-]+", side["story"])
    assert side["title"] and side["must_contain"] and side["must_not_contain"]


@pytest.mark.parametrize("page", ARTICLES, ids=_id)
def test_canonical_and_title(page: Path) -> None:
    side = _sidecar(page)
    tree = LexborHTMLParser(_decode(page))
    links = [n.attributes.get("href") for n in tree.css('link[rel="canonical"]')]
    assert links == [side["url"]]
    h1 = " ".join(_node(tree, "h1").text(separator=" ").split())
    assert h1 == side["title"] or side["title"] in _node(tree, "title").text()


def _declared_dates(tree: LexborHTMLParser) -> set[str]:
    dates: set[str] = set()
    for node in tree.css('script[type="application/ld+json"]'):
        found = re.findall(r'"datePublished"\s*:\s*"([^"]+)"', node.text())
        dates.update(d[:10] for d in found)
    metas = 'meta[property="article:published_time"], meta[name="date"], meta[name="publishdate"]'
    for node in tree.css(metas):
        dates.add((node.attributes.get("content") or "")[:10])
    return dates


@pytest.mark.parametrize("page", ARTICLES, ids=_id)
def test_language_date_and_authors_match_the_page(page: Path) -> None:
    side = _sidecar(page)
    tree = LexborHTMLParser(_decode(page))
    lang = _node(tree, "html").attributes.get("lang") or ""
    assert lang.lower().startswith(side["language"])
    if side["published"] is not None:
        assert side["published"] in _declared_dates(tree)
    source = tree.html or ""
    for author in side["authors"]:
        assert author in source


@pytest.mark.parametrize("page", ARTICLES, ids=_id)
def test_must_contain_is_visible(page: Path) -> None:
    text = _visible(page)
    missing = [s for s in _sidecar(page)["must_contain"] if s not in text]
    assert not missing


@pytest.mark.parametrize("page", ARTICLES, ids=_id)
def test_must_not_contain_is_real_residue(page: Path) -> None:
    """Each residue string is on the page (so the check bites) and in no kept sentence.

    Residue is looked for with and without a separator between text nodes, because
    icon ligatures and tag runs only glue to their neighbours when nodes are joined bare.
    """
    side = _sidecar(page)
    spaced, glued = _visible(page), _visible(page, separator="")
    absent = [s for s in side["must_not_contain"] if s not in spaced and s not in glued]
    assert not absent, "residue not on the page"
    clash = [r for r in side["must_not_contain"] for s in side["must_contain"] if r in s]
    assert not clash, "residue string occurs inside a must_contain sentence"


@pytest.mark.parametrize("page", ARTICLES, ids=_id)
def test_duplicate_of_points_at_an_original(page: Path) -> None:
    side = _sidecar(page)
    if side["duplicate_of"] is None:
        return
    original = _local(side["duplicate_of"])
    assert original.exists() and original != page
    orig = _sidecar(original)
    assert orig["duplicate_of"] is None and orig["story"] == side["story"]


def test_seed_story_membership() -> None:
    members = [s for s in map(_sidecar, ARTICLES) if s["story"] == SEED_STORY]
    originals = {urlsplit(s["url"]).netloc for s in members if s["duplicate_of"] is None}
    copies = [s for s in members if s["duplicate_of"] is not None]
    assert originals == SEED_HOSTS
    assert len(members) == len(SEED_HOSTS) + 1 and len(copies) == 1


def test_a_second_story_spans_several_outlets() -> None:
    hosts: dict[str, set[str]] = {}
    for side in map(_sidecar, ARTICLES):
        hosts.setdefault(side["story"], set()).add(urlsplit(side["url"]).netloc)
    others = [k for k, v in hosts.items() if k != SEED_STORY and len(v) >= 3]
    assert others, "a second story covered by at least three outlets"


@pytest.mark.parametrize("host", HOSTS)
def test_outlet_files(host: str) -> None:
    root = SITES / host
    for name in ("index.html", "feed.xml", "sitemap.xml", "robots.txt"):
        assert (root / name).is_file(), name
    assert not _sidecar(root / "index.html")["article"]
    tree = LexborHTMLParser(_decode(root / "index.html"))
    feed_links = tree.css('link[rel="alternate"][type="application/rss+xml"]')
    assert "/feed.xml" in [n.attributes.get("href") for n in feed_links]
    linked = {n.attributes.get("href") for n in tree.css("a[href]")}
    for page in ARTICLES:
        if page.is_relative_to(root):
            assert "/" + page.relative_to(root).as_posix() in linked


@pytest.mark.parametrize("host", HOSTS)
def test_feed_lists_existing_pages(host: str) -> None:
    channel = ET.parse(SITES / host / "feed.xml").getroot().find("channel")
    assert channel is not None
    items = channel.findall("item")
    assert items
    for item in items:
        link = item.findtext("link")
        assert link and urlsplit(link).netloc == host and _local(link).is_file(), link
        assert item.findtext("pubDate")


def _sitemap_urls(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    if root.tag == SM + "sitemapindex":
        urls: list[str] = []
        for loc in root.iter(SM + "loc"):
            urls += _sitemap_urls(_local(loc.text))
        return urls
    assert root.tag == SM + "urlset"
    entries = root.findall(SM + "url")
    assert entries
    for entry in entries:
        assert entry.findtext(SM + "lastmod") or entry.find(NEWS + "news") is not None
    return [(e.findtext(SM + "loc") or "").strip() for e in entries]


@pytest.mark.parametrize("host", HOSTS)
def test_sitemap_lists_existing_pages(host: str) -> None:
    for url in _sitemap_urls(SITES / host / "sitemap.xml"):
        assert urlsplit(url).netloc == host and _local(url).is_file(), url


@pytest.mark.parametrize("host", HOSTS)
def test_robots(host: str) -> None:
    lines = (SITES / host / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert any(line.lower().startswith("user-agent:") for line in lines)
    for line in lines:
        if line.lower().startswith("sitemap:"):
            assert _local(line.split(":", 1)[1]).is_file()
