"""Readers' reports through the API: the public report, the desk's actions, the schema."""

import pytest
from rest_framework.test import APIClient

from audit.models import Event
from stories.models import ErrorReport
from stories.throttles import ReportAddressThrottle
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

NOTE = "The figure in this claim is ten times too large."


def report(story, **fields):
    return APIClient().post(f"/api/v1/public/stories/{story.slug}/reports/",
                            {"claim": 1, "note": NOTE, **fields}, format="json")


def test_anyone_can_report_a_claim(live_story):
    response = report(live_story, email="reader@example.org")
    assert response.status_code == 201
    assert response.json() == {"claim": 1, "revision": live_story.live_revision.content_hash,
                               "status": "received"}
    assert ErrorReport.objects.get().email == "reader@example.org"


@pytest.mark.parametrize("fields, status, field", [
    ({"note": ""}, 400, "note"),
    ({"note": "x" * 2001}, 400, "note"),
    ({"claim": 0}, 400, "claim"),
    ({"claim": "<script>"}, 400, "claim"),
    ({"suggested_url": "javascript:alert(1)"}, 400, "suggested_url"),
    ({"email": "nobody"}, 400, "email"),
    ({"claim": 99}, 404, None),
])
def test_bad_reports_answer_4xx_naming_the_field(live_story, fields, status, field):
    response = report(live_story, **fields)
    assert response.status_code == status
    if field:
        assert field in response.json()["errors"]
    assert not ErrorReport.objects.exists()


def test_an_unpublished_story_answers_404(writer):
    from tests.factories import make_story

    draft = make_story(writer, title="Draft story")
    assert report(draft).status_code == 404


def test_the_api_shares_the_forms_throttle(client, live_story, monkeypatch):
    monkeypatch.setattr(ReportAddressThrottle, "rate", "1/hour", raising=False)
    assert report(live_story).status_code == 201
    refused = report(live_story)
    assert refused.status_code == 429 and "Retry-After" in refused


def test_the_desk_lists_reports_with_claim_and_sources(live_story, editor):
    report(live_story, suggested_url="https://stats.example.org/t2")
    body = client_for(editor).get("/api/v1/reports/?status=open").json()
    (item,) = body["results"]
    assert item["claim"] == {"ordinal": 1, "text": "Claim number 1 is true"}
    assert item["story"]["slug"] == live_story.slug
    assert [s["number"] for s in item["sources"]] == [1]
    assert item["revision"] == live_story.live_revision.content_hash


def test_writers_and_other_reviewers_see_no_reports(live_story, writer, second_reviewer):
    report(live_story)
    for user in (writer, second_reviewer):
        assert client_for(user).get("/api/v1/reports/").json()["results"] == []
    pk = ErrorReport.objects.get().pk
    assert client_for(second_reviewer).post(f"/api/v1/reports/{pk}/dismiss/",
                                            {"reason": "x"}, format="json").status_code == 404
    assert client_for(None).get("/api/v1/reports/").status_code == 401


@pytest.mark.parametrize("story", ["%C2%B2", "abc", "1.5"])
def test_a_story_filter_that_is_not_an_id_is_a_400_naming_it(live_story, editor, story):
    response = client_for(editor).get(f"/api/v1/reports/?story={story}")
    assert response.status_code == 400
    assert response.json()["errors"] == {"story": ["A story id is a number."]}


@pytest.mark.parametrize("story", ["0", "-1", str(2**63), str(10**20)])
def test_a_story_filter_outside_the_id_range_is_a_400_saying_the_range(live_story, editor,
                                                                        story):
    report(live_story)
    response = client_for(editor).get(f"/api/v1/reports/?story={story}")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "story": ["A story id is a number from 1 to 9223372036854775807."]}


