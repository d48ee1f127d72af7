import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.admin import user_version
from audit.models import Event
from audit.services import audit_record
from tests.factories import UserFactory


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", first_name="Site", last_name="Administrator",
                       is_staff=True, is_superuser=True)


@pytest.fixture
def event(writer):
    return audit_record(action="approve.denied", actor=writer,
                        details={"reason": "Authors cannot review their own story."})


def result_rows(response) -> str:
    return response.text.split('id="result_list"')[1].split("</table>")[0]


def test_event_list_shows_time_actor_action_and_short_hashes(client, admin_user, event):
    client.force_login(admin_user)
    response = client.get(reverse("admin:audit_event_changelist"))
    assert response.status_code == 200
    assert "Staff Writer" in response.text
    assert "approve.denied" in response.text
    assert event.hash[:12] in response.text
    assert event.hash not in response.text


def test_event_list_shows_the_newest_first(client, admin_user, event, writer):
    audit_record(action="submit", actor=writer, details={"to": "in_review"})
    client.force_login(admin_user)
    rows = result_rows(client.get(reverse("admin:audit_event_changelist")))
    assert rows.index("submit") < rows.index("approve.denied")


def test_event_detail_reads_details_as_labelled_values_not_reprs(client, admin_user, writer):
    audit_record(action="revision", actor=writer,
                 details={"restored_from": None, "was_live": True, "to": "draft"})
    shown = Event.objects.order_by("-id").first()
    client.force_login(admin_user)
    page = client.get(reverse("admin:audit_event_change", args=[shown.pk])).text
    # PostgreSQL's jsonb keeps its own key order: each detail on a line of its own.
    assert "was live: yes<br>" in page or "<br>was live: yes" in page
    assert "to: draft" in page
    assert "restored_from" not in page and "restored from" not in page


def test_event_list_filters_by_action(client, admin_user, event, writer):
    audit_record(action="role_review_marker", actor=writer)
    client.force_login(admin_user)
    response = client.get(reverse("admin:audit_event_changelist"), {"action": "approve.denied"})
    assert response.status_code == 200
    results = result_rows(response)
    assert "role_review_marker" not in results
    assert "approve.denied" in results


def test_a_search_for_an_action_name_that_finds_nothing_points_to_the_action_filter(
        client, admin_user, event, writer):
    audit_record(action="publish", actor=writer)
    client.force_login(admin_user)

    response = client.get(reverse("admin:audit_event_changelist"), {"q": "publish"})

    assert response.status_code == 200
    assert "“publish” is the name of an action" in response.text
    assert "use the filter “By action”" in response.text
    assert 'href="?action=publish"' in response.text
    assert "0 events" in response.text or "0 results" in response.text


def test_a_search_for_a_refusal_name_links_to_it(client, admin_user, event):
    client.force_login(admin_user)

    response = client.get(reverse("admin:audit_event_changelist"), {"q": "approve.DENIED"})

    assert 'href="?action=approve.denied"' in response.text


def test_a_search_that_names_no_action_says_nothing_more(client, admin_user, event):
    client.force_login(admin_user)

    response = client.get(reverse("admin:audit_event_changelist"),
                          {"q": "<b>nobody</b>"})

    assert "the name of an action" not in response.text
    assert "<b>nobody</b>" not in response.text


def test_a_search_that_finds_events_gives_no_hint(client, admin_user, writer):
    audit_record(action="publish", actor=writer)
    client.force_login(admin_user)

    response = client.get(reverse("admin:audit_event_changelist"), {"q": "writer"})

    assert ">publish<" in result_rows(response)
    assert "the name of an action" not in response.text


def test_event_list_searches_by_actor(client, admin_user, event, reviewer):
    audit_record(action="comment", actor=reviewer)
    client.force_login(admin_user)
    response = client.get(reverse("admin:audit_event_changelist"), {"q": "First Reviewer"})
    results = result_rows(response)
    assert ">comment<" in results
    assert "approve.denied" not in results


