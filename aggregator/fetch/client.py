"""The one way to build the HTTP client the fetch stage uses.

The client belongs to the caller, who builds it once, shares it across fetches (connection reuse)
and closes it (``async with build_client(options) as client``).
"""

from __future__ import annotations

import httpx

from .options import FetchOptions
from .transport import SafeTransport

__all__ = ["build_client"]


def build_client(options: FetchOptions) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` on the address-checking transport.

    Redirects are followed by ``fetch`` itself, hop by hop, so each hop is checked (scheme,
    TLS downgrade, limit); environment proxies are ignored (``trust_env=False``) because a proxy
    would hide which address is really reached.
    """
    return httpx.AsyncClient(
        transport=SafeTransport(options),
        headers={"User-Agent": options.user_agent},
        timeout=timeouts(options),
        follow_redirects=False,
        trust_env=False,
    )


def timeouts(options: FetchOptions) -> httpx.Timeout:
    """Per-operation timeouts; the whole-attempt ``options.timeout`` is enforced by ``fetch``."""
    return httpx.Timeout(
        connect=options.connect_timeout,
        read=options.read_timeout,
        write=options.read_timeout,
        pool=options.timeout,
    )
