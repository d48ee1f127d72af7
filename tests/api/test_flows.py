"""API flows read as a client would: tokens, optimistic locking, caching, sources, shapes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from audit.models import Event
from sources.models import Source
from stories import services
from stories.models import Revision, Story
from tests.api.conftest import BODY, client_for, story_in
from tests.factories import SourceFactory, approved_hash, latest_hash

# --- tokens --------------------------------------------------------------------------------


def test_token_create_use_and_revoke(client, writer):
    response = client.post("/api/v1/auth/token/",
                           {"username": "writer", "password": "correct-horse-battery"},
                           content_type="application/json")
    assert response.status_code == 200
    token = response.json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get("/api/v1/stories/", **auth).status_code == 200
    assert client.delete("/api/v1/auth/token/", **auth).status_code == 204
    assert not Token.objects.filter(user=writer).exists()
    assert client.get("/api/v1/stories/", **auth).status_code == 401


def test_token_refused_for_a_wrong_password(client, writer):
    response = client.post("/api/v1/auth/token/", {"username": "writer", "password": "nope"},
                           content_type="application/json")
    assert response.status_code == 400
    assert "Unable to sign in" in response.json()["detail"]


def test_token_locked_out_after_repeated_failures(client, writer, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/api/v1/auth/token/", {"username": "writer", "password": "guess"},
                    content_type="application/json")
    response = client.post("/api/v1/auth/token/",
                           {"username": "writer", "password": "correct-horse-battery"},
                           content_type="application/json")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.json()["detail"]
    assert not Token.objects.filter(user=writer).exists()


def test_token_endpoint_is_throttled(client, writer, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "2/minute"})
    codes = [client.post("/api/v1/auth/token/", {"username": f"x{i}", "password": "y"},
                         content_type="application/json").status_code for i in range(3)]
    assert codes == [400, 400, 429]
    cache.clear()


# --- optimistic locking ------------------------------------------------------------------


def test_patch_with_current_etag_saves_a_revision(make, writer):
    story = make("draft")
    client = client_for(writer)
    etag = client.get(f"/api/v1/stories/{story.pk}/")["ETag"]
    response = client.patch(f"/api/v1/stories/{story.pk}/", {"dek": "Three new cranes."},
                            format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["dek"] == "Three new cranes."
    assert response["ETag"] == response.json()["etag"] != etag
    assert Revision.objects.filter(story=story).count() == 2


def test_patch_with_stale_etag_answers_412_with_current_etag_and_refused_text(make, writer,
                                                                               editor):
    story = make("draft")
    stale = client_for(writer).get(f"/api/v1/stories/{story.pk}/")["ETag"]
    client_for(editor).patch(f"/api/v1/stories/{story.pk}/", {"title": "Editor's title"},
                             format="json", HTTP_IF_MATCH=stale)
    response = client_for(writer).patch(f"/api/v1/stories/{story.pk}/",
                                        {"body": "My rewrite."}, format="json",
                                        HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    body = response.json()
    assert "Desk Editor saved a newer version" in body["detail"]
    assert body["etag"] == response["ETag"] != stale
    assert body["refused"] == {"body": "My rewrite."}
    assert Story.objects.get(pk=story.pk).body == BODY
    assert Revision.objects.filter(story=story).count() == 2


def test_patch_without_if_match_answers_428(make, writer):
    story = make("draft")
    response = client_for(writer).patch(f"/api/v1/stories/{story.pk}/", {"dek": "x"},
                                        format="json")
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert Revision.objects.filter(story=story).count() == 1


def test_patch_invalid_input_names_the_field(make, writer):
    story = make("draft")
    response = client_for(writer).patch(
        f"/api/v1/stories/{story.pk}/", {"sources": ["not-in-library"]}, format="json",
        HTTP_IF_MATCH=f'"{story.latest_revision.content_hash}"')
    assert response.status_code == 400
    assert "sources" in response.json()["errors"]
    assert "not-in-library" in response.json()["detail"]


# --- public --------------------------------------------------------------------------------


def test_public_story_answers_304_when_unchanged(make, client):
    story = make("published")
    first = client.get(f"/api/v1/public/stories/{story.slug}/")
    assert first.status_code == 200
    assert "public" in first["Cache-Control"] and "max-age" in first["Cache-Control"]
    again = client.get(f"/api/v1/public/stories/{story.slug}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""


def test_public_story_etag_changes_on_retraction(make, client, editor):
    from stories import services

    story = make("published")
    etag = client.get(f"/api/v1/public/stories/{story.slug}/")["ETag"]
    services.story_retract(story_id=story.pk, user=editor, reason="Wrong figures.")
    response = client.get(f"/api/v1/public/stories/{story.slug}/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["retraction"]["reason"] == "Wrong figures."


def test_public_story_shows_live_revision_reviewers_and_sources(make, client, writer, editor):
    story = make("published")
    client_for(writer).patch(f"/api/v1/stories/{story.pk}/", {"title": "Unreviewed title"},
                             format="json", HTTP_IF_MATCH="*")
    data = client.get(f"/api/v1/public/stories/{story.slug}/").json()
    assert data["title"] == "Harbour cranes arrive"
    assert data["reviewed_by"] == ["First Reviewer"]
    assert data["sources"][0]["number"] == 1
    assert data["sources"][0]["key"] == "port-annual"
    assert 'class="claim"' in data["html"]


@pytest.mark.parametrize("state", ["draft", "in_review", "approved"])
def test_public_never_shows_unpublished(make, client, state):
    story = make(state)
    assert client.get(f"/api/v1/public/stories/{story.slug}/").status_code == 404
    assert client.get("/api/v1/public/stories/").json()["count"] == 0


# --- sources -------------------------------------------------------------------------------


def test_source_create_search_and_filter(writer, django_capture_on_commit_callbacks,
                                        monkeypatch):
    from sources import tasks

    client = client_for(writer)
    queued = []
    monkeypatch.setattr(tasks.capture_source, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/sources/", {
            "key": "reuters-wu", "url": "https://www.reuters.com/a", "title": "Capex plan",
            "outlet": "Reuters", "kind": "report"}, format="json")
    assert response.status_code == 201
    source = Source.objects.get(key="reuters-wu")
    assert queued == [(source.pk,)]  # a snapshot is queued for the worker
    SourceFactory(key="other", outlet="Bloomberg")
    assert [s["key"] for s in client.get("/api/v1/sources/?q=capex").json()["results"]] == [
        "reuters-wu"]
    assert client.get("/api/v1/sources/?outlet=reuters").json()["count"] == 1
    assert client.get("/api/v1/sources/?kind=report").json()["count"] == 1
    assert client.get("/api/v1/sources/?health=broken").json()["count"] == 0
    assert client.get("/api/v1/sources/?kind=poem").status_code == 400


def test_source_create_refuses_a_taken_key(writer):
    SourceFactory(key="reuters-wu")
    response = client_for(writer).post("/api/v1/sources/", {
        "key": "Reuters-WU", "url": "https://www.reuters.com/b", "title": "x"}, format="json")
    assert response.status_code == 400
    assert "key" in response.json()["errors"]


def test_source_patch_and_detail_with_snapshots(writer):
    from sources.models import Snapshot

    source = SourceFactory(key="port-annual")
    Snapshot.objects.create(source=source, requested_url=source.url, status_code=200,
                            sha256="ab" * 32, size=10)
    client = client_for(writer)
    response = client.patch("/api/v1/sources/port-annual/", {"outlet": "Port Authority"},
                            format="json", HTTP_IF_MATCH=f'"{source.version}"')
    assert response.status_code == 200
    assert response.json()["outlet"] == "Port Authority"
    snapshot = response.json()["snapshots"][0]
    assert snapshot["status_code"] == 200
    assert snapshot["archive_url"].endswith(f"/sources/snapshots/{snapshot['id']}/")
    assert Event.objects.filter(action="source_update").count() == 1


def test_source_capture_queues_a_snapshot(writer, django_capture_on_commit_callbacks):
    SourceFactory(key="port-annual")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(writer).post("/api/v1/sources/port-annual/capture/")
    assert response.status_code == 202
    assert len(callbacks) == 1
    assert client_for(writer).post("/api/v1/sources/missing/capture/").status_code == 404


def test_sources_need_a_signed_in_staff_member(db, client):
    assert client.get("/api/v1/sources/").status_code == 401
    response = client.post("/api/v1/sources/", {"key": "a", "title": "b"},
                           content_type="application/json")
    assert response.status_code == 401
    assert Source.objects.count() == 0


# --- shapes --------------------------------------------------------------------------------


def test_claims_shape(make, reviewer):
    story = make("approved")
    data = client_for(reviewer).get(f"/api/v1/stories/{story.pk}/claims/").json()
    claim = data["claims"][0]
    assert claim["ordinal"] == 1
    assert claim["sources"] == [1]
    assert claim["checks"][0]["reviewer"] == "reviewer"
    assert claim["checks"][0]["verdict"] == "supported"
    assert claim["evidence"][0]["source"] == 1
    assert claim["evidence"][0]["status"] == "no_snapshot"
    assert data["errors"] == [] and isinstance(data["warnings"], list)


def test_claims_evidence_comes_from_sources_selectors(make, reviewer, monkeypatch):
    from sources import selectors

    story = make("in_review")
    monkeypatch.setattr(selectors, "claim_evidence", lambda revision: {
        1: [{"source": 1, "status": "found", "excerpt": "4.2 million"}]})
    data = client_for(reviewer).get(f"/api/v1/stories/{story.pk}/claims/").json()
    assert data["claims"][0]["evidence"][0]["status"] == "found"


def test_audit_lists_events_oldest_first_with_denials(make, writer):
    story = make("in_review")
    client_for(writer).post(f"/api/v1/stories/{story.pk}/reviews/",
                            {"decision": "approve"}, format="json")
    events = client_for(writer).get(f"/api/v1/stories/{story.pk}/audit/").json()["results"]
    assert [e["action"] for e in events] == ["revision", "submit", "approve.denied"]
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    assert events[2]["actor"] == "writer"
    assert events[2]["actor_name"] == "Staff Writer"


def test_revisions_and_diff(make, writer):
    story = make("draft")
    client = client_for(writer)
    client.patch(f"/api/v1/stories/{story.pk}/", {"title": "Cranes double capacity"},
                 format="json", HTTP_IF_MATCH="*")
    revisions = client.get(f"/api/v1/stories/{story.pk}/revisions/").json()["results"]
    assert [r["number"] for r in revisions] == [2, 1]
    diff = client.get(f"/api/v1/stories/{story.pk}/revisions/diff/?from=1&to=2").json()
    assert "-# Harbour cranes arrive" in diff["diff"]
    assert "+# Cranes double capacity" in diff["diff"]
    assert client.get(f"/api/v1/stories/{story.pk}/revisions/diff/?from=1&to=9"
                      ).status_code == 404
    assert client.get(f"/api/v1/stories/{story.pk}/revisions/diff/?from=x&to=2"
                      ).status_code == 400


@pytest.mark.parametrize("body", [
    "[1, 2]", '"text"', "{", '{"title": 5, "sources": {"a": 1}}', '{"title": null}',
    '{"title": "x", "sources": [1, {"a": 2}]}', '{"title": "x", "body": "a\\u0000b"}',
    '{"title": "x", "slug": "no spaces allowed"}',
])
def test_malformed_story_input_answers_400(writer, body):
    response = client_for(writer).post("/api/v1/stories/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert Story.objects.count() == 0


@pytest.mark.parametrize("body", [
    '{"decision": "approve", "checks": "all"}', '{"decision": "approve", "checks": [1, 2]}',
    '{"decision": "approve", "checks": [{"claim": "one", "verdict": "supported"}]}',
    '{"decision": "maybe"}', '{"decision": "approve", "checks": [{"claim": 99999999999999999999,'
    ' "verdict": "supported"}]}',
])
def test_malformed_review_input_answers_400(make, reviewer, body):
    story = make("in_review")
    response = client_for(reviewer).post(f"/api/v1/stories/{story.pk}/reviews/", body,
                                         content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_huge_page_number_answers_404(writer):
    response = client_for(writer).get("/api/v1/stories/?page=99999999999999999999999")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_unknown_api_address_answers_json_404(writer):
    response = client_for(writer).get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["detail"]


# --- N+1 guards ----------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_story_list_queries_do_not_grow_with_rows(writer, reviewer, editor):
    client = client_for(editor)
    for i in range(10):
        story_in("draft", author=writer, reviewer=reviewer, editor=editor, title=f"S{i}")
    ten = _queries(client, "/api/v1/stories/?page_size=200")
    for i in range(10, 100):
        story_in("draft", author=writer, reviewer=reviewer, editor=editor, title=f"S{i}")
    assert _queries(client, "/api/v1/stories/?page_size=200") == ten


def test_source_list_queries_do_not_grow_with_rows(writer):
    client = client_for(writer)
    SourceFactory.create_batch(10, added_by=writer)
    ten = _queries(client, "/api/v1/sources/?page_size=200")
    SourceFactory.create_batch(90, added_by=writer)
    assert _queries(client, "/api/v1/sources/?page_size=200") == ten


def test_public_list_queries_do_not_grow_with_rows(writer, reviewer, editor, client):
    for i in range(3):
        story_in("published", author=writer, reviewer=reviewer, editor=editor, title=f"P{i}")
    three = _queries(client, "/api/v1/public/stories/")
    for i in range(3, 12):
        story_in("published", author=writer, reviewer=reviewer, editor=editor, title=f"P{i}")
    assert _queries(client, "/api/v1/public/stories/") == three


def test_updated_since_with_an_offset_postgresql_refuses_is_compared_in_utc(writer):
    story_in("draft", author=writer, reviewer=None, editor=None)
    response = client_for(writer).get(
        "/api/v1/stories/", {"updated_since": "2001-07-20T13:22:16+21:28"}
    )
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_claims_warn_when_a_claims_figures_are_not_in_the_cited_snapshot(writer):
    from sources.models import Snapshot

    story = story_in("draft", author=writer, reviewer=None, editor=None)
    source = Source.objects.get(key="port-annual")
    Snapshot.objects.create(source=source, requested_url=source.url, status_code=200,
                            final_url=source.url, content_type="text/html",
                            text="Nothing about containers here at all.")
    services.story_update(story_id=story.pk, user=writer, base_revision=latest_hash(story))
    warnings = client_for(writer).get(f"/api/v1/stories/{story.pk}/claims/").json()["warnings"]
    assert "figures_not_found" in {w["code"] for w in warnings}


def test_capture_request_is_audited(writer, django_capture_on_commit_callbacks, monkeypatch):
    from sources import tasks

    monkeypatch.setattr(tasks.capture_source, "delay", lambda *a, **k: None)
    SourceFactory(key="to-capture")
    response = client_for(writer).post("/api/v1/sources/to-capture/capture/")
    assert response.status_code == 202
    assert Event.objects.filter(action="source_capture_request").count() == 1


def test_story_sources_export_as_csl_json_in_number_order(writer):
    SourceFactory(key="second-source", title="Second")
    story = story_in("draft", author=writer, reviewer=None, editor=None,
                     body="Cranes arrived [@port-annual]. Ships waited [@second-source].")
    items = client_for(writer).get(f"/api/v1/stories/{story.pk}/csl/").json()
    assert [(i["id"], i["citation-number"]) for i in items] == [
        ("port-annual", 1), ("second-source", 2),
    ]


def test_source_detail_shows_its_link_health_history_newest_first(writer):
    from sources.models import LinkCheck

    source = SourceFactory(key="checked")
    LinkCheck.objects.create(source=source, status="ok", status_code=200)
    LinkCheck.objects.create(source=source, status="broken", status_code=404)
    body = client_for(writer).get("/api/v1/sources/checked/").json()
    assert [c["status"] for c in body["link_checks"]] == ["broken", "ok"]


@pytest.mark.parametrize("header", ["Token not-a-real-token", "Basic Zm9vOmJhcg==", "Token"])
def test_signing_in_ignores_a_bad_authorization_header(writer, header):
    from rest_framework.test import APIClient

    writer.set_password("correct-horse-battery")
    writer.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.post("/api/v1/auth/token/", {"username": "writer",
                                                   "password": "correct-horse-battery"},
                           format="json")
    assert response.status_code == 200
    assert response.json()["token"]


def test_publish_at_a_time_already_past_answers_published_with_when_it_went_live(make, editor):
    story = make("approved")
    asked = "2020-01-01T09:00:00Z"

    response = client_for(editor).post(
        f"/api/v1/stories/{story.pk}/publish/",
        {"revision": story.approved_revision.content_hash, "publish_at": asked}, format="json")

    body = response.json()
    assert response.status_code == 200
    assert (body["state"], body["publish_at"]) == ("published", None)
    assert body["live_updated_at"] > asked
    audit = client_for(editor).get(f"/api/v1/stories/{story.pk}/audit/").json()["results"]
    publish = next(e for e in audit if e["action"] == "publish")
    assert publish["details"]["publish_at"] == "2020-01-01T09:00:00+00:00"
    assert publish["details"]["publish_at_passed"] is True


def test_a_claim_note_past_the_limit_answers_400_naming_the_note(make, reviewer):
    story = make("in_review")
    claims = client_for(reviewer).get(f"/api/v1/stories/{story.pk}/claims/").json()

    response = client_for(reviewer).post(f"/api/v1/stories/{story.pk}/reviews/", {
        "decision": "comment", "revision": claims["revision"],
        "checks": [{"claim": claims["claims"][0]["id"], "verdict": "supported",
                    "note": "n" * 10_001}]}, format="json")

    body = response.json()
    assert response.status_code == 400
    assert body["errors"]["checks"]["0"]["note"] == [
        "The note has 10,001 characters; a note holds at most 10,000."]
    assert "note" in body["detail"]
    assert not story.reviews.exists()


def test_the_schema_states_the_claim_note_and_comment_limits(client):
    components = client.get("/api/schema/?format=json").json()["components"]["schemas"]

    assert components["CheckInputRequest"]["properties"]["note"]["maxLength"] == 10_000
    assert components["ReviewInputRequest"]["properties"]["comment"]["maxLength"] == 20_000
    assert components["CommentInputRequest"]["properties"]["text"]["maxLength"] == 10_000
    assert components["CommentReplyInputRequest"]["properties"]["text"]["maxLength"] == 10_000
    assert components["PublishInputRequest"]["properties"]["note"]["maxLength"] == 5_000
    assert components["RetractInputRequest"]["properties"]["reason"]["maxLength"] == 5_000


@pytest.mark.parametrize("state, action, field, message", [
    ("approved", "publish", "note",
     "The note has 5,001 characters; a correction or update note holds at most 5,000."),
    ("published", "retract", "reason",
     "The reason has 5,001 characters; a retraction reason holds at most 5,000."),
])
def test_a_public_note_past_the_limit_answers_400_in_the_desks_words(make, editor, state,
                                                                     action, field, message):
    story = make(state)
    response = client_for(editor).post(f"/api/v1/stories/{story.pk}/{action}/", {
        "revision": approved_hash(story), field: "n" * 5_001}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]


@pytest.mark.parametrize("path", ["comments/", "comments/{thread}/replies/"])
def test_a_comment_past_the_limit_answers_400_in_the_desks_words(make, reviewer, path):
    story = make("in_review")
    thread = services.comment_start(story_id=story.pk, user=reviewer, text="Source?",
                                    revision=latest_hash(story),
                                    quote=story.latest_revision.claims.first().text[:10])
    response = client_for(reviewer).post(
        f"/api/v1/stories/{story.pk}/" + path.format(thread=thread.pk),
        {"text": "t" * 10_001, "revision": latest_hash(story), "quote": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["text"] == [
        "This comment has 10,001 characters; a comment holds at most 10,000."]


def test_a_review_comment_past_the_limit_answers_400_in_the_admins_words(make, reviewer):
    story = make("in_review")
    response = client_for(reviewer).post(f"/api/v1/stories/{story.pk}/reviews/", {
        "decision": "request_changes", "comment": "x" * 20_001}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["comment"] == [
        "The comment has 20,001 characters; a comment holds at most 20,000."]
    assert not story.reviews.exists()
