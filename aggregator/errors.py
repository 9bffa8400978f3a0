"""One error hierarchy for every stage.

    AggregatorError
    ├── ConfigError            malformed configuration or settings
    ├── StoreError             the database cannot be reached or migrated
    │   ├── ConnectionLost     the connection dropped (server restart, killed backend)
    │   ├── DatabaseBusy       SQLite stayed locked by another writer past the busy timeout
    │   └── DiskFull           no room left to write (the transaction was rolled back)
    ├── QueryError             a search query that cannot be searched for (told to the reader)
    ├── FetchError             anything that stopped a page from arriving
    │   ├── FetchTimeout
    │   ├── HTTPStatusError    4xx / 5xx answer (carries ``status``)
    │   ├── TooLarge           body over the byte cap, before or after decompression
    │   ├── Blocked            robots.txt, scheme or credentials not allowed, TLS downgrade
    │   │   └── AddressRefused a loopback, private or reserved address not in allow_private
    │   ├── ContentTypeError   not HTML / XML / JSON
    │   └── ConnectError       DNS failure, refused or dropped connection, TLS failure
    ├── ParseError             bytes that are not a document we can read (binary, undecodable)
    └── ExtractError           a document without an article in it (``reason``)

Every message starts with its stage (``fetch: HTTP 404 for https://...``) so a log line or a
stored ``error_message`` reads on its own. ``kind`` is the stable short name stored in the database.
"""

from __future__ import annotations

__all__ = [
    "AddressRefused",
    "AggregatorError",
    "Blocked",
    "ConfigError",
    "ConnectError",
    "ConnectionLost",
    "ContentTypeError",
    "DatabaseBusy",
    "DiskFull",
    "ExtractError",
    "FetchError",
    "FetchTimeout",
    "HTTPStatusError",
    "ParseError",
    "QueryError",
    "StoreError",
    "TooLarge",
]


class AggregatorError(Exception):
    """Base of every error aggregator raises on purpose."""

    stage = "aggregator"
    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(f"{self.stage}: {message}")


class ConfigError(AggregatorError):
    stage = "config"
    kind = "config"


class StoreError(AggregatorError):
    stage = "store"
    kind = "store"


class ConnectionLost(StoreError):
    """Transient: the work in hand is retried on a new connection."""

    kind = "connection_lost"


class DatabaseBusy(StoreError):
    kind = "busy"


class DiskFull(StoreError):
    """Not transient: retrying fills the log, so the daemon stops and says why."""

    kind = "disk_full"


class QueryError(AggregatorError):
    stage = "search"
    kind = "query"


class FetchError(AggregatorError):
    stage = "fetch"
    kind = "fetch"


class FetchTimeout(FetchError):
    kind = "timeout"


class HTTPStatusError(FetchError):
    kind = "http_status"

    def __init__(self, status: int, url: str, *, retry_after: float | None = None) -> None:
        self.status = status
        # Seconds the server asked us to wait (Retry-After, RFC 9110 §10.2.3), so the caller can
        # delay that source only.
        self.retry_after = retry_after
        super().__init__(f"HTTP {status} for {url}")


class TooLarge(FetchError):
    kind = "too_large"


class Blocked(FetchError):
    kind = "blocked"


class AddressRefused(Blocked):
    """Refused before connecting: the address is not public and ``allow_private`` omits it.

    Its own kind, so an operator reading ``fetches`` tells an SSRF attempt (or a missing
    ``allow_private`` entry) from a robots.txt rule.
    """

    kind = "address_refused"


class ContentTypeError(FetchError):
    kind = "content_type"


class ConnectError(FetchError):
    kind = "connect"


class ParseError(AggregatorError):
    stage = "parse"
    kind = "parse"


class ExtractError(AggregatorError):
    stage = "extract"
    kind = "extract"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
