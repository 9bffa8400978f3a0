from __future__ import annotations

import pytest

from aggregator.dedup.urls import canonicalize_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM/Path", "https://example.com/Path"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        (
            "https://example.com/a?utm_source=x&utm_medium=y&id=7&fbclid=z&gclid=q&mc_cid=c",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?UTM_Campaign=x", "https://example.com/a"),
        ("https://example.com/News/Story.HTML", "https://example.com/News/Story.HTML"),
        ("https://example.com/a?q=", "https://example.com/a?q="),
        ("https://EXAMPLE.com./a", "https://example.com/a"),
    ],
)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


def test_canonical_form_is_a_fixed_point() -> None:
    url = "HTTP://News.Example.org:80/World/Story?b=2&a=1&utm_source=rss#top"
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
