"""Bytes to text: the charset a page was served in, never a guess that hides damage.

Order, after the WHATWG encoding sniffing algorithm
(https://html.spec.whatwg.org/#encoding-sniffing-algorithm): a byte order mark wins; then the
charset the HTTP header declared; then ``<meta charset>`` or ``http-equiv`` in the first 4 KiB;
then UTF-8; then detection with charset-normalizer. Each candidate must decode the body strictly;
a candidate that fails is skipped, so a wrong header falls through to the next source. Bytes
that no candidate decodes, or that decode to control-character soup, are a ``ParseError``: we
never decode with ``errors="replace"``.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from aggregator.errors import ParseError

__all__ = ["WEB_CHARSETS", "decode_html", "looks_binary"]

_SNIFF_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:\-]+)""", re.IGNORECASE
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Legacy 8-bit charsets decode (almost) any byte string, so a wrong one never fails. Bytes that
# are valid UTF-8 with non-ASCII in them are UTF-8 whatever the page claims: multi-byte UTF-8
# sequences practically never occur in real 8-bit text. Only the multi-byte codecs are exempt.
_MULTI_BYTE = re.compile(r"^(?:utf|gb|big5|shift_jis|euc|iso2022|cp9[3-5]\d|hz|johab)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MAX_CONTROL_RATIO = 0.01
# Detection chooses among the legacy encodings the web actually uses (the WHATWG Encoding
# Standard's list, https://encoding.spec.whatwg.org/#names-and-labels), not DOS code pages.
WEB_CHARSETS = (
    "utf_8",
    "cp1252",
    "iso8859_15",
    "cp1250",
    "iso8859_2",
    "cp1251",
    "koi8_r",
    "koi8_u",
    "cp1253",
    "iso8859_7",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp1258",
    "cp874",
    "shift_jis",
    "euc_jp",
    "iso2022_jp",
    "gb18030",
    "big5",
    "euc_kr",
    "mac_roman",
)
_MAX_DAMAGED_SEQUENCES = 8
_GOOD_PER_DAMAGED = 20
_TAG = re.compile(r"<\s*[a-zA-Z!?/]")


def _bom_charset(body: bytes) -> str | None:
    return next((name for bom, name in _BOMS if body.startswith(bom)), None)


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_SNIFF_BYTES])
    return match.group(1).decode("ascii") if match else None


def _codec(label: str | None) -> str | None:
    """Python codec name for a charset label, or None when the label is unknown."""
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("\"'").lower()).name
    except LookupError:
        return None


def _try_decode(body: bytes, codec: str) -> str | None:
    try:
        text = body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    if not _MULTI_BYTE.match(codec) and not body.isascii():
        utf8 = _try_decode(body, "utf-8")
        return utf8 if utf8 is not None else text
    return text


def _detected(body: bytes) -> str | None:
    best = from_bytes(body[:200_000], cp_isolation=list(WEB_CHARSETS)).best()
    codec = _codec(best.encoding) if best is not None else None
    return _try_decode(body, codec) if codec else None


def looks_binary(text: str) -> bool:
    """True when a decoded text is mostly not text (control characters) or has no markup."""
    sample = text[: _SNIFF_BYTES * 4]
    controls = len(_CONTROL.findall(sample))
    return controls > max(2, len(sample) * _MAX_CONTROL_RATIO) or not _TAG.search(sample)


def _candidates(body: bytes, declared: str | None) -> list[str]:
    labels = [_bom_charset(body), declared, _meta_charset(body), "utf-8"]
    codecs_ = [c for c in map(_codec, labels) if c is not None]
    return list(dict.fromkeys(codecs_))


def decode_html(body: bytes, declared: str | None = None) -> str:
    """Decode an HTML body; raise ``ParseError`` for empty, binary or undecodable bytes."""
    if not body.strip():
        raise ParseError("empty body")
    if b"\x00" in body[:_SNIFF_BYTES] and _bom_charset(body) is None and not _wide(declared):
        raise ParseError("binary body (NUL bytes)")
    candidates = _candidates(body, declared)
    for codec in candidates:
        text = _try_decode(body, codec)
        if text is not None:
            return _checked(text)
    utf8_first = candidates[0] == "utf-8"
    text = _damaged_utf8(body, _GOOD_PER_DAMAGED) if utf8_first else None
    text = text if text is not None else _detected(body)
    # Last resort, before giving up: short UTF-8 pages with a broken byte that detection
    # could not place either.
    text = text if text is not None or not utf8_first else _damaged_utf8(body, 0)
    if text is None:
        raise ParseError(f"undecodable body (declared {declared or 'nothing'})")
    return _checked(text)


def _wide(declared: str | None) -> bool:
    """UTF-16 or UTF-32 declared by the server: NUL bytes are then text (no BOM is needed)."""
    codec = _codec(declared)
    return codec is not None and codec.startswith(("utf-16", "utf-32"))


def _damaged_utf8(body: bytes, good_per_damaged: int) -> str | None:
    """UTF-8 with a few broken sequences (a CMS cutting a teaser mid-character), or None.

    Only when UTF-8 is what the page declared (or the only candidate) and the damage is a
    handful of sequences: each becomes U+FFFD and the rest of the page keeps its real text.
    A body with more damage than that is not UTF-8, and goes on to detection.
    """
    parts: list[str] = []
    start = damaged = 0
    while True:
        try:
            parts.append(body[start:].decode("utf-8"))
            break
        except UnicodeDecodeError as exc:
            damaged += 1
            if damaged > _MAX_DAMAGED_SEQUENCES:
                return None
            parts.append(body[start : start + exc.start].decode("utf-8"))
            start += exc.end
    # Real UTF-8 pages carry many good multi-byte characters for each broken one.
    good = sum(len(p.encode("utf-8")) - len(p) for p in parts)
    return "\ufffd".join(parts) if good >= good_per_damaged * damaged else None


def _checked(text: str) -> str:
    text = text.lstrip("\ufeff")
    if looks_binary(text):
        raise ParseError("not an HTML document (binary or no markup)")
    return text
