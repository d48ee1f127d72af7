import pytest

from stories.report_links import with_report_links

C = '<a href="?claim={ordinal}">!</a>'


@pytest.mark.parametrize("html, expected", [
    ('<p><span class="claim" id="claim-1">A</span><sup class="cite"><a>1</a></sup>.</p>',
     '<p><span class="claim" id="claim-1">A</span><sup class="cite"><a>1</a></sup>'
     '<a href="?claim=1">!</a>.</p>'),
    # a sup inside the claim's own text is not its citation
    ('<span class="claim" id="claim-2">3 km<sup>2</sup></span><sup class="cite">2</sup>',
     '<span class="claim" id="claim-2">3 km<sup>2</sup></span><sup class="cite">2</sup>'
     '<a href="?claim=2">!</a>'),
    # an error mark (no sup) gets nothing; the next claim gets its own
    ('<span class="claim" id="claim-1">A</span><mark class="cite-error">[@x]</mark>'
     '<span class="claim" id="claim-2">B</span><sup class="cite">1</sup>',
     '<span class="claim" id="claim-1">A</span><mark class="cite-error">[@x]</mark>'
     '<span class="claim" id="claim-2">B</span><sup class="cite">1</sup><a href="?claim=2">!</a>'),
    ("<p>No claims at all.</p>", "<p>No claims at all.</p>"),
    ('<sup class="cite">1</sup>', '<sup class="cite">1</sup>'),
])
def test_with_report_links(html, expected):
    assert with_report_links(html, C) == expected
