"""Tokenisation shared by fingerprints and clustering.

Words are maximal runs of letters and digits (Unicode-aware). Chinese and Japanese write no
spaces between words, so runs of Han, Kana or Hangul become overlapping character bigrams, the
usual unsupervised choice for CJK retrieval (a lone character stays a unigram).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["STOP_WORDS", "is_cjk", "normalize", "tokenize", "word_spans"]

_CJK_RANGES = (
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf"  # CJK Extension A
    "\u4e00-\u9fff"  # CJK Unified Ideographs
    "\uf900-\ufaff"  # CJK Compatibility Ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uff66-\uff9f"  # half-width Katakana
)
_CJK_RUN = re.compile(f"[{_CJK_RANGES}]+")
_WORD = re.compile(rf"[{_CJK_RANGES}]+|[^\W_]+(?:['\u2019.][^\W_]+)*")
_CJK_CHAR = re.compile(f"[{_CJK_RANGES}]")

_STOP_TEXT = """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    said says say also new one two may mr mrs ms via like get gets got s t"""

#: English function words; they carry no topic (a short list: idf handles the rest).
STOP_WORDS: frozenset[str] = frozenset(_STOP_TEXT.split())


def normalize(text: str) -> str:
    """NFKC-fold and lower-case ``text`` (full-width forms become ASCII, ligatures split)."""
    return unicodedata.normalize("NFKC", text).casefold()


def is_cjk(token: str) -> bool:
    """True when ``token`` is written in Chinese, Japanese or Korean script."""
    return bool(_CJK_CHAR.match(token))


def _cjk_bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def word_spans(text: str) -> list[tuple[int, str]]:
    """Return ``(offset, word)`` for each word of the NFKC-normalised (not lower-cased) text."""
    folded = unicodedata.normalize("NFKC", text)
    return [(m.start(), m.group()) for m in _WORD.finditer(folded)]


def _clean(word: str) -> str:
    if "\u2019" in word:
        word = word.replace("\u2019", "'")
    if "'" in word:
        word = word.removesuffix("'s")
    return word.replace(".", "") if "." in word else word


def tokenize(text: str, *, drop_stop_words: bool = True) -> list[str]:
    """Lower-cased word tokens; CJK runs become character bigrams; apostrophe-s is dropped."""
    tokens: list[str] = []
    for word in _WORD.findall(normalize(text)):
        if word[0] >= "\u3040" and _CJK_RUN.fullmatch(word):
            tokens.extend(_cjk_bigrams(word))
            continue
        word = _clean(word)
        if word and not (drop_stop_words and word in STOP_WORDS):
            tokens.append(word)
    return tokens
