"""Public pages fit the reader's window: nothing makes them scroll sideways."""

import pytest

from tests.factories import SourceFactory
from tests.public.helpers import publish_story, republish

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("path", ["/transparency/", "story", "history"])
def test_a_public_page_with_signatures_and_hashes_fits_the_window(
        live_server, page_factory, writer, reviewer, editor, width, path):
    SourceFactory(key="ferries")
    story = publish_story(writer, reviewer, editor, body="Fares rise by 4% [@ferries].",
                          sources=["ferries"])
    url = {"story": story.get_absolute_url(),
           "history": story.get_absolute_url() + "history/"}.get(path, path)
    page = page_factory(width=width)
    page.goto(live_server.url + url)
    for details in page.locator("details").all():  # the public-log entries, opened
        details.evaluate("d => d.open = true")
    # The tree head's 88-character signature ran off the right edge at any width.
    assert page.evaluate("document.documentElement.scrollWidth") <= width


LONG_LINK = "https://harbour.example.org/notices/2026/" + "corrected-timetable-" * 8 + "final.pdf"


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("path", ["story", "history", "/corrections/"])
def test_a_correction_note_with_a_long_link_wraps_on_every_page_that_shows_it(
        live_server, page_factory, writer, reviewer, editor, width, path):
    SourceFactory(key="ferries")
    story = publish_story(writer, reviewer, editor, body="Fares rise by 4% [@ferries].",
                          sources=["ferries"])
    republish(story, writer, reviewer, editor, body="Fares rise by 5% [@ferries].",
              note=f"The rise is 5%, as the operator's notice says: {LONG_LINK}")
    url = {"story": story.get_absolute_url(),
           "history": story.get_absolute_url() + "history/"}.get(path, path)
    page = page_factory(width=width)
    page.goto(live_server.url + url)
    page.get_by_text(LONG_LINK).first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
