"""The writer's editor in a real Chromium, through the real admin: live citation checks, the
source picker, pasting a link, nothing lost (restore, leave warning, stale-save merge), axe."""

import datetime
import json
import threading
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from sources.models import Source
from stories.models import Story
from tests.browser.conftest import axe_violations
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


@pytest.mark.parametrize("which", ["add", "change"])
def test_opening_the_story_forms_logs_no_console_errors(live_server, page_factory, writer, story,
                                                        which):
    writer.is_staff = True
    writer.save(update_fields=["is_staff"])
    page = page_factory(user=writer, live_server=live_server)
    logged = []  # every console error with its URL: a failed request included
    page.on("console", lambda m: logged.append(f"{m.text} {m.location.get('url', '')}")
            if m.type == "error" else None)
    url = reverse("admin:stories_story_change", args=[story.pk]) if which == "change" else (
        reverse("admin:stories_story_add"))
    with page.expect_response(lambda r: "/draft/" in r.url) as draft:
        page.goto(live_server.url + url)
    assert draft.value.status == 200
    page.wait_for_selector(".nr-live-panel .nr-panel-content :not(.help)")
    page.wait_for_load_state("networkidle")
    assert [m for m in logged if "favicon" not in m] == []
    assert page.locator(".nr-restore").count() == 0  # nothing kept, nothing offered


def test_the_live_panel_warns_of_figures_the_cited_snapshot_lacks(live_server, page_factory,
                                                                   writer, story):
    from sources.models import Snapshot

    source = Source.objects.get(key="port-annual")
    Snapshot.objects.create(source=source, requested_url=source.url, status_code=200,
                            final_url=source.url, content_type="text/html",
                            text="Emissions fell by about 40% after the cranes arrived.")
    page = open_form(page_factory, live_server, writer, story)
    page.wait_for_selector(".nr-live-panel .no-problems")
    type_at_end(page, "\nDredging cost 12% more than planned [@port-annual]")
    message = "Claim 3: not found in any cited source's snapshot: 12%"
    page.locator(".nr-live-panel .problem-warning", has_text=message).wait_for()
    row = page.locator("#live-claim-3")
    assert "not found in any cited source's snapshot: 12%" in row.inner_text()
    assert page.locator(".cm-lintRange-warning").inner_text() == (
        "Dredging cost 12% more than planned")
    assert not errors(page)


def completion_option(page, text):
    option = page.locator(".cm-tooltip-autocomplete li", has_text=text)
    option.first.wait_for()
    return option.first


def test_picking_sources_with_the_keyboard_and_continuing_the_group(live_server, page_factory,
                                                                     writer, story):
    page = open_form(page_factory, live_server, writer, story)
    page.wait_for_selector(".nr-live-panel .panel-sources li")
    type_at_end(page, "\nThe committee heard it in April [@")
    listbox = page.locator(".cm-tooltip-autocomplete [role=listbox]")
    listbox.wait_for()
    # The story's own sources first, with their numbers.
    assert "№ 1 on this story" in completion_option(page, "ledger-cranes").inner_text()
    page.keyboard.type("minutes")
    option = completion_option(page, "council-minutes")
    assert "Minutes of the Harbour Committee" in option.inner_text()
    assert "link broken" in option.inner_text()
    page.wait_for_timeout(300)  # the list refreshes as each key is typed; let it settle
    page.keyboard.press("Enter")
    page.keyboard.type(";")
    page.keyboard.type("annual")
    completion_option(page, "port-annual")
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    text = editor(page).inner_text()
    assert "The committee heard it in April [@council-minutes; @port-annual]" in text
    page.locator(".nr-live-panel .panel-claims", has_text="The committee heard it").wait_for()
    assert not errors(page)


@pytest.mark.parametrize("typed", ["; @annual", ";@annual", "; annual"])
def test_typing_the_next_key_as_written_after_the_semicolon_keeps_the_group_well_formed(
        live_server, page_factory, writer, story, typed):
    # `;` in a group types "; @" for the writer; one who goes on typing " @" (the syntax as
    # the README writes it) got "[@council-minutes; @ @annual]", a malformed key.
    page = open_form(page_factory, live_server, writer, story)
    pick_minutes(page)
    page.keyboard.type(typed)
    completion_option(page, "port-annual")
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    expect(editor(page)).to_contain_text(
        "The committee heard it in April [@council-minutes; @port-annual]")
    assert "@ @" not in editor(page).inner_text() and "@@" not in editor(page).inner_text()
    assert not errors(page)


@pytest.mark.parametrize("how", ["picked", "cite-button"])
def test_typing_the_closing_bracket_after_a_pick_steps_over_the_one_the_picker_added(
        live_server, page_factory, writer, story, how):
    page = open_form(page_factory, live_server, writer, story)
    pick_minutes(page, how)
    page.keyboard.type("]. The next sentence.")
    text = editor(page).inner_text()
    assert "The committee heard it in April [@council-minutes]. The next sentence." in text
    assert "]]" not in text and not text.rstrip().endswith("sentence.]")
    assert not errors(page)


def pick_minutes(page, how="picked"):
    type_at_end(page, "\nThe committee heard it in April ")
    if how == "picked":
        page.keyboard.type("[@")
    else:
        page.click("text=Cite a source")
    page.keyboard.type("minutes")
    completion_option(page, "council-minutes")
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")


