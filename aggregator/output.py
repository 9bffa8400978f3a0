"""Plain-data and text renderings of articles and stories for the CLI and the web page."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Types only: importing cycle or store here would load the crawler and SQLAlchemy into
# commands that merely print a cleaned page (issue 14).
if TYPE_CHECKING:
    from aggregator.cycle import CycleReport
    from aggregator.models import CleanedArticle
    from aggregator.store.queries import ArticleView, StoryView
    from aggregator.store.retention import PruneCounts, RetentionPolicy
    from aggregator.store.schema import SourceRow
    from aggregator.store.search import SearchPage
    from aggregator.store.status import Status

__all__ = [
    "article_record",
    "article_text",
    "cycle_line",
    "isoformat",
    "prune_lines",
    "search_records",
    "search_text",
    "source_record",
    "status_record",
    "status_text",
    "story_record",
    "story_text",
]


def isoformat(moment: datetime | None) -> str | None:
    """UTC timestamps as ISO 8601 with a Z (stored timestamps are naive UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.isoformat(timespec="seconds") + "Z"
    return moment.isoformat(timespec="seconds")


def article_record(
    path: Path, url: str | None, article: CleanedArticle, *, explain: bool = False
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "path": str(path),
        "url": article.canonical_url or url or path.resolve().as_uri(),
        "title": article.title,
        "authors": list(article.authors),
        "published": isoformat(article.published),
        "language": article.language,
        "image": article.image,
        "text": article.text,
    }
    if explain:
        record["removals"] = [{"rule": r.rule, "text": r.text} for r in article.removals]
        record["restored"] = list(article.restored)
    return record


def article_text(path: Path, article: CleanedArticle, *, explain: bool = False) -> str:
    lines = [f"# {article.title}", f"path: {path}"]
    if article.canonical_url:
        lines.append(f"url: {article.canonical_url}")
    if article.authors:
        lines.append(f"authors: {', '.join(article.authors)}")
    if article.published:
        lines.append(f"published: {isoformat(article.published)}")
    if article.language:
        lines.append(f"language: {article.language}")
    lines += ["", article.text, ""]
    if explain:
        lines.append(f"removed ({len(article.removals)}):")
        lines += [f"  [{r.rule}] {_one_line(r.text)}" for r in article.removals]
        if article.restored:
            lines.append(f"restored ({len(article.restored)}), left out by the extractor:")
            lines += [f"  [restore:lead] {_one_line(text)}" for text in article.restored]
        lines.append("")
    return "\n".join(lines)


def _one_line(text: str, width: int = 100) -> str:
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" …") or repr(text)


def _article_record(article: ArticleView, *, with_text: bool) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "source": article.source,
        "published": isoformat(article.published),
        "first_seen": isoformat(article.first_seen),
        "language": article.language,
        "authors": list(article.authors),
        "duplicate_of": article.duplicate_of,
        "duplicate_of_id": article.duplicate_of_id,
    }
    if with_text:
        record["text"] = article.text
        record["removals"] = list(article.removals)
    return record


def story_record(story: StoryView, *, with_text: bool = False) -> dict[str, Any]:
    return {
        "id": story.id,
        "title": story.title,
        "first_seen": isoformat(story.first_seen),
        "last_updated": isoformat(story.last_updated),
        "article_count": story.article_count,
        "articles": [_article_record(a, with_text=with_text) for a in story.articles],
    }


def story_text(story: StoryView) -> str:
    lines = [
        f"story {story.id}: {story.title}",
        f"first seen {isoformat(story.first_seen)}, updated {isoformat(story.last_updated)}, "
        f"{story.article_count} articles",
        "",
    ]
    for article in story.articles:
        copy = f"  (copy of {article.duplicate_of})" if article.duplicate_of else ""
        lines.append(f"- [{article.source}] {article.title}{copy}")
        lines.append(f"  {article.url}  published {isoformat(article.published) or 'unknown'}")
    return "\n".join(lines)


def source_record(row: SourceRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "homepage": row.homepage,
        "feeds": json.loads(row.feeds or "[]"),
        "sitemaps": json.loads(row.sitemaps or "[]"),
        "interval_seconds": row.interval_seconds,
        "language": row.language,
        "enabled": row.enabled,
        "last_run_at": isoformat(row.last_run_at),
        "last_success_at": isoformat(row.last_success_at),
        "last_error_at": isoformat(row.last_error_at),
        "last_error": row.last_error,
        "consecutive_failures": row.consecutive_failures,
        "next_run_at": isoformat(row.next_run_at),
    }


def cycle_line(report: CycleReport) -> str:
    return (
        f"{report.source}: requests {report.requests}, not modified {report.not_modified}, "
        f"links {report.discovered}, fetched {report.fetched}, new pages {report.stored}, "
        f"errors {len(report.errors)}"
    )


