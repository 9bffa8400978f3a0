"""`aggregator fetch` against sources that misbehave: a feed of 5,000 items, an HTML page where a
feed was configured, sitemap indexes that loop, XML entity attacks, a 20 MB feed and feeds full
of links to refused addresses. Each cycle stays bounded, reads what can be read and records the
rest with a kind an operator can query."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from aggregator.store.engine import normalize_url
from aggregator.store.schema import Fetch, SourceRow
from tests.daemon.test_fetch import fetch
from tests.loopback import LoopbackServer

BIG_FEED_ITEMS = 5000
PER_CYCLE = 15
HOSTS = ("big.test", "html.test", "loop.test", "xxe.test", "huge.test", "refuse.test")
REFUSED_LINKS = (
    "http://127.0.0.2/2024/05/refused-story-one",
    "http://[::ffff:127.0.0.2]/2024/05/refused-story-two",
    "http://2130706434/2024/05/refused-story-three",
    "http://0177.0.0.2/2024/05/refused-story-four",
    "http://localhost./2024/05/refused-story-five",
    "http://[fd00::1]/2024/05/refused-story-six",
)


def _page(title: str) -> str:
    return f"<!doctype html><html><head><title>{title}</title></head><body><p>{title}</p></body>"


def _rss(links: list[str]) -> str:
    items = "".join(f"<item><title>t</title><link>{link}</link></item>" for link in links)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _sites(root: Path) -> None:
    links = [f"http://big.test/a/story-number-{i:04d}" for i in range(BIG_FEED_ITEMS)]
    _write(root / "big.test" / "feed.xml", _rss(links))
    for i in range(BIG_FEED_ITEMS):
        _write(root / "big.test" / "a" / f"story-number-{i:04d}.html", _page(f"story {i}"))
    # A homepage configured as the feed: it announces the real one.
    _write(
        root / "html.test" / "news.html",
        '<!doctype html><html><head><link rel="alternate" type="application/rss+xml" '
        'href="/real.xml"></head><body><p>news</p></body></html>',
    )
    _write(root / "html.test" / "real.xml", _rss(["http://html.test/2024/05/found-via-html"]))
    _write(root / "html.test" / "2024" / "05" / "found-via-html.html", _page("found"))
    index = "<sitemapindex><sitemap><loc>{}</loc></sitemap><sitemap><loc>{}</loc></sitemap>"
    urlset = "<urlset><url><loc>http://loop.test/2024/05/in-the-loop</loc></url></urlset>"
    _write(root / "loop.test" / "a.xml", index.format("/a.xml", "/b.xml"))
    _write(root / "loop.test" / "b.xml", index.format("/a.xml", "/urls.xml"))
    _write(root / "loop.test" / "urls.xml", urlset)
    _write(root / "loop.test" / "2024" / "05" / "in-the-loop.html", _page("loop"))
    _write(
        root / "xxe.test" / "feed.xml",
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<rss version="2.0"><channel><title>&x;</title><item><link>http://xxe.test/&x;</link>'
        "</item></channel></rss>",
    )
    _write(root / "refuse.test" / "feed.xml", _rss(list(REFUSED_LINKS)))


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackServer]:
    root = tmp_path_factory.mktemp("hostile")
    _sites(root)
    with LoopbackServer(root) as server:
        yield server


def _config(path: Path, server: LoopbackServer) -> Path:
    resolve = ", ".join(f'"{host}" = "127.0.0.1:{server.port}"' for host in HOSTS)
    allowed = ", ".join(f'"{host}"' for host in HOSTS)  # by name only: 127.0.0.2 stays refused
    feeds = {
        "big.test": "/feed.xml",
        "html.test": "/news",
        "xxe.test": "/feed.xml",
        "huge.test": "/_fault/huge?mb=20",
        "refuse.test": "/feed.xml",
    }
    lines = [
        "[fetch]",
        f"allow_private = [{allowed}]",
        "per_host_delay = 0",
        "max_crawl_delay = 0",
        "timeout = 5",
        "retries = 0",
        # Well under the 20 MB feed, so it is cut off after a few MB even when a loaded machine
        # streams it slowly (at the default 15 MiB it could hit the timeout first).
        f"max_bytes = {4 * 1024 * 1024}",
        f"max_articles_per_cycle = {PER_CYCLE}",
        f"resolve = {{ {resolve} }}",
        "[schedule]",
        "workers = 1",
    ]
    for host, feed in feeds.items():
        lines += ["[[sources]]", f'name = "{host}"', f'homepage = "http://{host}/"']
        lines += [f'feeds = ["http://{host}{feed}"]']
    lines += ["[[sources]]", 'name = "loop.test"', 'homepage = "http://loop.test/"']
    lines += ['sitemaps = ["http://loop.test/a.xml"]']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _fetch_rows(database_url: str) -> list[Fetch]:
    engine = create_engine(normalize_url(database_url))
    with Session(engine, expire_on_commit=False) as session:
        rows = list(session.scalars(select(Fetch).order_by(Fetch.id)))
    engine.dispose()
    return rows


def _last_errors(database_url: str) -> dict[str, str | None]:
    engine = create_engine(normalize_url(database_url))
    with Session(engine) as session:
        found = {row.name: row.last_error for row in session.scalars(select(SourceRow))}
    engine.dispose()
    return found


def test_hostile_sources_are_bounded_read_and_recorded(
    database_url: str, hostile_server: LoopbackServer, tmp_path: Path
) -> None:
    config = _config(tmp_path / "hostile.toml", hostile_server)
    hostile_server.clear()
    fetch(database_url, config)
    rows = _fetch_rows(database_url)
    requests = hostile_server.requests

    def pages(host: str) -> list[str]:
        return [r.url for r in rows if r.kind == "page" and r.url.startswith(f"http://{host}/")]

    # 5,000 items: one cycle fetches max_articles_per_cycle of them.
    assert len(pages("big.test")) == PER_CYCLE
    # The HTML page configured as a feed led to the feed it announces, and on to its article.
    assert pages("html.test") == ["http://html.test/2024/05/found-via-html"]
    # Two indexes listing each other (and themselves) are each read once.
    loop_paths = [r.path for r in requests if r.host == "loop.test" and r.path != "/robots.txt"]
    assert sorted(loop_paths) == ["/2024/05/in-the-loop", "/a.xml", "/b.xml", "/urls.xml"]
    # A 20 MB feed is cut off at fetch.max_bytes.
    (huge,) = [r for r in rows if r.url.startswith("http://huge.test/")]
    assert huge.error_kind == "too_large"
    # Refused addresses: one row each, of their own kind, and not one connection.
    refused = [r for r in rows if "refused-story" in r.url]
    assert len(refused) == len(REFUSED_LINKS)
    assert {r.error_kind for r in refused} == {"address_refused"}
    assert all("robots" not in (r.error_message or "") for r in refused)
    assert {r.host for r in requests} <= set(HOSTS)
    errors = _last_errors(database_url)
    assert "XML entity declarations refused" in (errors["xxe.test"] or "")
    assert "passwd" not in str([r.error_message for r in rows if r.url.startswith("http://xxe")])

    # The next cycle takes the next items of the big feed: it is read again in full (no
    # validators were kept while items were left over), and nothing fetched is fetched again.
    hostile_server.clear()
    fetch(database_url, config)
    second = _fetch_rows(database_url)[len(rows) :]
    big_pages = [r.url for r in second if r.kind == "page" and "big.test" in r.url]
    assert len(big_pages) == PER_CYCLE and not set(big_pages) & set(pages("big.test"))
    (big_feed,) = [r for r in second if r.kind == "feed" and "big.test" in r.url]
    assert not big_feed.not_modified
    by_url = {r.url: r for r in second if r.kind == "feed"}
    assert not by_url["http://html.test/news"].not_modified, "the page is read for its feeds"
    assert by_url["http://html.test/real.xml"].not_modified, "listings stay conditional"
