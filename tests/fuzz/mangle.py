"""Ways a page, feed or sitemap arrives mangled, as plain functions over the fixture bytes.

Shared by the hypothesis suite, the atheris targets and ``bench/mangled.py``, so each measures
the same damage: truncation, byte flips, NUL bytes, 20,000-deep nesting, an 8 MB one-line
body, a 3 MB ``<title>``, unknown or lying charsets, UTF-16 without a byte order mark and
floods of ``<``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support import SITES

__all__ = [
    "MANGLERS",
    "Mangled",
    "fixture_documents",
    "fixture_pages",
    "mangle",
]

DEEP = 20_000
ONE_LINE_BYTES = 8 * 1024 * 1024
TITLE_BYTES = 3 * 1024 * 1024
FLOOD = 200_000


@dataclass(frozen=True, slots=True)
class Mangled:
    """A mangled body and the charset a server would declare for it (None: none)."""

    name: str
    body: bytes
    charset: str | None = None


def fixture_pages() -> list[Path]:
    return sorted(SITES.rglob("*.html"))


def fixture_documents(suffix: str) -> list[Path]:
    """The fixture sites' ``feed.xml``, ``sitemap.xml`` or ``robots.txt`` files."""
    return sorted(SITES.glob(f"*/{suffix}"))


def _at(body: bytes, share: float) -> int:
    return max(0, min(len(body), int(len(body) * share)))


def truncated(body: bytes, rng: random.Random) -> Mangled:
    return Mangled("truncated", body[: _at(body, rng.random())])


def byte_flips(body: bytes, rng: random.Random) -> Mangled:
    data = bytearray(body)
    for _ in range(rng.randint(1, 64)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return Mangled("byte flips", bytes(data))


def nul_bytes(body: bytes, rng: random.Random) -> Mangled:
    at = _at(body, rng.random())
    return Mangled("nul bytes", body[:at] + b"\x00" * rng.randint(1, 5000) + body[at:])


def deep_nesting(body: bytes, rng: random.Random) -> Mangled:
    at = _at(body, rng.random())
    tag = rng.choice([b"<div>", b"<span>", b"<item>", b"<url>", b"<a>"])
    return Mangled("deep nesting", body[:at] + tag * DEEP + body[at:])


def one_line_body(body: bytes, rng: random.Random) -> Mangled:
    line = b"word " * (ONE_LINE_BYTES // 5)
    at = body.find(b"<p>")
    at = at if at >= 0 else _at(body, rng.random())
    return Mangled("8 MB one-line body", body[:at] + b"<p>" + line + b"</p>" + body[at:])


def huge_title(body: bytes, rng: random.Random) -> Mangled:
    words = b"headline " * (TITLE_BYTES // 9)
    if b"<title>" in body:
        return Mangled("3 MB title", body.replace(b"<title>", b"<title>" + words, 1))
    return Mangled("3 MB title", b"<title>" + words + b"</title>" + body)


def lying_charset(body: bytes, rng: random.Random) -> Mangled:
    label = rng.choice(["utf-16", "utf-32", "shift_jis", "iso-2022-jp", "x-unknown", "utf-7"])
    meta = b'<meta charset="' + label.encode() + b'">'
    return Mangled("lying charset", meta + body, rng.choice([None, label]))


def utf16_without_bom(body: bytes, rng: random.Random) -> Mangled:
    text = body.decode("utf-8", errors="replace")
    codec = rng.choice(["utf-16-le", "utf-16-be"])
    return Mangled("utf-16 without BOM", text.encode(codec), rng.choice([None, codec]))


def lt_flood(body: bytes, rng: random.Random) -> Mangled:
    at = _at(body, rng.random())
    flood = rng.choice([b"<", b"< ", b"<<!", b"</"]) * FLOOD
    return Mangled("< flood", body[:at] + flood + body[at:])


MANGLERS: tuple[Callable[[bytes, random.Random], Mangled], ...] = (
    truncated,
    byte_flips,
    nul_bytes,
    deep_nesting,
    one_line_body,
    huge_title,
    lying_charset,
    utf16_without_bom,
    lt_flood,
)


def mangle(body: bytes, which: int, seed: int) -> Mangled:
    """Mangler number ``which`` applied to ``body``, its choices drawn from ``seed``."""
    return MANGLERS[which % len(MANGLERS)](body, random.Random(seed))
