"""The cleaner: one HTML page in, one ``CleanedArticle`` (or a typed error) out.

    bytes ──decode──▶ str ──parse (selectolax)──▶ metadata + link stats
                                   │
                                 prune (DOM pass, rules in ``residue``)
                                   │
                      scope (the marked article, if any) ──▶ extract (trafilatura, ``extract.py``)
                                   │
                      restore (a lead left beside the body) ──▶ text pass ──▶ CleanedArticle

Raises ``ParseError`` for bytes that are not an HTML document and ``ExtractError(reason)`` when
there is no article in it (``reason`` starts with ``not an article:`` for homepages and listings).
"""

from __future__ import annotations

import re
from dataclasses import replace

from selectolax.lexbor import LexborHTMLParser

from aggregator.clean.classify import declared_listing, link_stats, listing_reason
from aggregator.clean.decode import decode_html, looks_binary
from aggregator.clean.extract import ExtractOptions, extract_text
from aggregator.clean.limits import (
    MAX_TITLE_CHARS,
    bounded_text,
    bounded_title,
    check_nesting,
    clip_runs,
)
from aggregator.clean.metadata import PageMeta, published_fallback, read_metadata
from aggregator.clean.prune import prune
from aggregator.clean.restore import restore_lead
from aggregator.clean.scope import ExtractorInput, extractor_input
from aggregator.clean.text import TextContext, clean_text
from aggregator.errors import ExtractError, ParseError
from aggregator.models import CleanedArticle, Removal, SiteRules

__all__ = ["ExtractOptions", "clean_html", "decode_html"]

# Below this share of the text it was given, the fast pass missed the article.
_MIN_FAST_SHARE = 0.2
# lxml refuses NUL and most C0 controls, and lone surrogates cannot be encoded at all.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _text_of(body: bytes | str, charset: str | None) -> str:
    if isinstance(body, bytes):
        return clip_runs(_UNSAFE.sub("", decode_html(body, charset)))
    if not body.strip():
        raise ParseError("empty document")
    if looks_binary(body):
        raise ParseError("not an HTML document (binary or no markup)")
    return clip_runs(_UNSAFE.sub("", body))


def _parse(html: str) -> LexborHTMLParser:
    tree = LexborHTMLParser(html)
    if tree.body is None and tree.root is None:
        raise ParseError("document has no elements")
    return tree


def _title(meta: PageMeta, text: str) -> str:
    if meta.title:
        return meta.title
    return next((line for line in text.splitlines() if line.strip()), "")[:200]


def _bounded(meta: PageMeta) -> PageMeta:
    """``meta`` with its title cut, before the text pass compares the text against it."""
    if meta.title is None or len(meta.title) <= MAX_TITLE_CHARS:
        return meta
    return replace(meta, title=bounded_title(meta.title))


def _extract(source: ExtractorInput, url: str | None) -> str:
    """The fast pass first, and the full one if that keeps little of the text (``scope.py``)."""
    try:
        text = extract_text(source.html, url=url, options=ExtractOptions(fast=True))
    except ExtractError:
        text = ""
    if text and len(text) >= _MIN_FAST_SHARE * source.chars:
        return text
    return extract_text(source.html, url=url)


def clean_html(
    body: bytes | str,
    *,
    url: str | None = None,
    charset: str | None = None,
    rules: SiteRules | None = None,
    explain: bool = True,
) -> CleanedArticle:
    """Clean one page; ``explain`` keeps the audit trail (removals, restored leads) in it."""
    html = _text_of(body, charset)
    check_nesting(html)
    tree = _parse(html)
    meta = _bounded(read_metadata(tree, url))
    declared = declared_listing(meta, url)
    stats = link_stats(tree) if declared else None
    dom_removals = prune(tree, rules)
    source = extractor_input(tree)
    extracted = _extract(source, url)
    reason = listing_reason(declared, stats, extracted)
    if reason is not None:
        raise ExtractError(f"not an article: {reason}")
    extracted, restored = restore_lead(tree, extracted)
    cleaned = clean_text(extracted, TextContext(title=meta.title, authors=meta.authors))
    if not cleaned.text.strip():
        raise ExtractError("no article text left after removing residue")
    removals: tuple[Removal, ...] = (*dom_removals, *cleaned.removals) if explain else ()
    return CleanedArticle(
        title=_title(meta, cleaned.text),
        text=bounded_text(cleaned.text),
        authors=meta.authors,
        published=meta.published or published_fallback(tree, source.html, url),
        language=meta.language,
        canonical_url=meta.canonical_url,
        image=meta.image,
        removals=removals,
        restored=restored if explain else (),
    )
