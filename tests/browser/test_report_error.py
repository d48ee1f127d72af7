"""Reporting an error on a claim in a real Chromium: keyboard only, in the dialog and without
JavaScript; the share controls."""

import pytest

from stories.models import ErrorReport
from tests.public.helpers import publish_story

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NOTE = "The authority's report says 14%, not 40%, on page 2."


@pytest.fixture
def story(writer, reviewer, editor):
    return publish_story(writer, reviewer, editor, title="Electric cranes reach the harbour",
                         dek="Three cranes, two years late.")


def tab_to(page, selector: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"!!document.activeElement.closest({selector!r})"):
            return
    pytest.fail(f"Tab never reached {selector}")


def test_a_claim_is_reported_with_the_keyboard_alone(live_server, page_factory, story):
    page = page_factory()
    page.goto(live_server.url + story.get_absolute_url())
    tab_to(page, "a.claim-report")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == \
        "Report an error in claim 1"
    page.keyboard.press("Enter")
    dialog = page.locator("dialog.report-dialog")
    dialog.wait_for(state="visible")
    assert page.evaluate("document.activeElement.name") == "note"  # focus moved into the form
    assert dialog.locator("input[name=claim][value='1']").is_checked()
    page.keyboard.type(NOTE)
    page.keyboard.press("Escape")  # closing returns focus to the flag
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('claim-report')")
    page.keyboard.press("Enter")
    dialog.wait_for(state="visible")
    page.keyboard.type(NOTE)
    tab_to(page, "dialog button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/report/sent/")
    assert "your report was sent" in page.locator("h1").inner_text()
    report = ErrorReport.objects.get()
    assert (report.claim.ordinal, report.note) == (1, NOTE)
    # No script error (a missing favicon is not one).
    assert [p for p in page.problems if not p.startswith("Failed to load resource")] == []


# The dialog's form sent twice as it stands (a retrying network, a second click a browser does
# not drop): both answers land on the thank-you page, and one report is filed.
RESEND = """async () => {
  const form = document.querySelector("dialog.report-dialog form.report-form");
  const send = () => fetch(form.action, {method: "POST", body: new FormData(form)});
  const answers = [await send(), await send()];
  return answers.map(a => [a.status, new URL(a.url).pathname]);
}"""


def test_a_report_sent_twice_from_the_dialog_is_filed_once(live_server, page_factory, story):
    page = page_factory()
    page.goto(live_server.url + story.get_absolute_url())
    page.locator("a.claim-report").first.click()
    dialog = page.locator("dialog.report-dialog")
    dialog.wait_for(state="visible")
    dialog.locator("textarea[name=note]").fill(NOTE)
    sent = f"{story.get_absolute_url()}report/sent/"
    assert page.evaluate(RESEND) == [[200, sent], [200, sent]]
    assert ErrorReport.objects.count() == 1
    # Opening the dialog again fetches a fresh form: a second report is a second report.
    dialog.locator("button.report-dialog-close").click()
    page.locator("a.claim-report").first.click()
    dialog.wait_for(state="visible")
    dialog.locator("textarea[name=note]").fill(NOTE)
    dialog.get_by_role("button", name="Send the report").click()
    page.wait_for_url("**/report/sent/")
    assert ErrorReport.objects.count() == 2


def test_the_report_form_works_without_javascript(live_server, browser, story):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + story.get_absolute_url())
        page.locator("#claim-2 ~ a.claim-report").first.click()
        page.wait_for_url("**/report/?claim=2")
        assert page.locator("input[name=claim][value='2']").is_checked()
        page.get_by_label("What is wrong?").fill("Too short")
        page.get_by_role("button", name="Send the report").click()
        assert "at least 10 characters" in page.content()
        page.get_by_label("What is wrong?").fill(NOTE)
        page.get_by_role("button", name="Send the report").click()
        page.wait_for_url("**/report/sent/")
        assert ErrorReport.objects.get().claim.ordinal == 2
    finally:
        context.close()


def test_copy_link_copies_the_storys_address(live_server, browser, story):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.goto(live_server.url + story.get_absolute_url())
        copy = page.get_by_role("button", name="Copy link")
        copy.wait_for(state="visible")
        copy.click()
        page.locator(".share-status").filter(has_text="Link copied.").wait_for()
        assert page.evaluate("navigator.clipboard.readText()").endswith(
            story.get_absolute_url())
    finally:
        context.close()
