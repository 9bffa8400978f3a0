"""No page makes the cleaner raise anything but our typed errors."""

from __future__ import annotations

import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.clean import clean_html
from aggregator.clean.limits import (
    MAX_RUN,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    bounded_text,
    bounded_title,
    clip_runs,
)
from aggregator.errors import ExtractError, ParseError
from tests.support import expectations

ARTICLE = "<p>" + "The council voted on Tuesday to rebuild the old bridge across the river. " * 8
SEED = expectations()[0][0].read_bytes() if expectations() else ARTICLE.encode()


def _clean_or_typed_error(body: bytes | str, **kwargs: str | None) -> None:
    try:
        article = clean_html(body, **kwargs)  # type: ignore[arg-type]
    except (ParseError, ExtractError) as exc:
        assert str(exc).startswith(("parse: ", "extract: "))
    else:
        assert article.text.strip()


def test_no_body_tag() -> None:
    article = clean_html(f"<html><head><title>T</title></head>{ARTICLE}</html>".encode())
    assert "rebuild the old bridge" in article.text


def test_fragment_without_html_or_body() -> None:
    assert "rebuild the old bridge" in clean_html(ARTICLE).text


def test_head_only_is_an_extract_error() -> None:
    with pytest.raises(ExtractError):
        clean_html(b"<html><head><title>Nothing here</title></head></html>")


@pytest.mark.parametrize(
    "body",
    [
        b"\x00\x01\x02\x03" * 1000,
        bytes(range(256)) * 40,
        b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 500,
    ],
)
def test_binary_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        clean_html(body)


def test_empty_is_a_parse_error() -> None:
    for body in (b"", "", b"  \n"):
        with pytest.raises(ParseError):
            clean_html(body)


def test_ten_megabytes_of_nested_divs() -> None:
    depth = 1_000_000
    body = "<html><body>" + "<div>" * depth + ARTICLE + "</div>" * depth + "</body></html>"
    assert len(body) > 10_000_000
    limit = sys.getrecursionlimit()
    with pytest.raises(ExtractError, match="nested too deeply"):
        clean_html(body.encode())
    assert sys.getrecursionlimit() == limit


def test_moderately_nested_page_is_cleaned_or_a_typed_error() -> None:
    depth = 2000
    _clean_or_typed_error("<html><body>" + "<div>" * depth + ARTICLE + "</div>" * depth)


def test_wrong_declared_charset() -> None:
    body = "<html><body>" + ARTICLE.replace("old", "alte Brücke, sagt Müller, über") + "</body>"
    article = clean_html(body.encode("cp1252"), charset="utf-8")
    assert "Brücke" in article.text and "Müller" in article.text
    article = clean_html(body.encode("utf-8"), charset="iso-8859-1")
    assert "Brücke" in article.text


def test_broken_html() -> None:
    broken = (
        "<html><body><div><p>Unclosed <b>bold <i>" + ARTICLE + "<table><tr><td>cell</div></span>"
    )
    _clean_or_typed_error(broken.encode())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes(body: bytes) -> None:
    _clean_or_typed_error(body)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=len(SEED)),
    length=st.integers(min_value=0, max_value=400),
    junk=st.binary(max_size=200),
    charset=st.sampled_from([None, "utf-8", "latin-1", "shift_jis", "x-bogus"]),
)
def test_mutated_fixture_page(cut: int, length: int, junk: bytes, charset: str | None) -> None:
    _clean_or_typed_error(SEED[:cut] + junk + SEED[cut + length :], charset=charset)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=1500))
def test_random_text(body: str) -> None:
    _clean_or_typed_error("<html><body>" + body)


def test_a_three_megabyte_title_is_cut() -> None:
    title = "Bridge " * 500_000
    article = clean_html(f"<html><head><title>{title}</title></head><body>{ARTICLE}</body>")
    assert 0 < len(article.title) <= MAX_TITLE_CHARS and article.title.startswith("Bridge")


def test_an_eight_megabyte_line_is_clipped_before_parsing() -> None:
    line = "word " * (8 * 1024 * 1024 // 5)
    article = clean_html(f"<html><body>{ARTICLE}<p>{line}</p></body></html>".encode())
    assert len(article.text) <= MAX_TEXT_CHARS and "rebuild the old bridge" in article.text
    assert len(clip_runs("<p>" + line)) == 1 + MAX_RUN  # "<", then the run "p>word ..."


def test_output_bounds_cut_at_boundaries() -> None:
    text = "\n".join(["paragraph " * 50] * 1000)
    cut = bounded_text(text)
    assert len(cut) <= MAX_TEXT_CHARS and cut.endswith("paragraph")
    assert bounded_title("short") == "short"


def test_utf16_without_bom_is_read_when_the_server_declares_it() -> None:
    body = f"<html><body>{ARTICLE}</body></html>".encode("utf-16-le")
    assert "rebuild the old bridge" in clean_html(body, charset="utf-16le").text
    with pytest.raises(ParseError):
        clean_html(body)  # undeclared: NUL bytes, as a browser would not guess UTF-16 either
