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
from urllib.parse import urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser

SITES = Path(__file__).resolve().parent.parent / "fixtures" / "sites"
SEED_STORY = "musk-xai-distillation-testimony"
SEED_HOSTS = {"abab.news", "promptledger.com", "neuraldigest.app", "www.theverge.com", "bytewisebrief.com"}
REQUIRED = {
    "article", "url", "title", "language", "published", "authors",
    "story", "duplicate_of", "must_contain", "must_not_contain",
}
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# <meta charset="..."> or the http-equiv form; fixtures must declare one (WHATWG encoding sniffing).
META_CHARSET = re.compile(rb'<meta[^>]+charset=["\']?([A-Za-z0-9_-]+)', re.I)

HOSTS = sorted(p.name for p in SITES.iterdir() if p.is_dir())
PAGES = sorted(p for p in SITES.rglob("*.html"))


def _sidecar_path(page: Path) -> Path:
    return page.with_name(page.name[: -len(".html")] + ".expected.json")


def _sidecar(page: Path) -> dict:
    return json.loads(_sidecar_path(page).read_text(encoding="utf-8"))


def _id(page: Path) -> str:
    return str(page.relative_to(SITES))


def _decode(page: Path) -> str:
    raw = page.read_bytes()
    match = META_CHARSET.search(raw[:2048])
    assert match, f"{_id(page)}: no <meta charset> in the first 2048 bytes"
    return raw.decode(match.group(1).decode("ascii"))


def _visible(page: Path, separator: str = " ") -> str:
    tree = LexborHTMLParser(_decode(page))
    tree.strip_tags(["script", "style", "noscript", "template"])
    root = tree.body if tree.body is not None else tree.root
    return " ".join(html.unescape(root.text(separator=separator)).split())


def _local(url: str) -> Path:
    parts = urlsplit(url)
    assert parts.scheme == "https", url
    return SITES / parts.netloc / parts.path.lstrip("/")


ARTICLES = [p for p in PAGES if p.with_name(p.name[:-5] + ".expected.json").exists() and _sidecar(p).get("article")]


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_page_has_sidecar_and_charset(page: Path) -> None:
    side = _sidecar(page)
    assert isinstance(side.get("article"), bool)
    _decode(page)


@pytest.mark.parametrize("page", ARTICLES, ids=_id)
def test_sidecar_fields(page: Path) -> None:
    side = _sidecar(page)
    assert REQUIRED <= side.keys(), REQUIRED - side.keys()
    assert _local(side["url"]) == page, "sidecar url must be where the page is served"
    assert re.fullmatch(r"[a-z]{2}", side["language"])
    assert side["published"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", side["published"])
    assert isinstance(side["authors"], list) and all(isinstance(a, str) and a for a in side["authors"])
    assert re.fullmatch(r"[a-z0-9-]+", side["story"])
    assert side["title"] and side["must_contain"] and side["must_not_contain"]


@pytest.mark.parametrize("page", ARTICLES, ids=_id)
def test_canonical_and_title(page: Path) -> None:
    side = _sidecar(page)
    tree = LexborHTMLParser(_decode(page))
    links = [n.attributes.get("href") for n in tree.css('link[rel="canonical"]')]
    assert links == [side["url"]]
    h1 = " ".join(tree.css_first("h1").text(separator=" ").split())
    assert h1 == side["title"] or side["title"] in (tree.css_first("title").text())


@pytest.mark.parametrize("page", ARTICLES, ids=_id)
def test_must_contain_is_visible(page: Path) -> None:
    text = _visible(page)
    missing = [s for s in _sidecar(page)["must_contain"] if s not in text]
    assert not missing


@pytest.mark.parametrize("page", ARTICLES, ids=_id)
def test_must_not_contain_is_real_residue(page: Path) -> None:
    """Each residue string is on the page (so the negative check bites) and in no kept sentence."""
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
    members = [_sidecar(p) for p in ARTICLES if _sidecar(p)["story"] == SEED_STORY]
    originals = {urlsplit(s["url"]).netloc for s in members if s["duplicate_of"] is None}
    copies = [s for s in members if s["duplicate_of"] is not None]
    assert originals == SEED_HOSTS
    assert len(members) == len(SEED_HOSTS) + 1 and len(copies) == 1


def test_story_labels_are_shared_only_by_one_event() -> None:
    stories: dict[str, set[str]] = {}
    for page in ARTICLES:
        side = _sidecar(page)
        stories.setdefault(side["story"], set()).add(side["url"])
    multi = {k for k, v in stories.items() if len(v) > 1}
    assert SEED_STORY in multi and len(multi) >= 1


@pytest.mark.parametrize("host", HOSTS)
def test_outlet_files(host: str) -> None:
    root = SITES / host
    for name in ("index.html", "feed.xml", "sitemap.xml", "robots.txt"):
        assert (root / name).is_file(), name
    assert not _sidecar(root / "index.html")["article"]
    tree = LexborHTMLParser(_decode(root / "index.html"))
    feeds = [n.attributes.get("href") for n in tree.css('link[rel="alternate"][type="application/rss+xml"]')]
    assert "/feed.xml" in feeds
    linked = {n.attributes.get("href") for n in tree.css("a[href]")}
    for page in ARTICLES:
        if page.is_relative_to(root):
            assert "/" + str(page.relative_to(root)) in linked


@pytest.mark.parametrize("host", HOSTS)
def test_feed_lists_existing_pages(host: str) -> None:
    channel = ET.parse(SITES / host / "feed.xml").getroot().find("channel")
    assert channel is not None
    items = channel.findall("item")
    assert items
    for item in items:
        link = item.findtext("link")
        assert urlsplit(link).netloc == host and _local(link).is_file(), link
        assert item.findtext("pubDate")


def _sitemap_urls(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    if root.tag == SM + "sitemapindex":
        urls: list[str] = []
        for loc in root.iter(SM + "loc"):
            urls += _sitemap_urls(_local(loc.text.strip()))
        return urls
    assert root.tag == SM + "urlset"
    entries = root.findall(SM + "url")
    assert entries
    for entry in entries:
        news = entry.find("{http://www.google.com/schemas/sitemap-news/0.9}news")
        assert entry.findtext(SM + "lastmod") or news is not None
    return [e.findtext(SM + "loc").strip() for e in entries]


@pytest.mark.parametrize("host", HOSTS)
def test_sitemap_lists_existing_pages(host: str) -> None:
    urls = _sitemap_urls(SITES / host / "sitemap.xml")
    for url in urls:
        assert urlsplit(url).netloc == host and _local(url).is_file(), url


@pytest.mark.parametrize("host", HOSTS)
def test_robots(host: str) -> None:
    lines = (SITES / host / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert any(line.lower().startswith("user-agent:") for line in lines)
    for line in lines:
        if line.lower().startswith("sitemap:"):
            assert _local(line.split(":", 1)[1].strip()).is_file()
