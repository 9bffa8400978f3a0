"""The text pass, rule by rule: what goes, and the real words that must stay."""

from __future__ import annotations

import pytest

from aggregator.clean.text import TextContext, clean_text

BODY = "This is a real paragraph of the article that says something worth keeping."


def _clean(line: str, ctx: TextContext | None = None) -> tuple[str, set[str]]:
    result = clean_text(f"{BODY}\n{line}\n{BODY}", ctx)
    kept = result.text.split("\n")[1:-1]
    return "\n".join(kept), {r.rule for r in result.removals}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("auto_awesomeKey Points", "Key Points"),
        ("arrow_backNeural Digest", "Neural Digest"),
        ("trending_upWhy It Matters", "Why It Matters"),
        ("What is model distillation?expand_more", "What is model distillation?"),
        (
            "Read the analysis at Example Newsopen_in_new here.",
            "Read the analysis at Example Newsopen_in_new here.",
        ),
        ("Why does this matter legally?expand_more", "Why does this matter legally?"),
        ("Click the chevron_right button to continue", "Click the button to continue"),
    ],
)
def test_icon_ligatures_are_cut_from_words(line: str, expected: str) -> None:
    text, rules = _clean(line)
    assert text == expected
    if text != line:
        assert rules == {"text:icon-ligature"}


@pytest.mark.parametrize("line", ["expand_more", "share", "more_vert close", "open_in_new"])
def test_lines_of_icon_names_go(line: str) -> None:
    assert _clean(line) == ("", {"text:icon-ligature"})


@pytest.mark.parametrize(
    "line",
    [
        "She went home after the search was called off.",
        "Investors share the concern, the report says.",
        "Home",
        "Search and rescue teams reached the village at dawn.",
        "The file is at http://www.gnu.org/philosophy/free-sw.de.html",
        "Apple released iOS 13 and macOS Catalina on the same day.",
        "Set max_value = compute_limit(home_dir) before calling it.",
        "Elon Musk said xAI used OpenAI models.",
    ],
)
def test_real_words_that_look_like_icons_stay(line: str) -> None:
    assert _clean(line) == (line, set())


@pytest.mark.parametrize(
    "line",
    [
        "Share this story",
        "Share",
        "Share on Facebook",
        "分享:",
        "分享到",
        "分享到微信",
        "Compartir",
        "Compartir en Twitter",
        "Partager",
        "Partager sur Facebook",
        "Teilen",
        "Artikel teilen",
        "Compartilhar",
        "Compartilhe",
        "シェア",
        "共有する",
        "Поделиться",
    ],
)
def test_share_labels_in_every_language(line: str) -> None:
    assert _clean(line) == ("", {"text:share-label"})


@pytest.mark.parametrize(
    "line",
    [
        "2 min read",
        "13d ago",
        "·13d ago",
        "2 min read · 13d ago",
        "阅读 3 分钟",
        "3 分钟前",
        "Lesezeit: 4 Min.",
        "5 min de lecture",
        "Tiempo de lectura: 3 minutos",
        "hace 2 horas",
        "il y a 3 jours",
        "vor 5 Stunden",
        "há 2 dias",
        "3日前",
        "5 мин чтения",
        "2 часа назад",
        "Explainer · 6 min read",
    ],
)
def test_read_time_and_relative_dates(line: str) -> None:
    text, rules = _clean(line)
    assert text == ""
    assert "text:read-time" in rules


def test_read_time_inside_a_sentence_stays() -> None:
    line = "It takes 5 min to read the whole ruling, and 13 days ago nobody had."
    assert _clean(line) == (line, set())


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("- •Testimony occurred", "- Testimony occurred"),
        ("• First point", "First point"),
        ("- •", ""),
        ("·", ""),
    ],
)
def test_stray_bullets(line: str, expected: str) -> None:
    text, rules = _clean(line)
    assert text == expected
    assert rules == {"text:stray-bullet"}


@pytest.mark.parametrize(
    "line",
    [
        "Read full article on The Verge AI",
        "Read the original →",
        "Read more at Reuters",
        "Continue reading",
        "Lire la suite",
        "Weiterlesen",
        "Leer más",
        "阅读原文",
    ],
)
def test_read_original_links(line: str) -> None:
    assert _clean(line) == ("", {"text:read-original"})


