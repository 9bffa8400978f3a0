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
    "without_headline",
]

#: Words in a body's first sentences form the lead, which states the event.
LEAD_WORDS = 60
#: A headline repeated in the body sits in its first lines (under a kicker or two at most).
HEADLINE_LINES = 3
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


def _comparable(line: str) -> str:
    return " ".join(line.split()).casefold().rstrip(".")


def without_headline(title: str, text: str) -> str:
    """``text`` without its headline when it repeats it at the top (as its first line, under a
    kicker line, or opening the first line), so features do not depend on whether the cleaner
    or the page left it there."""
    body = text.strip()
    wanted = _comparable(title)
    if not wanted:
        return body
    lines = body.splitlines()
    for i, line in enumerate(lines[:HEADLINE_LINES]):
        if _comparable(line) == wanted:
            return "\n".join(lines[:i] + lines[i + 1 :]).strip()
    if body.startswith(title.strip()):
        return body[len(title.strip()) :].lstrip()
    return body


def _split_body(body: str) -> tuple[str, str]:
    """``(lead, rest)`` of a body, line breaks kept."""
    for count, match in enumerate(_WORD_END.finditer(body), start=1):
        if count == LEAD_WORDS:
            return body[: match.end()], body[match.end() :]
    return body, ""


def extract_features(title: str, text: str) -> Features:
    """Features of one article from its headline and body text.

    The headline is given apart and counts through ``title`` alone (``ClusterSettings.
    title_weight``), whether or not the body repeats it (issue 12): the cleaner now drops the
    repeated headline, which split a seed story while features still depended on it (commit
    e0dcc7d). Before, a body that opened with its exact headline lost it here and one that had
    it under a kicker line kept it in its lead; counting it in every lead instead lowered
    ECB+ dev B3 F1 from 0.937 to 0.924, so the repeat counts nowhere.
    """
    body = without_headline(title, text)
    lead, rest = _split_body(body)
    entities = extract_entities(f"{lead}\n{rest}")
    if not _title_case(title):
        entities.update(extract_entities(title))
    body_text = body if len(body.split()) >= MIN_SIMHASH_WORDS else ""
    return Features(
        title=sublinear(Counter(tokenize(title))),
        lead=sublinear(Counter(tokenize(lead))),
        body=sublinear(Counter(tokenize(rest))),
        entities=sublinear(entities),
        exact=content_hash(body_text if body_text else f"{title}\n{body}"),
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
