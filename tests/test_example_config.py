"""The shipped example configuration parses and names real feeds."""

from __future__ import annotations

from aggregator.settings import load_settings
from tests.support import REPO


def test_example_config_loads() -> None:
    settings = load_settings(str(REPO / "aggregator.example.toml"), environ={})
    assert len(settings.sources) >= 10
    assert all(config.source.homepage.startswith("https://") for config in settings.sources)
    assert all(config.source.feeds or config.source.sitemaps for config in settings.sources)