@pytest.mark.parametrize("how", ["picked", "cite-button"])
@pytest.mark.parametrize("typed, expected", [
    # Prose after the group: the sentence goes on after the `]`, not inside the group.
    (". The next sentence.", "[@council-minutes]. The next sentence."),
    (" and more", "[@council-minutes] and more"),
    # A locator right after the pick still goes inside the group.
    (", p. 4", "[@council-minutes, p. 4]"),
])
def test_what_is_typed_right_after_a_pick_lands_where_the_writer_means(
        live_server, page_factory, writer, story, how, typed, expected):
    page = open_form(page_factory, live_server, writer, story)
    pick_minutes(page, how)
    page.keyboard.type(typed)
    text = editor(page).inner_text()
    assert f"The committee heard it in April {expected}" in text
    assert "]]" not in text
    assert not errors(page)


def test_a_comma_after_a_pick_that_was_prose_is_one_undo_away(live_server, page_factory,
                                                              writer, story):
    page = open_form(page_factory, live_server, writer, story)
    pick_minutes(page)
    page.keyboard.type(",")
    assert "[@council-minutes,]" in editor(page).inner_text()
    page.keyboard.press("Control+z")
    page.keyboard.type(" it says.")
    assert "[@council-minutes], it says." in editor(page).inner_text()


def test_an_unknown_key_offers_to_add_it_to_the_library(live_server, page_factory, writer,
                                                         story):
    page = open_form(page_factory, live_server, writer, story)
    type_at_end(page, "\nDredging starts in June [@harbour-plan")
    completion_option(page, "Add “harbour-plan” to the library").click()
    dialog = page.locator("dialog.nr-dialog")
    dialog.wait_for()
    assert page.locator("#nr-add-key").input_value() == "harbour-plan"
    page.fill("#nr-add-title", "Harbour dredging plan")
    page.fill("#nr-add-outlet", "Eastmere Port")
    page.fill("#nr-add-description", "The port's dredging plan, on paper at the harbour office.")
    page.click("dialog.nr-dialog button[type=submit]")
    dialog.wait_for(state="hidden")
    assert "[@harbour-plan]" in editor(page).inner_text()
    assert Source.objects.get(key="harbour-plan").title == "Harbour dredging plan"


def test_a_double_clicked_add_to_library_adds_the_source_once_and_cites_it_once(
        live_server, page_factory, writer, story):
    page = open_form(page_factory, live_server, writer, story)
    posts = []
    page.on("request", lambda r: posts.append(r.url)
            if r.method == "POST" and r.url.endswith("/api/v1/sources/") else None)
    type_at_end(page, "\nDredging starts in June [@harbour-plan")
    completion_option(page, "Add “harbour-plan” to the library").click()
    dialog = page.locator("dialog.nr-dialog")
    dialog.wait_for()
    page.fill("#nr-add-title", "Harbour dredging plan")
    page.fill("#nr-add-description", "The port's dredging plan, on paper at the harbour office.")
    page.dblclick("dialog.nr-dialog button[type=submit]")
    dialog.wait_for(state="hidden")
    page.wait_for_load_state("networkidle")
    assert len(posts) == 1
    assert editor(page).inner_text().count("[@harbour-plan]") == 1
    assert Source.objects.filter(key="harbour-plan").count() == 1
    assert not errors(page)


def test_add_to_library_sent_again_after_its_answer_was_lost_adds_the_source_once(
        live_server, page_factory, writer, story):
    page = open_form(page_factory, live_server, writer, story)
    keys = []

    def lose_the_answer(route):
        keys.append(route.request.headers.get("idempotency-key"))
        route.fetch()  # the server adds the source...
        route.abort()  # ...and the answer never reaches the browser

    page.route("**/api/v1/sources/", lambda route: lose_the_answer(route)
               if route.request.method == "POST" and not keys else route.continue_())
    type_at_end(page, "\nDredging starts in June [@harbour-plan")
    completion_option(page, "Add “harbour-plan” to the library").click()
    dialog = page.locator("dialog.nr-dialog")
    dialog.wait_for()
    page.fill("#nr-add-title", "Harbour dredging plan")
    page.fill("#nr-add-description", "The port's dredging plan, on paper at the harbour office.")
    page.click("dialog.nr-dialog button[type=submit]")
    page.locator(".nr-dialog-message").filter(has_text="could not be reached").wait_for()
    assert Source.objects.filter(key="harbour-plan").count() == 1
    page.click("dialog.nr-dialog button[type=submit]")  # the writer tries again
    dialog.wait_for(state="hidden")
    assert editor(page).inner_text().count("[@harbour-plan]") == 1
    assert Source.objects.filter(key="harbour-plan").count() == 1
    assert len(keys) == 1 and len(keys[0]) == 36
    assert not [e for e in errors(page) if "Failed to load resource" not in e]


