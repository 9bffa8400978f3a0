"""Cheap checks that keep pathological documents away from the parsers.

The HTML5 tree builder's cost grows with the square of the nesting depth (100 000 nested
``<div>`` take minutes to parse), and trafilatura's lxml tree gives up long before. The depth is
estimated without parsing: open tags minus close tags minus void elements, chunk by chunk, with
``str.count`` (C speed, well under a millisecond for a normal page).
"""

from __future__ import annotations

from aggregator.errors import ExtractError

__all__ = ["MAX_NESTING", "check_nesting", "nesting_estimate"]

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
