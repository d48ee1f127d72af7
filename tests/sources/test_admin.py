from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import Event
from sources import services
from sources.models import Source
from tests.factories import SourceFactory, make_story


def login(client, user):
    # Newsroom users work in the admin as staff (seed_demo sets the flag too).
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)


def source_data(**fields):
    data = {"key": "harbour-board", "title": "Harbour board minutes",
            "url": "https://harbour.example.org/minutes/may", "outlet": "Harbour Board",
            "author": "", "published_on": "", "kind": "report", "description": "", "notes": ""}
    for prefix in ("snapshots", "link_checks"):  # the read-only history inlines
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "0"})
    data.update(fields)
    return data


ADD = "admin:sources_source_add"


def test_writer_adds_a_source_through_the_library(client, writer):
    login(client, writer)

    response = client.post(reverse(ADD), source_data())

    assert response.status_code == 302
    source = Source.objects.get(key="harbour-board")
    assert source.added_by == writer
    assert Event.objects.filter(action="source_create").exists()


def test_change_form_shows_who_added_the_source(client, writer):
    login(client, writer)
    client.post(reverse(ADD), source_data())
    source = Source.objects.get(key="harbour-board")

    response = client.get(reverse("admin:sources_source_change", args=[source.pk]))

    assert response.status_code == 200
    assert "writer" in response.content.decode()
    assert "Added by" in response.content.decode()


def test_edit_goes_through_the_library_service(client, writer):
    source = SourceFactory(key="harbour-board", url="https://harbour.example.org/a")
    login(client, writer)

    response = client.post(reverse("admin:sources_source_change", args=[source.pk]),
                           source_data(title="Harbour board minutes, corrected",
                                       url="https://harbour.example.org/a",
                                       version=source.version))

    assert response.status_code == 302
    source.refresh_from_db()
    assert source.title == "Harbour board minutes, corrected"
    assert Event.objects.filter(action="source_update").exists()


@pytest.mark.parametrize("url, message", [
    ("ftp://harbour.example.org/minutes", "Only http:// and https:// links can be sources."),
    ("javascript:alert(1)", "Enter a valid URL."),
])
def test_non_http_url_is_a_field_error(client, writer, url, message):
    login(client, writer)

    response = client.post(reverse(ADD), source_data(url=url))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Source.objects.exists()


def test_duplicate_key_differing_by_case_is_a_field_error(client, writer):
    SourceFactory(key="Harbour-Board")
    login(client, writer)

    response = client.post(reverse(ADD), source_data(key="harbour-board"))

    assert response.status_code == 400
    assert "The key &quot;Harbour-Board&quot; is already taken." in response.content.decode()
    assert Source.objects.count() == 1


def test_duplicate_url_is_a_field_error_naming_the_existing_source(client, writer):
    SourceFactory(key="minutes-may", url="https://harbour.example.org/minutes/may")
    login(client, writer)

    response = client.post(reverse(ADD), source_data(url="HTTPS://Harbour.example.org/minutes/may"))

    assert response.status_code == 400
    assert "already in the library as &quot;minutes-may&quot;" in response.content.decode()
    assert Source.objects.count() == 1


def test_source_without_url_needs_a_description(client, writer):
    login(client, writer)

    response = client.post(reverse(ADD), source_data(url="", kind="interview"))

    assert response.status_code == 400
    assert "A source without a link needs a description." in response.content.decode()


def test_interview_without_url_but_with_description_is_accepted(client, writer):
    login(client, writer)

    response = client.post(reverse(ADD), source_data(
        url="", kind="interview", description="Phone interview with the harbour master."))

    assert response.status_code == 302
    assert Source.objects.get(key="harbour-board").url == ""


def test_search_finds_sources_by_url(client, writer):
    SourceFactory(key="minutes-may", url="https://harbour.example.org/minutes/may")
    SourceFactory(key="other", url="https://elsewhere.example.com/")
    login(client, writer)

    response = client.get(reverse("admin:sources_source_changelist"), {"q": "harbour.example"})

    page = response.content.decode()
    assert "minutes-may" in page
    assert "elsewhere.example.com" not in page


def test_changelist_filters_by_kind(client, writer):
    SourceFactory(key="annual-report", kind="report")
    SourceFactory(key="wire-story", kind="article")
    login(client, writer)

    response = client.get(reverse("admin:sources_source_changelist"), {"kind__exact": "report"})

    page = response.content.decode()
    assert "annual-report" in page
    assert "wire-story" not in page