@pytest.mark.parametrize("typed, offered", [
    pytest.param("new-key", True, id="a-key"),
    # The characters of a key, but a key starts with a letter or digit.
    pytest.param("_x", False, id="underscore-first"),
    pytest.param("k" * 81, False, id="one-past-the-longest-key"),
])
def test_the_picker_offers_to_add_only_a_well_formed_key(live_server, page_factory, writer,
                                                          story, typed, offered):
    page = open_form(page_factory, live_server, writer, story)
    type_at_end(page, f"\nDredging starts in June [@{typed}")
    add = page.locator(".cm-tooltip-autocomplete li", has_text="to the library")
    if offered:
        assert add.inner_text().startswith(f"Add “{typed}” to the library")
    else:
        completion_option(page, "No source in the library matches")
        page.wait_for_timeout(300)  # the list refreshes as each character is typed
        assert add.count() == 0


def test_the_add_source_dialog_takes_the_librarys_key_rule(live_server, page_factory, writer,
                                                           story):
    page = open_form(page_factory, live_server, writer, story)
    page.click("text=Add a source to the library")
    key = page.locator("#nr-add-key")
    key.wait_for()
    mismatch = {}
    for typed in ["new-key", "a:b.c_d", "_x", "-x", "a b", "a\\b"]:
        key.fill(typed)
        mismatch[typed] = key.evaluate("input => input.validity.patternMismatch")
    assert mismatch == {"new-key": False, "a:b.c_d": False,
                        "_x": True, "-x": True, "a b": True, "a\\b": True}
    key.fill("k" * 100)
    assert key.input_value() == "k" * Source._meta.get_field("key").max_length
    assert not errors(page)


def test_the_add_source_dialog_keeps_as_much_as_the_library_does(live_server, page_factory,
                                                                   writer, story):
    # A long description of an offline source (where it is kept, what it is) is refused by
    # nothing the library refuses: each field takes the API's own limit.
    from sources.api.serializers import SourceWriteSerializer

    page = open_form(page_factory, live_server, writer, story)
    page.click("text=Add a source to the library")
    page.locator("#nr-add-key").wait_for()
    limits = {name: field.max_length for name, field in SourceWriteSerializer().fields.items()
              if name in ("url", "title", "outlet", "author", "description")}
    taken = {}
    for name, limit in limits.items():
        field = page.locator(f"#nr-add-{name}")
        field.fill("x" * (limit + 5))
        taken[name] = len(field.input_value())
    assert taken == limits
    assert not errors(page)


@pytest.mark.parametrize("typed", ["7 Dec 2026", "2026-02-30", "12/07/2026",
                                   "2026-12-07<script>alert(1)</script>"])
def test_the_add_source_dialog_takes_a_date_typed_as_yyyy_mm_dd_like_every_admin_date(
        live_server, page_factory, writer, story, typed):
    page = open_form(page_factory, live_server, writer, story)
    page.click("text=Add a source to the library")
    date = page.locator("#nr-add-published_on")
    date.wait_for()
    assert date.get_attribute("type") == "text"
    assert date.get_attribute("placeholder") == "YYYY-MM-DD"
    assert "YYYY-MM-DD" in page.locator("#nr-add-published_on-help").inner_text()
    page.fill("#nr-add-key", "dredging-plan")
    page.fill("#nr-add-title", "Harbour dredging plan")
    page.fill("#nr-add-url", "https://port.example.org/dredging")
    date.fill(typed)
    page.click("dialog.nr-dialog button[type=submit]")
    error = page.locator("#nr-add-published_on-error")
    page.wait_for_function("() => document.querySelector('#nr-add-published_on-error')"
                           ".textContent.length > 0")
    assert error.inner_text() == "Enter a date as YYYY-MM-DD."
    assert date.get_attribute("aria-invalid") == "true"
    assert "nr-add-published_on-help" in date.get_attribute("aria-describedby")
    assert date.input_value() == typed
    assert page.locator("#nr-add-title").input_value() == "Harbour dredging plan"
    assert not Source.objects.filter(key="dredging-plan").exists()

    date.fill("2026-12-07")
    page.click("dialog.nr-dialog button[type=submit]")
    page.locator("dialog.nr-dialog").wait_for(state="hidden")
    assert str(Source.objects.get(key="dredging-plan").published_on) == "2026-12-07"
    assert not errors(page)


@pytest.fixture
def press_site(settings):
    from tests.sources.fixture_server import Page, fixture_server

    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    page = (FIXTURES / "press-release-water.html").read_bytes()
    with fixture_server({"/news/pipes": Page(page)}) as (base, _):
        yield base


def test_a_pasted_link_becomes_a_source_with_its_metadata(live_server, page_factory, writer,
                                                           story, press_site):
    from sources.models import Snapshot

    page = open_form(page_factory, live_server, writer, story)
    type_at_end(page, "\nOld mains will be replaced [@")
    page.keyboard.press("Escape")
    url = f"{press_site}/news/pipes"
    page.evaluate("""url => {
        const data = new DataTransfer();
        data.setData('text/plain', url);
        document.querySelector('.nr-editor .cm-content').dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
    }""", url)
    title = page.locator("#nr-add-title")
    page.wait_for_function("() => (document.querySelector('#nr-add-title') || {value: ''})"
                           ".value.includes('pipe renewal')")
    assert title.input_value() == "Water utility announces pipe renewal programme"
    assert page.locator("#nr-add-outlet").input_value() == "Lakeside Water Company"
    assert page.locator("#nr-add-published_on").input_value() == "2026-05-05"
    key = page.locator("#nr-add-key").input_value()
    assert key == "lakeside-water-company-2026-water-utility-announces"
    page.fill("#nr-add-author", "Lakeside Water press office")  # every field is editable
    page.click("dialog.nr-dialog button[type=submit]")
    page.locator("dialog.nr-dialog").wait_for(state="hidden")
    assert f"[@{key}]" in editor(page).inner_text()
    source = Source.objects.get(key=key)
    assert (source.outlet, source.author, str(source.published_on)) == (
        "Lakeside Water Company", "Lakeside Water press office", "2026-05-05")
    assert Snapshot.objects.filter(source=source, status_code=200).exists()


