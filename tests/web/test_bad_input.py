"""Whatever a reader types or a client sends: a clear 4xx, never a server error."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

QUERIES = [
    "x" * 10_000,
    "",
    "   ",
    '"unbalanced',
    "*",
    "NEAR(",
    "NEAR(a b",
    "a AND OR NOT",
    "'; DROP TABLE articles; --",
    "1 OR 1=1",
    "\\",
    "%",
    "()",
    "-",
    "\x00",
    "é" * 600,
]


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_search_never_fails_on_a_query(client: TestClient, query: str) -> None:
    q = quote(query)
    for path in (f"/search?q={q}", f"/api/v1/search?q={q}", f"/search.atom?q={q}"):
        response = client.get(path)
        assert response.status_code < 500, (path, response.text[:200])
        if response.status_code >= 400:
            assert len(response.text) < 20_000
            if path.startswith("/api/"):
                assert "error" in response.json() or "detail" in response.json()


def test_unbalanced_quote_says_so(client: TestClient) -> None:
    response = client.get('/search?q="bank')
    assert response.status_code == 400 and "quote" in response.text
    assert client.get('/api/v1/search?q="bank').json() == {"error": 'a quote (") is not closed'}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/stories/abc", 400),
        ("/stories/0", 400),
        ("/stories/-1", 400),
        ("/stories/99999", 404),
        ("/stories/99999999999999999999", 400),
        ("/stories/1.5", 400),
        ("/?page=9999", 404),
        ("/?page=0", 400),
        ("/?page=x", 400),
        ("/?from=yesterday", 400),
        ("/?from=2026-13-45", 400),
        ("/?from=2026-09-01&to=2026-01-01", 400),
        ("/search?q=musk&page=500", 404),
        ("/api/v1/stories/abc", 422),
        ("/api/v1/stories/99999", 404),
        ("/api/v1/articles/99999", 404),
        ("/api/v1/stories?cursor=not-a-cursor", 400),
        ("/api/v1/stories?cursor=e30", 400),
        ("/api/v1/search?q=musk&cursor=!!!", 400),
        ("/api/v1/articles?cursor=eyJiZWZvcmUiOiAtMX0", 400),
        ("/api/v1/stories?limit=100000", 422),
        ("/stories/abc.atom", 400),
        ("/nowhere", 404),
        ("/?source=%00", 400),
        ("/sources/%00", 400),
        ("/search?q=a&language=%00", 400),
        ("/api/v1/stories?language=%00", 422),
        ("/api/v1/nowhere", 404),
    ],
)
def test_bad_addresses_are_clear_4xx(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status, response.text[:300]
    if path.startswith("/api/"):
        assert response.headers["content-type"].startswith("application/json")
    elif not path.endswith(".atom"):
        assert "<h1>" in response.text and "Traceback" not in response.text
