"""Extraction benchmark: our cleaner next to bare ``trafilatura.extract`` on the same pages.

Reads ../shared/bench/extraction (relative to the repository root; metric in its README) and the
fixture pages under fixtures/sites (``must_contain`` counts as ``with``, ``must_not_contain`` as
``without``). Both extractors get the same raw bytes, page by page, in alternating order, in one
process. Usage::

    python bench/extraction.py                 # both sets, both extractors
    python bench/extraction.py --subset 10     # every 10th bench page (the gate's subset)
    python bench/extraction.py --worst 20      # also list the pages where ours loses most
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from aggregator.clean import clean_html
from aggregator.errors import AggregatorError

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".." / "shared" / "bench" / "extraction"
SITES = REPO / "fixtures" / "sites"
_SPACE = re.compile(r"\s+")

Extractor = Callable[[bytes, str], str]


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    name: str
    html: bytes
    with_: tuple[str, ...]
    without: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Counts:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.tp + other.tp, self.fn + other.fn, self.fp + other.fp, self.tn + other.tn
        )

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class Result:
    counts: Counts
    median_ms: float
    per_page: tuple[Counts, ...]


def collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def count(page: Page, text: str) -> Counts:
    """The README's metric for one page: ``with`` found = tp, ``without`` found = fp."""
    flat = collapse(text)
    found = sum(1 for seg in page.with_ if collapse(seg) in flat)
    leaked = sum(1 for seg in page.without if collapse(seg) in flat)
    return Counts(found, len(page.with_) - found, leaked, len(page.without) - leaked)


def load_bench(data: Path = DATA) -> list[Page]:
    """Every annotated page of the bench set, sorted by URL (a stable order for subsets)."""
    index = json.loads((data / "evaldata.json").read_text(encoding="utf-8"))
    pages = []
    for url, entry in sorted(index.items()):
        path = next(
            (
                p
                for p in (
                    data / "eval" / f"{entry['file']}.gz",
                    data / "cache" / f"{entry['file']}.gz",
                )
                if p.exists()
            ),
            None,
        )
        if path is None:
            continue
        pages.append(
            Page(
                url,
                entry["file"],
                gzip.decompress(path.read_bytes()),
                tuple(entry.get("with") or ()),
                tuple(entry.get("without") or ()),
            )
        )
    return pages


def load_fixtures(sites: Path = SITES) -> list[Page]:
    """Fixture article pages with their sidecar expectations."""
    pages = []
    for sidecar in sorted(sites.rglob("*.expected.json")):
        spec = json.loads(sidecar.read_text(encoding="utf-8"))
        if not spec.get("article", True):
            continue
        page = sidecar.with_name(sidecar.name.removesuffix(".expected.json") + ".html")
        pages.append(
            Page(
                spec.get("url", str(page)),
                str(page.relative_to(sites)),
                page.read_bytes(),
                tuple(spec.get("must_contain", ())),
                tuple(spec.get("must_not_contain", ())),
            )
        )
    return pages


def subset(pages: list[Page], step: int) -> list[Page]:
    return pages[::step] if step > 1 else pages


def ours(html: bytes, url: str) -> str:
    try:
        return clean_html(html, url=url, explain=False).text
    except AggregatorError:
        return ""


def bare_trafilatura(html: bytes, url: str) -> str:
    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=True)
    return text or ""


def _timed(extract: Extractor, page: Page) -> tuple[str, float]:
    start = time.perf_counter()
    text = extract(page.html, page.url)
    return text, (time.perf_counter() - start) * 1000


_WARM_UP_PAGES = 20


def run(pages: Iterable[Page], extractors: dict[str, Extractor]) -> dict[str, Result]:
    """Run every extractor on every page, alternating which goes first.

    Each extractor first reads a few pages untimed, so one-time costs (imports, compiling
    regular expressions) do not land on the first timed pages of a small set.
    """
    pages = list(pages)
    names = list(extractors)
    for page in pages[:_WARM_UP_PAGES]:
        for extract in extractors.values():
            extract(page.html, page.url)
    per_page: dict[str, list[Counts]] = {n: [] for n in names}
    times: dict[str, list[float]] = {n: [] for n in names}
    for i, page in enumerate(pages):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            text, ms = _timed(extractors[name], page)
            per_page[name].append(count(page, text))
            times[name].append(ms)
    return {
        n: Result(
            sum(per_page[n], Counts()), statistics.median(times[n] or [0.0]), tuple(per_page[n])
        )
        for n in names
    }


def report(title: str, results: dict[str, Result], pages: int) -> None:
    print(f"\n{title} ({pages} pages)")
    print(f"{'extractor':<18} {'F1':>6} {'prec':>6} {'recall':>6} {'ms/page':>8}")
    for name, res in results.items():
        c = res.counts
        print(f"{name:<18} {c.f1:6.3f} {c.precision:6.3f} {c.recall:6.3f} {res.median_ms:8.1f}")


def worst(pages: list[Page], results: dict[str, Result], n: int) -> None:
    mine, base = results["ours"].per_page, results["trafilatura"].per_page
    delta = [
        ((m.tp - m.fp) - (b.tp - b.fp), p.name, m, b)
        for p, m, b in zip(pages, mine, base, strict=True)
    ]
    for d, name, m, b in sorted(delta)[:n]:
        print(f"{d:+3d} {name:<50} ours tp={m.tp} fp={m.fp}  bare tp={b.tp} fp={b.fp}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=1, help="take every Nth bench page")
    parser.add_argument("--worst", type=int, default=0, help="list the N pages ours loses most")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    extractors: dict[str, Extractor] = {"ours": ours, "trafilatura": bare_trafilatura}
    fixtures = load_fixtures()
    report("fixtures/sites", run(fixtures, extractors), len(fixtures))
    if not args.data.exists():
        print(f"\n{args.data} not found: bench set skipped", file=sys.stderr)
        return 0
    pages = subset(load_bench(args.data), args.subset)
    results = run(pages, extractors)
    report(f"bench/extraction (every {args.subset})", results, len(pages))
    if args.worst:
        worst(pages, results, args.worst)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
