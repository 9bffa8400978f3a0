# ruff: noqa: RUF001  (the rules match typographic and CJK punctuation on purpose)
"""The text pass: residue that no markup marks, removed from trafilatura's plain text.

Line by line: stray bullets, icon ligature words (``auto_awesomeAI Summary``,
``distillation?expand_more``), disclaimer sentences, whole-line rules from ``residue.LINE_RULES``,
tag runs (``AIElon MuskOpenAI``), bylines and datelines; then block rules that need neighbours
(video listings, headings left with nothing under them at the end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from aggregator.clean.residue import (
    LINE_RULES,
    SENTENCE_CUES,
    SENTENCE_RULES,
    LineRule,
    icon_names,
)
from aggregator.models import Removal

__all__ = ["TextContext", "TextResult", "clean_text", "strip_icon_words"]

_LIST_MARK = re.compile(r"^(?P<mark>-\s+)?[•·▪●◦‣∙]\s*")
_GLUED_PREFIX = re.compile(r"^(?P<lead>-\s+)?(?P<icon>[a-z][a-z0-9_]*[a-z0-9])(?=[A-Z\"'“‘(])")
_GLUED_SUFFIX = re.compile(r"(?P<before>[^a-z0-9_])(?P<icon>[a-z][a-z0-9_]*[a-z0-9])$")
_UNDERSCORE_WORD = re.compile(r"(?<![\w/.@#-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/.@#-])")
_CODE_LIKE = re.compile(r"[=;{}()\[\]<>]|\bdef\b|\bimport\b|\breturn\b")
# A plain-word icon glued after these ("Watch now!share") is UI; after "." it is a file name or
# a domain ("free-sw.de.html", "example.com").
_PUNCT_BEFORE = frozenset("?!:)]\"'”’»›…")
# The headline repeated in the body sits in its first lines, under a kicker or two at most.
_HEADLINE_SEARCH_LINES = 3
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。！？])\s+")
_GLUE = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
_SENTENCE_PUNCT = re.compile(r"[.,;:!?。，；！？]")
_END_PUNCT = tuple('.!?。！？:："”’)»')
_MONTH_NAMES = (
    "jan(?:uary)?",
    "feb(?:ruary)?",
    "mar(?:ch)?",
    "apr(?:il)?",
    "may",
    "june?",
    "july?",
    "aug(?:ust)?",
    "sept?(?:ember)?",
    "oct(?:ober)?",
    "nov(?:ember)?",
    "dec(?:ember)?",
    "januar",
    "februar",
    "märz",
    "mai",
    "juni",
    "juli",
    "oktober",
    "dezember",
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "janvier",
    "février",
    "mars",
    "avril",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_WEEKDAYS = (
    "mon(?:day)?",
    "tue(?:s|sday)?",
    "wed(?:nesday)?",
    "thu(?:rs|rsday)?",
    "fri(?:day)?",
    "sat(?:urday)?",
    "sun(?:day)?",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
)
_MONTHS = re.compile(
    rf"\b(?:{'|'.join(_MONTH_NAMES)})\.?(?!\w)|\d{{4}}-\d{{2}}-\d{{2}}|\d{{4}}年\d{{1,2}}月"
    r"|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b",
    re.IGNORECASE,
)
_DATE_TOKEN = re.compile(
    r"(?:published|updated|last updated|last modified|modified|posted|created|on|at|am|um|le|el"
    r"|de|del|aktualisiert|zuletzt|stand|veröffentlicht|erstellt|actualizado|publicado"
    r"|mis à jour|publié|atualizado|обновлено|опубликовано|更新|发布|,|:|·|\||/|-|–)(?!\w)"
    r"|\d{1,4}(?:[./-]\d{1,2}){1,2}\.?|\d{1,2}(?::\d{2}){1,2}(?:\s?[ap]\.?m\.?)?|\d{1,4}(?:st|nd|rd|th)?\.?"
    rf"|\d{{4}}年\d{{1,2}}月\d{{1,2}}日|\b(?:{'|'.join(_WEEKDAYS)})\b\.?|\b(?:[A-Z]{{2,4}}|utc|gmt)\b",
    re.IGNORECASE,
)
_BYLINE_WORDS = re.compile(
    r"\b(?:by|von|por|par|di|door|от|作者|文|and|und|y|et|e|&|written by|reporter|staff)\b"
    r"|[,·|/•–—-]",
    re.IGNORECASE,
)
_MAX_TAG_RUN = 80
_MAX_ORPHAN_WORDS = 5
_MAX_ICON_LINE = 60
_MAX_HEADLINE_CHARS = 120
_MAX_HEADLINE_WORDS = 16
# A removed line whose rule is a key here takes the lines that follow it while they look like
# the rest of its block; they are recorded under the value.
BLOCK_FOLLOWERS = {
    "text:video-listing": "text:video-listing",
    "text:related-heading": "text:related-list",
}
_MAX_HEADING_CHARS = 40
_MAX_BYLINE = 120


@dataclass(frozen=True, slots=True)
class TextContext:
    """What the text pass knows about the page: to drop the headline, bylines and datelines
    from the body."""

    title: str | None = None
    authors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TextResult:
    text: str
    removals: tuple[Removal, ...] = field(default=())


def _is_icon(word: str) -> bool:
    return word in icon_names()


def _glued_prefix(line: str, found: list[Removal]) -> str:
    match = _GLUED_PREFIX.match(line)
    if match is None:
        return line
    icon = match["icon"]
    rest = line[match.end() :]
    plain_ok = len(icon) >= 4 and re.match(r"[A-Z][a-z]", rest) is not None
    if _is_icon(icon) and ("_" in icon or plain_ok):
        found.append(Removal("text:icon-ligature", icon))
        return (match["lead"] or "") + rest
    return line


def _glued_suffix(line: str, found: list[Removal]) -> str:
    line = line.rstrip()
    last = line.rsplit(None, 1)[-1] if line else ""
    match = _GLUED_SUFFIX.search(last)
    if match is None:
        return line
    icon = match["icon"]
    ok = "_" in icon or (match["before"] in _PUNCT_BEFORE and len(icon) >= 4)
    if _is_icon(icon) and ok:
        found.append(Removal("text:icon-ligature", icon))
        return line[: len(line) - len(icon)].rstrip()
    return line


def _standalone(line: str, found: list[Removal]) -> str:
    if (len(line) > _MAX_ICON_LINE and "_" not in line) or _CODE_LIKE.search(line):
        return line
    words = line.split()
    if len(line) <= _MAX_ICON_LINE and all(_is_icon(w) for w in words) and line == line.lower():
        found.extend(Removal("text:icon-ligature", w) for w in words)
        return ""

    def drop(match: re.Match[str]) -> str:
        if not _is_icon(match[0]):
            return match[0]
        found.append(Removal("text:icon-ligature", match[0]))
        return ""

    return re.sub(r"\s{2,}", " ", _UNDERSCORE_WORD.sub(drop, line)).strip()


def strip_icon_words(line: str, found: list[Removal]) -> str:
    """Remove icon ligature words glued to or standing between real words; never a real word."""
    line = _glued_prefix(line, found)
    line = _glued_suffix(line, found)
    return _standalone(line, found) if line else line


def _bullets(line: str, found: list[Removal]) -> str:
    match = _LIST_MARK.match(line)
    if match is None:
        return line
    found.append(Removal("text:stray-bullet", match[0].strip()))
    return (match["mark"] or "") + line[match.end() :]


_RULE_SETS = {"line": LINE_RULES, "sentence": SENTENCE_RULES}


@lru_cache(maxsize=256)
def _combined(
    kind: str, length: int, cued: frozenset[str]
) -> tuple[tuple[LineRule, ...], re.Pattern[str] | None]:
    """The ``kind`` rules that accept a line of ``length`` characters, as one alternation whose
    matching group names the rule: one regex call per line instead of one per rule. A rule never
    runs on a line longer than its ``max_chars``, which also bounds any backtracking, nor
    without one of its cues (``cued`` names the rules whose cues the line has). Keyed by names
    and numbers, which hash cheaply (the rule tuples do not)."""
    fitting = tuple(
        rule
        for rule in _RULE_SETS[kind]
        if rule.max_chars >= length and (not rule.cues or rule.name in cued)
    )
    if not fitting:
        return fitting, None
    groups = "|".join(f"(?P<r{i}>{rule.source})" for i, rule in enumerate(fitting))
    return fitting, re.compile(rf"^\W*(?:{groups})\W*$", re.IGNORECASE)


@lru_cache(maxsize=4)
def _limits(kind: str) -> tuple[int, ...]:
    return tuple(sorted({rule.max_chars for rule in _RULE_SETS[kind]}))


@lru_cache(maxsize=4)
def _cued_rules(kind: str) -> tuple[LineRule, ...]:
    return tuple(rule for rule in _RULE_SETS[kind] if rule.cues)


def _cued(kind: str, lowered: str) -> frozenset[str]:
    return frozenset(
        rule.name for rule in _cued_rules(kind) if any(cue in lowered for cue in rule.cues)
    )


def _matching(kind: str, text: str) -> LineRule | None:
    stripped = text.strip()
    bucket = next((limit for limit in _limits(kind) if limit >= len(stripped)), None)
    if bucket is None:
        return None
    fitting, pattern = _combined(kind, bucket, _cued(kind, stripped.lower()))
    match = pattern.match(stripped) if pattern is not None else None
    if match is None or match.lastgroup is None:
        return None
    return fitting[int(match.lastgroup[1:])]


def _sentences(line: str, found: list[Removal]) -> str:
    lowered = line.lower()
    if not any(cue in lowered for cue in SENTENCE_CUES):
        return line
    kept: list[str] = []
    for sentence in _SENTENCE_SPLIT.split(line):
        rule = _matching("sentence", sentence)
        if rule is None:
            kept.append(sentence)
        else:
            found.append(Removal(rule.name, sentence))
    return " ".join(kept)


def _is_tag_run(line: str) -> bool:
    if len(line) > _MAX_TAG_RUN or _SENTENCE_PUNCT.search(line) or line.startswith("- "):
        return False
    glue = len(_GLUE.findall(line))
    return glue >= 2 and glue > line.count(" ")


def _is_byline(line: str, authors: tuple[str, ...]) -> bool:
    if len(line) > _MAX_BYLINE or not authors:
        return False
    rest = line
    for name in authors:
        rest = re.sub(re.escape(name), " ", rest, flags=re.IGNORECASE)
    if rest == line:
        return False
    rest = _MONTHS.sub(" ", _BYLINE_WORDS.sub(" ", rest))
    return not _DATE_TOKEN.sub(" ", rest).strip()


def _is_dateline(line: str) -> bool:
    if len(line) > 60 or not _MONTHS.search(line):
        return False
    return not _DATE_TOKEN.sub(" ", _MONTHS.sub(" ", line)).strip(" .,")


def _line_verdict(line: str, ctx: TextContext) -> str | None:
    """The rule that drops this whole line, or None to keep it."""
    rule = _matching("line", line)
    if rule is not None:
        return rule.name
    if _is_tag_run(line):
        return "text:tag-run"
    if _is_byline(line.removeprefix("- "), ctx.authors):
        return "text:byline"
    if _is_dateline(line):
        return "text:dateline"
    return None


def _clean_line(line: str, ctx: TextContext, found: list[Removal]) -> str:
    line = _bullets(line.strip(), found)
    line = strip_icon_words(line, found)
    if not line:
        return ""
    line = _sentences(line, found)
    verdict = _line_verdict(line, ctx) if line else None
    if verdict is not None:
        found.append(Removal(verdict, line))
        return ""
    return line


def _is_heading_like(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= _MAX_ORPHAN_WORDS
        and len(line) <= _MAX_HEADING_CHARS
        and not line.startswith("- ")
        and not line.endswith(_END_PUNCT)
    )


def _is_headline(line: str) -> bool:
    """A teaser headline: short, and not a sentence that ends in a full stop."""
    return (
        0 < len(line) <= _MAX_HEADLINE_CHARS
        and len(line.split()) <= _MAX_HEADLINE_WORDS
        and not line.endswith((".", "。", ":", ";"))
    )


def _follows(rule: str, line: str) -> bool:
    if rule == "text:video-listing":
        return _is_heading_like(line) or line.lower().startswith("this video")
    return _is_headline(line)


def _drop_blocks(lines: list[str], flags: list[str | None], found: list[Removal]) -> None:
    """Lines that belong to a removed block go with it: a video listing's channel name and
    'This video ...' blurb; the teaser headlines under a 'Related articles' heading."""
    block: str | None = None
    for i, line in enumerate(lines):
        if flags[i] in BLOCK_FOLLOWERS:
            block = flags[i]
        elif block is not None and line and _follows(block, line):
            found.append(Removal(BLOCK_FOLLOWERS[block], line))
            lines[i] = ""
        elif line:
            block = None


def _drop_orphan_headings(lines: list[str], found: list[Removal]) -> list[str]:
    """A short heading at the end whose whole block below it was residue ("Worth watching" over
    a video listing, "Source" over a byline) goes with it. A short last line that had nothing
    removed below it (a signature, a phone number) is content and stays."""
    end = len(lines)
    while end > 0 and not lines[end - 1]:
        end -= 1
    tail_removed = end < len(lines)
    while tail_removed and end > 1 and _is_heading_like(lines[end - 1]):
        found.append(Removal("text:orphan-heading", lines[end - 1]))
        end -= 1
        while end > 0 and not lines[end - 1]:
            end -= 1
    return [ln for ln in lines[:end] if ln]


def _comparable(line: str) -> str:
    return " ".join(line.split()).casefold().rstrip(".")


def _drop_repeated_headline(lines: list[str], title: str | None, found: list[Removal]) -> None:
    """The headline repeated at the top of the body: the article carries it as its title
    already (a fifth of the extraction benchmark's pages began with it; issue 12). It may sit
    under a kicker line ("Heat wave"), or come twice (the page's <h1> and the summary card's
    own heading), so the first few lines are looked at."""
    if not title:
        return
    wanted = _comparable(title)
    for i in [i for i, line in enumerate(lines) if line][:_HEADLINE_SEARCH_LINES]:
        if _comparable(lines[i]) == wanted:
            found.append(Removal("text:headline", lines[i]))
            lines[i] = ""


def clean_text(text: str, ctx: TextContext | None = None) -> TextResult:
    """Remove residue from extracted text; every removal names its rule."""
    context = ctx or TextContext()
    found: list[Removal] = []
    lines: list[str] = []
    flags: list[str | None] = []
    for raw in text.splitlines():
        before = len(found)
        lines.append(_clean_line(raw, context, found))
        flags.append(found[-1].rule if len(found) > before and not lines[-1] else None)
    _drop_blocks(lines, flags, found)
    _drop_repeated_headline(lines, context.title, found)
    kept = _drop_orphan_headings(lines, found)
    return TextResult("\n".join(kept), tuple(found))
