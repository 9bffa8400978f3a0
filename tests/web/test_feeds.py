"""Atom feeds of the front page, a search and a story: well-formed for feedparser."""

from __future__ import annotations

import feedparser
from fastapi.testclient import TestClient


def parsed(client: TestClient, path: str) -> feedparser.FeedParserDict:
    response = client.get(path)
    assert response.status_code == 200, response.text[:200]
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def test_front_page_feed(client: TestClient) -> None:
    feed = parsed(client, "/feed.atom")
    assert feed.version == "atom10" and len(feed.entries) >= 8
    assert all(entry.link.startswith("http://testserver/stories/") for entry in feed.entries)
    assert parsed(client, "/feed.atom?language=ja").entries[0].title.startswith("関東甲信")


def test_search_feed(client: TestClient) -> None:
    feed = parsed(client, "/search.atom?q=distillation")
    assert feed.entries and all(entry.link.startswith("https://") for entry in feed.entries)
    assert "distillation" in feed.feed.title
    assert parsed(client, "/search.atom?q=nothingmatchesthis").entries == []


def test_story_feed(client: TestClient) -> None:
    story = client.get("/api/v1/stories?source=ratewatch.ca").json()["stories"][0]
    feed = parsed(client, f"/stories/{story['id']}.atom")
    assert len(feed.entries) == 3
    assert {entry.author for entry in feed.entries} >= {"ratewatch.ca"}


def test_pages_advertise_their_feeds(client: TestClient) -> None:
    story_id = client.get("/api/v1/stories").json()["stories"][0]["id"]
    for path, feed in (
        ("/", "/feed.atom"),
        ("/search?q=rate", "/search.atom?q=rate"),
        (f"/stories/{story_id}", f"/stories/{story_id}.atom"),
    ):
        html = client.get(path).text
        assert '<link rel="alternate" type="application/atom+xml"' in html
        assert f'href="{feed}"' in html
