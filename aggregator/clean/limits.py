"""Cheap checks that keep pathological documents away from the parsers, and bounds on output.

The HTML5 tree builder's cost grows with the square of the nesting depth (100 000 nested
``<div>`` take minutes to parse), and trafilatura's lxml tree gives up long before. The depth is
estimated without parsing: open tags minus close tags minus void elements, chunk by chunk, with
``str.count`` (C speed, well under a millisecond for a normal page).

Every later pass (pruning, extraction, lead restoration, the text pass) walks each text node
again, so one enormous run of text costs many times its size: an 8 MB one-line body took 2.4 s
where its page without it took 0.07 s. ``clip_runs`` shortens runs of text past ``MAX_RUN``
before parsing, and the article handed on (to storage, deduplication and clustering) is cut at
``MAX_TITLE_CHARS`` and ``MAX_TEXT_CHARS``.
"""

from __future__ import annotations

import re

from aggregator.errors import ExtractError

__all__ = [
    "MAX_NESTING",
    "MAX_RUN",
    "MAX_TEXT_CHARS",
    "MAX_TITLE_CHARS",
    "bounded_text",
    "bounded_title",
    "check_nesting",
    "clip_runs",
    "nesting_estimate",
]

MAX_NESTING = 5000
_CHUNK = 32_768
_VOID = (
    "<br",
    "<img",
    "<meta",
    "<link",
    "<input",
    "<hr",
    "<source",
    "<wbr",
    "<area",
    "<col",
    "<embed",
    "<param",
    "<track",
    "<!",
)


def _balance(chunk: str) -> int:
    closes = chunk.count("</")
    opens = chunk.count("<") - closes - sum(chunk.count(v) for v in _VOID)
    return opens - closes


def nesting_estimate(html: str) -> int:
    """An upper-bound-ish estimate of how deep the tags nest (unclosed ``<p>``/``<li>`` count)."""
    if html.count("<") < MAX_NESTING:
        return 0
    depth = peak = 0
    for start in range(0, len(html), _CHUNK):
        depth += _balance(html[start : start + _CHUNK])
        peak = max(peak, depth)
    return peak


def check_nesting(html: str) -> None:
    """Raise ``ExtractError`` for documents nested too deeply to parse in reasonable time."""
    depth = nesting_estimate(html)
    if depth > MAX_NESTING:
        raise ExtractError(f"document nested too deeply to extract (about {depth} levels)")


# The longest run without markup in the 110 real pages of the extraction benchmark is 625,000
# characters (an inline script); a longer one is padding or an attack, never an article.
MAX_RUN = 1_000_000
# Headlines run to a few hundred characters at most; more is a page stuffing its <title>.
MAX_TITLE_CHARS = 1_000
# About 30,000 words: past any long-read, and enough for near-duplicate and story matching,
# which gain nothing from more text but pay for every character.
MAX_TEXT_CHARS = 200_000
# Linear: each match is a maximal run, so no position is scanned twice.
_RUN = re.compile(r"[^<]+")


def clip_runs(html: str) -> str:
    """``html`` with every run of text (between two ``<``) cut to ``MAX_RUN`` characters."""
    if len(html) <= MAX_RUN:
        return html
    pieces: list[str] = []
    start = 0
    for match in _RUN.finditer(html):
        if match.end() - match.start() > MAX_RUN:
            pieces.append(html[start : match.start() + MAX_RUN])
            start = match.end()
    return "".join(pieces) + html[start:] if pieces else html


def bounded_title(title: str) -> str:
    """``title`` cut to ``MAX_TITLE_CHARS``, at a word boundary when there is one."""
    return _cut(title, MAX_TITLE_CHARS, " ")


def bounded_text(text: str) -> str:
    """``text`` cut to ``MAX_TEXT_CHARS``, after a whole paragraph when there is one."""
    return _cut(text, MAX_TEXT_CHARS, "\n")


def _cut(text: str, limit: int, boundary: str) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit]
    at = head.rfind(boundary)
    return (head[:at] if at > limit // 2 else head).rstrip()