def test_adding_a_suggested_link_the_library_cannot_take_is_a_400(live_story, reviewer):
    # A report stored before the form refused such links (a port past 65535).
    report(live_story, suggested_url="https://stats.example.org/t2")
    ErrorReport.objects.update(suggested_url="https://stats.example.org:99999/t2")
    pk = ErrorReport.objects.get().pk
    response = client_for(reviewer).post(f"/api/v1/reports/{pk}/add-source/", {},
                                         format="json")
    assert response.status_code == 400
    assert "port" in response.json()["errors"]["suggested_url"][0]


def test_the_desks_actions_over_the_api(live_story, reviewer, django_capture_on_commit_callbacks):
    from django.core import mail

    report(live_story, email="reader@example.org", suggested_url="https://stats.example.org/t2")
    pk = ErrorReport.objects.get().pk
    api = client_for(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        replied = api.post(f"/api/v1/reports/{pk}/reply/", {"message": "Checking."},
                           format="json")
    assert replied.status_code == 200 and replied.json()["replied_at"]
    assert any(m.to == ["reader@example.org"] for m in mail.outbox)
    added = api.post(f"/api/v1/reports/{pk}/add-source/", {}, format="json")
    assert added.status_code == 201 and added.json()["url"] == "https://stats.example.org/t2"
    assert api.post(f"/api/v1/reports/{pk}/correct/").json()["status"] == "correcting"
    dismissed = api.post(f"/api/v1/reports/{pk}/dismiss/", {"reason": "Dup."}, format="json")
    assert dismissed.status_code == 200
    assert dismissed.json()["email"] == "" and dismissed.json()["status"] == "dismissed"
    again = api.post(f"/api/v1/reports/{pk}/dismiss/", {"reason": "Again."}, format="json")
    assert again.status_code == 409 and "already dismissed" in again.json()["detail"]
    assert Event.objects.filter(action="report_dismiss.denied").count() == 1


def test_a_reviewer_assigned_elsewhere_is_refused_and_audited(live_story, second_reviewer):
    from stories.services import report_dismiss

    report(live_story)
    pk = ErrorReport.objects.get().pk
    with pytest.raises(Exception, match="Only editors and the story's reviewers"):
        report_dismiss(report_id=pk, user=second_reviewer, reason="No.")
    assert Event.objects.filter(action="report_dismiss.denied").count() == 1


def test_the_report_endpoints_are_in_the_schema(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    for path in ("/api/v1/public/stories/{slug}/reports/", "/api/v1/reports/",
                 "/api/v1/reports/{id}/", "/api/v1/reports/{id}/reply/",
                 "/api/v1/reports/{id}/dismiss/", "/api/v1/reports/{id}/correct/",
                 "/api/v1/reports/{id}/add-source/"):
        assert path in paths, path


@pytest.mark.parametrize("slug", ["no-such-story", "%5C%F3%84%BD%8B", "caf%C3%A9"])
def test_a_report_on_no_story_is_a_json_404(db, slug):
    response = APIClient(enforce_csrf_checks=True).post(
        f"/api/v1/public/stories/{slug}/reports/", {"claim": 1, "note": NOTE}, format="json")
    assert response.status_code == 404 and "detail" in response.json()


def test_a_post_to_no_endpoint_is_a_json_404_not_a_csrf_page(db):
    response = APIClient(enforce_csrf_checks=True).post("/api/v1/no/such/thing/", {})
    assert response.status_code == 404 and "detail" in response.json()


@pytest.mark.parametrize("slug", ["a%20b", "%0A%09x", "x" * 300])
def test_a_report_on_a_hostile_address_works_on_a_cache_that_refuses_unsafe_keys(
        db, slug, settings):
    # Memcached refuses keys with spaces, control characters or over 250 characters; Django's
    # other backends only warn of them, so a warning made an error stands for memcached here.
    import warnings

    from django.core.cache.backends.base import CacheKeyWarning

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "strict-keys"}}
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        response = APIClient().post(f"/api/v1/public/stories/{slug}/reports/",
                                    {"claim": 1, "note": NOTE}, format="json")
    assert response.status_code == 404 and "detail" in response.json()
