"""Mangled fixtures through the cleaner and every parser: an article, a recorded problem or a
typed ``AggregatorError``, never another exception, and never much slower than a normal page."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.clean import clean_html
from aggregator.clean.limits import MAX_TEXT_CHARS, MAX_TITLE_CHARS
from aggregator.errors import AggregatorError
from aggregator.fetch.feeds import FeedParse, parse_feed
from aggregator.fetch.robots import RobotsRules
from aggregator.fetch.sitemaps import SitemapParse, parse_sitemap
from tests.fuzz.mangle import MANGLERS, fixture_documents, fixture_pages, mangle

# Generous for two shared cores; a normal fixture page cleans in well under 0.1 s.
SECONDS_PER_INPUT = 10.0
PAGES = fixture_pages()
FEEDS = fixture_documents("feed.xml")
SITEMAPS = fixture_documents("sitemap.xml")
ROBOTS = fixture_documents("robots.txt")
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def _mangled(paths: list[Path], index: int, which: int, seed: int) -> tuple[bytes, str | None]:
    m = mangle(paths[index % len(paths)].read_bytes(), which, seed)
    return m.body, m.charset


def clean_or_typed_error(body: bytes, charset: str | None) -> None:
    """The property itself: an article within bounds, or one of our errors, in bounded time."""
    started = time.perf_counter()
    try:
        article = clean_html(body, charset=charset, url="https://news.example/2024/05/a-story")
    except AggregatorError as exc:
        assert str(exc).startswith(exc.stage + ": "), exc
    else:
        assert article.text.strip()
        assert len(article.title) <= MAX_TITLE_CHARS and len(article.text) <= MAX_TEXT_CHARS
    assert time.perf_counter() - started < SECONDS_PER_INPUT


def test_every_mangler_is_exercised_on_every_page() -> None:
    assert PAGES and FEEDS and SITEMAPS and ROBOTS
    for which in range(len(MANGLERS)):
        body, charset = _mangled(PAGES, which, which, seed=which)
        clean_or_typed_error(body, charset)


@settings(FUZZ, max_examples=50)
@given(
    index=st.integers(min_value=0, max_value=10_000),
    which=st.integers(min_value=0, max_value=len(MANGLERS) - 1),
    seed=st.integers(min_value=0, max_value=2**32),
    twice=st.booleans(),
)
def test_mangled_pages(index: int, which: int, seed: int, twice: bool) -> None:
    body, charset = _mangled(PAGES, index, which, seed)
    if twice:  # damage on damage: a truncated UTF-16 page, flipped bytes in a deep one...
        again = mangle(body, seed, seed + 1)
        body, charset = again.body, charset or again.charset
    clean_or_typed_error(body, charset)


def _parsed_in_time(parse: object, body: bytes) -> FeedParse | SitemapParse:
    started = time.perf_counter()
    result = parse(body, "https://news.example/feed.xml")  # type: ignore[operator]
    assert time.perf_counter() - started < SECONDS_PER_INPUT
    assert isinstance(result, FeedParse | SitemapParse)
    assert result.error_kind is not None or result.error is None
    return result


@settings(FUZZ, max_examples=40)
@given(
    index=st.integers(min_value=0, max_value=10_000),
    which=st.integers(min_value=0, max_value=len(MANGLERS) - 1),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_mangled_feeds_and_sitemaps(index: int, which: int, seed: int) -> None:
    _parsed_in_time(parse_feed, _mangled(FEEDS, index, which, seed)[0])
    _parsed_in_time(parse_sitemap, _mangled(SITEMAPS, index, which, seed)[0])


@settings(FUZZ, max_examples=40)
@given(
    index=st.integers(min_value=0, max_value=10_000),
    which=st.integers(min_value=0, max_value=len(MANGLERS) - 1),
    seed=st.integers(min_value=0, max_value=2**32),
    junk=st.text(max_size=200),
)
def test_mangled_robots(index: int, which: int, seed: int, junk: str) -> None:
    body = _mangled(ROBOTS, index, which, seed)[0]
    text = body.decode("utf-8", errors="replace") + "\n" + junk
    started = time.perf_counter()
    rules = RobotsRules.parse(text, "aggregator")
    rules.allows("https://news.example/2024/05/a-story")
    assert rules.crawl_delay is None or rules.crawl_delay >= 0
    assert isinstance(rules.sitemaps, tuple)
    assert time.perf_counter() - started < SECONDS_PER_INPUT


@pytest.mark.parametrize(
    "line",
    # Superscript two, Arabic-Indic digits: str.isdigit() says yes, int() says no.
    ["Crawl-delay: \u00b2", "Crawl-delay: \u0663", "Request-rate: \u0661/\u0665", "Sitemap:"],
)
def test_robots_lines_that_crash_robotparser(line: str) -> None:
    rules = RobotsRules.parse(f"User-agent: *\n{line}\nDisallow: /private", "aggregator")
    assert not rules.allows("https://news.example/private")
