"""Every story endpoint × role × state: the answer, and that only allowed calls change data."""

import pytest

from audit.models import Event
from stories.models import Review, Revision, Story
from tests.api.conftest import client_for

REVIEW_OK = {"decision": "approve", "checks": "every claim supported"}
CHANGES = {"decision": "request_changes", "comment": "Cite the page number."}

# (method, endpoint, body, state, role, status, denied audit action or None)
TABLE = [
    # reads
    ("get", "", None, "draft", "anonymous", 401, None),
    ("get", "", None, "draft", "author", 200, None),
    ("get", "", None, "draft", "other_writer", 404, None),
    ("get", "", None, "draft", "reviewer", 404, None),
    ("get", "", None, "in_review", "reviewer", 200, None),
    ("get", "", None, "draft", "editor", 200, None),
    ("get", "claims/", None, "in_review", "reviewer", 200, None),
    ("get", "claims/", None, "draft", "other_writer", 404, None),
    ("get", "audit/", None, "published", "author", 200, None),
    ("get", "audit/", None, "published", "anonymous", 401, None),
    ("get", "revisions/", None, "draft", "editor", 200, None),
    ("get", "revisions/diff/?from=1&to=1", None, "draft", "author", 200, None),
    # edit
    ("patch", "", {"dek": "New dek."}, "draft", "author", 200, None),
    ("patch", "", {"dek": "New dek."}, "published", "editor", 200, None),
    ("patch", "", {"dek": "New dek."}, "in_review", "reviewer", 403, "edit.denied"),
    ("patch", "", {"dek": "New dek."}, "draft", "other_writer", 404, None),
    ("patch", "", {"dek": "New dek."}, "draft", "anonymous", 401, None),
    # submit
    ("post", "submit/", None, "draft", "author", 200, None),
    ("post", "submit/", None, "changes_requested", "author", 200, None),
    ("post", "submit/", None, "in_review", "author", 409, "submit.denied"),
    ("post", "submit/", None, "published", "author", 409, "submit.denied"),
    ("post", "submit/", None, "draft", "editor", 403, "submit.denied"),
    ("post", "submit/", None, "draft", "other_writer", 404, None),
    ("post", "submit/", None, "draft", "anonymous", 401, None),
    # withdraw
    ("post", "withdraw/", None, "in_review", "author", 200, None),
    ("post", "withdraw/", None, "draft", "author", 409, "withdraw.denied"),
    ("post", "withdraw/", None, "in_review", "reviewer", 403, "withdraw.denied"),
    # reviews
    ("post", "reviews/", REVIEW_OK, "in_review", "reviewer", 201, None),
    ("post", "reviews/", CHANGES, "in_review", "reviewer", 201, None),
    ("post", "reviews/", REVIEW_OK, "in_review", "author", 403, "approve.denied"),
    ("post", "reviews/", REVIEW_OK, "in_review", "editor", 403, "approve.denied"),
    ("post", "reviews/", REVIEW_OK, "approved", "reviewer", 409, "approve.denied"),
    ("post", "reviews/", REVIEW_OK, "draft", "reviewer", 404, None),
    ("post", "reviews/", REVIEW_OK, "in_review", "other_writer", 404, None),
    ("post", "reviews/", {"decision": "approve", "checks": []}, "in_review", "reviewer", 400,
     None),
    # publish
    ("post", "publish/", {}, "approved", "editor", 200, None),
    ("post", "publish/", {}, "in_review", "editor", 409, "publish.denied"),
    ("post", "publish/", {}, "approved", "reviewer", 403, "publish.denied"),
    ("post", "publish/", {}, "approved", "author", 403, "publish.denied"),
    ("post", "publish/", {}, "approved", "anonymous", 401, None),
    # retract
    ("post", "retract/", {"reason": "Wrong figures."}, "published", "editor", 200, None),
    ("post", "retract/", {"reason": ""}, "published", "editor", 400, None),
    ("post", "retract/", {"reason": "Wrong figures."}, "draft", "editor", 409,
     "retract.denied"),
    ("post", "retract/", {"reason": "Wrong figures."}, "published", "author", 403,
     "retract.denied"),
]


