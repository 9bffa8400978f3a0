"""The read-only web page, called as a WSGI application (no sockets needed)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import InternalError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from aggregator.dedup.cluster import ClusterSettings
from aggregator.pipeline import Ingestor
from aggregator.replay import find_pages, replay
from aggregator.store.readonly import read_only_session
from aggregator.web.app import make_app
from tests.support import FIXTURES


def get(engine: Engine, path: str) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    path, _, query = path.partition("?")
    body = b"".join(make_app(engine)({"PATH_INFO": path, "QUERY_STRING": query}, start_response))
    return seen["status"], seen["headers"], body


@pytest.fixture
def filled(engine: Engine) -> Engine:
    with Session(engine) as session:
        replay(Ingestor(session, ClusterSettings()), find_pages([FIXTURES]))
    return engine


def test_story_list_and_detail(filled: Engine) -> None:
    status, headers, body = get(filled, "/")
    assert status == "200 OK" and headers["Content-Type"].startswith("text/html")
    assert b"Latest stories" in body
    status, _headers, body = get(filled, "/stories.json?limit=5")
    stories = json.loads(body)
    assert 0 < len(stories) <= 5
    story_id = stories[0]["id"]
    status, _headers, body = get(filled, f"/stories/{story_id}")
    assert status == "200 OK" and stories[0]["title"].encode() in body.replace(b"&#x27;", b"'")
    status, _headers, body = get(filled, f"/stories/{story_id}.json")
    assert all(article["text"] for article in json.loads(body)["articles"])


def test_unknown_paths_are_404(filled: Engine) -> None:
    assert get(filled, "/stories/99999")[0].startswith("404")
    assert get(filled, "/admin")[0].startswith("404")


def test_titles_are_escaped(engine: Engine) -> None:
    with Session(engine) as session:
        session.execute(
            text(
                "INSERT INTO stories (title, first_seen, last_updated, article_count) "
                "VALUES ('<script>x</script>', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0)"
            )
        )
        session.commit()
    _status, _headers, body = get(engine, "/")
    assert b"<script>x" not in body and b"&lt;script&gt;" in body


def test_read_only_session_cannot_write(engine: Engine) -> None:
    errors = (OperationalError, ProgrammingError, InternalError)
    with pytest.raises(errors), read_only_session(engine) as session:
        session.execute(text("DELETE FROM stories"))
