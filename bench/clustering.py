"""Story clustering benchmark: ours next to the TF-IDF reference, plus a scale run.

Reads ../shared/bench/clustering (relative to the repository root). Metrics and the reference
are described in that folder's README. Usage::

    python bench/clustering.py               # quality on both sets, ours and the reference
    python bench/clustering.py --scale 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aggregator.dedup.cluster import ClusterSettings
from aggregator.dedup.metrics import ClusterScores, score_clustering
from aggregator.dedup.offline import cluster_items, item_from_row
from aggregator.models import ClusterItem

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "bench" / "clustering"
SETS = {"ecbplus-dev": "ecbplus-dev.jsonl", "uci-headlines-dev": "uci-headlines-dev.jsonl.gz"}


Scores = ClusterScores
score = score_clustering


def load_rows(name: str, data: Path = DATA) -> list[dict[str, Any]]:
    path = data / SETS[name]
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def run_ours(rows: list[dict[str, Any]], settings: ClusterSettings) -> tuple[list[str], float]:
    items = [item_from_row(row) for row in rows]
    start = time.perf_counter()
    out = list(cluster_items(items, settings))
    elapsed = time.perf_counter() - start
    return [row["story"] for row in out], 1000 * elapsed / max(1, len(rows))


# --------------------------------------------------------------------------- reference
_REF_STOP_TEXT = (
    "a about above after again against all am an and any are as at be because been before being "
    "below between both but by can could did do does doing down during each few for from further "
    "had has have having he her here hers herself him himself his how i if in into is it its "
    "itself me more most my myself no nor not of off on once only or other our ours ourselves out "
    "over own same she should so some such than that the their theirs them themselves then there "
    "these they this those through to too under until up very was we were what when where which "
    "while who whom why will with would you your yours yourself yourselves"
)
_REF_STOP = frozenset(_REF_STOP_TEXT.split())


def _ref_tokens(text: str) -> list[str]:
    import re

    return [t for t in re.findall(r"(?u)\b\w\w+\b", text.lower()) if t not in _REF_STOP]


def run_reference(
    rows: list[dict[str, Any]], threshold: float, *, fields: str, window_days: float | None
) -> tuple[list[str], float]:
    """Single-pass TF-IDF (sublinear tf, idf over the whole set) cosine against centroids."""
    docs = [
        _ref_tokens(r["title"] + (" " + r["text"] if fields == "title+text" else "")) for r in rows
    ]
    df = Counter(t for d in docs for t in set(d))
    n = len(docs)
    idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
    start = time.perf_counter()
    sums: list[dict[str, float]] = []
    last: list[float] = []
    postings: dict[str, set[int]] = {}
    labels: list[str] = []
    for row, doc in zip(rows, docs, strict=True):
        vec = {t: (1 + math.log(c)) * idf[t] for t, c in Counter(doc).items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vec = {t: v / norm for t, v in vec.items()}
        stamp = (row["timestamp"] or 0) / 1000.0
        cands = {c for t in vec for c in postings.get(t, ())}
        best, best_sim = -1, 0.0
        for c in cands:
            if window_days is not None and stamp - last[c] > window_days * 86400:
                continue
            cen = sums[c]
            cnorm = math.sqrt(sum(v * v for v in cen.values())) or 1.0
            sim = sum(v * cen.get(t, 0.0) for t, v in vec.items()) / cnorm
            if sim > best_sim:
                best, best_sim = c, sim
        if best < 0 or best_sim < threshold:
            best = len(sums)
            sums.append({})
            last.append(stamp)
        for t, v in vec.items():
            sums[best][t] = sums[best].get(t, 0.0) + v
            postings.setdefault(t, set()).add(best)
        last[best] = max(last[best], stamp)
        labels.append(str(best))
    return labels, 1000 * (time.perf_counter() - start) / max(1, n)


REFERENCE = {
    "ecbplus-dev": {"threshold": 0.25, "fields": "title+text", "window_days": None},
    "uci-headlines-dev": {"threshold": 0.20, "fields": "title", "window_days": 2.0},
}


def _line(name: str, who: str, s: Scores, ms: float) -> str:
    return (
        f"| {name} | {who} | {s.b3_precision:.3f} | {s.b3_recall:.3f} | {s.b3_f1:.3f} "
        f"| {s.pair_precision:.3f} | {s.pair_recall:.3f} | {s.pair_f1:.3f} | {ms:.2f} |"
    )


def quality(settings: ClusterSettings, names: list[str], *, reference: bool) -> None:
    print("| set | system | B3 P | B3 R | B3 F1 | pair P | pair R | pair F1 | ms/item |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        rows = load_rows(name)
        gold = [str(r["label"]) for r in rows]
        if reference:
            ref = REFERENCE[name]
            labels, ms = run_reference(
                rows,
                float(ref["threshold"]),  # type: ignore[arg-type]
                fields=str(ref["fields"]),
                window_days=ref["window_days"],  # type: ignore[arg-type]
            )
            print(_line(name, "reference", score(gold, labels), ms), flush=True)
        labels, ms = run_ours(rows, settings)
        print(_line(name, "ours", score(gold, labels), ms), flush=True)


# --------------------------------------------------------------------------- scale
def replicated(rows: list[dict[str, Any]], total: int) -> Iterator[ClusterItem]:
    """The UCI headline stream repeated back to back, each copy shifted past the previous one."""
    stamps = [r["timestamp"] for r in rows if r["timestamp"] is not None]
    span = (max(stamps) - min(stamps)) / 1000.0 + 86400.0
    produced = 0
    copy = 0
    while produced < total:
        for row in rows:
            if produced >= total:
                return
            item = item_from_row(row)
            yield ClusterItem(
                id=f"{item.id}-{copy}",
                title=item.title,
                text=item.text,
                source=item.source,
                url=item.url,
                timestamp=(item.timestamp or 0.0) + copy * span,
            )
            produced += 1
        copy += 1


def _progress(
    items: Iterator[ClusterItem], checkpoints: set[int], chunk: int
) -> Iterator[ClusterItem]:
    """Pass ``items`` through; at each checkpoint print the cost of the last ``chunk`` items."""
    start = chunk_start = time.perf_counter()
    for count, item in enumerate(items, start=1):
        yield item
        if count % chunk == 0:
            now = time.perf_counter()
            if count in checkpoints:
                per = 1000 * (now - chunk_start) / chunk
                mean = 1000 * (now - start) / count
                peak = _rss_peak_mb()
                print(f"| {count} | {now - start:.0f} | {mean:.3f} | {per:.3f} | {peak:.0f} |")
            chunk_start = now


def scale(settings: ClusterSettings, sizes: list[int]) -> None:
    """One stream up to the largest size; figures at each size: the stream's cost at that point."""
    rows = load_rows("uci-headlines-dev")
    print("| articles | s so far | ms/article so far | ms/article, last 10k | peak RSS MB |")
    print("|---|---|---|---|---|", flush=True)
    stream = _progress(replicated(rows, max(sizes)), set(sizes), 10_000)
    for _ in cluster_items(stream, settings):
        pass


def _rss_peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", nargs="*", default=list(SETS))
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--scale", nargs="*", type=int)
    args = parser.parse_args()
    settings = ClusterSettings()
    if args.scale:
        scale(settings, args.scale)
        return
    quality(settings, args.sets, reference=not args.no_reference)


if __name__ == "__main__":
    main()
