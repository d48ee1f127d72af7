"""Admin screens fit their window: the object tools (History, View on site, Preview, ...) sit
clear of the page's title at a desktop and at a phone width."""

import pytest
from django.urls import reverse

from tests.browser.newsroom import canal_newsroom

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LONG_TITLE = ("Millbrook lock reopens early after fourteen weeks of works on the gates, "
              "the trust says")

# Each title element and each object tool's box: {top, right, bottom, left}.
BOXES = """() => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {top: r.top, right: r.right, bottom: r.bottom, left: r.left,
            text: el.textContent.trim().slice(0, 40)}; };
  return {
    titles: [...document.querySelectorAll('#content > h1, #content > h2')].map(box),
    tools: [...document.querySelectorAll('.object-tools li')].map(box),
  };
}"""


def overlapping(a, b) -> bool:
    return (a["left"] < b["right"] and b["left"] < a["right"]
            and a["top"] < b["bottom"] and b["top"] < a["bottom"])


@pytest.fixture
def newsroom(writer, reviewer, editor):
    stories = canal_newsroom(writer, reviewer, editor)
    published = stories["published"]
    published.title = LONG_TITLE
    published.save(update_fields=["title"])
    return stories


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("role", ["writer", "editor"])
def test_the_story_forms_object_tools_do_not_overlap_the_title(
        live_server, page_factory, newsroom, writer, editor, width, role):
    story = newsroom["published"]
    user = {"writer": writer, "editor": editor}[role]
    page = page_factory(width=width, user=user, live_server=live_server)
    page.goto(live_server.url + reverse("admin:stories_story_change", args=[story.pk]))
    boxes = page.evaluate(BOXES)
    assert boxes["titles"] and boxes["tools"], boxes
    clashes = [(title["text"], tool["text"]) for title in boxes["titles"]
               for tool in boxes["tools"] if overlapping(title, tool)]
    assert clashes == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1280, 390])
def test_the_source_forms_object_tools_do_not_overlap_its_title(
        live_server, page_factory, newsroom, editor, width):
    from sources.models import Source

    source = Source.objects.get(key="canal-trust")
    page = page_factory(width=width, user=editor, live_server=live_server)
    page.goto(live_server.url + reverse("admin:sources_source_change", args=[source.pk]))
    boxes = page.evaluate(BOXES)
    assert boxes["tools"], boxes
    assert [(a["text"], b["text"]) for a in boxes["titles"] for b in boxes["tools"]
            if overlapping(a, b)] == []


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("role", ["writer", "editor"])
@pytest.mark.parametrize("screen", ["dashboard", "revisions"])
def test_the_dashboard_and_the_revisions_page_do_not_scroll_sideways(
        live_server, page_factory, newsroom, writer, editor, width, role, screen):
    story = newsroom["published"]
    url = {"dashboard": reverse("admin:index"),
           "revisions": reverse("admin:stories_story_revisions", args=[story.pk])}[screen]
    page = page_factory(width=width, user={"writer": writer, "editor": editor}[role],
                        live_server=live_server)
    page.goto(live_server.url + url)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if screen == "revisions":
        # The restore button of an older revision is still reached and shown by keyboard.
        restore = page.get_by_role("button", name="Restore this revision").first
        for _ in range(40):
            page.keyboard.press("Tab")
            if restore.evaluate("b => b === document.activeElement"):
                break
        else:
            pytest.fail("Tab never reached Restore this revision")
        box = restore.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("width", [1280, 390])
def test_the_audit_searchs_action_hint_names_the_filter_as_the_page_shows_it(
        live_server, page_factory, newsroom, editor, width):
    page = page_factory(width=width, user=editor, live_server=live_server)
    page.goto(live_server.url + reverse("admin:audit_event_changelist") + "?q=publish")
    hint = page.locator(".messagelist li", has_text="is the name of an action").inner_text()
    heading = page.locator("#changelist-filter details summary", has_text="action").first
    # The filter is on the right at a desktop and under the list on a phone: the hint names
    # it as its heading reads, not by a side.
    assert heading.inner_text().strip() in hint
    assert "on the right" not in hint and "below" not in hint
    page.locator(".messagelist a", has_text="publish").click()
    page.wait_for_url("**action=publish**")
    assert "0 events" not in page.locator("#changelist").inner_text()


# One word longer than any window: a pasted link or a run of characters as a title.
UNBROKEN_TITLE = "Millbrook" + "lock" * 70


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("screen", ["change", "workflow", "review", "revisions", "history"])
def test_a_title_of_one_long_word_does_not_widen_the_storys_screens(
        live_server, page_factory, newsroom, editor, width, screen):
    # The breadcrumbs, the form's revision summary and the review screen's headline kept the
    # word whole: the page scrolled sideways by thousands of pixels on every screen of the story.
    from stories import services

    story = newsroom["in_review"]
    services.story_update(story_id=story.pk, user=editor, title=UNBROKEN_TITLE)
    url = reverse(f"admin:stories_story_{screen}", args=[story.pk])
    page = page_factory(width=width, user=editor, live_server=live_server)
    page.goto(live_server.url + url)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