def test_change_form_lists_the_stories_citing_it(client, writer, other_writer):
    source = SourceFactory(key="minutes-may")
    mine = make_story(writer, title="Cranes for the harbour", body="They came [@minutes-may].")
    make_story(other_writer, title="A draft you may not see", body="Yes [@minutes-may].")
    login(client, writer)

    response = client.get(reverse("admin:sources_source_change", args=[source.pk]))

    page = response.content.decode()
    assert reverse("admin:stories_story_change", args=[mine.pk]) in page
    assert "Cranes for the harbour" in page
    assert "A draft you may not see" not in page
    assert "1 other story you cannot open" in page


def test_changelist_shows_how_many_stories_cite_each_source_in_the_same_queries_for_more_rows(
        client, writer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    SourceFactory(key="minutes-may")
    make_story(writer, title="One", body="They came [@minutes-may].")
    make_story(writer, title="Two", body="They went [@minutes-may].")
    login(client, writer)
    url = reverse("admin:sources_source_changelist")
    client.get(url)  # the outlet filter's list is cached
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    assert '<td class="field-cited_by">2</td>' in page

    for n in range(5):
        SourceFactory(key=f"more-{n}", outlet=f"Outlet {n}")
        make_story(writer, title=f"More {n}", body=f"Yes [@more-{n}].")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert page.count('<td class="field-cited_by">1</td>') == 5
    assert len(many) == len(few)


def test_a_new_outlet_is_in_the_outlet_filter_at_once(
        client, writer, django_capture_on_commit_callbacks):
    SourceFactory(key="wire-story", outlet="Example Wire")
    login(client, writer)
    url = reverse("admin:sources_source_changelist")
    assert "Harbour Board" not in client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse(ADD), source_data())

    page = client.get(url).content.decode()
    assert "?outlet=Harbour+Board" in page and "?outlet=Example+Wire" in page
    assert "harbour-board" in client.get(url, {"outlet": "Harbour Board"}).content.decode()


@pytest.mark.parametrize("title", ["Plain", 'Quotes " and <b>tags</b> & ampersands', "Ünïcode"])
def test_a_changelist_row_selection_box_is_the_html_django_renders(title):
    from django.contrib import admin

    from sources.admin import SourceAdmin

    source = Source(pk=42, key="k", title=title)
    model_admin = SourceAdmin(Source, admin.site)
    assert model_admin.action_checkbox(source) == admin.ModelAdmin.action_checkbox(
        model_admin, source)


def test_the_library_lists_fifty_sources_a_page_and_the_rest_on_the_next(client, writer):
    SourceFactory.create_batch(51)
    login(client, writer)
    first = client.get(reverse("admin:sources_source_changelist")).content.decode()
    second = client.get(reverse("admin:sources_source_changelist") + "?p=2").content.decode()
    assert first.count('class="action-select"') == 50
    assert "?p=2" in first
    assert second.count('class="action-select"') == 1


@pytest.mark.parametrize("selected", ["abc", "\u00b2", "9223372036854775808", ""])
def test_an_action_leaves_out_selected_values_no_source_can_be(client, writer,
                                                                         selected):
    source = SourceFactory()
    login(client, writer)
    response = client.post(reverse("admin:sources_source_changelist"), {
        "action": "capture_selected", "_selected_action": [selected, str(source.pk)]},
        follow=True)
    assert response.status_code == 200
    assert f"Snapshot queued for 1 source(s): {source.key}" in response.text
    assert Event.objects.filter(action="source_capture_request").count() == 1


def test_an_action_on_no_real_row_changes_nothing(client, writer):
    SourceFactory()
    login(client, writer)
    response = client.post(reverse("admin:sources_source_changelist"), {
        "action": "capture_selected", "_selected_action": ["abc"]}, follow=True)
    assert response.status_code == 200
    assert "Items must be selected in order to perform actions on them" in response.text
    assert not Event.objects.filter(action="source_capture_request").exists()