def test_a_link_that_cannot_be_read_still_lets_the_writer_add_the_source(
        live_server, page_factory, writer, story, press_site):
    page = open_form(page_factory, live_server, writer, story)
    page.click("text=Add a source to the library")
    page.fill("#nr-add-url", f"{press_site}/gone")
    page.click("text=Fetch details from the link")
    message = page.locator(".nr-dialog-message")
    page.wait_for_function("() => document.querySelector('.nr-dialog-message')"
                           ".textContent.includes('404')")
    assert "fill them in by hand" in message.inner_text()
    page.fill("#nr-add-key", "pipes-2026")
    page.fill("#nr-add-title", "Pipe renewal")
    page.fill("#nr-add-url", f"{press_site}/news/pipes")
    page.click("dialog.nr-dialog button[type=submit]")
    page.locator("dialog.nr-dialog").wait_for(state="hidden")
    assert Source.objects.filter(key="pipes-2026").exists()


def test_a_tab_closed_mid_edit_offers_the_text_back(live_server, page_factory, writer, story):
    page = open_form(page_factory, live_server, writer, story)
    type_at_end(page, "\nA paragraph typed and never saved.")
    page.locator(".nr-status-keep", has_text="kept for you").wait_for(timeout=15000)
    context = page.context
    page.close()
    again = context.new_page()
    again.goto(live_server.url + reverse("admin:stories_story_change", args=[story.pk]))
    banner = again.locator(".nr-restore")
    banner.wait_for()
    assert "You have unsaved text for this story" in banner.inner_text()
    again.click("text=Show the differences")
    again.locator("#nr-draft-diff .cm-mergeView").wait_for()
    assert "A paragraph typed and never saved." in again.locator("#nr-draft-diff").inner_text()
    again.click("text=Restore it")
    assert "A paragraph typed and never saved." in editor(again).inner_text()


def test_an_expired_session_keeps_the_text_and_saves_it_once_back(live_server, page_factory,
                                                                   writer, story):
    from stories.models import Draft

    page = open_form(page_factory, live_server, writer, story)
    page.context.clear_cookies()  # the session ends
    type_at_end(page, "\nWritten while signed out.")
    page.locator(".nr-status-keep", has_text="Kept in this browser only").wait_for(timeout=15000)
    assert "session has ended" in page.locator(".nr-status-keep").inner_text()
    assert not Draft.objects.exists()
    # The writer signs in again in another tab (a new session and CSRF cookie), comes back.
    login = page.context.new_page()
    login.goto(live_server.url + reverse("admin:login"))
    login.fill("#id_username", writer.username)
    login.fill("#id_password", "correct-horse-battery")
    login.click("input[type=submit]")
    login.wait_for_url("**/admin/")
    login.close()
    page.bring_to_front()
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    page.locator(".nr-status-keep", has_text="kept for you").wait_for(timeout=15000)
    assert "Written while signed out." in Draft.objects.get(user=writer).body


def test_leaving_with_unsaved_changes_asks_first(live_server, page_factory, writer, story):
    page = open_form(page_factory, live_server, writer, story)
    type_at_end(page, "\nNot saved yet.")
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.click("#content a:has-text('Revisions')")
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert "/change/" in page.url
    assert "Not saved yet." in editor(page).inner_text()


def two_tabs(live_server, page_factory, writer, story):
    """Two forms open on the same revision; the first adds to the first line and saves."""
    from stories import services
    from tests.factories import latest_hash

    middle = "\n\n".join(f"Paragraph {n} of the background, unchanged by either tab."
                         for n in range(1, 6))
    services.story_update(story_id=story.pk, user=writer, base_revision=latest_hash(story),
                          body=BODY + "\n" + middle + "\n\nThe closing line.")
    # Under SQLite the live server's threads share one connection: a save racing another
    # tab's check can fail on a table lock. So each step lets the checks it starts finish.
    first = open_form(page_factory, live_server, writer, story)
    first.wait_for_selector(".nr-live-panel .panel-claims")
    second = open_form(page_factory, live_server, writer, story)
    second.wait_for_selector(".nr-live-panel .panel-claims")
    editor(first).click()
    first.keyboard.press("Control+Home")
    first.keyboard.press("End")
    with first.expect_response(lambda r: "/check/" in r.url):
        first.keyboard.type(" Their addition.")
    first.click("input[name=_continue]")
    first.locator(".messagelist .success").wait_for()
    first.wait_for_selector(".nr-live-panel .panel-claims")
    first.wait_for_load_state("networkidle")
    first.close()
    return second


def type_and_settle(page, text):
    """Type, and let the check the typing starts finish (see two_tabs)."""
    with page.expect_response(lambda r: "/check/" in r.url):
        page.keyboard.type(text)


