"""Charset order: BOM, HTTP header, <meta>, UTF-8, detection; never a silent replacement."""

from __future__ import annotations

import codecs

import pytest

from aggregator.clean import decode_html
from aggregator.errors import ParseError

PAGE = "<html><head>{meta}</head><body><p>Ça coûte très cher, dit-il à Zürich.</p></body></html>"


def test_declared_charset_is_used() -> None:
    body = PAGE.format(meta="").encode("cp1252")
    assert "Ça coûte" in decode_html(body, "windows-1252")


def test_meta_charset_when_the_header_says_nothing() -> None:
    body = PAGE.format(meta='<meta charset="iso-8859-1">').encode("latin-1")
    assert "très cher" in decode_html(body)


def test_http_equiv_meta() -> None:
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
    body = ("<html><head>" + meta + "</head><body><p>Привет, мир</p></body></html>").encode(
        "koi8-r"
    )
    assert "Привет" in decode_html(body)


def test_bom_wins() -> None:
    body = codecs.BOM_UTF8 + PAGE.format(meta="").encode("utf-8")
    assert decode_html(body, "iso-8859-1").startswith("<html>")


def test_wrong_declared_utf8_falls_through_to_the_real_charset() -> None:
    body = PAGE.format(meta='<meta charset="windows-1252">').encode("cp1252")
    assert "Zürich" in decode_html(body, "utf-8")


def test_utf8_bytes_declared_as_latin1_are_utf8() -> None:
    body = PAGE.format(meta="").encode("utf-8")
    assert "Zürich" in decode_html(body, "iso-8859-1")


def test_unknown_charset_label_is_ignored() -> None:
    assert "Zürich" in decode_html(PAGE.format(meta="").encode("utf-8"), "x-no-such-charset")


def test_a_truncated_character_in_a_utf8_page_keeps_the_page_utf8() -> None:
    good = ("<p>" + "Zażółć gęślą jaźń. " * 20 + "</p>").encode()
    body = b"<html><body>" + good + b"papieros\xc3...</body></html>"
    text = decode_html(body, "utf-8")
    assert "Zażółć gęślą jaźń" in text and "papieros\ufffd..." in text


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n ",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        b"%PDF-1.7\n\x00\x01\x02",
    ],
)
def test_empty_and_binary_bodies_are_parse_errors(body: bytes) -> None:
    with pytest.raises(ParseError):
        decode_html(body)


def test_text_without_markup_is_not_html() -> None:
    with pytest.raises(ParseError, match="not an HTML document"):
        decode_html(b"just some plain text, no markup at all")
