"""Scraped text is data: hostile titles, bodies, bylines and URLs show as text, never run."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aggregator.store.stories import create_story
from aggregator.web.app import make_app
from aggregator.web.security import http_url
from tests.support import NOW, add_article
from tests.web.conftest import options

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture
def hostile(engine: Engine) -> tuple[TestClient, int]:
    with Session(engine) as session:
        story = create_story(session, HOSTILE, NOW)
        add_article(
            session,
            story_id=story.id,
            title=HOSTILE + " headline",
            text=HOSTILE + "\nSecond paragraph javascript:alert(3)",
            url="javascript:alert(4)",
            authors='["<b onmouseover=alert(5)>Mallory</b>"]',
        )
        add_article(
            session, story_id=story.id, title="Data link", url="data:text/html,<script>x</script>"
        )
        session.commit()
        story_id = story.id
    return TestClient(make_app(engine, options())), story_id


def test_pages_show_hostile_text_escaped(hostile: tuple[TestClient, int]) -> None:
    client, story_id = hostile
    article = _first_article(client, story_id)
    pages = ("/", f"/stories/{story_id}", article, "/search?q=alert", "/search?q=headline")
    for path in pages:
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "<b onmouseover" not in html
        assert 'href="javascript:' not in html and 'href="data:' not in html
    story = client.get(f"/stories/{story_id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in story
    assert 'class="unlinked"' in story
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(article).text


def _first_article(client: TestClient, story_id: int) -> str:
    html = client.get(f"/stories/{story_id}").text
    start = html.index('href="/articles/') + len('href="')
    return html[start : html.index('"', start)]


def test_feeds_and_api_carry_hostile_text_as_text(hostile: tuple[TestClient, int]) -> None:
    client, story_id = hostile
    atom = client.get(f"/stories/{story_id}.atom").text
    assert "<script>" not in atom and "&lt;script&gt;" in atom
    assert 'href="javascript:' not in atom
    api = client.get(f"/api/v1/stories/{story_id}").json()
    assert api["title"] == HOSTILE


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://example.com/a?b=c", True),
        ("http://example.com/", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,x", False),
        ("//example.com/a", False),
        ("https:///nohost", False),
        ("java\tscript:alert(1)", False),
        (" https://example.com/", False),
        ("vbscript:x", False),
        ("", False),
    ],
)
def test_only_http_urls_become_links(url: str, linked: bool) -> None:
    assert (http_url(url) is not None) is linked
