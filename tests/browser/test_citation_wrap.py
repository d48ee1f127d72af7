"""Citation superscripts stay on the line of the word they follow, at phone widths."""

import pytest

from tests.factories import SourceFactory
from tests.public.helpers import publish_story

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORDS = ["harbour", "cranes", "arrived", "after", "a", "long", "delay", "while", "the", "grid",
         "operator", "upgraded", "the", "substation", "feeding", "Berth", "four", "and",
         "freight", "volumes", "fell", "sharply", "in", "spring"]


def _body(keys: list[str]) -> str:
    """Forty claims of every length from 3 to 22 words, so at any width some end a line."""
    sentences = []
    for i in range(40):
        length = 3 + (i * 7) % 20
        words = [WORDS[(i + j) % len(WORDS)] for j in range(length)]
        group = f"[@{keys[i % 2]}]" if i % 3 else f"[@{keys[0]}; @{keys[1]}, p. {i}]"
        sentences.append(" ".join(words).capitalize() + f" {group}.")
    return "\n\n".join(" ".join(sentences[k:k + 4]) for k in range(0, 40, 4))


# For every superscript: where the claim's last character is and where the sup and the report
# flag after it are, in layout pixels.
MEASURE = """() => [...document.querySelectorAll('.story-body sup.cite')].map(sup => {
  const claim = sup.previousElementSibling;
  const walker = document.createTreeWalker(claim, NodeFilter.SHOW_TEXT);
  let last = null;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.data.trim()) last = n;
  const end = last.data.trimEnd().length;
  const range = document.createRange();
  range.setStart(last, end - 1); range.setEnd(last, end);
  const rects = range.getClientRects();
  const word = rects[rects.length - 1];
  const s = sup.getBoundingClientRect();
  const flag = sup.nextElementSibling && sup.nextElementSibling.matches('.claim-report')
    ? sup.nextElementSibling.getBoundingClientRect() : null;
  const line = parseFloat(getComputedStyle(claim).lineHeight) || word.height;
  return {claim: claim.id, wordTop: word.top, wordRight: word.right, supTop: s.top,
          supLeft: s.left, flagTop: flag && flag.top, flagLeft: flag && flag.left, line};
})"""


@pytest.mark.parametrize("width", [320, 337, 360, 375, 390])
def test_no_superscript_starts_a_line_of_its_own(live_server, page_factory, writer, reviewer,
                                                  editor, width):
    sources = [SourceFactory(key="ledger"), SourceFactory(key="annual")]
    story = publish_story(writer, reviewer, editor, title="Cranes",
                          body=_body(["ledger", "annual"]), sources=sources)
    page = page_factory(width, 800)
    page.goto(live_server.url + story.get_absolute_url())
    marks = page.evaluate(MEASURE)
    assert len(marks) == 40
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for mark in marks:
        # Same line: the sup is raised, but by less than half a line; and it follows the word
        # (pulled a few pixels into the claim's trailing space by its negative margin).
        assert abs(mark["supTop"] - mark["wordTop"]) < mark["line"] / 2, mark
        assert mark["supLeft"] >= mark["wordRight"] - 4, mark
        assert abs(mark["flagTop"] - mark["supTop"]) < mark["line"] / 2, mark
