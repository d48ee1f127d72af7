import pytest

from stories.report_links import claims_citing, with_report_links

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


def sup(*numbers):
    return ('<sup class="cite">'
            + ", ".join(f'<a href="#source-{n}" title="x">{n}</a>' for n in numbers) + "</sup>")


@pytest.mark.parametrize("html, expected", [
    (f'<span class="claim" id="claim-1">A</span>{sup(1)}'
     f'<span class="claim" id="claim-2">B</span>{sup(1, 2)}', {1: (1, 2), 2: (2,)}),
    # a link to a source inside the claim's own text is not its citation
    (f'<span class="claim" id="claim-1">see <a href="#source-3">3</a></span>{sup(2)}', {2: (1,)}),
    # an error mark (no sup) cites nothing; the same source twice in a claim counts once
    (f'<span class="claim" id="claim-1">A</span><mark class="cite-error">[@x]</mark>'
     f'<span class="claim" id="claim-2">B</span>{sup(4, 4)}', {4: (2,)}),
    ("<p>No claims at all.</p>", {}),
    (sup(1), {}),
])
def test_claims_citing(html, expected):
    assert claims_citing(html) == expected
