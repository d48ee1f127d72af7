import pytest
from hypothesis import given
from hypothesis import strategies as st

from sources import evidence
from sources.evidence import ClaimInput, extract, extract_figures, extract_quotes, index_text, match


def keys(text):
    return [f.key for f in extract_figures(text)]


@pytest.mark.parametrize("text, expected", [
    ("Shares rose over 6%", [("pct", "6")]),
    ("Shares rose 6 per cent", [("pct", "6")]),
    ("Shares rose 6 percent", [("pct", "6")]),
    ("Shares rose 6\u00a0%", [("pct", "6")]),
    ("a 0.25 percentage point cut", [("pct", "0.25")]),
    ("$53bn", [("num", "53000000000")]),
    ("US$53 billion", [("num", "53000000000")]),
    ("53 billion dollars", [("num", "53000000000")]),
    ("$53,000,000,000", [("num", "53000000000")]),
    ("\u20ac1.2m", [("num", "1200000")]),
    ("EUR 1.2 million", [("num", "1200000")]),
    ("380 billion yuan", [("num", "380000000000")]),
    ("\u00a34.1bn", [("num", "4100000000")]),
    ("1,250,000 containers", [("num", "1250000")]),
    ("1.2 million units", [("num", "1200000")]),
    ("the highest since 2021", [("num", "2021")]),
    ("from 2019\u20132021", [("num", "2019"), ("num", "2021")]),
    ("from 2019 to 2021", [("num", "2019"), ("num", "2021")]),
    ("5-7%", [("pct", "5"), ("pct", "7")]),
    ("5\u20147 per cent", [("pct", "5"), ("pct", "7")]),
    ("$1-2 billion", [("num", "1000000000"), ("num", "2000000000")]),
    ("a 17 km road", [("num", "17")]),
    ("a 5m wall", [("num", "5")]),
    ("a $5m grant", [("num", "5000000")]),
    ("in 2021, the ministry", [("num", "2021")]),
    ("6.50%", [("pct", "6.5")]),
    ("G7 leaders, COVID-19 and the A380", []),
    ("no figures here", []),
])
def test_extract_figures(text, expected):
    assert keys(text) == expected


@pytest.mark.parametrize("text, shown", [
    ("rose $53bn", "$53bn"),
    ("about US$53 billion", "US$53 billion"),
    ("up 5\u20137%", "5\u20137%"),
    ("since 2021.", "2021"),
])
def test_figures_keep_the_text_as_written(text, shown):
    assert extract_figures(text)[0].text == shown


@pytest.mark.parametrize("text, kind", [
    ("6%", "percent"), ("$53bn", "money"), ("380 billion yuan", "money"), ("2021", "year"),
    ("17 km", "number"),
])
def test_figure_kinds(text, kind):
    assert extract_figures(text)[0].kind == kind


@pytest.mark.parametrize("text, quotes", [
    ('He called it "a turning point".', ("a turning point",)),
    ("He called it \u201ca turning point\u201d.", ("a turning point",)),
    ("He called it \u2018a turning point\u2019.", ("a turning point",)),
    ("\u201cWe will win\u2026 eventually,\u201d she said.", ("we will win", "eventually")),
    ("It\u2019s the company\u2019s plan", ()),
    ('"ok"', ()),
])
def test_extract_quotes(text, quotes):
    assert extract_quotes(text) == quotes


SOURCE = ("Shares of the chipmaker rose 6 per cent on Tuesday, the highest since 2021. "
          "The plan exceeds the 380bn yuan commitment made in March.\n"
          "\u201cThis is a turning point for the industry,\u201d the minister said. "
          "Exports were worth US$53,000,000,000 last year.")


@pytest.mark.parametrize("claim, status", [
    ("Shares rose over 6%, the highest since 2021", "found"),
    ("The plan exceeds the 380 billion yuan commitment", "found"),
    ("Exports were worth $53bn", "found"),
    ('The minister called it "a turning point for the industry"', "found"),
    ("Shares rose 6%, the highest since 2019", "partial"),
    ("Shares rose 9%", "not_found"),
    ('She called it "a disaster"', "not_found"),
    ("Shares of the chipmaker rose on Tuesday", "found"),  # no figures: words
    ("Penguins migrate across Antarctica", "not_found"),
])
def test_match_statuses(claim, status):
    assert match(extract(claim), index_text(SOURCE)).status == status


def test_match_without_snapshot():
    assert match(extract("Shares rose 6%"), None).status == "no_snapshot"


def test_match_excerpt_surrounds_the_first_match():
    hint = match(extract("the highest since 2021"), index_text(SOURCE))
    assert "since 2021" in hint.excerpt
    assert len(hint.excerpt) <= evidence.EXCERPT_CHARS + 2


def test_match_lists_found_and_missing_items():
    hint = match(extract("Shares rose 6%, the highest since 2019"), index_text(SOURCE))
    assert hint.found == ("6%",)
    assert hint.missing == ("2019",)


def test_a_bare_number_is_not_a_percentage():
    assert match(extract("Shares rose 6%"), index_text("There were 6 of them.")).status == (
        "not_found")


def test_quotes_tolerate_punctuation_case_and_curly_quotes():
    index = index_text("He said: \u201cWe WILL win \u2014 eventually.\u201d")
    assert match(extract('"we will win - eventually"'), index).status == "found"


def test_quotes_match_whole_words_only():
    index = index_text("the regrowth continued")
    assert match(extract('"growth continued"'), index).status == "not_found"


def test_match_claims_per_claim_and_cited_source():
    claims = [ClaimInput(1, "Shares rose 6%", (1, 2)), ClaimInput(2, "Exports $53bn", (2,))]
    result = evidence.match_claims(claims, {1: SOURCE, 2: None})
    assert [(n, e.status) for n, e in result[1]] == [(1, "found"), (2, "no_snapshot")]
    assert [(n, e.status) for n, e in result[2]] == [(2, "no_snapshot")]


def test_fold_keeps_positions():
    text = "A\u2014B \u201cq\u201d\u00a0\u0130x"
    assert len(evidence.fold(text)) == len(text)


@pytest.mark.parametrize("a, b, changed", [
    ("the plan exceeds the commitment", "the plan exceeds the commitment", False),
    ("one two three four five six seven eight nine ten",
     "one two three four five six seven eight nine eleven", False),
    ("the plan exceeds the commitment", "page not found please try search", True),
])
def test_materially_different(a, b, changed):
    assert evidence.materially_different(a, b) is changed


@given(st.text(max_size=400))
def test_extract_never_raises(text):
    facts = extract(text)
    assert isinstance(facts.figures, tuple)


@given(st.text(max_size=300), st.text(max_size=600))
def test_match_never_raises_and_gives_a_known_status(claim, source):
    hint = match(extract(claim), index_text(source))
    assert hint.status in {"found", "partial", "not_found"}


@given(st.text(alphabet=st.sampled_from("0123456789,.-%$\u20ac bnmk\u2013"), max_size=60))
def test_figure_soup_never_raises(text):
    index = index_text(text)
    assert all(isinstance(position, int) for position in index.figures.values())
