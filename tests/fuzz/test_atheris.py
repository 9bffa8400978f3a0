"""The atheris targets, each for a few seconds, and every input they ever crashed on.

``tests/fuzz/crashes/`` keeps the inputs libFuzzer wrote when a target failed (named for what
they broke); each is replayed through every target on every run, atheris or not.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aggregator.clean import clean_html
from aggregator.errors import AggregatorError
from aggregator.fetch.feeds import parse_feed
from aggregator.fetch.robots import RobotsRules
from aggregator.fetch.sitemaps import parse_sitemap
from tests.support import REPO

CRASHES = sorted((Path(__file__).parent / "crashes").iterdir())
# Seconds of fuzzing per target: four targets stay within about 30 s of the suite's time.
SECONDS = int(os.environ.get("AGGREGATOR_FUZZ_SECONDS", "5"))
BASE = "https://news.example/2024/05/a-story"


@pytest.mark.parametrize("path", CRASHES, ids=[p.name for p in CRASHES])
def test_inputs_that_once_crashed_a_target(path: Path) -> None:
    data = path.read_bytes()
    with contextlib.suppress(AggregatorError):
        clean_html(data, url=BASE)
    parse_feed(data, BASE)
    parse_sitemap(data, BASE)
    RobotsRules.parse(data.decode("utf-8", errors="replace"), "aggregator").allows(BASE)


@pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None,
    reason="atheris is not installed (pip install -e '.[test]' on Linux x86-64 brings it)",
)
@pytest.mark.parametrize("target", ["clean", "feed", "sitemap", "robots"])
def test_atheris_target_finds_nothing(target: str, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "tests.fuzz.atheris_targets",
        target,
        str(tmp_path / "corpus"),
        f"-max_total_time={SECONDS}",
        "-rss_limit_mb=3072",
        "-timeout=20",
        f"-artifact_prefix={tmp_path}/",
    ]
    done = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=SECONDS + 120, check=False
    )
    crashes = [p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-"))]
    assert done.returncode == 0 and not crashes, done.stderr[-3000:]
