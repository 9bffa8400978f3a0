"""Put back the lead the extractor left in a block beside the one it chose.

trafilatura picks one container as the article. Many templates put the standfirst in a sibling
block before the body (``div.teaser-text``, ``div.entry-excerpt``, ``header > div.intro``), and
the extractor then drops it. Here the pruned tree is searched for prose paragraphs that come
before the first paragraph the extractor kept, near it, and they go back in front of that
paragraph.

"Near" means inside the lowest common ancestor of the kept paragraphs, widened by at most two
levels (the lead sits one or two levels up from the body). The widening stops where the scope
would take in more unkept prose than the extractor kept: there it has grown from the article into
the page. "Prose" means a paragraph long enough to be a sentence, mostly not link text, outside
navigation, captions and comment threads.

Only the lead: on the extraction benchmark, unkept prose before the body held 28 article
segments against 4 boilerplate ones, while unkept prose between or after the kept paragraphs held
1 against 41 (author boxes, calls to action, donation forms, disclaimers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["restore_lead"]

_PARAGRAPHS = "p"
_MIN_CHARS = 80
_MAX_LINK_SHARE = 0.3
_KEY_CHARS = 60
_MAX_WIDEN = 2
# Outside the article even when they sit inside its container.
_FOREIGN_TAGS = frozenset({"nav", "footer", "aside", "form", "figcaption", "blockquote"})
_FOREIGN_WORDS = re.compile(
    r"comment|respond|related|author-?bio|newsletter|sidebar|caption|credit", re.IGNORECASE
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class _Block:
    node: LexborNode
    text: str
    key: str
    kept: bool


def _collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _foreign(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None and parent.tag not in ("body", "html"):
        if parent.tag in _FOREIGN_TAGS:
            return True
        words = f"{parent.attributes.get('class') or ''} {parent.attributes.get('id') or ''}"
        if _FOREIGN_WORDS.search(words):
            return True
        parent = parent.parent
    return False


def _prose(block: _Block) -> bool:
    link_chars = sum(len(_collapse(a.text())) for a in block.node.css("a"))
    return link_chars <= _MAX_LINK_SHARE * len(block.text) and not _foreign(block.node)


def _paragraphs(tree: LexborHTMLParser, extracted: str) -> Iterator[_Block]:
    """Paragraphs long enough to be prose, in document order, marked kept or not."""
    flat = _collapse(extracted)
    for node in tree.css(_PARAGRAPHS):
        text = _collapse(node.text())
        if len(text) >= _MIN_CHARS:
            key = text[:_KEY_CHARS]
            yield _Block(node, text, key, key in flat)


def _ancestors(node: LexborNode) -> Iterator[LexborNode]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _common_ancestor(nodes: list[LexborNode]) -> LexborNode | None:
    shared = [a.mem_id for a in _ancestors(nodes[0])]
    for node in nodes[1:]:
        ids = {a.mem_id for a in _ancestors(node)}
        shared = [i for i in shared if i in ids]
    return next((a for a in _ancestors(nodes[0]) if shared and a.mem_id == shared[0]), None)


def _inside(node: LexborNode, scope: LexborNode) -> bool:
    return any(a.mem_id == scope.mem_id for a in _ancestors(node))


def _in_scope(blocks: list[_Block]) -> list[_Block]:
    """The blocks inside the widest scope around the kept ones that is still the article."""
    kept = [b for b in blocks if b.kept]
    scope = _common_ancestor([b.node for b in kept])
    if scope is None:
        return []
    kept_chars = sum(len(b.text) for b in kept)
    chosen: list[_Block] = []
    for _ in range(_MAX_WIDEN + 1):
        if scope is None or scope.tag in ("body", "html"):
            break
        inside = [b for b in blocks if _inside(b.node, scope)]
        if sum(len(b.text) for b in inside if not b.kept) > kept_chars:
            break
        chosen = inside
        scope = scope.parent
    return chosen


def restore_lead(tree: LexborHTMLParser, extracted: str) -> tuple[str, tuple[str, ...]]:
    """``extracted`` with the lead paragraphs back before the body; also the restored ones."""
    found = _paragraphs(tree, extracted)
    opening = next(found, None)
    # Most pages: the first paragraph is kept, and there is nothing before it to look at (nor
    # a reason to measure the others).
    if opening is None or opening.kept:
        return extracted, ()
    paragraphs = [opening, *found]
    if not any(b.kept for b in paragraphs):
        return extracted, ()
    blocks = [b for b in paragraphs if _prose(b)]
    if not any(b.kept for b in blocks):
        return extracted, ()
    scoped = _in_scope(blocks)
    first = next((i for i, b in enumerate(scoped) if b.kept), 0)
    lead = tuple(b.text for b in scoped[:first])
    if not lead:
        return extracted, ()
    # In front of the first kept paragraph, so a headline or kicker the extractor kept stays on top.
    lines = extracted.splitlines()
    at = next((i for i, line in enumerate(lines) if scoped[first].key in _collapse(line)), 0)
    return "\n".join((*lines[:at], *lead, *lines[at:])), lead
