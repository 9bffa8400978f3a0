"""The DOM pass: drop widgets and UI residue with selectolax before trafilatura sees the page.

Works on a parsed ``LexborHTMLParser`` tree in place (the caller parses once and reads metadata
before pruning) and returns one ``Removal`` per dropped element that had visible text. What to drop
is data in ``residue``; this module only matches it and guards against dropping the article:
an element that holds the ``<h1>``, ``<main>`` or ``articleBody``, or most of the page's text,
stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

from aggregator.clean.residue import (
    CARD_BLOCK,
    CARD_TIME,
    CONTENT_BLOCKS,
    DOM_RULES,
    STRIP_SELECTORS,
    WORD_ATTRIBUTES,
    CardShape,
    DomRule,
)
from aggregator.models import Removal, SiteRules

__all__ = ["prune"]

_NEVER_DROP = frozenset({"html", "body", "head", "main", "article"})
# A heading is never a widget itself ("nav_nur_die_folie" anchors, "TOC_TITLE_1"); the widget
# around a widget's heading is.
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_GUARD = "h1, main, [itemprop='articleBody']"
_MAX_SHARE_OF_PAGE = 0.6
_SHORT_WIDGET = 300
_LINKY = 0.5
_MAX_WIDGET_PROSE = 400
_PROSE_PARAGRAPH = 300
_UNWRAP_IN_CONTENT = "aside, details, summary, button"
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPACE = re.compile(r"\s+")
_RECORD_CHARS = 300


@dataclass(frozen=True, slots=True)
class _Candidate:
    node: LexborNode
    rule: DomRule


@lru_cache(maxsize=1)
def _word_pattern() -> re.Pattern[str]:
    """One alternation over every rule's class/id words; the matching group names the rule."""
    groups = (f"(?P<r{i}>{'|'.join(rule.words)})" for i, rule in enumerate(DOM_RULES) if rule.words)
    return re.compile(rf"(?:^|[\s_-])(?:{'|'.join(groups)})(?=$|[\s_-])")


def _attr_words(node: LexborNode) -> str:
    attrs = node.attributes
    return " ".join([value for name in WORD_ATTRIBUTES if (value := attrs.get(name))])


def _word_rule(raw: str) -> DomRule | None:
    words = raw if raw.islower() else _CAMEL.sub("-", raw).lower()
    match = _word_pattern().search(words)
    if match is None or match.lastgroup is None:
        return None
    return DOM_RULES[int(match.lastgroup[1:])]


def _candidates(tree: LexborHTMLParser) -> Iterator[_Candidate]:
    for rule in DOM_RULES:
        if rule.selectors:
            yield from (_Candidate(n, rule) for n in tree.css(", ".join(rule.selectors)))
    # Pages repeat the same class strings hundreds of times: match each distinct one once.
    seen: dict[str, DomRule | None] = {}
    visited: set[int] = set()
    # lexbor returns a node once per selector of a group it matches: skip the repeats.
    for node in tree.css(", ".join(f"[{name}]" for name in WORD_ATTRIBUTES)):
        if node.mem_id in visited:
            continue
        visited.add(node.mem_id)
        raw = _attr_words(node)
        if raw not in seen:
            seen[raw] = _word_rule(raw)
        by_word = seen[raw]
        if by_word is not None:
            yield _Candidate(node, by_word)


_CARDS = DomRule("dom:recommendations")


def _elements_after(node: LexborNode) -> list[LexborNode]:
    found = []
    sibling = node.next
    while sibling is not None:
        if sibling.tag not in ("-text", "-comment"):
            found.append(sibling)
        sibling = sibling.next
    return found


def _children(node: LexborNode) -> list[LexborNode]:
    child, found = node.child, []
    while child is not None:
        if child.tag not in ("-text", "-comment"):
            found.append(child)
        child = child.next
    return found


def _is_card(node: LexborNode, shape: CardShape) -> bool:
    text = _text(node)
    words = len(text.split())
    if (
        len(text) > shape.max_card_chars
        or not shape.min_card_words <= words <= shape.max_card_words
    ):
        return False
    return (
        node.tag == "a"
        or node.css_first("a[href], img") is not None
        or CARD_TIME.search(text) is not None
    )


def _cards(heading: LexborNode, shape: CardShape) -> list[LexborNode]:
    """The cards after ``heading``: its following siblings, or the items of its one list."""
    after = _elements_after(heading)
    cards = _children(after[0]) if len(after) == 1 else after
    if len(cards) < shape.min_cards:
        return []
    kind = (cards[0].tag, cards[0].attributes.get("class"))
    if any((c.tag, c.attributes.get("class")) != kind for c in cards):
        return []
    return cards if all(_is_card(c, shape) for c in cards) else []


def _card_blocks(tree: LexborHTMLParser, shape: CardShape = CARD_BLOCK) -> Iterator[_Candidate]:
    """Recommendation blocks by shape (``residue.CardShape``): a heading, then cards."""
    for heading in tree.css(", ".join(shape.headings)):
        parent = heading.parent
        if parent is None or len(_text(heading)) > shape.max_heading_chars:
            continue
        if _cards(heading, shape) and _heads(parent, heading):
            yield _Candidate(parent, _CARDS)


def _heads(parent: LexborNode, heading: LexborNode) -> bool:
    """True when nothing with text comes before ``heading`` in ``parent``: the block is the
    heading's parent only when it holds nothing else (a heading over a list of links at the end
    of an article's body is no reason to drop the body)."""
    for child in _children(parent):
        if child.mem_id == heading.mem_id:
            return True
        if _text(child):
            return False
    return False


def _text(node: LexborNode) -> str:
    return " ".join(node.text(separator=" ").split())


