"""The DOM pass: widgets and glyphs go before extraction, the article and its FAQ stay."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from aggregator.clean.prune import prune
from aggregator.models import Removal, SiteRules

STORY = (
    "<p>The central bank cut its rate by a quarter point on Wednesday, the first move since"
    " January, and said it stood ready to act again if the economy weakened further.</p>"
)


def _prune(body: str, rules: SiteRules | None = None) -> tuple[str, tuple[Removal, ...]]:
    tree = LexborHTMLParser(
        f"<html><body><article><h1>Title</h1>{STORY}{body}</article></body></html>"
    )
    removals = prune(tree, rules)
    article = tree.css_first("article")
    assert article is not None
    return " ".join(article.text(separator=" ").split()), removals


def _rules(removals: tuple[Removal, ...]) -> set[str]:
    return {r.rule for r in removals}


def test_icon_fonts_go() -> None:
    text, removals = _prune(
        '<p>Why it matters<span class="material-icons">expand_more</span>'
        '<span class="material-symbols-outlined">open_in_new</span>'
        '<i class="fa fa-twitter"></i><span aria-hidden="true">•</span></p>'
        '<svg viewBox="0 0 1 1"><text>chevron</text></svg>'
    )
    assert "expand_more" not in text and "open_in_new" not in text and "chevron" not in text
    assert "Why it matters" in text
    assert _rules(removals) == {"dom:icon-font"}


def test_italics_with_a_class_are_emphasis_not_icons() -> None:
    text, _ = _prune('<p>They were <i class="em">open and curious</i> about it.</p>')
    assert "open and curious" in text


def test_widgets_go_by_class_word() -> None:
    widgets = {
        "dom:share-bar": '<div class="share-bar"><a>Share this story</a><a>Copy link</a></div>',
        "dom:related": '<section class="related-articles"><h2>Related</h2><a>Other</a></section>',
        "dom:newsletter": '<div class="newsletter-signup">Get our newsletter</div>',
        "dom:cookie-banner": '<div id="cookie-banner">We use cookies. <a>Accept</a></div>',
        "dom:comments": '<div id="respond"><h3>Leave a reply</h3><textarea></textarea></div>',
        "dom:ad-slot": '<div class="ad-slot">Advertisement</div>',
        "dom:breadcrumb": '<ol class="breadcrumbs"><li><a>Home</a></li><li><a>World</a></li></ol>',
        "dom:skip-link": '<a class="skip-link" href="#main">Skip to main content</a>',
        "dom:follow-prompt": '<div class="follow-topics">Follow topics and authors</div>',
        "dom:video-carousel": '<div class="video-carousel"><a>9:27 Watch this</a></div>',
        "dom:toc": '<div id="ez-toc-container"><a href="#a">Part one</a><a href="#b">Two</a></div>',
    }
    for rule, html in widgets.items():
        text, removals = _prune(html)
        assert _rules(removals) == {rule}, rule
        assert text.startswith("Title The central bank cut"), rule


def test_data_testid_names_widgets_on_css_in_js_sites() -> None:
    _, removals = _prune('<div class="css-sh4r3b" data-testid="share-bar"><span>Share</span></div>')
    assert _rules(removals) == {"dom:share-bar"}


def test_a_class_word_on_the_story_wrapper_does_not_drop_the_story() -> None:
    html = f'<div class="entry themeform share">{STORY * 3}</div>'
    text, removals = _prune(html)
    assert text.count("central bank") == 4
    assert not removals


def test_faq_accordion_is_opened_not_dropped() -> None:
    text, _ = _prune(
        '<section data-testid="faq"><h2>FAQ</h2><details><summary>What is distillation?'
        '<span class="material-icons">expand_more</span></summary><p hidden>A smaller model'
        " learns from a larger one.</p></details></section>"
    )
    assert "What is distillation?" in text and "A smaller model learns" in text
    assert "expand_more" not in text


def test_site_rules_drop_and_keep() -> None:
    html = '<div class="promo-box">Buy now</div><div class="related">Also read this</div>'
    text, removals = _prune(html, SiteRules(drop=(".promo-box",), keep=(".related",)))
    assert "Buy now" not in text and "Also read this" in text
    assert Removal("site:drop", "Buy now") in removals


def test_removals_carry_the_removed_text() -> None:
    _, removals = _prune('<div class="share-bar"><a>Share this story</a></div>')
    assert removals == (Removal("dom:share-bar", "Share this story"),)


def _card(title: str, extra: str) -> str:
    return f'<div class="x7"><img src="/t.jpg" alt=""><span>{title}</span>{extra}</div>'


def test_a_heading_over_repeated_cards_goes_in_any_language() -> None:
    cards = _card("Lufthansa streicht Flüge nach Warnstreik", "<span>vor 2 Stunden</span>") * 3
    text, removals = _prune(
        f'<section class="q1"><h3>Weitere Zusammenfassungen</h3>{cards}</section>'
    )
    assert "Lufthansa" not in text and "Weitere" not in text
    assert "dom:recommendations" in _rules(removals)


def test_video_cards_of_duration_title_channel_blurb_go() -> None:
    card = (
        '<div class="v"><span>2:41</span><span>Drone footage shows the damaged harbour</span>'
        "<span>Wire Video</span><span>Aerial images after the quake.</span></div>"
    )
    text, _ = _prune(f'<div class="z"><h4>Watch next</h4>{card * 2}</div>')
    assert "Drone footage" not in text and "Watch next" not in text


def test_live_entries_answers_and_word_lists_are_not_cards() -> None:
    entry = (
        '<div class="e"><div class="t">11:20</div><div>The ministry says more than 40 aftershocks'
        " have been recorded since the main quake, the largest of magnitude 4.5, and that"
        " nobody was hurt in the night.</div></div>"
    )
    answer = (
        '<div class="q"><button aria-expanded="false">Will passengers get money back?</button>'
        "<div hidden>No refunds are ordered by the decision.</div></div>"
    )
    utensils = '<ul><li><a href="/a">Rührschüssel</a></li><li><a href="/b">Mixer</a></li></ul>'
    for block in (
        f'<div class="f"><h2>Live</h2>{entry * 3}</div>',
        f'<div class="qa"><h3>Questions</h3>{answer * 2}</div>',
        f'<div class="u"><h2>Utensilien</h2>{utensils}</div>',
    ):
        _text, removals = _prune(block)
        assert "dom:recommendations" not in _rules(removals), block


def test_a_heading_with_text_before_it_is_not_a_card_block() -> None:
    links = "".join(
        f'<li><a href="/{i}">Another story about the rates {i}</a></li>' for i in range(3)
    )
    _text, removals = _prune(
        f"<div><p>{'Words of the body. ' * 5}</p><h2>More</h2><ul>{links}</ul></div>"
    )
    assert "dom:recommendations" not in _rules(removals)
