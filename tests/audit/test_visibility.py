import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import Event
from audit.services import audit_record
from stories import services
from tests.api.conftest import client_for
from tests.factories import SourceFactory, UserFactory, latest_hash, make_story
from tests.security.conftest import login

DRAFT = "Berth 4 sale agreed in secret"
RETURNED = "Crane contract terms leaked"
REVIEWING = "Harbour dredging budget doubles"
QUOTE = "You quote the crane contract at 41 million without its source page."
BODY = "The contract is worth 41 million [@harbour-ledger]."
SOURCE_EVENT = "source_create"
STAFF_ONLY = ("role_change", "login.locked_out")

ROLES = ["writer", "other_writer", "reviewer", "assigned_reviewer", "editor", "superuser"]
# What each role may read: the stories whose events they see, and whether they see the
# events without a story that only editors may read (role changes, logins).
SEES = {
    "writer": ({DRAFT, RETURNED}, False),
    "other_writer": ({REVIEWING}, False),
    "reviewer": ({REVIEWING}, False),
    "assigned_reviewer": ({RETURNED, REVIEWING}, False),
    "editor": ({DRAFT, RETURNED, REVIEWING}, True),
    "superuser": ({DRAFT, RETURNED, REVIEWING}, True),
}


@pytest.fixture
def desk(writer, other_writer, reviewer, second_reviewer, editor):
    """Three stories in three states, a reviewer's comment quoting one, and storyless events."""
    SourceFactory(key="harbour-ledger")
    draft = make_story(writer, title=DRAFT, body=BODY)
    returned = make_story(writer, title=RETURNED, body=BODY)
    services.story_submit(story_id=returned.pk, user=writer)
    services.story_assign(story_id=returned.pk, user=editor, reviewer=second_reviewer)
    services.review_submit(story_id=returned.pk, base_revision=latest_hash(returned),
                           reviewer=second_reviewer,
                           decision="request_changes", comment=QUOTE)
    reviewing = make_story(other_writer, title=REVIEWING, body=BODY)
    services.story_submit(story_id=reviewing.pk, user=other_writer)
    audit_record(action=SOURCE_EVENT, actor=writer, details={"key": "harbour-ledger"})
    audit_record(action="login.locked_out", details={"username": "intruder", "ip": "10.0.0.9"})
    return {
        "stories": {DRAFT: draft, RETURNED: returned, REVIEWING: reviewing},
        "comment": Event.objects.get(story=returned, action="request_changes"),
        "users": {"writer": writer, "other_writer": other_writer, "reviewer": reviewer,
                  "assigned_reviewer": second_reviewer, "editor": editor,
                  "superuser": UserFactory(username="root", is_superuser=True)},
    }


def result_rows(response) -> str:
    assert response.status_code == 200
    text = response.content.decode()
    return text.split('id="result_list"')[1].split("</table>")[0] if "result_list" in text else ""


def changelist(client, **params):
    return client.get(reverse("admin:audit_event_changelist"), params)


@pytest.mark.parametrize("role", ROLES)
def test_event_list_names_only_the_stories_the_role_may_see(client, desk, role):
    stories, editors_only = SEES[role]
    login(client, desk["users"][role])
    rows = result_rows(changelist(client))
    assert {title for title in desk["stories"] if title in rows} == stories
    assert SOURCE_EVENT in rows
    assert all((action in rows) == editors_only for action in STAFF_ONLY)


@pytest.mark.parametrize("role", ROLES)
def test_event_detail_of_a_comment_quoting_a_draft(client, desk, role):
    readable = RETURNED in SEES[role][0]
    login(client, desk["users"][role])
    event = desk["comment"]
    for name in ("change", "history"):
        response = client.get(reverse(f"admin:audit_event_{name}", args=[event.pk]),
                              follow=True)
        assert response.status_code == 200
        text = response.content.decode()
        assert (QUOTE in text) == (RETURNED in text) == (readable and name == "change")
        assert (f"#{event.pk} request_changes" in text) == readable
        if not readable:
            assert response.redirect_chain[-1][0] == reverse("admin:index")
            assert "doesn’t exist" in text


@pytest.mark.parametrize("role", ROLES)
def test_searching_events_by_a_draft_title(client, desk, role):
    login(client, desk["users"][role])
    rows = result_rows(changelist(client, q="Berth 4"))
    assert (DRAFT in rows) == (DRAFT in SEES[role][0])


@pytest.mark.parametrize("role", ROLES)
def test_api_audit_of_a_story_answers_404_unless_the_role_may_see_it(desk, role):
    api = client_for(desk["users"][role])
    for title, story in desk["stories"].items():
        response = api.get(f"/api/v1/stories/{story.pk}/audit/")
        text = response.content.decode()
        if title in SEES[role][0]:
            assert response.status_code == 200
            assert {e["action"] for e in response.json()["results"]} >= {"revision"}
        else:
            assert response.status_code == 404
            assert title not in text and QUOTE not in text


def hidden_admin_paths(desk) -> list[str]:
    """Every way into the event admin a curious writer could try for another's draft."""
    draft = desk["stories"][DRAFT]
    returned = desk["stories"][RETURNED]
    events = reverse("admin:audit_event_changelist")
    year = desk["comment"].at.year
    return [
        f"{events}?story__id__exact={draft.pk}",
        f"{events}?story={returned.pk}",
        f"{events}?story__title__icontains=Berth",
        f"{events}?details__icontains=41+million",
        f"{events}?q=crane+contract",
        f"{events}?action=request_changes",
        f"{events}?_facets=True",
        f"{events}?at__year={year}",
        f"{events}?o=4",
        reverse("admin:audit_event_change", args=[desk["comment"].pk]),
        reverse("admin:audit_event_change", args=["not-a-number"]),
        reverse("admin:audit_event_delete", args=[desk["comment"].pk]),
        reverse("admin:autocomplete") + "?term=Crane&app_label=audit&model_name=event"
        "&field_name=story",
    ]


@pytest.mark.parametrize("role", ["other_writer", "reviewer"])
def test_no_event_admin_path_shows_a_hidden_draft_or_fails(client, desk, role):
    login(client, desk["users"][role])
    for path in hidden_admin_paths(desk):
        response = client.get(path, follow=True)
        assert response.status_code in (200, 400, 403, 404), (path, response.status_code)
        text = response.content.decode()
        assert DRAFT not in text and RETURNED not in text and QUOTE not in text, path


def test_anonymous_and_roleless_staff_read_no_events(client, desk):
    events = reverse("admin:audit_event_changelist")
    assert "/admin/login/" in client.get(events)["Location"]
    assert client_for().get(f"/api/v1/stories/{desk['stories'][DRAFT].pk}/audit/"
                            ).status_code in (401, 403)
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_event"))
    client.force_login(clerk)
    rows = result_rows(client.get(events))
    assert SOURCE_EVENT not in rows and DRAFT not in rows


def queries_for_event_list(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert changelist(client).status_code == 200
    return len(captured)


def test_event_list_queries_do_not_grow_with_events_for_a_writer(client, desk, writer):
    login(client, writer)
    changelist(client)  # the action filter's list is cached once read
    few = queries_for_event_list(client)
    for n in range(15):
        story = make_story(writer, title=f"Another draft {n}", body=BODY)
        services.story_update(story_id=story.pk, user=writer, title=f"Another draft {n}!")
    many = queries_for_event_list(client)
    assert few == many
    assert many <= 12