def use_merged(page):
    """Use the merged text, and let the check it starts finish before saving (SQLite)."""
    with page.expect_response(lambda r: "/check/" in r.url):
        page.click(".nr-use-merged")


def merged_text(page):
    return page.evaluate("() => document.querySelector('.nr-stale-merge')"
                         ".mergeView.b.state.doc.toString()")


def test_two_tabs_editing_different_paragraphs_keep_both_edits_without_choosing(
        live_server, page_factory, writer, story):
    second = two_tabs(live_server, page_factory, writer, story)
    editor(second).click()
    second.keyboard.press("Control+End")
    type_and_settle(second, "\n\nMy new closing paragraph [@ledger-cranes].")
    second.keyboard.press("Escape")
    second.click("input[name=_continue]")
    merge = second.locator(".nr-stale-merge")
    merge.wait_for()
    assert "Merge your text with revision 3" in merge.inner_text()
    assert "No conflicts" in second.locator(".nr-merge-summary").inner_text()
    assert second.locator(".nr-merge-conflicts .nr-conflict-item").count() == 0
    assert "Their addition." in merged_text(second)
    assert "My new closing paragraph" in merged_text(second)
    use_merged(second)
    merge.wait_for(state="detached")
    second.click("input[name=_continue]")
    second.locator(".messagelist .success").wait_for()
    body = Story.objects.get(pk=story.pk).body.replace("\r\n", "\n")
    assert "delivery of three electric cranes on Friday [@ledger-cranes]. Their addition." in body
    assert body.rstrip().endswith("My new closing paragraph [@ledger-cranes].")
    assert not errors(second)


def test_two_tabs_editing_the_same_paragraph_are_offered_the_conflict(live_server, page_factory,
                                                                      writer, story):
    second = two_tabs(live_server, page_factory, writer, story)
    editor(second).click()
    second.keyboard.press("Control+Home")
    second.keyboard.press("End")
    type_and_settle(second, " My own addition.")
    second.click("input[name=_continue]")
    merge = second.locator(".nr-stale-merge")
    merge.wait_for()
    conflict = second.locator(".nr-merge-conflicts .nr-conflict-item")
    assert conflict.count() == 1
    assert "Their addition." in conflict.locator(".nr-conflict-sides > div").first.inner_text()
    assert "My own addition." in conflict.locator(".nr-conflict-sides > div").last.inner_text()
    marked = "".join(second.locator(".nr-stale-merge .cm-merge-b .nr-conflict").all_inner_texts())
    assert marked.startswith("The harbour took delivery") and marked.endswith("My own addition.")
    use = second.locator(".nr-use-merged")
    assert use.is_disabled()
    assert "Choose a side" in second.locator(".nr-merge-pending").inner_text()
    second.locator("text=Take theirs for conflict 1").press("Enter")  # by keyboard
    assert "Their version taken." in conflict.inner_text()
    assert "Their addition." in merged_text(second)
    assert "My own addition." not in merged_text(second)
    assert use.is_enabled()
    use_merged(second)
    merge.wait_for(state="detached")
    second.click("input[name=_continue]")
    second.locator(".messagelist .success").wait_for()
    body = Story.objects.get(pk=story.pk).body
    assert "Their addition." in body and "My own addition." not in body
    assert not errors(second)


@pytest.mark.parametrize("which", ["add", "change"])
def test_the_story_forms_have_no_serious_accessibility_violations(live_server, page_factory,
                                                                  writer, story, which):
    page = open_form(page_factory, live_server, writer, story if which == "change" else None)
    page.wait_for_selector(".nr-live-panel .nr-panel-content :not(.help)")
    assert axe_violations(page) == []


def test_add_source_in_the_admin_fills_itself_from_a_pasted_link(live_server, page_factory,
                                                                 writer, press_site):
    writer.is_staff = True
    writer.save(update_fields=["is_staff"])
    page = page_factory(user=writer, live_server=live_server)
    page.goto(live_server.url + reverse("admin:sources_source_add"))
    page.fill("#id_url", f"{press_site}/news/pipes")
    page.click("text=Fetch details from the link")
    page.wait_for_function("() => document.querySelector('#id_title').value !== ''")
    assert page.input_value("#id_title") == "Water utility announces pipe renewal programme"
    assert page.input_value("#id_outlet") == "Lakeside Water Company"
    assert page.input_value("#id_published_on") == "2026-05-05"
    assert page.input_value("#id_key") == "lakeside-water-company-2026-water-utility-announces"
    page.fill("#id_key", "lakeside-pipes")  # the writer can change any field
    page.click("input[name=_save]")
    page.locator(".messagelist .success").wait_for()
    assert Source.objects.get(key="lakeside-pipes").outlet == "Lakeside Water Company"
    assert not errors(page)


