"""The extractor reads the page's one marked article, or the whole page when there is none."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from aggregator.clean.scope import ExtractorInput, extractor_input

STORY = "<p>" + "The council approved the budget after a long debate. " * 8 + "</p>"
RAIL = "<p>" + "Other story teaser text that belongs to the rail. " * 2 + "</p>"


def _whole(found: ExtractorInput, tree: LexborHTMLParser) -> bool:
    return found.html == tree.html and not found.marked


def page(body: str) -> LexborHTMLParser:
    return LexborHTMLParser(f"<html><head><title>Budget</title></head><body>{body}</body></html>")


def test_one_article_with_most_of_the_text_is_what_the_extractor_reads() -> None:
    found = extractor_input(page(f"<div class='rail'>{RAIL}</div><article>{STORY}</article>"))
    html = found.html
    assert found.marked
    assert "<article>" in html
    assert "<title>Budget</title>" in html
    assert "rail" not in html


def test_main_is_used_when_there_is_no_single_article() -> None:
    tree = page(f"<main>{STORY}<article>{RAIL}</article><article>{RAIL}</article></main>")
    html = extractor_input(tree).html
    assert html.count("<article>") == 2
    assert html.startswith("<html><head>")


def test_several_articles_mean_the_whole_page() -> None:
    tree = page(f"<article>{STORY}</article><article>{STORY}</article>")
    assert _whole(extractor_input(tree), tree)


def test_a_small_article_element_is_not_the_article() -> None:
    tree = page(f"<div>{STORY}</div><article>{RAIL}</article>")
    assert _whole(extractor_input(tree), tree)


def test_a_page_without_text_is_read_whole() -> None:
    tree = page("<article></article>")
    assert _whole(extractor_input(tree), tree)


def test_the_text_length_is_of_what_the_extractor_reads() -> None:
    marked = extractor_input(page(f"<div>{RAIL}</div><article>{STORY}</article>"))
    whole = extractor_input(page(f"<div>{RAIL}</div><div>{STORY}</div>"))
    assert marked.chars == len(" ".join(STORY[3:-4].split()))
    assert whole.chars > marked.chars
