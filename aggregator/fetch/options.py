"""Everything the fetch stage can be told, in one frozen value.

The caller (the CLI, from the settings table) builds one ``FetchOptions`` and passes it down;
nothing in ``aggregator.fetch`` reads the environment or a configuration file.
"""

from __future__ import annotations

from dataclasses import dataclass

from aggregator.errors import ConfigError

__all__ = ["DEFAULT_USER_AGENT", "FetchOptions"]

# Names the project and where to complain, as a polite crawler should (RFC 9309 §2.2.1 matches
# robots.txt groups on the product token before the "/").
DEFAULT_USER_AGENT = "aggregator/0.1 (+https://github.com/aggregator-news/aggregator)"


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """How to fetch: identity, time and size limits, retries, politeness and network safety.

    ``timeout`` bounds one whole attempt (connect, headers and body); ``connect_timeout`` and
    ``read_timeout`` bound the connect and each socket read. A Retry-After up to
    ``max_retry_after`` seconds is slept inside ``fetch``; a longer one is raised at once (on
    ``HTTPStatusError.retry_after``) so the caller delays that source instead of holding a slot.
    ``allow_private`` lists hosts or CIDRs that may resolve to private, loopback, link-local or
    multicast addresses. ``ca_file`` names extra CA certificates (PEM) to trust besides the
    system store. ``resolve`` maps ``host`` or ``host:port`` to ``ip`` or ``ip:port``, like
    ``curl --resolve``; the target address is still checked against ``allow_private``.
    """

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 20.0
    connect_timeout: float = 10.0
    read_timeout: float = 15.0
    max_bytes: int = 15 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 3
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_retry_after: float = 30.0
    per_host_delay: float = 1.0
    max_crawl_delay: float = 60.0
    max_connections: int = 64
    allow_private: tuple[str, ...] = ()
    resolve: tuple[tuple[str, str], ...] = ()
    respect_robots: bool = True
    ca_file: str | None = None
    robots_ttl: float = 24 * 3600.0

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or self.max_redirects < 0 or self.retries < 0:
            raise ConfigError("fetch: max_bytes must be > 0, max_redirects and retries >= 0")
        if min(self.timeout, self.connect_timeout, self.read_timeout) <= 0:
            raise ConfigError("fetch: timeouts must be > 0")