def test_events_cannot_be_added_even_by_a_superuser(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:audit_event_add")).status_code == 403


def test_event_detail_is_read_only_and_refuses_changes(client, admin_user, event):
    client.force_login(admin_user)
    url = reverse("admin:audit_event_change", args=[event.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert event.hash in page.text
    assert 'name="_save"' not in page.text
    assert client.post(url, {"action": "approve"}).status_code == 403
    assert Event.objects.get(pk=event.pk).action == "approve.denied"


def test_events_cannot_be_deleted_even_by_a_superuser(client, admin_user, event):
    client.force_login(admin_user)
    url = reverse("admin:audit_event_delete", args=[event.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Event.objects.filter(pk=event.pk).exists()


def test_editor_can_read_the_log(client, editor, event):
    editor.is_staff = True
    editor.save(update_fields=["is_staff"])
    client.force_login(editor)
    assert client.get(reverse("admin:audit_event_changelist")).status_code == 200


def test_deleting_a_user_in_the_audit_trail_offers_deactivation(client, admin_user, writer,
                                                                event):
    client.force_login(admin_user)
    url = reverse("admin:auth_user_delete", args=[writer.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "This user cannot be deleted; deactivate them instead." in page.text
    assert "They are named in 1 audit event," in page.text
    assert "Deactivate writer" in page.text
    client.post(url, {"post": "yes"})
    assert type(writer).objects.filter(pk=writer.pk).exists()


def test_deactivate_button_deactivates_and_is_audited(client, admin_user, writer, event):
    client.force_login(admin_user)
    response = client.post(reverse("admin:auth_user_delete", args=[writer.pk]),
                           {"deactivate": "1"}, follow=True)
    assert "is deactivated and can no longer sign in" in response.text
    writer.refresh_from_db()
    assert not writer.is_active
    assert Event.objects.filter(action="user_deactivate", actor=admin_user,
                                details__user="writer").exists()


def test_a_user_with_no_audit_events_can_be_deleted(client, admin_user):
    someone = UserFactory(username="temp-account")
    client.force_login(admin_user)
    client.post(reverse("admin:auth_user_delete", args=[someone.pk]), {"post": "yes"})
    assert not type(someone).objects.filter(pk=someone.pk).exists()


def test_deactivate_selected_users_action(client, admin_user, writer, reviewer):
    client.force_login(admin_user)
    response = client.post(reverse("admin:auth_user_changelist"), {
        "action": "deactivate_users", "_selected_action": [writer.pk, reviewer.pk],
    }, follow=True)
    assert "Deactivated 2 user(s)." in response.text
    writer.refresh_from_db()
    reviewer.refresh_from_db()
    assert not writer.is_active and not reviewer.is_active


def test_deleting_users_in_code_with_one_in_the_audit_trail_deletes_none(admin_user, writer,
                                                                         event):
    someone = UserFactory(username="temp-account")
    User = type(writer)
    with pytest.raises(ProtectedError):
        User.objects.filter(pk__in=[writer.pk, someone.pk]).delete()
    assert User.objects.filter(pk__in=[writer.pk, someone.pk]).count() == 2


def test_bulk_delete_through_the_changelist_keeps_users_in_the_audit_trail(
        client, admin_user, writer, event):
    client.force_login(admin_user)
    client.post(reverse("admin:auth_user_changelist"), {
        "action": "delete_selected", "_selected_action": [writer.pk], "post": "yes",
    })
    assert type(writer).objects.filter(pk=writer.pk).exists()


def test_adding_a_user_to_a_group_is_audited(writer):
    writer.groups.add(Group.objects.get(name="Editors"))
    event = Event.objects.filter(action="role_change").latest("id")
    assert event.details == {"user": "writer", "added": ["Editors"], "removed": []}


def test_removing_a_user_from_a_group_via_the_group_is_audited(writer):
    Group.objects.get(name="Writers").user_set.remove(writer)
    event = Event.objects.filter(action="role_change").latest("id")
    assert event.details == {"user": "writer", "added": [], "removed": ["Writers"]}


def test_role_change_in_the_user_admin_is_audited_with_the_admin_as_actor(client, admin_user,
                                                                          writer):
    client.force_login(admin_user)
    url = reverse("admin:auth_user_change", args=[writer.pk])
    editors = Group.objects.get(name="Editors")
    response = client.post(url, {
        "username": "writer", "first_name": "Staff", "last_name": "Writer",
        "email": "writer@example.org", "is_active": "on", "groups": [editors.pk],
        "date_joined": "2024-01-01 10:00", "version": user_version(writer),
    })
    assert response.status_code == 302
    events = Event.objects.filter(action="role_change", actor=admin_user).order_by("id")
    assert [e.details for e in events] == [
        {"user": "writer", "added": [], "removed": ["Writers"]},
        {"user": "writer", "added": ["Editors"], "removed": []},
    ]


def test_a_group_or_permission_id_past_any_row_is_a_form_error(client, admin_user, writer):
    client.force_login(admin_user)
    past = "9223372036854775808"
    user = client.post(reverse("admin:auth_user_change", args=[writer.pk]), {
        "username": "writer", "is_active": "on", "groups": [past],
        "date_joined": "2024-01-01 10:00", "version": user_version(writer)})
    group = client.post(reverse("admin:auth_group_add"), {"name": "Desk", "permissions": [past]})
    assert (user.status_code, group.status_code) == (400, 400)
    assert f"“{past}” is not a valid value." in user.text
    assert f"“{past}” is not a valid value." in group.text
    assert list(writer.groups.values_list("name", flat=True)) == ["Writers"]
    assert not Group.objects.filter(name="Desk").exists()


def test_event_list_filter_offers_each_recorded_action_without_a_distinct_scan(
        client, admin_user, event, writer):
    audit_record(action="submit", actor=writer)
    audit_record(action="submit", actor=writer)
    cache.clear()
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("admin:audit_event_changelist")).text
    filters = page.split('id="changelist-filter"')[1]
    assert "?action=approve.denied" in filters and "?action=submit" in filters
    assert filters.count("?action=submit") == 1
    assert not [q for q in captured.captured_queries
                if "DISTINCT" in q["sql"] and '"audit_event"' in q["sql"]]


def test_a_new_trails_first_events_can_be_filtered_by_action_at_once(client, admin_user):
    cache.clear()
    client.force_login(admin_user)
    assert not Event.objects.exists()
    assert client.get(reverse("admin:audit_event_changelist")).status_code == 200
    audit_record(action="publish", actor=admin_user)
    audit_record(action="submit", actor=admin_user)

    page = client.get(reverse("admin:audit_event_changelist"), {"action": "publish"})

    assert ">publish<" in result_rows(page)
    assert ">submit<" not in result_rows(page)
    assert "?action=submit" in page.text.split('id="changelist-filter"')[1]


def test_event_detail_names_its_actor_without_a_link_an_editor_cannot_open(client, editor,
                                                                           event):
    editor.is_staff = True
    editor.save(update_fields=["is_staff"])
    client.force_login(editor)
    page = client.get(reverse("admin:audit_event_change", args=[event.pk])).text
    assert "/admin/auth/user/" not in page
    assert f"<div class=\"readonly\">{event.actor_username}</div>" in page
    assert client.get(reverse("admin:auth_user_change", args=[event.actor_id])).status_code == 403


def test_read_only_pages_name_people_without_a_link_to_the_user_admin(client, writer):
    from tests.factories import SourceFactory, make_story

    writer.is_staff = True
    writer.save(update_fields=["is_staff"])
    source = SourceFactory(key="named", added_by=writer)
    story = make_story(writer, title="Named", body="Fees rise by 3% [@named].", sources=["named"])
    client.force_login(writer)
    for url in (reverse("admin:stories_revision_change", args=[story.latest_revision_id]),
                reverse("admin:sources_source_change", args=[source.pk])):
        page = client.get(url)
        assert page.status_code == 200
        assert "/admin/auth/user/" not in page.text, url  # a link the writer gets a 403 from
        assert f'<div class="readonly">{writer.get_full_name() or writer.username}</div>' \
            in page.text, url
