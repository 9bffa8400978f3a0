"""Response headers every page carries, and the one rule for links to scraped URLs.

Scraped titles, bodies, bylines and URLs are data. Templates escape them (autoescape), and a
URL becomes a link only when it is plain http or https: ``javascript:``, ``data:`` and friends
are shown as text. The Content-Security-Policy allows no script at all and styles only from our
own stylesheet, so an escaping slip still cannot run anything.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SECURITY_HEADERS", "SecurityHeaders", "http_url"]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


# Control characters and spaces (below U+0021): browsers strip some of them from a scheme,
# so "java\tscript:" would run. A regular expression, because a story page checks hundreds
# of links and a character-by-character loop was a quarter of its time (issue 11).
_UNSAFE_CHAR = re.compile("[\x00-\x20]")


def http_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host, else None (show it as text)."""
    if not url or _UNSAFE_CHAR.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


class SecurityHeaders:
    """ASGI middleware adding ``SECURITY_HEADERS`` to every response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