def test_a_check_replaced_while_its_answer_is_read_is_not_reported_as_failed(
        live_server, page_factory, writer, story, monkeypatch):
    # Once the form's own checks have settled, a check's answer stops after its headers and first
    # bytes; a change of the source list then replaces that check (same text, so the same
    # version) while the browser is still reading the answer. The replaced answer must be
    # dropped, not shown as "Not checked". (The stall waits for the page to settle: on a busy
    # machine the form may replace its first check itself while loading.)
    from django.http import StreamingHttpResponse

    from stories.api import editor as editor_api

    real_check = editor_api.EditorViewSet._check
    stall, answered, release, calls = (threading.Event(), threading.Event(), threading.Event(),
                                       [])

    def next_answer_stalls(self, request, story_id):
        response = real_check(self, request, story_id)
        if not stall.is_set():
            return response
        calls.append(story_id)
        if len(calls) > 1:
            return response
        body = json.dumps(response.data).encode()

        def stream():
            yield body[:12]
            answered.set()
            release.wait(30)
            yield body[12:]

        return StreamingHttpResponse(stream(), content_type="application/json")

    monkeypatch.setattr(editor_api.EditorViewSet, "_check", next_answer_stalls)
    if not writer.is_staff:
        writer.is_staff = True
        writer.save(update_fields=["is_staff"])
    page = page_factory(user=writer, live_server=live_server)
    page.add_init_script(
        "window.__statuses = []; new MutationObserver(() => {"
        " const s = document.querySelector('.nr-status-check');"
        " if (s && s.textContent !== window.__statuses.at(-1))"
        "   window.__statuses.push(s.textContent); })"
        ".observe(document, {subtree: true, childList: true, characterData: true});")
    checked = ("() => document.querySelector('.nr-status-check').textContent"
               ".startsWith('Checked')")
    page.goto(live_server.url + reverse("admin:stories_story_change", args=[story.pk]))
    page.wait_for_function(checked)
    page.evaluate("document.querySelector('.nr-status-check').textContent = 'Waiting'")
    stall.set()
    try:
        checks = lambda r: r.url.endswith("/check/")  # noqa: E731
        with page.expect_response(checks):  # the stalled answer's headers are in
            page.locator(".source-list").dispatch_event("change")
        assert answered.wait(10)
        with page.expect_event("requestfailed", checks):  # the replaced check is aborted
            page.locator(".source-list").dispatch_event("change")
        page.wait_for_function(checked)
    finally:
        release.set()
    statuses = page.evaluate("window.__statuses")
    assert len(calls) == 2
    assert not [s for s in statuses if s.startswith("Not checked")], statuses
    assert page.locator(".nr-live-panel").inner_text().count("Not checked") == 0
    assert errors(page) == []


def test_find_and_replace_loads_when_first_used_and_finds(live_server, page_factory, writer,
                                                          story):
    page = open_form(page_factory, live_server, writer, story)
    asked = []
    page.on("request", lambda r: asked.append(r.url))
    page.wait_for_selector(".nr-live-panel .panel-sources li")
    editor(page).click()
    page.keyboard.press("Control+Home")
    assert not [u for u in asked if "search-panel" in u]  # not loaded with the form
    page.keyboard.press("Control+f")
    field = page.locator(".cm-search input[name=search]")
    field.wait_for()
    assert [u for u in asked if "search-panel" in u]
    page.keyboard.type("emissions")  # the panel reads its query on each key
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => { const v = document.querySelector('textarea#id_body').newsroomEditor;"
        " const s = v.state.selection.main;"
        " return v.state.sliceDoc(s.from, s.to) === 'emissions'; }")
    page.keyboard.press("Escape")
    field.wait_for(state="detached")
    page.get_by_role("button", name="Find and replace").click()
    field.wait_for()
    assert errors(page) == []


def test_a_selected_word_highlights_its_other_occurrences(live_server, page_factory, writer,
                                                          story):
    page = open_form(page_factory, live_server, writer, story)
    page.wait_for_selector(".nr-live-panel .panel-sources li")
    page.locator(".cm-line").first.dblclick(position={"x": 5, "y": 5})  # "The", line 1
    match = page.locator(".cm-selectionMatch")
    match.first.wait_for()
    assert match.all_inner_texts() == ["The"]  # "The authority ..." on line 3
    assert errors(page) == []


def pick_source(page, row, text):
    """Choose a library source in a source-list row's autocomplete box, by keyboard."""
    row.locator(".select2-selection").click()
    page.locator(".select2-search__field").fill(text)
    # Enter picks the highlighted option: wait until the search has answered and the option
    # asked for is the one highlighted (not a "Searching…" line or an earlier answer).
    page.locator(".select2-results__option--highlighted", has_text=text).wait_for()
    page.keyboard.press("Enter")
    row.locator(".select2-selection__rendered", has_text=text).wait_for()


