"""Every fixture page against its sidecar: adding a page under fixtures/sites adds a test."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from aggregator.clean import clean_html
from aggregator.errors import ExtractError
from tests.support import SITES, expectations

PAGES = expectations()


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _params(article: bool) -> list[Any]:
    return [
        pytest.param(page, spec, id=page.relative_to(SITES).as_posix())
        for page, spec in PAGES
        if bool(spec.get("article", True)) is article
    ]


@pytest.mark.parametrize(("page", "spec"), _params(article=True))
def test_article_text(page: Path, spec: dict[str, Any]) -> None:
    article = clean_html(page.read_bytes(), url=spec.get("url"))
    text = _flat(article.text)
    missing = [s for s in spec.get("must_contain", []) if _flat(s) not in text]
    leaked = [s for s in spec.get("must_not_contain", []) if _flat(s) in text]
    assert not missing, f"lost article text: {missing}"
    assert not leaked, f"residue left in: {leaked}"


@pytest.mark.parametrize(("page", "spec"), _params(article=True))
def test_article_metadata(page: Path, spec: dict[str, Any]) -> None:
    article = clean_html(page.read_bytes(), url=spec.get("url"))
    if "title" in spec:
        assert article.title == spec["title"]
    if "language" in spec:
        assert article.language == spec["language"]
    if "authors" in spec:
        assert list(article.authors) == spec["authors"]
    if spec.get("published"):
        assert article.published is not None
        assert article.published.date().isoformat() == spec["published"]


@pytest.mark.parametrize(("page", "spec"), _params(article=True))
def test_every_removal_names_its_rule(page: Path, spec: dict[str, Any]) -> None:
    article = clean_html(page.read_bytes(), url=spec.get("url"))
    assert article.removals, "a fixture page with residue should record removals"
    assert all(re.fullmatch(r"(dom|text|site):[a-z-]+", r.rule) for r in article.removals)
    assert not clean_html(page.read_bytes(), url=spec.get("url"), explain=False).removals


@pytest.mark.parametrize(("page", "spec"), _params(article=False))
def test_listing_pages_are_not_articles(page: Path, spec: dict[str, Any]) -> None:
    with pytest.raises(ExtractError, match="not an article"):
        clean_html(page.read_bytes(), url=spec.get("url"))
