"""An article's time comes from the best evidence there is, and is unknown without any (issue 12).

The page's own date, then the date its feed or sitemap gave it, then the HTTP Last-Modified
header; never the time it was fetched. An unknown time is no evidence for or against a story.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aggregator.listings import find_listings, listing_dates, saved_listing_dates
from aggregator.models import CleanedArticle, FeedItem
from aggregator.pipeline import PageInput, article_time
from aggregator.store.articles import moment_of
from tests.support import SITES

OWN = datetime(2026, 4, 30, 9, 0, tzinfo=UTC)
LISTED = datetime(2026, 4, 30, 12, 0)
FETCHED = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
HEADER = "Fri, 01 May 2026 08:00:00 GMT"


def page(*, listed_at: datetime | None = None, last_modified: str | None = None) -> PageInput:
    return PageInput(
        url="https://news.example/a",
        body=b"",
        fetched_at=FETCHED,
        listed_at=listed_at,
        last_modified=last_modified,
    )


def article(published: datetime | None) -> CleanedArticle:
    return CleanedArticle(title="A", text="Body.", published=published)


def test_the_page_s_own_date_comes_first() -> None:
    assert article_time(page(listed_at=LISTED, last_modified=HEADER), article(OWN)) == OWN


def test_then_the_listing_s_date() -> None:
    assert article_time(page(listed_at=LISTED, last_modified=HEADER), article(None)) == LISTED


def test_then_last_modified() -> None:
    expected = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    assert article_time(page(last_modified=HEADER), article(None)) == expected


def test_otherwise_unknown_never_the_fetch_time() -> None:
    assert article_time(page(last_modified="yesterday-ish"), article(None)) is None
    assert article_time(page(), article(None)) is None


def test_an_unknown_time_stays_unknown_for_the_story_stage() -> None:
    seen = datetime(2026, 9, 1, 12, 0)
    assert moment_of(None, seen) is None
    assert moment_of(datetime(2026, 4, 30), seen) == datetime(2026, 4, 30)
    assert moment_of(datetime(2027, 1, 1), seen) == seen  # a future date is capped


def test_a_feed_entry_date_beats_a_sitemap_s_and_news_dates_beat_lastmod() -> None:
    url = "https://news.example/a"
    items = [
        FeedItem(url, published=datetime(2026, 4, 29, tzinfo=UTC), dated_by="lastmod"),
        FeedItem(url, published=datetime(2026, 4, 30, 6, tzinfo=UTC), dated_by="news"),
        FeedItem(url, published=datetime(2026, 4, 30, 12, tzinfo=UTC), dated_by="entry"),
        FeedItem("https://news.example/b", published=None),
        FeedItem("https://news.example/c", published=datetime(2026, 5, 2), dated_by="lastmod"),
        FeedItem("https://news.example/c", published=datetime(2026, 5, 3), dated_by="lastmod"),
    ]
    assert listing_dates(items) == {url: LISTED, "https://news.example/c": datetime(2026, 5, 2)}
    assert listing_dates(reversed(items)) == listing_dates(items)


def test_saved_feeds_and_sitemaps_give_the_dates_fetched_ones_do(tmp_path: Path) -> None:
    dates = saved_listing_dates(find_listings([SITES]))
    explainer = "https://bytewisebrief.com/explainers/what-is-model-distillation.html"
    assert explainer in dates  # the page declares no date; its feed does
    broken = tmp_path / "feed.xml"
    broken.write_bytes(b"<rss><channel><item><link>nope")
    assert saved_listing_dates([broken, tmp_path / "gone.xml"]) == {}