def test_two_tabs_changing_the_source_list_combine_both_changes(live_server, page_factory,
                                                                writer, story):
    from stories import services
    from tests.factories import latest_hash

    for key in ("old-survey", "tide-tables", "harbour-plan"):
        SourceFactory(key=key, title=key.replace("-", " ").title())
    services.story_update(story_id=story.pk, user=writer, base_revision=latest_hash(story),
                          source_keys=["ledger-cranes", "port-annual", "council-minutes",
                                       "old-survey"])
    page = open_form(page_factory, live_server, writer, story)
    page.wait_for_selector(".nr-live-panel .panel-claims")
    page.wait_for_load_state("networkidle")
    # Their save, meanwhile: council-minutes off the list, tide-tables on.
    services.story_update(story_id=story.pk, user=writer, base_revision=latest_hash(story),
                          source_keys=["ledger-cranes", "port-annual", "old-survey",
                                       "tide-tables"])
    # Yours: old-survey off, harbour-plan on.
    rows = page.locator(".source-list tr.form-row:not(.empty-form)")
    rows.filter(has_text="old-survey").locator("input[name$='-DELETE']").check()
    with page.expect_response(lambda r: "/check/" in r.url):
        pick_source(page, page.locator(".source-list tr.form-row:not(.empty-form)"
                                       ":not(.has_original)").first, "harbour-plan")
    page.click("input[name=_continue]")
    merge = page.locator(".nr-stale-merge")
    merge.wait_for()
    note = page.locator(".nr-merge-sources").inner_text()
    assert "1. ledger-cranes" in note and "2. port-annual" in note
    assert "3. tide-tables" in note and "4. harbour-plan" in note
    assert "council-minutes" not in note and "old-survey" not in note
    assert "No conflicts" in page.locator(".nr-merge-summary").inner_text()
    use_merged(page)
    merge.wait_for(state="detached")
    page.click("input[name=_continue]")
    page.locator(".messagelist .success").wait_for()
    story.refresh_from_db()
    assert story.latest_revision.source_keys == ["ledger-cranes", "port-annual", "tide-tables",
                                                 "harbour-plan"]
    assert not errors(page)


def test_two_tabs_reordering_the_source_list_differently_are_offered_the_conflict(
        live_server, page_factory, writer, story):
    from stories import services
    from tests.factories import latest_hash

    services.story_update(story_id=story.pk, user=writer, base_revision=latest_hash(story),
                          source_keys=["ledger-cranes", "port-annual", "council-minutes"])
    page = open_form(page_factory, live_server, writer, story)
    page.wait_for_selector(".nr-live-panel .panel-claims")
    page.wait_for_load_state("networkidle")
    services.story_update(story_id=story.pk, user=writer, base_revision=latest_hash(story),
                          source_keys=["council-minutes", "ledger-cranes", "port-annual"])
    rows = page.locator(".source-list tr.form-row:not(.empty-form)")
    rows.filter(has_text="port-annual").locator("input.source-number").fill("1")
    with page.expect_response(lambda r: "/check/" in r.url):
        rows.filter(has_text="ledger-cranes").locator("input.source-number").fill("2")
    page.click("input[name=_continue]")
    merge = page.locator(".nr-stale-merge")
    merge.wait_for()
    conflict = page.locator(".nr-list-conflict")
    assert "Source order changed on both sides" in conflict.inner_text()
    theirs, yours = conflict.locator(".nr-conflict-sides > div").all_inner_texts()
    assert theirs.index("1. council-minutes") < theirs.index("2. ledger-cranes")
    assert yours.index("1. port-annual") < yours.index("2. ledger-cranes")
    assert page.locator(".nr-use-merged").is_disabled()
    page.locator("text=Take their source order").press("Enter")
    assert "Their order taken." in conflict.inner_text()
    use_merged(page)
    merge.wait_for(state="detached")
    page.click("input[name=_continue]")
    page.locator(".messagelist .success").wait_for()
    story.refresh_from_db()
    assert story.latest_revision.source_keys == ["council-minutes", "ledger-cranes",
                                                 "port-annual"]
    assert not errors(page)


LIST_MERGES = [  # base, theirs, yours -> merged order (None: both reordered, a conflict)
    ([1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]),
    ([1, 2], [1, 2, 3], [1, 2, 4], [1, 2, 3, 4]),  # both added at the end: theirs first
    ([1, 2, 3, 4], [1, 2, 4, 5], [1, 2, 3, 6], [1, 2, 5, 6]),  # each removed one, added one
    ([1, 2, 3], [1, 5, 2, 3], [1, 2, 6, 3], [1, 5, 2, 6, 3]),  # added in the middle
    ([1, 2, 3], [3, 1, 2], [1, 2, 3, 4], [3, 1, 2, 4]),  # only they reordered
    ([1, 2, 3], [1, 2, 3, 4], [2, 1, 3], [2, 1, 3, 4]),  # only you reordered
    ([1, 2, 3], [2, 1, 3], [2, 1, 3], [2, 1, 3]),  # the same reorder on both sides
    ([1, 2, 3], [3, 1, 2], [2, 1, 3], None),
    ([1, 2, 3], [1, 3], [2, 1], [1]),  # removals from both sides win over your reordering
]


def test_source_list_merge_table(live_server, page_factory, writer, story):
    page = open_form(page_factory, live_server, writer, story)
    chunk = next((Path(__file__).resolve().parents[2] / "stories" / "static" / "stories"
                  / "editor").glob("merge-*.js")).name
    results = page.evaluate(
        "async ([url, cases]) => { const { threeWayList } = await import(url);"
        " return cases.map(([b, t, y]) => threeWayList(b, t, y)); }",
        [f"{live_server.url}/static/stories/editor/{chunk}",
         [case[:3] for case in LIST_MERGES]])
    assert [r["order"] for r in results] == [case[3] for case in LIST_MERGES]
    conflict = results[LIST_MERGES.index(next(c for c in LIST_MERGES if c[3] is None))]
    assert (conflict["theirs"], conflict["yours"]) == ([3, 1, 2], [2, 1, 3])


