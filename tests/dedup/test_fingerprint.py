from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aggregator.dedup.fingerprint import (
    content_hash,
    from_signed64,
    hamming,
    normalize_text,
    simhash,
    to_signed64,
)

ARTICLE = (
    "Fire crews from three towns were called this morning to a major blaze at the supermarket "
    "in Wellington. The fire destroyed a large section of the store, and investigators remain "
    "at the scene. Two engines were sent after members of the public called emergency services "
    "at 6am; six more engines, an aerial platform and a command vehicle followed. Police asked "
    "residents nearby to keep doors and windows shut while the smoke cleared over the town."
)


def test_normalize_text_folds_case_width_and_punctuation() -> None:
    assert normalize_text("  Hello,\u00a0WORLD!\n\t\uff21\uff22\uff23 ") == "hello world abc"


def test_content_hash_ignores_formatting_only() -> None:
    assert content_hash("Breaking: A fire!") == content_hash("breaking  a FIRE")
    assert content_hash("a fire") != content_hash("a flood")
    assert len(content_hash("x")) == 64


def test_simhash_near_for_light_edit_far_for_other_text() -> None:
    edited = ARTICLE.replace("this morning", "early today").replace("six more", "6 more")
    other = "The central bank held interest rates steady and signalled two cuts later this year."
    appended = ARTICLE + " The store will stay closed until further notice."
    assert hamming(simhash(ARTICLE), simhash(appended)) <= 12
    assert hamming(simhash(ARTICLE), simhash(edited)) < hamming(simhash(ARTICLE), simhash(other))
    assert hamming(simhash(ARTICLE), simhash(other)) > 20


def test_simhash_of_empty_text_is_zero() -> None:
    assert simhash("") == 0


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_signed64_round_trip(value: int) -> None:
    signed = to_signed64(value)
    assert -(2**63) <= signed < 2**63
    assert from_signed64(signed) == value


@given(st.integers(min_value=0, max_value=2**64 - 1), st.integers(min_value=0, max_value=2**64 - 1))
def test_hamming_same_for_signed_and_unsigned(a: int, b: int) -> None:
    assert hamming(a, b) == hamming(to_signed64(a), to_signed64(b)) == (a ^ b).bit_count()
