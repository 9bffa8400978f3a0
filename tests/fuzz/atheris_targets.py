"""Coverage-guided fuzz targets (atheris, libFuzzer) for the cleaner and the three parsers.

    python -m tests.fuzz.atheris_targets TARGET [CORPUS_DIR] [libFuzzer flags]

TARGET is ``clean``, ``feed``, ``sitemap`` or ``robots``. Seeded with the fixture files of its
kind (copied into CORPUS_DIR when it is empty), each input is fed as is, and its first byte
also picks one of the manglers of ``tests/fuzz/mangle.py`` to apply to a fixture, so the
coverage-guided search starts from real pages and real damage. A target fails (libFuzzer
reports a crash) on any exception that is not a typed ``AggregatorError`` from the cleaner;
the parsers must not raise at all. ``tests/fuzz/test_atheris.py`` runs each for a few seconds.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["aggregator"]):
    from aggregator.clean import clean_html
    from aggregator.errors import AggregatorError
    from aggregator.fetch.feeds import parse_feed
    from aggregator.fetch.robots import RobotsRules
    from aggregator.fetch.sitemaps import parse_sitemap

import contextlib

from tests.fuzz.mangle import fixture_documents, fixture_pages, mangle

BASE = "https://news.example/2024/05/a-story"


def _clean(data: bytes) -> None:
    with contextlib.suppress(AggregatorError):
        clean_html(data, url=BASE)


def _feed(data: bytes) -> None:
    parse_feed(data, BASE)


def _sitemap(data: bytes) -> None:
    parse_sitemap(data, BASE)


def _robots(data: bytes) -> None:
    rules = RobotsRules.parse(data.decode("utf-8", errors="replace"), "aggregator")
    rules.allows(BASE)
    _ = rules.crawl_delay, rules.sitemaps


TARGETS: dict[str, tuple[Callable[[bytes], None], Callable[[], list[Path]]]] = {
    "clean": (_clean, fixture_pages),
    "feed": (_feed, lambda: fixture_documents("feed.xml")),
    "sitemap": (_sitemap, lambda: fixture_documents("sitemap.xml")),
    "robots": (_robots, lambda: fixture_documents("robots.txt")),
}


def _one_input(run: Callable[[bytes], None], seeds: list[bytes]) -> Callable[[bytes], None]:
    def test_one_input(data: bytes) -> None:
        run(data)
        if data and seeds:
            # Small mangles only: the 8 MB and 3 MB ones would slow every step of the search.
            which = data[0] % 3  # truncated, byte flips, NUL bytes
            run(mangle(seeds[data[0] % len(seeds)], which, int.from_bytes(data[:8], "big")).body)

    return test_one_input


def main(argv: list[str]) -> None:
    name, rest = argv[1], argv[2:]
    run, seed_paths = TARGETS[name]
    paths = seed_paths()
    if rest and not rest[0].startswith("-"):
        corpus = Path(rest[0])
        corpus.mkdir(parents=True, exist_ok=True)
        if not any(corpus.iterdir()):
            for index, path in enumerate(paths):
                shutil.copyfile(path, corpus / f"seed-{index}")
    seeds = [path.read_bytes() for path in paths]
    atheris.Setup([argv[0], *rest], _one_input(run, seeds))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