def _snapshot(story):
    story = Story.objects.get(pk=story.pk)
    return {
        "state": story.state,
        "revisions": Revision.objects.filter(story=story).count(),
        "reviews": Review.objects.filter(story=story).count(),
        "events": list(Event.objects.order_by("id").values_list("action", flat=True)),
    }


@pytest.mark.parametrize(("method", "endpoint", "body", "state", "role", "expected", "denied"),
                         TABLE, ids=[f"{m}-{e or 'detail'}-{s}-{r}" for m, e, _, s, r, *_
                                     in TABLE])
def test_story_endpoint_by_role_and_state(make, roles, method, endpoint, body, state, role,
                                          expected, denied):
    story = make(state)
    client = client_for(roles[role])
    before = _snapshot(story)
    url = f"/api/v1/stories/{story.pk}/{endpoint}"
    headers = {"HTTP_IF_MATCH": f'"{story.latest_revision.content_hash}"'}
    if body == REVIEW_OK:  # name the story's own claims by their ids, as GET /claims/ shows
        body = {**body, "checks": [{"claim": c.pk, "verdict": "supported"}
                                   for c in story.latest_revision.claims.all()]}
    response = getattr(client, method)(url, body, format="json", **headers)

    assert response.status_code == expected, response.content
    assert response.json()["detail"] if expected >= 400 else True
    after = _snapshot(story)
    new_events = after["events"][len(before["events"]):]
    if expected >= 400 or method == "get":
        assert (after["state"], after["revisions"], after["reviews"]) == (
            before["state"], before["revisions"], before["reviews"])
        assert new_events == ([denied] if denied else [])
    else:
        assert after != before
        assert not any(action.endswith(".denied") for action in new_events)


@pytest.mark.parametrize(("role", "expected"), [
    ("anonymous", 401), ("author", 201), ("reviewer", 201), ("editor", 201),
])
def test_story_create_by_role(roles, role, expected):
    response = client_for(roles[role]).post("/api/v1/stories/", {"title": "Cranes"},
                                            format="json")
    assert response.status_code == expected
    assert Story.objects.count() == (1 if expected == 201 else 0)


def test_signed_in_user_without_a_role_is_refused_and_audited(db):
    from tests.factories import UserFactory

    outsider = UserFactory(username="outsider")
    response = client_for(outsider).post("/api/v1/stories/", {"title": "Cranes"},
                                         format="json")
    assert response.status_code == 403
    assert Story.objects.count() == 0
    assert Event.objects.filter(action="create.denied", actor=outsider).exists()


@pytest.mark.parametrize(("role", "visible"), [
    ("author", {"draft", "in_review", "published"}),
    ("other_writer", set()),
    ("reviewer", {"in_review", "published"}),  # in review, and the one they approved
    ("editor", {"draft", "in_review", "published"}),
])
def test_story_list_shows_only_visible_stories(make, roles, role, visible):
    for state in ("draft", "in_review", "published"):
        make(state, title=f"Story {state}")
    response = client_for(roles[role]).get("/api/v1/stories/")
    assert response.status_code == 200
    assert {row["state"] for row in response.json()["results"]} == visible


def test_story_list_filters(make, writer):
    make("draft", title="One")
    make("in_review", title="Two")
    client = client_for(writer)
    assert [r["title"] for r in client.get("/api/v1/stories/?state=in_review").json()[
        "results"]] == ["Two"]
    assert client.get("/api/v1/stories/?author=nobody").json()["count"] == 0
    assert client.get("/api/v1/stories/?author=writer").json()["count"] == 2
    assert client.get("/api/v1/stories/?updated_since=2999-01-01T00:00:00Z").json()[
        "count"] == 0
    response = client.get("/api/v1/stories/?updated_since=yesterday")
    assert response.status_code == 400
    assert "updated_since" in response.json()["errors"]