def search_records(page: SearchPage) -> list[dict[str, Any]]:
    """Search results as the API gives them (snippets as plain text)."""
    return [
        {
            "story_id": hit.story_id,
            "title": hit.title,
            "score": round(hit.score, 6),
            "articles": [
                {
                    "id": article.id,
                    "title": article.title,
                    "url": article.url,
                    "source": article.source,
                    "published": isoformat(article.published),
                    "language": article.language,
                    "score": round(article.score, 6),
                    "snippet": "".join(segment.text for segment in article.snippet),
                }
                for article in hit.articles
            ],
        }
        for hit in page.results
    ]


def search_text(page: SearchPage) -> str:
    """Search results for a terminal: matches in [brackets]."""
    if not page.results:
        return "no results"
    lines: list[str] = []
    for hit in page.results:
        story = f"story {hit.story_id}" if hit.story_id else "unclustered"
        lines.append(f"{story}: {hit.title}")
        for article in hit.articles:
            snippet = "".join(f"[{s.text}]" if s.hit else s.text for s in article.snippet)
            lines.append(f"  - [{article.source}] {article.title}  {article.url}")
            lines.append(f"    {_one_line(snippet, 160)}")
    return "\n".join(lines)


def prune_lines(counts: PruneCounts, policy: RetentionPolicy, *, dry_run: bool) -> list[str]:
    """What a prune dropped (or, with --dry-run, would drop), one kind of row a line."""
    verb = "would drop" if dry_run else "dropped"
    stories = (
        f"stories last updated over {policy.article_days:g} days ago: {counts.stories} "
        f"(with {counts.articles} articles and their pages)"
        if policy.article_days > 0
        else "stories and articles: kept (retention.article_days = 0)"
    )
    return [
        f"{verb}:",
        f"  raw page bodies over {policy.raw_days:g} days old: {counts.bodies}",
        f"  failed and skipped pages over {policy.log_days:g} days old: {counts.pages}",
        f"  fetch log rows over {policy.log_days:g} days old: {counts.fetches}",
        f"  {stories}",
        f"  rows of processes gone for over a day: {counts.leases}",
    ]


def status_record(report: Status) -> dict[str, Any]:
    """``aggregator status --json``."""
    return {
        "ok": not report.problems,
        "problems": list(report.problems),
        "database": {"backend": report.backend, "size_bytes": report.size_bytes},
        "rows": report.rows,
        "pages_by_outcome": report.figures.pages_by_outcome,
        "pending": {
            stage: {"count": count, "oldest": isoformat(report.oldest_pending.get(stage))}
            for stage, count in _pending(report).items()
        },
        "failing_sources": [
            {
                "name": s.name,
                "failures": s.failures,
                "since": isoformat(s.since),
                "last_error": s.last_error,
            }
            for s in report.failing
        ],
        "last_fetch": isoformat(report.last_fetch),
        "fetches_last_hour": report.fetches_last_hour,
        "fetch_errors_last_hour": report.figures.fetch_errors_last_hour,
        "next_runs": [{"source": n, "at": isoformat(at)} for n, at in report.next_runs],
        "workers": report.workers,
        "leases": [
            {"name": h.name, "holder": h.holder, "until": isoformat(h.until), "live": h.live}
            for h in report.leases
        ],
    }


def _pending(report: Status) -> dict[str, int]:
    work = report.pending
    return {"fetch": work.fetch, "extract": work.extract, "stories": work.stories}


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


def status_text(report: Status) -> str:
    """One screen: the verdict first, then the figures behind it."""
    lines = ["status: all is well" if not report.problems else "status: needs attention"]
    lines += [f"  ! {problem}" for problem in report.problems]
    rows = ", ".join(f"{name} {count}" for name, count in report.rows.items())
    lines += [
        f"database: {report.backend}, {report.size_bytes / 1e6:.1f} MB; rows: {rows}",
        "pending: "
        + ", ".join(
            f"{stage} {count} (oldest {_when(report.oldest_pending.get(stage))})"
            for stage, count in _pending(report).items()
        ),
        f"last fetch: {_when(report.last_fetch)} UTC; {report.fetches_last_hour} requests in "
        f"the last hour, errors: {_kinds(report.figures.fetch_errors_last_hour)}",
        "next runs: " + (", ".join(f"{n} {_when(at)}" for n, at in report.next_runs) or "-"),
        "processes: "
        + (", ".join(f"{role} {len(h)}" for role, h in sorted(report.workers.items())) or "none"),
    ]
    lines += [
        f"failing: {s.name} since {_when(s.since)} ({s.failures}x): {_one_line(s.last_error, 80)}"
        for s in report.failing
    ]
    lines += [
        f"lease: {h.name} held by {h.holder} until {_when(h.until)}{'' if h.live else ' (expired)'}"
        for h in report.leases
    ]
    return "\n".join(lines)


def _kinds(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())) or "none"
