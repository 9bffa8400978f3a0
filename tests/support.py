"""Paths and helpers shared by test modules."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from aggregator.store.schema import Article, Page

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SITES = FIXTURES / "sites"
SHARED = REPO.parent / "shared"
# The fixtures' news is from 2026; a clock just after it keeps rankings stable.
NOW = datetime(2026, 9, 1, 12, 0)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or a skip with the reason when this checkout has none."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not present: benchmark data lives beside the repository, in CI")
    return path


def expectations(sites: Path = SITES) -> list[tuple[Path, dict[str, Any]]]:
    """Every fixture page (under ``sites``) with its sidecar expectation, in a stable order."""
    pairs = []
    for sidecar in sorted(sites.rglob("*.expected.json")):
        page = sidecar.with_name(sidecar.name.removesuffix(".expected.json") + ".html")
        pairs.append((page, json.loads(sidecar.read_text(encoding="utf-8"))))
    return pairs


def article_expectations(sites: Path = SITES) -> list[tuple[Path, dict[str, Any]]]:
    return [(page, spec) for page, spec in expectations(sites) if spec.get("article", True)]


def add_article(session: Session, **fields: Any) -> Article:
    """Store one article (and the page it came from) with the given fields."""
    url = fields.setdefault("url", f"https://example.com/{uuid.uuid4().hex}")
    page = Page(url=url, fetched_at=NOW, outcome="article", origin="fetch", body_size=0)
    session.add(page)
    session.flush()
    defaults: dict[str, Any] = {
        "source_name": "example.com",
        "title": "A title",
        "text": "A body.",
        "first_seen": NOW,
        "published_at": NOW,
        "content_hash": uuid.uuid4().hex,
        "simhash": 0,
        "language": "en",
    }
    article = Article(page_id=page.id, **(defaults | fields))
    session.add(article)
    session.flush()
    return article
