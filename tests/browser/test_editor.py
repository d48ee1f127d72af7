"""The writer's editor in a real Chromium, through the real admin: live citation checks, the
source picker, pasting a link, nothing lost (restore, leave warning, stale-save merge), axe."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import SourceFactory, make_story

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
FIXTURES = Path(__file__).resolve().parent.parent / "sources" / "pages"

BODY = (
    "The harbour took delivery of three electric cranes on Friday [@ledger-cranes].\n"
    "\n"
    "The authority says they cut emissions by about 40% [@port-annual, p. 2].\n"
)


@pytest.fixture
def library(db):
    return [
        SourceFactory(key="ledger-cranes", title="Electric cranes arrive at Berth 4",
                      outlet="The Harbour Ledger", url="https://ledger.example.org/cranes",
                      published_on=datetime.date(2026, 5, 2)),
        SourceFactory(key="port-annual", title="Annual Report 2025", outlet="Eastmere Port",
                      url="https://port.example.org/annual-2025", kind="report"),
        SourceFactory(key="council-minutes", title="Minutes of the Harbour Committee",
                      outlet="Eastmere City Council", health="broken",
                      url="https://council.example.org/minutes"),
    ]


@pytest.fixture
def story(writer, library):
    return make_story(writer, title="Cranes arrive", body=BODY,
                      sources=["ledger-cranes", "port-annual"])


def open_form(page_factory, live_server, user, story=None, **kwargs):
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    page = page_factory(user=user, live_server=live_server, **kwargs)
    url = reverse("admin:stories_story_change", args=[story.pk]) if story else reverse(
        "admin:stories_story_add")
    page.goto(live_server.url + url)
    page.wait_for_selector(".nr-editor .cm-content")
    return page


def errors(page) -> list[str]:
    """Script errors and CSP violations (a missing favicon is neither)."""
    return page.evaluate("window.__csp") + [p for p in page.problems
                                              if not p.startswith("Failed to load resource")]


def editor(page):
    return page.locator(".nr-editor .cm-content")


def type_at_end(page, text):
    editor(page).click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def test_an_error_is_underlined_while_typing_and_gone_when_fixed(live_server, page_factory,
                                                                  writer, story):
    page = open_form(page_factory, live_server, writer, story)
    page.wait_for_selector(".nr-live-panel .no-problems")
    type_at_end(page, "\nA council heard it in April [@counci")
    page.keyboard.press("Escape")  # close the picker; the group stays unterminated
    page.keyboard.type("l-minute]")
    underline = page.locator(".cm-lintRange-error")
    underline.wait_for()
    assert underline.inner_text() == "[@council-minute]"
    problem = page.locator(".nr-live-panel .problem-error")
    assert 'unknown source key "council-minute"' in problem.inner_text()
    assert "Line 5, column 29" in problem.inner_text()
    page.keyboard.press("ArrowLeft")
    page.keyboard.type("s")
    page.locator(".cm-lintRange-error").wait_for(state="detached")
    panel = page.locator(".nr-live-panel")
    assert "Minutes of the Harbour Committee" in panel.inner_text()
    assert "link broken" in panel.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "editor-change-form.png", full_page=True)
    assert not errors(page)
