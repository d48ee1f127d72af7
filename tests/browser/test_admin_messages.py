"""How the admin's messages read in a real browser: a refusal looks like a refusal, all of it."""

import pytest
from django.urls import reverse

from tests.browser.test_editor import open_form
from tests.factories import SourceFactory, make_story

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ITEM_LOOK = """el => { const s = getComputedStyle(el);
  return {image: s.backgroundImage, colour: s.backgroundColor}; }"""


def test_a_refused_submit_lists_its_citation_errors_inside_the_error_not_as_successes(
        live_server, page_factory, writer):
    SourceFactory(key="ferries")
    story = make_story(writer, title="Ferry fares", body="Fares rise by 4% [@no-such-key].",
                       sources=["ferries"])
    page = open_form(page_factory, live_server, writer, story)
    page.goto(live_server.url + reverse("admin:stories_story_workflow", args=[story.pk]))
    page.click("text=Submit for review")
    error = page.locator("ul.messagelist > li.error")
    error.wait_for()
    item = error.locator("li", has_text='unknown source key "no-such-key"')
    assert item.count() == 1
    # Django styles every li under the message list as a success (green, a tick): a citation
    # error read as a thing done.
    look, outer = item.evaluate(ITEM_LOOK), error.evaluate(ITEM_LOOK)
    assert "icon-yes" not in look["image"]
    assert look["colour"] in (outer["colour"], "rgba(0, 0, 0, 0)")