def test_video_listing_block_goes_with_channel_and_blurb() -> None:
    text = "\n".join(
        [
            BODY,
            "Worth watching",
            "9:27Grok Was Trained on OpenAI Models | Nova Tech",
            "NovaTech",
            "This video directly addresses the core topic of the testimony.",
            "Video data provided by YouTube. Videos link to youtube.com.",
        ]
    )
    result = clean_text(text)
    assert result.text == BODY
    assert {r.rule for r in result.removals} == {"text:video-listing", "text:orphan-heading"}


def test_live_blog_times_stay() -> None:
    line = "10:30 The president arrived at the summit and greeted the delegations."
    assert _clean(line) == (line, set())


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("This summary was AI-generated.", "text:ai-disclaimer"),
        ("Neural Digest is not liable for the accuracy of source content.", "text:ai-disclaimer"),
        (
            "We may earn a commission when you buy through links on our site.",
            "text:affiliate-disclaimer",
        ),
        ("This article contains affiliate links.", "text:affiliate-disclaimer"),
        ("As an Amazon Associate I earn from qualifying purchases.", "text:affiliate-disclaimer"),
    ],
)
def test_disclaimers(line: str, rule: str) -> None:
    assert _clean(line) == ("", {rule})


def test_disclaimer_sentence_is_cut_and_the_rest_of_the_line_kept() -> None:
    line = "The court sits again on Monday. This summary was AI-generated."
    assert _clean(line) == ("The court sits again on Monday.", {"text:ai-disclaimer"})


@pytest.mark.parametrize("line", ["AIElon MuskOpenAI", "PoliticsEconomyWorld News"])
def test_tag_runs(line: str) -> None:
    assert _clean(line) == ("", {"text:tag-run"})


@pytest.mark.parametrize(
    "line", ["OpenAI and DeepSeek", "OpenAI vs DeepSeek", "iPhone sales rose."]
)
def test_brand_names_are_not_tag_runs(line: str) -> None:
    assert _clean(line) == (line, set())


def test_byline_with_known_author_goes() -> None:
    ctx = TextContext(authors=("Hayden Field",))
    for line in ("- Hayden Field", "By Hayden Field", "Hayden Field · Apr 30, 2026, 6:42 PM UTC"):
        assert _clean(line, ctx) == ("", {"text:byline"})
    sentence = "Hayden Field reported that the hearing lasted three hours."
    assert _clean(sentence, ctx) == (sentence, set())


@pytest.mark.parametrize(
    "line",
    [
        "April 30, 2026",
        "Apr 30, 2026, 6:42 PM UTC",
        "2026-04-30",
        "Published 30 Apr 2026, 10:04 AM EDT",
        "Aktualisiert am 17.01.2021.",
    ],
)
def test_datelines(line: str) -> None:
    assert _clean(line) == ("", {"text:dateline"})


def test_may_as_a_word_is_not_a_dateline() -> None:
    line = "May the court decide otherwise"
    assert _clean(line)[0] == line


@pytest.mark.parametrize(
    "line",
    [
        "Read more: Looted colonial art: Germany to set up new contact office",
        "Lea también: Impiden ingreso a Nicaragua a reportero",
        "LE PUEDE INTERESAR: La ficha de Juan Orlando Hernández",
        "Lesen Sie auch: Die Bahn streicht Lounges",
        "Читайте также: новости дня",
    ],
)
def test_inline_related_links(line: str) -> None:
    assert _clean(line) == ("", {"text:inline-related"})


def test_trailing_heading_stays_when_nothing_was_removed_below_it() -> None:
    text = f"{BODY}\nx Franzi"
    assert clean_text(text).text == text