def test_view_on_site_is_offered_only_for_a_source_with_a_public_page(client, writer, reviewer,
                                                                      editor):
    from tests.public.helpers import publish_story

    cited = SourceFactory(key="cited")
    uncited = SourceFactory(key="uncited")
    publish_story(writer, reviewer, editor, body="Cranes arrived in May [@cited].",
                  sources=["cited"])
    login(client, writer)
    change = reverse("admin:sources_source_change", args=[cited.pk])
    assert "View on site" in client.get(change).text
    assert client.get(cited.get_absolute_url()).status_code == 200
    # No published story cites it, so its public page is a 404: no button leads there.
    assert client.get(uncited.get_absolute_url()).status_code == 404
    assert "View on site" not in client.get(
        reverse("admin:sources_source_change", args=[uncited.pk])).text


def change_url(source):
    return reverse("admin:sources_source_change", args=[source.pk])


class _FormFields(HTMLParser):
    """The fields a browser would post from a page's change form, as it shows them."""

    def __init__(self):
        super().__init__()
        self.fields, self._textarea, self._select = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "checkbox"):
            self.fields[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea, self.fields[name] = name, ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and ("selected" in attrs
                                                   or self._select not in self.fields):
            self.fields[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def shown_form(page) -> dict:
    parser = _FormFields()
    parser.feed(page)
    fields = dict(parser.fields)
    fields.pop("csrfmiddlewaretoken", None)
    return {k: v.removeprefix("\n") for k, v in fields.items()}  # a textarea's first newline


def opened_form(client, source) -> dict:
    """The change form as a browser opens it: its fields, the hidden version included."""
    return shown_form(client.get(change_url(source)).content.decode())


def test_two_editors_the_later_stale_save_is_refused_keeping_what_was_typed(
        client, writer, editor):
    source = SourceFactory(key="harbour-board", url="https://harbour.example.org/a",
                           title="Harbour board minutes", outlet="Harbour Board")
    login(client, writer)
    theirs = Client()
    login(theirs, editor)
    mine, their_form = opened_form(client, source), opened_form(theirs, source)
    assert theirs.post(change_url(source), {
        **their_form, "title": "Harbour board minutes (corrected)",
        "outlet": "Eastmere Harbour Board"}).status_code == 302

    response = client.post(change_url(source), {
        **mine, "title": "Minutes of the harbour board",
        "notes": "My long note about the minutes."})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Desk Editor saved this source" in page
    shown = shown_form(page)
    # What I typed stays; where we both changed a field, theirs is shown beside mine.
    assert shown["title"] == "Minutes of the harbour board"
    assert shown["notes"] == "My long note about the minutes."
    assert "Saved meanwhile as: “Harbour board minutes (corrected)”" in page
    # What only they changed is taken into the form, so saving again keeps it.
    assert shown["outlet"] == "Eastmere Harbour Board"
    assert "Their version is in the form where only they changed a field (Outlet)." in page
    source.refresh_from_db()
    assert source.title == "Harbour board minutes (corrected)"
    assert source.notes == ""
    assert Event.objects.filter(action="source_update.denied").count() == 1


def test_saving_again_after_a_stale_refusal_keeps_both_peoples_changes(client, writer, editor):
    source = SourceFactory(key="harbour-board", url="https://harbour.example.org/a",
                           outlet="Harbour Board")
    login(client, writer)
    opened = opened_form(client, source)
    services.source_update(source_id=source.pk, user=editor, outlet="Harbour Board (official)")
    refused = client.post(change_url(source), {**opened, "title": "Mine"})
    shown = shown_form(refused.content.decode())
    assert shown["version"] != opened["version"]

    response = client.post(change_url(source), shown)

    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.title, source.outlet) == ("Mine", "Harbour Board (official)")


def test_a_change_form_posted_without_its_version_is_refused(client, writer):
    source = SourceFactory(key="harbour-board", url="https://harbour.example.org/a")
    login(client, writer)
    data = source_data(title="Mine", url="https://harbour.example.org/a")
    response = client.post(change_url(source), data)
    assert response.status_code == 400
    assert "did not say which version" in response.content.decode()
    source.refresh_from_db()
    assert source.title != "Mine"


@pytest.mark.parametrize("typed", ["９９９９-01-01", "２０２６-12-07", "20261207", "2026-W49-1"])
def test_a_date_in_other_digits_or_another_iso_form_is_a_field_error(client, writer, typed):
    login(client, writer)
    response = client.post(reverse(ADD), source_data(published_on=typed))
    assert response.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in response.text
    assert not Source.objects.filter(key="harbour-board").exists()
