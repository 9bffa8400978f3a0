"""URL canonicalisation: one spelling per page, so the same article is stored once.

Rules follow RFC 3986 section 6.2.2 (syntax-based normalisation: scheme and host are
case-insensitive, default ports are redundant) plus the tracking parameters that ad and
newsletter tools append, which never change the page served.
"""

from __future__ import annotations

from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "TRACKING_PREFIXES", "canonicalize_url"]

#: Exact query parameter names (lower-case) dropped from every URL.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt.mc_id",
        "ncid",
        "cmpid",
        "ito",
        "spm",
        "ref_src",
        "ref_url",
    }
)

#: Query parameter name prefixes (lower-case) dropped from every URL.
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "hsa_", "at_")

_DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _netloc(parts: SplitResult, scheme: str) -> str:
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal: brackets are part of the authority (RFC 3986 3.2.2)
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a malformed port is kept out rather than raising
        port = None
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    return f"{userinfo}@{host}" if userinfo else host


def _query(query: str) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _is_tracking(k)]
    pairs.sort()
    return urlencode(pairs, doseq=False)


def canonicalize_url(url: str) -> str:
    """Return the canonical spelling of ``url``.

    Lower-cases scheme and host, drops default ports, the fragment and tracking parameters,
    sorts the remaining query parameters and keeps the path as given (paths are case-sensitive).
    An empty path on an http(s) URL becomes ``/`` (RFC 3986 6.2.3).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if not parts.netloc:
        return urlunsplit((scheme, "", parts.path, _query(parts.query), ""))
    path = parts.path or ("/" if scheme in _DEFAULT_PORTS else "")
    return urlunsplit((scheme, _netloc(parts, scheme), path, _query(parts.query), ""))
