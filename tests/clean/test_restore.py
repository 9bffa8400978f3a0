"""The lead the extractor left in a sibling block goes back in front of the body, nothing else."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from aggregator.clean.restore import restore_lead

LEAD = (
    "The central bank cut its policy rate by a quarter point on Wednesday, the third cut in a row, "
    "citing slowing growth."
)
BODY = [
    "Economists had expected the move after inflation fell back inside the target range in the "
    "spring and unemployment rose for a fourth month.",
    "The governor said further cuts would depend on the data, and markets priced in one more "
    "reduction before the end of the year.",
]
BIO = (
    "Jane Doe covers central banks and monetary policy for the paper and has reported from Ottawa "
    "and Frankfurt since 2015."
)


def page(lead: str = LEAD, *, lead_class: str = "teaser-text", after: str = "") -> LexborHTMLParser:
    body = "".join(f"<p>{text}</p>" for text in BODY)
    return LexborHTMLParser(
        "<html><body><main><article><h1>Rates cut</h1>"
        f'<div class="{lead_class}"><p>{lead}</p></div>'
        f'<div class="entry-content">{body}</div>{after}'
        "</article></main></body></html>"
    )


def test_lead_in_a_sibling_block_goes_back_before_the_body() -> None:
    extracted = "\n".join(BODY)
    text, restored = restore_lead(page(), extracted)
    assert restored == (LEAD,)
    assert text.splitlines() == [LEAD, *BODY]


def test_nothing_changes_when_the_lead_was_kept() -> None:
    extracted = "\n".join([LEAD, *BODY])
    assert restore_lead(page(), extracted) == (extracted, ())


def test_paragraphs_after_the_body_stay_out() -> None:
    bio = f'<div class="author-box"><p>{BIO}</p></div>'
    extracted = "\n".join([LEAD, *BODY])
    text, restored = restore_lead(page(after=bio), extracted)
    assert restored == ()
    assert BIO not in text


def test_captions_and_short_lines_are_not_leads() -> None:
    extracted = "\n".join(BODY)
    assert restore_lead(page(lead_class="wp-caption"), extracted)[1] == ()
    assert restore_lead(page("Photo: Reuters"), extracted)[1] == ()


def test_link_lists_are_not_leads() -> None:
    linked = f'<a href="/other">{LEAD}</a>'
    assert restore_lead(page(linked), "\n".join(BODY))[1] == ()


def test_nothing_is_restored_when_no_paragraph_was_kept() -> None:
    extracted = "A table the extractor found\nand nothing else"
    assert restore_lead(page(), extracted) == (extracted, ())


def test_the_scope_stops_where_the_page_begins() -> None:
    """A rail of other stories' prose, larger than the article, is not this article's lead."""
    rail = "".join(f"<p>{BIO} Story {i}.</p>" for i in range(6))
    tree = LexborHTMLParser(
        f"<html><body><div class='rail'>{rail}</div><div><div><div class='entry-content'>"
        + "".join(f"<p>{text}</p>" for text in BODY)
        + "</div></div></div></body></html>"
    )
    assert restore_lead(tree, "\n".join(BODY))[1] == ()


def test_the_lead_goes_under_a_headline_the_extractor_kept() -> None:
    extracted = "\n".join(["Rates cut", *BODY])
    text, _restored = restore_lead(page(), extracted)
    assert text.splitlines() == ["Rates cut", LEAD, *BODY]