def _ancestor_ids(node: LexborNode) -> Iterator[int]:
    parent = node.parent
    while parent is not None:
        yield parent.mem_id
        parent = parent.parent


def _protected_ids(tree: LexborHTMLParser, keep: Iterable[str]) -> frozenset[int]:
    """Nodes matched by the site's keep selectors, and their ancestors (dropping one drops them)."""
    ids: set[int] = set()
    for selector in keep:
        for node in tree.css(selector):
            ids.add(node.mem_id)
            ids.update(_ancestor_ids(node))
    return frozenset(ids)


def _show_content_blocks(tree: LexborHTMLParser) -> frozenset[int]:
    """Un-hide FAQ / takeaway blocks and unwrap the tags trafilatura drops; return their ids."""
    blocks = tree.css(", ".join(CONTENT_BLOCKS))
    for node in blocks:
        for hidden in (node, *node.css("[hidden], [aria-hidden], [style]")):
            _unhide(hidden)
    ids = frozenset(node.mem_id for node in blocks)
    targets = {n.mem_id: n for block in blocks for n in block.css(_UNWRAP_IN_CONTENT)}
    targets.update((n.mem_id, n) for n in blocks if n.tag in ("aside", "details"))
    # Questions first, then the wrappers around them.
    for node in sorted(targets.values(), key=lambda n: n.tag in ("aside", "details")):
        _open_up(node)
    return ids


def _open_up(node: LexborNode) -> None:
    """A question in <summary> or <button> becomes a paragraph; wrappers trafilatura drops go."""
    if node.tag in ("summary", "button"):
        # The markup is kept (not just the text) so the icon rules still see the glyphs in it.
        paragraph = LexborHTMLParser(f"<p>{node.inner_html or ''}</p>").css_first("p")
        if paragraph is not None:
            node.replace_with(paragraph)
    elif node.tag in ("aside", "details"):
        node.unwrap()


def _unhide(node: LexborNode) -> None:
    attrs = node.attrs
    for name in ("hidden", "aria-hidden"):
        if name in attrs:
            del attrs[name]
    style = attrs.get("style")
    if style and _HIDDEN_STYLE.search(style):
        del attrs["style"]


@dataclass(slots=True)
class _Context:
    body: LexborNode | None
    protected: frozenset[int]
    content: frozenset[int]
    # Elements that hold the <h1>, <main> or articleBody: the article, or a wrapper around it.
    guarded: frozenset[int]
    _page_chars: int | None = None

    def page_chars(self) -> int:
        """The page's text length, measured once and only for the rare large candidate."""
        if self._page_chars is None:
            self._page_chars = len(_text(self.body)) if self.body is not None else 0
        return self._page_chars


def _allowed(cand: _Candidate, text: str, ctx: _Context) -> bool:
    node, rule = cand.node, cand.rule
    if node.tag in _NEVER_DROP or node.mem_id in ctx.protected:
        return False
    if rule.max_chars is not None:
        return len(text) <= rule.max_chars and (not rule.glyph or " " not in text)
    if node.mem_id in ctx.content or node.tag in _HEADINGS:
        return False
    if len(text) > 500 and len(text) > _MAX_SHARE_OF_PAGE * ctx.page_chars() > 0:
        return False
    return node.mem_id not in ctx.guarded and _widget_shaped(node, text)


def _widget_shaped(node: LexborNode, text: str) -> bool:
    """Short, or mostly links, or without prose: a class word alone never drops an article.

    Themes put ``share`` or ``sidebar`` on the element that wraps the story
    (``entry themeform share``, ``l-sidebar-fixed l-article-body-segment``).
    """
    if len(text) <= _SHORT_WIDGET:
        return True
    link_chars = sum(len(_text(a)) for a in node.css("a"))
    if link_chars >= _LINKY * len(text):
        return True
    if len(text) - link_chars > _MAX_WIDGET_PROSE:
        return False
    return not any(len(_text(p)) >= _PROSE_PARAGRAPH for p in node.css("p"))


def _site_drops(tree: LexborHTMLParser, drop: Iterable[str]) -> Iterator[_Candidate]:
    rule = DomRule("site:drop")
    for selector in drop:
        yield from (_Candidate(n, rule) for n in tree.css(selector))


def prune(tree: LexborHTMLParser, rules: SiteRules | None = None) -> tuple[Removal, ...]:
    """Drop residue from ``tree`` in place; return what was removed, rule by rule."""
    site = rules or SiteRules()
    for node in tree.css(", ".join(STRIP_SELECTORS)):
        node.decompose()
    ctx = _Context(
        body=tree.body,
        protected=_protected_ids(tree, site.keep),
        guarded=_protected_ids(tree, (_GUARD,)),
        content=_show_content_blocks(tree),
    )
    chosen: dict[int, tuple[_Candidate, str]] = {}
    judged: set[tuple[int, str]] = set()
    for cand in (*_site_drops(tree, site.drop), *_candidates(tree), *_card_blocks(tree)):
        key = (cand.node.mem_id, cand.rule.name)
        if cand.node.mem_id in chosen or key in judged:
            continue
        judged.add(key)
        text = _text(cand.node)
        if cand.rule.name == "site:drop" or _allowed(cand, text, ctx):
            chosen[cand.node.mem_id] = (cand, text)
    return _drop_outermost(chosen)


def _drop_outermost(chosen: dict[int, tuple[_Candidate, str]]) -> tuple[Removal, ...]:
    outer = [
        (cand, text)
        for cand, text in chosen.values()
        if not any(a in chosen for a in _ancestor_ids(cand.node))
    ]
    removals = tuple(Removal(c.rule.name, t[:_RECORD_CHARS]) for c, t in outer if t)
    for cand, _ in outer:
        cand.node.decompose()
    return removals
