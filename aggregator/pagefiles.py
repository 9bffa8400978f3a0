"""Saved pages on disk: which files a list of paths names.

Kept apart from ``replay`` so that ``aggregator clean`` can find pages without loading the
pipeline and the database layer behind it (issue 14).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["PAGE_SUFFIXES", "find_pages"]

PAGE_SUFFIXES = (".html", ".htm", ".xhtml")


def find_pages(paths: Iterable[Path]) -> list[Path]:
    """Files named explicitly, plus every HTML file under named folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in PAGE_SUFFIXES)
            )
        else:
            found.append(path)
    return found
