"""Content fingerprints: an exact hash of normalised text and a 64-bit SimHash.

SimHash (Charikar 2002; Manku, Jain and Das Sarma 2007 for web near-duplicates) maps similar
shingle sets to fingerprints a small Hamming distance apart. Shingles are word 3-grams, so
a re-punctuated or lightly edited copy keeps most of them.
"""

from __future__ import annotations

import hashlib
import re

from aggregator.dedup.tokens import normalize, tokenize

__all__ = [
    "content_hash",
    "from_signed64",
    "hamming",
    "normalize_text",
    "shingles",
    "simhash",
    "to_signed64",
]

_NON_WORD = re.compile(r"[\W_]+")
_MASK64 = (1 << 64) - 1


def normalize_text(text: str) -> str:
    """NFKC, case-fold, punctuation to spaces, whitespace collapsed: what an exact copy keeps."""
    return " ".join(_NON_WORD.sub(" ", normalize(text)).split())


def content_hash(text: str) -> str:
    """Hex SHA-256 of :func:`normalize_text` of ``text``."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def shingles(text: str, size: int = 3) -> list[str]:
    """Word ``size``-grams of ``text`` (stop words kept: they carry the phrasing)."""
    words = tokenize(text, drop_stop_words=False)
    if len(words) <= size:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


def _hash64(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "big")


def _bit_counts(values: list[int]) -> list[int]:
    """How many of ``values`` have each of the 64 bits set.

    The 64 bit positions are summed in parallel with bit-sliced counters (``planes[k]`` holds
    bit ``k`` of every position's count), which costs a few big-int operations per value
    instead of 64 Python steps.
    """
    planes: list[int] = []
    for value in values:
        carry = value
        for k, plane in enumerate(planes):
            planes[k] = plane ^ carry
            carry &= plane
            if not carry:
                break
        if carry:
            planes.append(carry)
    return [sum(((plane >> bit) & 1) << k for k, plane in enumerate(planes)) for bit in range(64)]


def simhash(text: str) -> int:
    """Unsigned 64-bit SimHash of the word 3-gram shingles of ``text`` (0 for empty text)."""
    hashes = [_hash64(shingle) for shingle in set(shingles(text))]
    counts = _bit_counts(hashes)
    return sum(1 << bit for bit, ones in enumerate(counts) if 2 * ones > len(hashes))


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit fingerprints (signed or unsigned)."""
    return ((a ^ b) & _MASK64).bit_count()


def to_signed64(value: int) -> int:
    """Map an unsigned 64-bit value into a signed BIGINT's range."""
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


def from_signed64(value: int) -> int:
    """Inverse of :func:`to_signed64`."""
    return value & _MASK64
