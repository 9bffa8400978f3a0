"""Refuse XML whose DTD declares entities that would be fetched or blown up, before parsing it.

Every XML document we read (feeds, sitemaps) comes from a stranger. Two classic attacks hide in
the DTD's ``<!ENTITY>`` declarations:

* external entities (XXE, ``<!ENTITY x SYSTEM "file:///etc/passwd">``): a parser that resolves
  them reads local files or makes requests. Ours do not (expat without an external-entity
  handler, and feedparser turns ``feature_external_ges`` off), but they drop the reference
  silently, so the attempt was never recorded;
* entity expansion ("billion laughs", nested entities; or quadratic blow-up, one long entity
  used many times). Expat 2.4+ stops both once the output passes 8 MiB at 100x amplification,
  after seconds of work; feedparser then re-reads the document with its loose parser, which
  expands every entity its regular expression calls "safe" with no limit: a 75 KB feed with
  one 20 KB entity used 5,000 times became a 100 MB title.

So the prolog is read first, with expat, stopping at the root element: an internal entity
whose replacement is at most ``MAX_ENTITY_CHARS`` characters of plain text (``<!ENTITY nbsp
"&#160;">``, which real feeds do declare) passes; a parameter, external or unparsed entity, a
longer or nested one, or more than ``MAX_ENTITIES`` declarations refuses the whole document.
A prolog expat cannot read (an encoding it lacks, a syntax error) passes only when the word
``ENTITY`` appears nowhere in the body, in any encoding feedparser would decode.
"""

from __future__ import annotations

from xml.parsers import expat

__all__ = ["ENTITY_KIND", "MAX_ENTITIES", "MAX_ENTITY_CHARS", "entity_refusal"]

ENTITY_KIND = "xml_entities"
# One character entity per HTML name fits; each reference (at least 3 bytes, "&x;") then grows
# by at most this much, so no document can amplify.
MAX_ENTITY_CHARS = 4
MAX_ENTITIES = 256
_CHUNK = 16 * 1024
# "ENTITY" as the encodings feedparser sniffs (RFC 7303 §4.3 BOMs, and EBCDIC) spell it.
_NEEDLES = tuple(
    "ENTITY".encode(codec)
    for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp037")
)


class _Refused(Exception):
    pass


class _RootReached(Exception):
    pass


def entity_refusal(body: bytes) -> str | None:
    """Why ``body`` must not be parsed as XML, or None when its DTD (if any) is harmless."""
    if not any(needle in body for needle in _NEEDLES):
        return None
    parser = _prolog_parser()
    try:
        for start in range(0, len(body), _CHUNK):
            parser.Parse(body[start : start + _CHUNK], False)
        parser.Parse(b"", True)
    except _RootReached:
        return None
    except _Refused as exc:
        return str(exc)
    except (expat.ExpatError, LookupError, ValueError) as exc:  # LookupError: unknown encoding
        return f"entity declarations in a DTD that cannot be read ({exc}); refused unread"
    return None


def _prolog_parser() -> expat.XMLParserType:
    parser = expat.ParserCreate()
    declared: list[str] = []

    def on_entity(
        name: str,
        is_parameter: int,
        value: str | None,
        base: str | None,
        system_id: str | None,
        public_id: str | None,
        notation: str | None,
    ) -> None:
        declared.append(name)
        reason = _judge(name, bool(is_parameter), value, system_id or public_id or notation)
        if reason is None and len(declared) > MAX_ENTITIES:
            reason = f"more than {MAX_ENTITIES} entity declarations"
        if reason is not None:
            raise _Refused(f"{reason}; XML entity declarations refused")

    def on_root(name: str, attributes: object) -> None:
        raise _RootReached

    parser.EntityDeclHandler = on_entity
    parser.StartElementHandler = on_root
    return parser


def _judge(name: str, is_parameter: bool, value: str | None, external: str | None) -> str | None:
    if is_parameter:
        return f"parameter entity %{name}"
    if external is not None or value is None:
        return f"external entity &{name}; ({(external or '')[:200]})"
    if "&" in value or "<" in value:
        return f"entity &{name}; refers to other entities or markup"
    if len(value) > MAX_ENTITY_CHARS:
        return f"entity &{name}; expands to {len(value)} characters"
    return None
