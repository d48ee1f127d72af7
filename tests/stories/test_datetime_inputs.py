"""Every date-time input in the admin reads and takes YYYY-MM-DD HH:MM and names its time zone."""

import datetime
import re
import zoneinfo

import pytest
from django.utils import timezone

from stories.models import PreviewLink, Story
from tests.factories import SourceFactory, approved_hash, make_story
from tests.stories.test_admin_review import approved, staff, workflow_url

LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def story(writer):
    SourceFactory(key="a")
    return make_story(writer, title="Dates", body="Exports rose 6% in March [@a].",
                      sources=["a"])


def _input(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group()


@pytest.mark.parametrize("name", ["publish-publish_at", "assign-due_at", "preview-expires_at"])
def test_workflow_date_time_inputs_are_text_with_the_iso_format_and_time_zone(
        client, story, writer, reviewer, editor, settings, name):
    settings.TIME_ZONE = "Europe/London"
    approved(story, writer, reviewer)
    client.force_login(staff(editor))
    page = client.get(workflow_url(story)).text
    field = _input(page, name)
    assert 'type="text"' in field  # not datetime-local, which shows the browser's own order
    assert 'placeholder="YYYY-MM-DD HH:MM"' in field
    note_id = re.search(r'aria-describedby="([^"]+)"', field).group(1)
    offset = datetime.datetime.now(LONDON).strftime("%z")
    assert (f'<span class="timezone-note" id="{note_id}">Times are Europe/London '
            f"(UTC{offset[:3]}:{offset[3:]}).</span>") in page


def test_a_schedule_typed_as_yyyy_mm_dd_hh_mm_is_local_time(client, story, writer, reviewer,
                                                             editor, settings):
    settings.TIME_ZONE = "Europe/London"
    approved(story, writer, reviewer)
    client.force_login(staff(editor))
    when = (timezone.now() + datetime.timedelta(days=3)).astimezone(LONDON).replace(
        second=0, microsecond=0)
    response = client.post(workflow_url(story), {
        "op": "publish", "publish-publish_at": when.strftime("%Y-%m-%d %H:%M"),
        "publish-note_kind": "correction", "publish-revision": approved_hash(story),
    }, follow=True)
    assert f"Scheduled for {when.strftime('%d %b %Y %H:%M %Z')}." in response.text
    assert Story.objects.get(pk=story.pk).publish_at == when
    # The page says when it goes live, with the zone.
    assert f"goes live {when.day} {when.strftime('%b %Y %H:%M %Z')}" in response.text


@pytest.mark.parametrize("typed", ["03/12/2030 14:05", "12/03/2030 2:05 PM", "next tuesday",
                                   # Other digits and other ISO 8601 forms, which Python's
                                   # parsers take but nobody types as a time.
                                   "２０３０-12-03 14:05", "٢٠٣٠-12-03 14:05", "20301203T1405",
                                   "2030-W49-2 14:05", "2030-12-03 14:05\x00"])
def test_a_date_in_another_order_is_refused_naming_the_format(client, story, writer, reviewer,
                                                               editor, typed):
    approved(story, writer, reviewer)
    client.force_login(staff(editor))
    response = client.post(workflow_url(story), {
        "op": "publish", "publish-publish_at": typed,
        "publish-note_kind": "correction", "publish-revision": approved_hash(story)})
    assert "Enter a date and time as YYYY-MM-DD HH:MM." in response.text
    assert f'value="{typed}"' in response.text  # what the editor typed is kept
    assert Story.objects.get(pk=story.pk).state == "approved"


def test_a_preview_link_expiry_typed_as_iso_is_kept(client, story, editor):
    client.force_login(staff(editor))
    expires = (timezone.localtime() + datetime.timedelta(days=2)).replace(second=0,
                                                                          microsecond=0)
    client.post(workflow_url(story), {
        "op": "preview", "preview-revision": story.latest_revision_id,
        "preview-expires_at": expires.strftime("%Y-%m-%d %H:%M")}, follow=True)
    assert PreviewLink.objects.get().expires_at == expires


def test_the_source_form_takes_its_date_as_yyyy_mm_dd(admin_client):
    source = SourceFactory(key="dated", published_on=datetime.date(2026, 3, 4))
    page = admin_client.get(f"/admin/sources/source/{source.pk}/change/").text
    assert 'value="2026-03-04"' in _input(page, "published_on")


def test_the_user_form_shows_last_login_and_date_joined_as_iso_with_the_time_zone(
        admin_client, writer, settings):
    settings.TIME_ZONE = "Europe/London"
    writer.last_login = datetime.datetime(2026, 7, 1, 8, 30, tzinfo=datetime.UTC)
    writer.save()
    page = admin_client.get(f"/admin/auth/user/{writer.pk}/change/").text
    offset = datetime.datetime.now(LONDON).strftime("%z")
    for name in ("last_login", "date_joined"):
        field = _input(page, name)
        assert 'type="text"' in field and 'placeholder="YYYY-MM-DD HH:MM"' in field
        assert "vDateField" not in field  # no calendar, so no "N hours ahead" note
        assert f'<span class="timezone-note" id="id_{name}-tz">Times are Europe/London (UTC' \
               f"{offset[:3]}:{offset[3:]}).</span>" in page
    assert 'value="2026-07-01 09:30"' in _input(page, "last_login")  # London summer time
    assert "last_login_0" not in page  # Django's split date and time inputs are gone


def test_a_user_saved_with_a_date_in_another_order_is_refused_naming_the_format(
        admin_client, writer):
    page = admin_client.get(f"/admin/auth/user/{writer.pk}/change/")
    form = {k: v for k, v in page.context["adminform"].form.initial.items()
            if k not in ("password", "groups", "user_permissions", "last_login")}
    form.update({"date_joined": "03/12/2030 14:05", "last_login": ""})
    response = admin_client.post(f"/admin/auth/user/{writer.pk}/change/", form)
    assert "Enter a date and time as YYYY-MM-DD HH:MM." in response.text
    assert 'value="03/12/2030 14:05"' in response.text


def test_the_source_form_takes_its_date_as_text_without_a_time_zone(admin_client):
    source = SourceFactory(key="dated", published_on=datetime.date(2026, 3, 4))
    page = admin_client.get(f"/admin/sources/source/{source.pk}/change/").text
    field = _input(page, "published_on")
    assert 'placeholder="YYYY-MM-DD"' in field and "vDateField" not in field


def test_a_time_past_the_calendars_end_in_utc_is_a_form_error_not_a_500(
        client, story, writer, reviewer, editor, settings):
    settings.TIME_ZONE = "America/New_York"  # 9999-12-31 23:59 here is year 10000 in UTC
    typed = "9999-12-31 23:59"
    approved(story, writer, reviewer)
    client.force_login(staff(editor))
    response = client.post(workflow_url(story), {
        "op": "publish", "publish-publish_at": typed,
        "publish-note_kind": "correction", "publish-revision": approved_hash(story)})
    assert response.status_code in (200, 400)
    assert "That time is outside the calendar (0001-01-01 to 9999-12-31 in UTC)." in response.text
    assert f'value="{typed}"' in response.text
    assert Story.objects.get(pk=story.pk).state == "approved"


@pytest.mark.parametrize("typed", ["\x00", " \x00 ", "\x00\x00"])
def test_a_preview_link_expiry_of_nul_characters_is_refused_and_makes_no_link(client, story,
                                                                              editor, typed):
    from stories.models import PreviewLink

    client.force_login(staff(editor))
    response = client.post(workflow_url(story), {
        "op": "preview", "preview-revision": story.latest_revision_id,
        "preview-expires_at": typed, "preview-label": "Outside legal reader"})
    assert "Enter a date and time as YYYY-MM-DD HH:MM." in response.text
    assert "Preview link created" not in response.text
    assert not PreviewLink.objects.exists()
