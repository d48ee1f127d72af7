import pytest

from stories.anchors import Location, locate

BODY = "Ships waited\nthree days at the bar [@pilots].\n\nShips waited again in May [@pilots]."


@pytest.mark.parametrize(("quote", "hint", "expected"), [
    ("three days at the bar", 0, Location(start=13, end=34, line=2)),
    ("waited   three\tdays", 0, Location(start=6, end=23, line=1)),  # any whitespace
    ("Ships waited", 0, Location(start=0, end=12, line=1)),
    ("Ships waited", 60, Location(start=47, end=59, line=4)),  # the nearest of repeats
    ("bar [1]", 0, Location()),  # only in the text as readers read it
])
def test_a_passage_is_found_while_its_words_are_unchanged(quote, hint, expected):
    reader = "Ships waited three days at the bar\u00a0[1].\nShips waited again in May\u00a0[1]."
    assert locate(quote, body=BODY, reader=reader, hint=hint) == expected


@pytest.mark.parametrize("quote", ["four days at the bar", "", "   ", "Ships waited three nights"])
def test_a_changed_or_empty_passage_is_not_found(quote):
    assert locate(quote, body=BODY, reader=BODY) is None