def test_the_editor_tells_times_in_the_newsrooms_zone_not_the_browsers(live_server,
                                                                       page_factory, writer,
                                                                       story):
    """A writer abroad reads "Checked at" in the zone of every other time on the page."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    page = open_form(page_factory, live_server, writer, story, timezone_id="Pacific/Kiritimati")
    type_at_end(page, "\nOne more line.")
    status = page.locator(".nr-status-check")
    page.wait_for_function(
        "() => document.querySelector('.nr-status-check').textContent.startsWith('Checked at')")
    shown = status.inner_text().removeprefix("Checked at ")[:8]  # "HH:MM:SS"
    newsroom_now = datetime.now(tz=timezone.get_default_timezone())  # TIME_ZONE
    # (Kiritimati is UTC+14: the test's TIME_ZONE, UTC, is nowhere near it.)
    candidates = {(newsroom_now + timedelta(seconds=s)).strftime("%H:%M") for s in (-60, 0, 60)}
    assert shown[:5] in candidates, (shown, candidates)
    assert not errors(page)


def test_a_body_over_the_limit_is_not_sent_and_stays_in_the_editor(live_server, page_factory,
                                                                  writer, story):
    """A 4.8 MB paste is over the upload limit: sent, it would be refused before the form could
    keep it. The editor refuses to send it instead (to be saved, checked or kept on the server),
    says why, and keeps every word."""
    page = open_form(page_factory, live_server, writer, story)
    form_url = page.url
    sent = []
    page.on("request", lambda request: sent.append(len(request.post_data_buffer or b"")))
    editor(page).click()
    page.keyboard.press("Control+End")
    pasted = ("A long pasted paragraph that says the port moved 42 tonnes. " * 80 + "\n\n") * 1000
    page.evaluate("""(text) => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        document.querySelector('.nr-editor .cm-content').dispatchEvent(new ClipboardEvent(
            'paste', {clipboardData: data, bubbles: true, cancelable: true}));
    }""", pasted)
    page.locator("input[name=_continue]").click()
    status = page.locator(".nr-status-check")
    page.wait_for_function("() => document.querySelector('.nr-status-check')"
                           ".textContent.startsWith('Not saved')")
    assert "the limit is 1,000,000 bytes" in status.inner_text()
    assert page.url == form_url
    length = page.evaluate("() => document.querySelector('.nr-editor .cm-content')"
                           ".cmView.view.state.doc.length")
    assert length > len(pasted)
    assert Story.objects.get(pk=story.pk).body == story.body
    page.keyboard.type(" More.")
    page.wait_for_function("() => document.querySelector('.nr-status-check')"
                           ".textContent.startsWith('Not checked: the body is')")
    assert "the limit is 1,000,000 bytes" in page.locator(".nr-live-panel").inner_text()
    page.wait_for_function("() => document.querySelector('.nr-status-keep')"
                           ".textContent.startsWith('Kept in this browser only: the body is')")
    assert max(sent, default=0) < len(pasted)


# The picker under hostile typing: an input method's composition right after a pick, a pick
# made before the list has caught up with fast typing, undo and redo.

def compose(page, text):
    """What an input method (Japanese, Chinese) sends: a composition, then its commit."""
    cdp = page.context.new_cdp_session(page)
    for i in range(1, len(text) + 1):
        cdp.send("Input.imeSetComposition", {"text": text[:i], "selectionStart": i,
                                             "selectionEnd": i})
    cdp.send("Input.insertText", {"text": text})


@pytest.mark.parametrize("composed", ["港の報告", "；", "，"])
def test_text_composed_by_an_input_method_after_a_pick_is_prose_after_the_group(
        live_server, page_factory, writer, story, composed):
    page = open_form(page_factory, live_server, writer, story)
    pick_minutes(page)
    compose(page, composed)
    text = editor(page).inner_text()
    assert f"The committee heard it in April [@council-minutes]{composed}" in text
    assert not errors(page)


@pytest.mark.parametrize("separator", [";", "; @"])
def test_a_pick_entered_as_fast_as_it_is_typed_picks_what_was_typed(
        live_server, page_factory, writer, story, separator):
    page = open_form(page_factory, live_server, writer, story)
    type_at_end(page, "\nThe committee heard it in April [@minutes")
    completion_option(page, "council-minutes")
    page.keyboard.press("Enter")  # before the list has caught up with "minutes"
    page.keyboard.type(separator + "annual")
    completion_option(page, "port-annual")
    page.keyboard.press("Enter")
    page.keyboard.type(". Then")
    # The keys typed while a pick waited for the list are typed after it, in order.
    expect(editor(page)).to_contain_text(
        "The committee heard it in April [@council-minutes; @port-annual]. Then")
    assert "@minutes" not in editor(page).inner_text()
    assert not errors(page)


def test_undo_takes_back_a_pick_and_redo_brings_it_back(live_server, page_factory, writer,
                                                        story):
    page = open_form(page_factory, live_server, writer, story)
    pick_minutes(page)
    assert "[@council-minutes]" in editor(page).inner_text()
    page.keyboard.press("Control+z")
    assert "council-minutes]" not in editor(page).inner_text()
    page.keyboard.press("Control+y")
    assert "The committee heard it in April [@council-minutes]" in editor(page).inner_text()
    assert not errors(page)
