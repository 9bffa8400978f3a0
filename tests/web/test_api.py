"""The JSON API: shapes, cursor pagination, redirects from the old addresses, and OpenAPI."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_stories_cursor_walks_every_story_once(client: TestClient) -> None:
    everything = [s["id"] for s in client.get("/api/v1/stories?limit=200").json()["stories"]]
    seen: list[int] = []
    cursor = ""
    for _ in range(50):
        page = client.get(f"/api/v1/stories?limit=3&cursor={cursor}").json()
        seen += [story["id"] for story in page["stories"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything


def test_story_and_articles(client: TestClient) -> None:
    story = client.get("/api/v1/stories?source=ratewatch.ca").json()["stories"][0]
    assert story["outlets"] and story["lead"] and story["languages"] == ["en"]
    detail = client.get(f"/api/v1/stories/{story['id']}").json()
    assert len(detail["articles"]) == 3 and all(a["text"] for a in detail["articles"])
    first = client.get("/api/v1/articles?limit=5").json()
    second = client.get(f"/api/v1/articles?limit=5&cursor={first['next_cursor']}").json()
    ids = [a["id"] for a in first["articles"] + second["articles"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 10
    one = client.get(f"/api/v1/articles/{ids[0]}").json()
    assert one["text"] and one["id"] == ids[0]


def test_search_api(client: TestClient) -> None:
    found = client.get("/api/v1/search?q=musk&limit=2").json()
    assert len(found["results"]) == 2 and found["next_cursor"]
    hit = found["results"][0]["articles"][0]
    assert "<mark>" in hit["snippet_html"] and "<mark>" not in hit["snippet"]
    more = client.get(f"/api/v1/search?q=musk&limit=2&cursor={found['next_cursor']}").json()
    first_ids = {r["story_id"] for r in found["results"]}
    assert first_ids.isdisjoint({r["story_id"] for r in more["results"]})
    assert client.get("/api/v1/search?q=梅雨明け").json()["results"][0]["articles"]


def test_sources_api(client: TestClient) -> None:
    assert client.get("/api/v1/sources").json() == []


@pytest.mark.parametrize(
    ("old", "new"),
    [("/stories.json", "/api/v1/stories"), ("/stories.json?limit=5", "/api/v1/stories?limit=5")],
)
def test_old_json_addresses_redirect(client: TestClient, old: str, new: str) -> None:
    response = client.get(old, follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == new
    story_id = client.get("/api/v1/stories").json()["stories"][0]["id"]
    moved = client.get(f"/stories/{story_id}.json", follow_redirects=False)
    assert moved.headers["location"] == f"/api/v1/stories/{story_id}"


def test_openapi_describes_every_endpoint(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/v1/stories",
        "/api/v1/stories/{story_id}",
        "/api/v1/articles",
        "/api/v1/articles/{article_id}",
        "/api/v1/search",
        "/api/v1/sources",
    }
