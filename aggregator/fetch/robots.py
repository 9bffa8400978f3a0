"""robots.txt (RFC 9309): fetched once per origin, cached by the caller's ``RobotsCache``.

Parsing is ``urllib.robotparser``; what an unreachable or broken robots.txt means follows the RFC:
4xx means no rules (§2.3.1.3), 5xx or no answer means "disallow everything for now" (§2.3.1.4),
and a cached answer is reused for up to ``ttl`` seconds (§2.4 suggests at most 24 hours).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from aggregator.errors import (
    AddressRefused,
    ContentTypeError,
    FetchError,
    HTTPStatusError,
    TooLarge,
)

from .http import fetch
from .options import FetchOptions

__all__ = ["RobotsCache", "RobotsRules", "robots_url"]

# RFC 9309 §2.5: crawlers must parse at least 500 KiB; more is not worth reading.
_MAX_ROBOTS_BYTES = 512 * 1024
# How long a "server error, disallow all" verdict stands before we ask again.
_ERROR_TTL = 15 * 60.0
# Servers label robots.txt in odd ways; anything textual is read as text.
_ROBOTS_TYPES = ("text/plain", "text/html", "application/octet-stream")
_NUMERIC_FIELDS = frozenset({"crawl-delay", "request-rate"})


def robots_url(url: str) -> str:
    """The robots.txt URL for ``url``'s origin (RFC 9309 §2.3)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2].lower()  # never send userinfo along
    return f"{parts.scheme.lower()}://{netloc}/robots.txt"


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """What one origin's robots.txt says to ``agent``, with the reason when it was not read."""

    agent: str
    parser: RobotFileParser | None = field(default=None, compare=False)
    allow_all: bool = False
    reason: str = ""

    @classmethod
    def parse(cls, text: str, agent: str) -> RobotsRules:
        parser = RobotFileParser()
        parser.parse(_parsable(text.splitlines()))
        parser.modified()  # robotparser answers "no" to everything until it has a timestamp
        return cls(agent, parser)

    def allows(self, url: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return self.parser.can_fetch(self.agent, url)

    @property
    def crawl_delay(self) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(self.agent)
        return None if delay is None else float(delay)

    @property
    def sitemaps(self) -> tuple[str, ...]:
        """``Sitemap:`` lines, a discovery hint (sitemaps.org protocol)."""
        found = self.parser.site_maps() if self.parser is not None else None
        return tuple(found or ())


def _parsable(lines: list[str]) -> list[str]:
    """``lines`` without numeric fields whose value is not ASCII.

    urllib.robotparser checks Crawl-delay and Request-rate values with ``str.isdigit``, which
    accepts "²" or "٣" that ``int`` then rejects with ValueError: one such line in a hostile
    robots.txt would escape as an exception. RFC 9309 §2.2 ignores lines that do not parse.
    """
    kept = []
    for line in lines:
        name, colon, value = line.partition(":")
        if colon and name.strip().lower() in _NUMERIC_FIELDS and not value.isascii():
            continue
        kept.append(line)
    return kept


def product_token(user_agent: str) -> str:
    """``aggregator`` from ``aggregator/0.1 (+https://...)`` (RFC 9309 §2.2.1)."""
    return user_agent.split("/", 1)[0].split(" ", 1)[0].strip() or "*"


class RobotsCache:
    """Per-origin robots.txt rules with expiry; owned and shared by the caller."""

    def __init__(
        self,
        *,
        ttl: float = 24 * 3600.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[RobotsRules, float]] = {}

    def cached(self, url: str) -> RobotsRules | None:
        """The unexpired rules for ``url``'s origin, without fetching."""
        entry = self._entries.get(robots_url(url))
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    async def load(
        self, client: httpx.AsyncClient, url: str, *, options: FetchOptions
    ) -> RobotsRules:
        """Fetch, parse and cache the rules for ``url``'s origin (or return the cached ones).

        Raises ``AddressRefused`` when the origin resolves to a refused address; every other
        failure becomes rules (RFC 9309 §2.3.1).
        """
        rules = self.cached(url)
        if rules is None:
            rules, ttl = await _download(client, robots_url(url), options)
            self._store(robots_url(url), rules, min(ttl, self._ttl))
        return rules

    def _store(self, key: str, rules: RobotsRules, ttl: float) -> None:
        if len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]  # oldest first
        self._entries.pop(key, None)
        self._entries[key] = (rules, self._clock() + ttl)


async def _download(
    client: httpx.AsyncClient, url: str, options: FetchOptions
) -> tuple[RobotsRules, float]:
    agent = product_token(options.user_agent)
    small = replace(options, max_bytes=min(options.max_bytes, _MAX_ROBOTS_BYTES), retries=1)
    try:
        result = await fetch(
            client, url, options=small, accept="text/plain", allowed_types=_ROBOTS_TYPES
        )
    except HTTPStatusError as exc:
        if 400 <= exc.status < 500 and exc.status != 429:
            return RobotsRules(agent, allow_all=True, reason=f"robots.txt {exc.status}"), 3600.0
        return _unreachable(agent, str(exc)), _ERROR_TTL
    except AddressRefused:
        # Not a robots.txt verdict: the page itself is refused for its address, and says so.
        raise
    except (ContentTypeError, TooLarge) as exc:
        # Not a robots.txt we can read; treat it as absent rather than as a ban.
        return RobotsRules(agent, allow_all=True, reason=str(exc)), 3600.0
    except FetchError as exc:
        return _unreachable(agent, str(exc)), _ERROR_TTL
    text = result.body.decode("utf-8", errors="replace")  # RFC 9309 §2.3: UTF-8
    return RobotsRules.parse(text, agent), options.robots_ttl


def _unreachable(agent: str, why: str) -> RobotsRules:
    return RobotsRules(agent, allow_all=False, reason=f"robots.txt unavailable ({why})")
