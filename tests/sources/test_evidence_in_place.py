import pytest
from hypothesis import given
from hypothesis import strategies as st

from sources.evidence import extract_figures, extract_names, fold, locate


def marked(claim: str, text: str) -> list[str]:
    """The pieces of text the reviewer sees highlighted, in order."""
    return [text[span.start:span.end] for span in locate(claim, text).spans]


@pytest.mark.parametrize("claim, source", [
    ("The plan costs 1.8 million euros.", "The plan costs 1,800,000 euros."),
    ("The plan costs 1,800,000 euros.", "The plan costs 1.8 million euros."),
    ("The plan costs 1.8 million euros.", "Der Plan kostet 1.800.000 Euro."),
    ("The plan costs 1.8 million euros.", "Le plan coûte 1\u202f800\u202f000 euros."),
    ("The plan costs 1.8 million euros.", "Le plan coûte 1\u00a0800\u00a0000 euros."),
    ("The plan costs 1.8 million euros.", "Le plan coûte 1 800 000 euros."),
    ("The plan costs 1.8 million euros.", "Der Plan kostet 1\u2019800\u2019000 Franken."),
    ("The plan costs 1.8 million euros.", "Der Plan kostet 1'800'000 Franken."),
    ("The plan costs 1.8 million euros.", "Der Plan kostet 1,8 Mio. Euro."),
    ("The plan costs 1.8 million euros.", "Der Plan kostet 1,8 Millionen Euro."),
    ("The plan costs 1.8 million euros.", "El plan cuesta 1,8 millones de euros."),
    ("The plan costs €1.8m.", "The plan costs EUR 1.8 million."),
    ("The plan costs €1.8m.", "The plan costs 1.8 million EUR."),
    ("The plan costs $2.5bn.", "The plan costs US$2,500,000,000."),
    ("The plan costs $2.5bn.", "The plan costs USD 2.5 billion."),
    ("The plan costs £4.2m.", "The plan costs 4.2 million pounds."),
    ("Prices rose 40%.", "Prices rose 40 per cent."),
    ("Prices rose 40 per cent.", "Prices rose 40%."),
    ("Prices rose 40 percent.", "Prices rose 40 %."),
    ("Prices rose 40.5%.", "Die Preise stiegen um 40,5 %."),
    ("Exports were 3.4 billion.", "Les exportations : 3,4 milliards."),
    ("Exports were 1.2 trillion.", "Exports were 1,200 billion."),
    ("The total was 1,800,000.50 euros.", "Insgesamt 1.800.000,50 Euro."),
])
def test_numbers_match_across_formats_and_locales(claim, source):
    result = locate(claim, source)
    assert result.missing == ()
    assert result.found and result.first is not None


@pytest.mark.parametrize("claim, source", [
    ("The plan costs 1.8 million euros.", "The plan costs 1.9 million euros."),
    ("The plan costs 1.8 million euros.", "The plan costs 18 million euros."),
    ("Prices rose 40%.", "Prices rose 40 points."),
    ("Prices rose 40%.", "Prices rose 4%."),
    ("It was 1.800 km away.", "It was 1,800 km away."),  # 1.800 is a decimal in English
])
def test_different_figures_do_not_match(claim, source):
    assert locate(claim, source).missing


@pytest.mark.parametrize("text", [
    "1.800.000", "1 800 000", "1\u202f800\u202f000", "1'800'000", "1,8 Mio", "40,5 %",
    "\u20ac1.800.000,50", "1.8 million", "caf\u00e9 \u0130stanbul 1\u2013800", "",
])
def test_fold_keeps_the_length_so_highlights_land_on_the_original(text):
    assert len(fold(text)) == len(text)


@given(st.text(alphabet="0123456789.,' \u00a0\u202f\u2019%mMioEUR\u20ac$", max_size=60))
def test_fold_keeps_the_length_of_any_number_like_text(text):
    assert len(fold(text)) == len(text)


def test_every_occurrence_is_highlighted_in_text_order():
    text = "Cost: 1.8 million euros. Later the 1,800,000 euros were paid. 40% came from the city."
    assert marked("The 1.8 million euro plan, 40% from the city", text) == [
        "1.8 million", "1,800,000", "40%"]


def test_currency_sign_is_part_of_the_highlight():
    assert marked("It cost $5m.", "It cost US$5 million, officials said.") == ["US$5 million"]


@pytest.mark.parametrize("claim, names", [
    ("Mara Lindqvist told the council the plan was late.", ("Mara Lindqvist",)),
    ("The Lakeside Water Company will renew pipes.", ("Lakeside Water Company",)),
    ("Officials in Oslo and Bergen agreed.", ("Oslo", "Bergen")),
    ("Ludwig van Beethoven wrote it.", ("Ludwig van Beethoven",)),
    ("The council met on Monday in March.", ()),
    ("Shares rose on Tuesday.", ()),
    ("The G7 and the A380.", ()),
])
def test_names_are_runs_of_capitalised_words(claim, names):
    assert extract_names(claim) == names


def test_names_quotes_and_figures_are_highlighted_and_the_missing_listed():
    claim = ("Mara Lindqvist said the council approved \u20ac1.8 million, calling it "
             "\u201ca turning point for the harbour\u201d; Tomas Reyes disagreed.")
    text = ("Harbour master Mara Lindqvist: the council approved 1.800.000 euros. It was "
            "\"a turning point for the harbour\", she said.")
    result = locate(claim, text)
    assert [(s.kind, text[s.start:s.end]) for s in result.spans] == [
        ("name", "Mara Lindqvist"), ("figure", "1.800.000"),
        ("quote", "a turning point for the harbour")]
    assert result.missing == ("Tomas Reyes",)
    assert result.first == text.index("Mara")


def test_quotation_holding_a_figure_is_marked_once():
    text = 'She said "we spent 40% of it" yesterday.'
    spans = locate('She said \u201cwe spent 40% of it\u201d.', text).spans
    assert [(s.kind, text[s.start:s.end]) for s in spans] == [("quote", "we spent 40% of it")]


def test_nothing_checkable_gives_no_spans_and_no_first_match():
    result = locate("the council met again", "The council met again.")
    assert (result.spans, result.missing, result.first) == ((), (), None)


def test_highlights_are_capped_on_a_huge_repetitive_source():
    text = "40% " * 100_000
    assert len(locate("It rose 40%.", text).spans) == 20


def test_locale_rewrite_does_not_change_figures_of_english_text():
    assert [f.key for f in extract_figures("in 2021, 100 people and pages 1,2,3")] == [
        ("num", "2021"), ("num", "100"), ("num", "1"), ("num", "2"), ("num", "3")]
