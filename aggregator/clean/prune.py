"""The DOM pass: drop widgets and UI residue with selectolax before trafilatura sees the page.

Works on a parsed ``LexborHTMLParser`` tree in place (the caller parses once and reads metadata
before pruning) and returns one ``Removal`` per dropped element that had visible text. What to drop
is data in ``residue``; this module only matches it and guards against dropping the article:
an element that holds the ``<h1>``, ``<main>`` or ``articleBody``, or most of the page's text,
stays.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

from aggregator.clean.residue import (
    AD_LABELS,
    CONTENT_BLOCKS,
    DOM_RULES,
    STRIP_TAGS,
    WORD_ATTRIBUTES,
    DomRule,
)
from aggregator.models import Removal, SiteRules

__all__ = ["prune"]

_NEVER_DROP = frozenset({"html", "body", "head", "main", "article"})
_GUARD = "h1, main, [itemprop='articleBody']"
_MAX_SHARE_OF_PAGE = 0.6
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
    raw = " ".join(attrs.get(name) or "" for name in WORD_ATTRIBUTES)
    return _CAMEL.sub("-", raw).lower()


def _word_rule(node: LexborNode) -> DomRule | None:
    match = _word_pattern().search(_attr_words(node))
    if match is None or match.lastgroup is None:
        return None
    return DOM_RULES[int(match.lastgroup[1:])]


def _candidates(tree: LexborHTMLParser) -> Iterator[_Candidate]:
    for rule in DOM_RULES:
        for selector in rule.selectors:
            yield from (_Candidate(n, rule) for n in tree.css(selector))
    for node in tree.css(", ".join(f"[{name}]" for name in WORD_ATTRIBUTES)):
        by_word = _word_rule(node)
        if by_word is not None:
            yield _Candidate(node, by_word)


def _text(node: LexborNode) -> str:
    return _SPACE.sub(" ", node.text(separator=" ")).strip()


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
    ids: set[int] = set()
    for node in tree.css(", ".join(CONTENT_BLOCKS)):
        ids.add(node.mem_id)
        for hidden in (node, *node.css("[hidden], [aria-hidden], [style]")):
            _unhide(hidden)
    inner = ", ".join(f"{b} :is({_UNWRAP_IN_CONTENT})" for b in CONTENT_BLOCKS)
    for node in tree.css(f"{inner}, :is({_UNWRAP_IN_CONTENT}):is({', '.join(CONTENT_BLOCKS)})"):
        _open_up(node)
    return frozenset(ids)


def _open_up(node: LexborNode) -> None:
    """A question in <summary> or <button> becomes a paragraph; wrappers trafilatura drops go."""
    if node.tag in ("summary", "button"):
        paragraph = LexborHTMLParser(f"<p>{html.escape(_text(node))}</p>").css_first("p")
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


@dataclass(frozen=True, slots=True)
class _Context:
    page_chars: int
    protected: frozenset[int]
    content: frozenset[int]


def _allowed(cand: _Candidate, text: str, ctx: _Context) -> bool:
    node, rule = cand.node, cand.rule
    if node.tag in _NEVER_DROP or node.mem_id in ctx.protected:
        return False
    if rule.max_chars is not None:
        return len(text) <= rule.max_chars
    if node.mem_id in ctx.content:
        return False
    if ctx.page_chars and len(text) > _MAX_SHARE_OF_PAGE * ctx.page_chars and len(text) > 500:
        return False
    return node.css_first(_GUARD) is None


def _ad_labels(tree: LexborHTMLParser) -> Iterator[_Candidate]:
    rule = DomRule("dom:ad-label")
    for label in AD_LABELS:
        for node in tree.css(f':lexbor-contains("{label}" i)'):
            if _text(node).lower() == label:
                yield _Candidate(node, rule)


def _site_drops(tree: LexborHTMLParser, drop: Iterable[str]) -> Iterator[_Candidate]:
    rule = DomRule("site:drop")
    for selector in drop:
        yield from (_Candidate(n, rule) for n in tree.css(selector))


def prune(tree: LexborHTMLParser, rules: SiteRules | None = None) -> tuple[Removal, ...]:
    """Drop residue from ``tree`` in place; return what was removed, rule by rule."""
    site = rules or SiteRules()
    tree.strip_tags(list(STRIP_TAGS))
    body = tree.body
    ctx = _Context(
        page_chars=len(_text(body)) if body is not None else 0,
        protected=_protected_ids(tree, site.keep),
        content=_show_content_blocks(tree),
    )
    chosen: dict[int, tuple[_Candidate, str]] = {}
    for cand in (*_site_drops(tree, site.drop), *_candidates(tree), *_ad_labels(tree)):
        if cand.node.mem_id in chosen:
            continue
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
