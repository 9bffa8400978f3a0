"""What clustering extracts from one article: term counts, entity-ish terms, fingerprints.

Everything here is a pure function of the item; corpus statistics (idf) are applied later by
the index, so features can be computed once and re-weighted as the corpus grows.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass

from aggregator.dedup.fingerprint import content_hash, simhash
from aggregator.dedup.tokens import STOP_WORDS, is_cjk, tokenize, word_spans

__all__ = [
    "Features",
    "decode_features",
    "encode_features",
    "extract_entities",
    "extract_features",
    "sublinear",
]

#: Words in a body's first sentences form the lead, which states the event.
LEAD_WORDS = 60
#: Below this many words a SimHash is too noisy to call two texts near-duplicates.
MIN_SIMHASH_WORDS = 40

_SENTENCE_END = frozenset(".!?\"'\u201c\u201d\u2018\u2019:;([-\u2014\u2013\u2022")
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"(?<![\d.,])(?:19|20)\d\d(?![\d.,]\d)")
_WORD_END = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Features:
    """Term statistics of one article (raw counts; weighting happens in the index)."""

    title: dict[str, float]
    lead: dict[str, float]
    body: dict[str, float]
    entities: dict[str, float]
    exact: str
    simhash: int | None
    years: frozenset[str] = frozenset()


def sublinear(counts: Counter[str]) -> dict[str, float]:
    """``1 + log(tf)``: a term said ten times is not ten times as telling (Salton & Buckley)."""
    return {term: 1.0 + math.log(count) for term, count in counts.items()}


def _starts_sentence(text: str, offset: int) -> bool:
    before = text[max(0, offset - 3) : offset].rstrip(" \t")
    return not before or before[-1] in _SENTENCE_END or before.endswith("\n")


def _title_case(text: str) -> bool:
    words = [w for _, w in word_spans(text) if w[:1].isalpha() and not is_cjk(w)]
    capitals = sum(1 for w in words if w[:1].isupper())
    return len(words) >= 3 and capitals > 0.6 * len(words)


def extract_entities(text: str) -> Counter[str]:
    """Entity-ish terms: capitalised words inside a sentence, and numbers.

    A capital that does not start a sentence marks a name, place or month in most Latin-script
    languages; numbers carry dates, counts and scores. Both separate two events of the same kind.
    """
    found: Counter[str] = Counter()
    for offset, word in word_spans(text):
        if is_cjk(word):
            continue
        lowered = word.casefold().replace("\u2019", "'").removesuffix("'s").replace(".", "")
        if not lowered or lowered in STOP_WORDS:
            continue
        if _DIGIT.search(word) or (word[:1].isupper() and not _starts_sentence(text, offset)):
            found[lowered] += 1
    return found


def _split_body(title: str, text: str) -> tuple[str, str]:
    """Drop a repeated title from the body's start; return ``(lead, rest)``, line breaks kept."""
    body = text.strip()
    if title and body.startswith(title.strip()):
        body = body[len(title.strip()) :].lstrip()
    for count, match in enumerate(_WORD_END.finditer(body), start=1):
        if count == LEAD_WORDS:
            return body[: match.end()], body[match.end() :]
    return body, ""


def extract_features(title: str, text: str) -> Features:
    """Features of one article from its headline and body text."""
    lead, rest = _split_body(title, text)
    entities = extract_entities(f"{lead}\n{rest}")
    if not _title_case(title):
        entities.update(extract_entities(title))
    body_text = text if len(text.split()) >= MIN_SIMHASH_WORDS else ""
    return Features(
        title=sublinear(Counter(tokenize(title))),
        lead=sublinear(Counter(tokenize(lead))),
        body=sublinear(Counter(tokenize(rest))),
        entities=sublinear(entities),
        exact=content_hash(text if body_text else f"{title}\n{text}"),
        simhash=simhash(body_text) if body_text else None,
        years=frozenset(_YEAR.findall(f"{title}\n{text}")),
    )


def encode_features(features: Features) -> bytes:
    """``features`` as compact bytes, for the extraction stage to store beside the article.

    JSON keeps the floats exact (``repr`` round-trips), so the story stage decides on the very
    numbers it would have computed itself; zlib's fastest level halves the size for little CPU.
    """
    payload = {
        "t": features.title,
        "l": features.lead,
        "b": features.body,
        "e": features.entities,
        "x": features.exact,
        "s": features.simhash,
        "y": sorted(features.years),
    }
    return zlib.compress(json.dumps(payload, ensure_ascii=False).encode("utf-8"), 1)


def decode_features(blob: bytes) -> Features:
    """The inverse of :func:`encode_features`; ValueError when ``blob`` is not one."""
    try:
        payload = json.loads(zlib.decompress(blob))
        return Features(
            title=payload["t"],
            lead=payload["l"],
            body=payload["b"],
            entities=payload["e"],
            exact=payload["x"],
            simhash=payload["s"],
            years=frozenset(payload["y"]),
        )
    except (zlib.error, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not encoded features: {exc}") from exc