def test_related_heading_and_follow_prompt() -> None:
    text = "\n".join(
        [
            BODY,
            "Follow topics and authors from this story to see more like this in your feed.",
            "Related Articles",
        ]
    )
    result = clean_text(text)
    assert result.text == BODY
    assert {r.rule for r in result.removals} == {"text:follow-prompt", "text:related-heading"}


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Sign up for our daily newsletter", "text:call-to-action"),
        ("Our weekly newsletter: sign up to receive it every Friday", "text:subscribe-prompt"),
        ("Subscribe now to read the rest of this story, or log in", "text:call-to-action"),
        ("Already a subscriber? Log in here.", "text:subscribe-prompt"),
        ("Um weiterzulesen, melden Sie sich bitte an.", "text:subscribe-prompt"),
        ("Para seguir leyendo, suscríbete.", "text:subscribe-prompt"),
        ("Would you consider supporting our journalism today?", "text:subscribe-prompt"),
        ("© 2026 Example Media. All rights reserved.", "text:copyright"),
        ("Copyright 2026 The Daily Example", "text:copyright"),
        ("Tous droits réservés.", "text:copyright"),
        ("Join our community for weekly updates", "text:call-to-action"),
        ("Jetzt abonnieren und weiterlesen", "text:call-to-action"),
    ],
)
def test_prompts_and_copyright_lines_go_with_their_rule(line: str, rule: str) -> None:
    result = clean_text(f"The council met on Tuesday.\n{line}")
    assert result.text == "The council met on Tuesday."
    assert [r.rule for r in result.removals] == [rule]


@pytest.mark.parametrize(
    "line",
    [
        "The newsletter industry grew fast in 2025, and readers paid for more of them.",
        "Readers who support the measure say it will cut costs for families across the region.",
        "The company said it would register the new drug in Europe next year.",
    ],
)
def test_sentences_that_mention_the_cue_words_stay(line: str) -> None:
    assert clean_text(line).text == line


@pytest.mark.parametrize(
    "line",
    [
        "Sources: Geodynamic Institute of Athens, Reuters, Kathimerini",
        "Quellen: dpa, Tagesschau",
        "Reporting by Eleni Markou; Editing by Tom Hale",
        "Mit Material von dpa",
        "Avec AFP",
        "Con información de EFE y Europa Press.",
        "Originally reported by Mining Weekly",
        "With agencies",
    ],
)
def test_attribution_lines_go(line: str) -> None:
    assert _clean(line) == ("", {"text:attribution"})


@pytest.mark.parametrize(
    "line",
    [
        "AI summary",
        "auto_awesomeAI Summary",
        "KI-Zusammenfassung · 5 Quellen",
        "This summary was produced with AI assistance and reviewed by an editor.",
        "Generated by AI from 3 sources. Check the original reporting before relying on it.",
        "Summary written by an AI model. It may contain mistakes.",
        "Diese Zusammenfassung wurde mit Hilfe künstlicher Intelligenz erstellt.",
        "Ce direct est résumé avec l'aide d'une intelligence artificielle.",
        "Este resumen fue generado con inteligencia artificial.",
    ],
)
def test_ai_notes_go_in_every_language(line: str) -> None:
    text, rules = _clean(line)
    assert text == "" or text == "Check the original reporting before relying on it."
    assert "text:ai-disclaimer" in rules


@pytest.mark.parametrize(
    "line",
    [
        "The image was generated by AI, the researchers found, and spread within hours.",
        "Sources said the talks would resume on Monday.",
        "The company said its AI model was trained on licensed data.",
    ],
)
def test_sentences_about_ai_or_sources_stay(line: str) -> None:
    assert _clean(line)[0] == line


def test_headline_repeated_at_the_top_goes_even_under_a_kicker_or_twice() -> None:
    title = "Central bank cuts rates for the third time"
    text = (
        "Economy\nCentral bank cuts rates for the third time.\n"
        "Central bank cuts rates for the third time\nThe bank cut its rate on Wednesday."
    )
    result = clean_text(text, TextContext(title=title))
    assert result.text == "Economy\nThe bank cut its rate on Wednesday."
    assert {r.rule for r in result.removals} == {"text:headline"}


def test_the_headline_later_in_the_body_stays() -> None:
    title = "Rates cut"
    text = "First.\nSecond.\nThird.\nRates cut\nFourth."
    assert clean_text(text, TextContext(title=title)).text == text
