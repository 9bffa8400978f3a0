"""Time ``aggregator clean`` over mangled fixture pages against the same pages unmangled.

    python bench/mangled.py [--pages 240]

Writes N pages, each a fixture page through one of the manglers of ``tests/fuzz/mangle.py``
(taken in turn), and the N unmangled originals, into a temporary folder, then runs
``aggregator clean FOLDER --format jsonl`` on each folder as an operator would and prints the
wall time, the time per page and how many pages ended as articles or as typed errors.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fuzz.mangle import MANGLERS, fixture_pages, mangle  # noqa: E402


def write_pages(folder: Path, count: int, *, mangled: bool) -> None:
    pages = fixture_pages()
    folder.mkdir()
    for index in range(count):
        body = pages[index % len(pages)].read_bytes()
        if mangled:
            body = mangle(body, index % len(MANGLERS), seed=index).body
        folder.joinpath(f"page-{index:04d}.html").write_bytes(body)


def run_clean(folder: Path) -> tuple[float, int, int]:
    command = [sys.executable, "-m", "aggregator", "clean", str(folder), "--format", "jsonl"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    errors = sum(1 for record in records if "error" in record)
    return elapsed, len(records) - errors, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=240)
    count = parser.parse_args().pages
    with tempfile.TemporaryDirectory() as tmp:
        for name, mangled in (("normal", False), ("mangled", True)):
            folder = Path(tmp) / name
            write_pages(folder, count, mangled=mangled)
            size = sum(p.stat().st_size for p in folder.iterdir())
            elapsed, articles, errors = run_clean(folder)
            print(
                f"{name:8} {count} pages, {size / 1e6:7.1f} MB: {elapsed:6.1f} s "
                f"({1000 * elapsed / count:5.0f} ms/page), {articles} articles, {errors} errors"
            )


if __name__ == "__main__":
    main()
