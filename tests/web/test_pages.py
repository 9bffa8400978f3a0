"""The server-rendered pages, through the ASGI app (no sockets)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aggregator.store.stories import create_story, merge_story
from aggregator.web.app import make_app
from tests.support import NOW, add_article
from tests.web.conftest import options

SEED_STORY = "Elon Musk confirms xAI used OpenAI"


def story_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-story="(\d+)"', html)]


def test_front_page_lists_stories_in_rank_order(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert 'type="application/atom+xml"' in html and 'href="/feed.atom"' in html
    ranked = client.get("/api/v1/stories?limit=100").json()["stories"]
    scores = [story["score"] for story in ranked]
    assert scores == sorted(scores, reverse=True) and len(ranked) >= 8
    assert story_ids(html) == [story["id"] for story in ranked][: len(story_ids(html))]
    assert "outlets:" in html or "outlet:" in html


def test_front_page_entry_shows_outlets_span_languages_and_lead(client: TestClient) -> None:
    html = client.get("/?source=ratewatch.ca").text
    entry = html[html.index('class="story"') :]
    entry = entry[: entry.index("</li>")]
    assert "Bank of Canada" in entry
    assert "3 outlets" in entry and "ratewatch.ca" in entry and "mapleledger.ca" in entry
    assert "2026-06-03 14:02 \u2013 19:31 UTC" in entry
    assert 'class="lead"' in entry and 'class="langs">en<' in entry


def test_filters_narrow_the_front_page(client: TestClient) -> None:
    assert len(story_ids(client.get("/?language=ja").text)) == 1
    assert len(story_ids(client.get("/?source=ratewatch.ca").text)) == 1
    assert story_ids(client.get("/?from=2026-08-01&to=2026-08-31").text)
    assert not story_ids(client.get("/?from=2020-01-01&to=2020-01-02").text)
    assert client.get("/?from=&to=&language=&source=").status_code == 200


def test_pages_link_to_each_other(client: TestClient) -> None:
    response = client.get("/?page=1", headers={})
    assert response.status_code == 200
    small = TestClient(make_app(client.app.state.site.engine, options(page_size=3)))
    first = small.get("/").text
    assert 'rel="next" href="/?page=2"' in first
    second = small.get("/?page=2").text
    assert 'rel="prev"' in second and set(story_ids(first)).isdisjoint(story_ids(second))


def test_story_page_folds_copies_and_links_each_text(client: TestClient) -> None:
    front = client.get("/").text
    story_id = next(i for i in story_ids(front) if SEED_STORY in _entry(front, i))
    html = client.get(f"/stories/{story_id}").text
    assert html.count('class="coverage"') == 5  # six articles, one of them a copy
    assert html.count("Syndicated copy") == 1
    texts = re.findall(r'<a href="(/articles/\d+)">Read the cleaned text</a>', html)
    assert len(texts) == 5
    article = client.get(texts[0])
    assert article.status_code == 200 and f'href="/stories/{story_id}"' in article.text
    assert article.text.count("<p>") > 1  # the cleaned text, one paragraph per line
    assert client.get("/articles/999999").status_code == 404
    assert f'href="/stories/{story_id}.atom"' in html
    times = re.findall(r'class="coverage"[^>]*>\s*<p class="meta"><time>([^<]+)</time>', html)
    assert times == sorted(times)


def test_long_stories_are_paged(client: TestClient) -> None:
    front = client.get("/").text
    story_id = next(i for i in story_ids(front) if SEED_STORY in _entry(front, i))
    small = TestClient(make_app(client.app.state.site.engine, options(story_page_size=2)))
    pages = [small.get(f"/stories/{story_id}?page={n}").text for n in (1, 2, 3)]
    assert [page.count('class="coverage"') for page in pages] == [2, 2, 1]
    assert f'rel="next" href="/stories/{story_id}?page=2"' in pages[0]
    assert 'rel="prev"' in pages[2] and 'rel="next"' not in pages[2]
    assert "6 articles" in pages[2]  # the header counts the whole story
    assert small.get(f"/stories/{story_id}?page=4").status_code == 404


def _entry(html: str, story_id: int) -> str:
    start = html.index(f'data-story="{story_id}"')
    return html[start : html.index("</li>", start)]


def test_sources_pages(client: TestClient) -> None:
    assert client.get("/sources").status_code == 200
    html = client.get("/sources/ratewatch.ca").text
    assert "Recent articles" in html and "Bank of Canada" in html
    assert client.get("/sources/nobody.example").status_code == 404


def test_search_page_groups_results_by_story(client: TestClient) -> None:
    html = client.get("/search?q=musk").text
    assert "<mark>" in html and 'class="result"' in html
    assert 'type="application/atom+xml"' in html and "/search.atom?q=musk" in html
    assert "Chinese and Japanese" in client.get("/search").text
    assert "梅雨明け" in client.get("/search?q=梅雨明け").text


def test_search_page_with_filters(client: TestClient) -> None:
    every = client.get("/search?q=rate").text.count('class="result"')
    narrowed = client.get("/search?q=rate&source=ratewatch.ca").text.count('class="result"')
    assert every > narrowed == 1


def test_merged_story_redirects_to_the_absorbing_story(engine: Engine) -> None:
    with Session(engine) as session:
        into, other = create_story(session, "Into", NOW), create_story(session, "Other", NOW)
        add_article(session, story_id=into.id)
        merge_story(session, into, other.id)
        session.commit()
        old, new = other.id, into.id
    client = TestClient(make_app(engine, options()))
    for path, target in (
        (f"/stories/{old}", f"/stories/{new}"),
        (f"/api/v1/stories/{old}", f"/api/v1/stories/{new}"),
        (f"/stories/{old}.atom", f"/stories/{new}.atom"),
    ):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 301 and response.headers["location"] == target
    assert client.get(f"/stories/{old}").status_code == 200


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/", "/search?q=x", "/api/v1/stories", "/feed.atom", "/nowhere", "/metrics"):
        headers = client.get(path).headers
        assert "script-src" not in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
