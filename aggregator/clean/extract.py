"""The one adapter around trafilatura: every call to it goes through this module.

trafilatura's ``extract`` has two dozen keyword parameters and answers ``None`` for both "no main
text" and several internal failures; here it becomes one options dataclass in and text or
``ExtractError`` out.

The page is parsed into an lxml tree once (``parse_document``, trafilatura's own loader, so the
extractor sees exactly the tree it would build from the string) and that tree is handed to every
extractor pass and to the date fallback: before, the extractor parsed the same string on each
pass and htmldate parsed the whole page once more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import trafilatura
from lxml.etree import LxmlError  # type: ignore[import-untyped]

from aggregator.errors import ExtractError

__all__ = ["Document", "ExtractOptions", "extract_text", "parse_document"]

# lxml ships no type information: an ``lxml.html.HtmlElement``, the root of a parsed page.
Document = Any


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """The trafilatura settings the cleaner uses (comments never, tables always)."""

    fast: bool = False
    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True


def parse_document(html: str) -> Document:
    """``html`` as the lxml tree trafilatura reads; ``ExtractError`` when it is not HTML to it."""
    try:
        tree = trafilatura.load_html(html)
    except RecursionError as exc:
        raise ExtractError("document nested too deeply to extract") from exc
    except (LxmlError, ValueError) as exc:
        raise ExtractError(f"extractor failed: {type(exc).__name__}: {exc}") from exc
    if tree is None:
        raise ExtractError("no article text found")
    return tree


def extract_text(
    document: Document, *, url: str | None = None, options: ExtractOptions | None = None
) -> str:
    """Main text of a parsed page as trafilatura's plain-text output (paragraphs on their own
    lines). trafilatura works on a copy: ``document`` is left as it was."""
    opts = options or ExtractOptions()
    try:
        text = trafilatura.extract(
            document,
            url=url,
            fast=opts.fast,
            favor_precision=opts.favor_precision,
            favor_recall=opts.favor_recall,
            include_comments=False,
            include_tables=opts.include_tables,
            include_images=False,
            include_links=False,
            with_metadata=False,
            deduplicate=False,
        )
    except RecursionError as exc:
        raise ExtractError("document nested too deeply to extract") from exc
    except (LxmlError, ValueError) as exc:
        raise ExtractError(f"extractor failed: {type(exc).__name__}: {exc}") from exc
    if not text or not text.strip():
        raise ExtractError("no article text found")
    return str(text)
