import pytest
from django.core.cache import cache
from django.urls import reverse

from audit.models import Event
from stories.models import Draft, Revision
from tests.api.conftest import client_for
from tests.factories import SourceFactory, latest_hash, make_story

pytestmark = pytest.mark.django_db

BODY = ("The port handled 4.2 million containers in 2024 [@port-annual].\n\n"
        "Cranes cost more [@nowhere].")


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def story(writer):
    SourceFactory(key="port-annual", title="Annual report 2024", outlet="Eastmere Port")
    return make_story(writer, body="Old text.", sources=["port-annual"])


def check_url(story=None):
    if story is None:
        return reverse("api-story-editor-check-new")
    return reverse("api-story-editor-check", args=[story.pk])


def test_check_reports_claims_sources_and_problems_without_a_revision(writer, story):
    revisions = Revision.objects.count()
    response = client_for(writer).post(check_url(story), {"body": BODY,
                                                          "sources": ["port-annual"]},
                                       format="json")
    assert response.status_code == 200
    data = response.json()
    assert [c["text"] for c in data["claims"]] == [
        "The port handled 4.2 million containers in 2024"]
    assert data["claims"][0]["sources"] == [{"key": "port-annual", "number": 1, "locator": ""}]
    assert data["sources"][0]["title"] == "Annual report 2024"
    error = data["errors"][0]
    assert error["message"] == 'Line 3, column 18: unknown source key "nowhere" in "[@nowhere]".'
    assert BODY[error["from"]:error["to"]] == "[@nowhere]"
    assert Revision.objects.count() == revisions


def test_check_messages_are_the_ones_a_save_records(writer, story):
    data = client_for(writer).post(check_url(story), {"body": BODY, "sources": ["port-annual"]},
                                   format="json").json()
    from stories import services
    services.story_update(story_id=story.pk, user=writer, base_revision=latest_hash(story),
                          body=BODY)
    story.refresh_from_db()
    saved = story.latest_revision
    assert [e["message"] for e in data["errors"]] == [e["message"] for e in saved.errors]
    assert [w["message"] for w in data["warnings"]] == [w["message"] for w in saved.warnings]


def snapshot_of(key, text):
    from sources.models import Snapshot, Source

    source = Source.objects.get(key=key)
    return Snapshot.objects.create(source=source, requested_url=source.url, status_code=200,
                                   final_url=source.url, content_type="text/html", text=text)


EVIDENCE_BODY = ("The port handled 4.2 million containers in 2024 [@port-annual].\n\n"
                 "Dredging cost 12% more than planned [@port-annual].\n\n"
                 "The harbour is busy [@port-annual].\n")


@pytest.mark.parametrize("body", [BODY, "A NUL \x00 in the body [@port-annual]."])
def test_check_leaves_the_garbage_collector_on_whatever_it_answers(writer, story, body):
    import gc

    response = client_for(writer).post(check_url(story), {"body": body,
                                                          "sources": ["port-annual"]},
                                       format="json")
    assert response.status_code == (200 if "\x00" not in body else 400)
    assert gc.isenabled()


def test_check_warns_of_figures_the_cited_snapshot_does_not_have(writer, story):
    snapshot_of("port-annual", "In 2024 the port handled 4.2 million containers.")
    data = client_for(writer).post(check_url(story), {"body": EVIDENCE_BODY,
                                                      "sources": ["port-annual"]},
                                   format="json").json()
    evidence = [w for w in data["warnings"] if w["code"] == "figures_not_found"]
    assert [w["message"] for w in evidence] == [
        "Claim 2: not found in any cited source's snapshot: 12%"]
    assert (evidence[0]["line"], evidence[0]["column"]) == (3, 1)
    assert EVIDENCE_BODY[evidence[0]["from"]:evidence[0]["to"]] == (
        "Dredging cost 12% more than planned")
    assert evidence[0]["claim"] == 2


def test_check_evidence_warnings_are_the_ones_a_review_shows(writer, story):
    from stories import services

    snapshot_of("port-annual", "Nothing about containers or dredging here at all.")
    checked = client_for(writer).post(check_url(story), {"body": EVIDENCE_BODY,
                                                         "sources": ["port-annual"]},
                                      format="json").json()["warnings"]
    services.story_update(story_id=story.pk, user=writer, base_revision=latest_hash(story),
                          body=EVIDENCE_BODY)
    saved = client_for(writer).get(f"/api/v1/stories/{story.pk}/claims/").json()["warnings"]

    def evidence(warnings):
        return [(w["message"], w["line"], w["column"]) for w in warnings
                if w["code"] == "figures_not_found"]

    assert len(evidence(checked)) == 2
    assert evidence(checked) == evidence(saved)


def test_check_does_not_judge_a_claim_whose_source_has_no_snapshot(writer, story):
    data = client_for(writer).post(check_url(story), {"body": EVIDENCE_BODY,
                                                      "sources": ["port-annual"]},
                                   format="json").json()
    assert "figures_not_found" not in {w["code"] for w in data["warnings"]}


def test_check_ranges_count_utf16_like_the_browser(writer, story):
    body = "Emoji 🚢 first, then a bad key [@nope]."
    data = client_for(writer).post(check_url(story), {"body": body}, format="json").json()
    error = data["errors"][0]
    # The ship is one code point but two UTF-16 units.
    assert body.encode("utf-16-le")[error["from"] * 2:error["to"] * 2].decode("utf-16-le") \
        == "[@nope]"


def test_check_takes_the_admin_forms_source_ids(writer, story):
    other = SourceFactory(key="ledger")
    body = "A claim [@ledger]. Another [@port-annual]."
    ids = [other.pk, story.source_entries.get().source_id]
    data = client_for(writer).post(check_url(story), {"body": body, "source_ids": ids},
                                   format="json").json()
    assert [s["key"] for s in data["sources"]] == ["ledger", "port-annual"]
    assert data["in_reading_order"] is True


def test_check_notes_a_source_appended_out_of_reading_order(writer, story):
    SourceFactory(key="ledger")
    SourceFactory(key="council")
    body = "First [@port-annual]. Second [@council]. Third [@ledger]."
    data = client_for(writer).post(check_url(story), {
        "body": body, "sources": ["port-annual", "ledger"]}, format="json").json()
    assert data["reading_order"] == [1, 3, 2]
    assert data["in_reading_order"] is False
    assert data["renumbered"] == ["port-annual", "council", "ledger"]


def test_check_of_a_new_story_needs_only_a_writer(writer):
    SourceFactory(key="port-annual")
    response = client_for(writer).post(check_url(), {"body": "Rose 6% [@port-annual]."},
                                       format="json")
    assert response.status_code == 200
    assert response.json()["sources"][0]["key"] == "port-annual"


def test_check_is_refused_to_a_writer_who_is_not_an_author(other_writer, story):
    response = client_for(other_writer).post(check_url(story), {"body": BODY}, format="json")
    assert response.status_code in (403, 404)
    assert "detail" in response.json()


def test_check_is_refused_to_a_reviewer_and_audited_once(reviewer, story):
    from stories import services
    services.story_submit(story_id=story.pk, user=story.authors.first())
    response = client_for(reviewer).post(check_url(story), {"body": BODY}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the story's authors and editors can edit it."
    assert Event.objects.filter(action="check.denied", story=story).count() == 1


def test_check_needs_a_signed_in_user(story):
    response = client_for().post(check_url(story), {"body": BODY}, format="json")
    assert response.status_code in (401, 403)


def test_check_of_a_body_over_the_limit_is_refused_with_the_limit(writer, story, settings):
    settings.NEWSROOM_MAX_BODY_BYTES = 1000
    response = client_for(writer).post(check_url(story), {"body": "x" * 1001}, format="json")
    assert response.status_code == 400
    assert "the limit is 1,000 bytes" in response.json()["detail"]


def test_check_of_a_request_over_the_upload_limit_is_413(writer, story, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = client_for(writer).post(check_url(story), {"body": "x" * 20_000}, format="json")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"] or "over" in response.json()["detail"]


@pytest.mark.parametrize("body, message", [
    ("A NUL\x00 here [@port-annual].", "Null characters are not allowed"),
    ("[@x] " * 20_001, "citation markers"),
    ("[" * 10_001, "square brackets"),
    ("*_" * 25_001, "* and _ characters"),
])
def test_check_refuses_hostile_bodies_with_a_message(writer, story, body, message):
    response = client_for(writer).post(check_url(story), {"body": body}, format="json")
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_check_refuses_an_unpaired_surrogate_with_a_message(writer, story):
    response = client_for(writer).post(check_url(story), data=b'{"body": "broken \\ud800 x"}',
                                       content_type="application/json")
    assert response.status_code == 400
    assert "Surrogate characters are not allowed: U+D800" in response.json()["detail"]


def test_check_refuses_invalid_utf8_with_a_message(writer, story):
    response = client_for(writer).post(check_url(story), data=b'{"body": "caf\xe9"}',
                                       content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize("payload", [
    [], "body", {"body": None}, {"body": ["x"]}, {"body": "x", "sources": "port-annual"},
    {"body": "x", "source_ids": ["one"]}, {"body": "x", "sources": ["k"] * 2001},
])
def test_check_refuses_malformed_input_naming_the_field(writer, story, payload):
    response = client_for(writer).post(check_url(story), payload, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Invalid input.")


def test_check_is_throttled_per_writer(writer, story, settings):
    settings.NEWSROOM_CHECK_RATE = "3/minute"
    client = client_for(writer)
    codes = [client.post(check_url(story), {"body": "Fine."}, format="json").status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    last = client.post(check_url(story), {"body": "Fine."}, format="json")
    assert "throttled" in last.json()["detail"]


def test_check_of_a_story_nobody_has_is_404(writer):
    response = client_for(writer).post(reverse("api-story-editor-check", args=[999_999]),
                                       {"body": "x"}, format="json")
    assert response.status_code == 404


# --- the unsaved-text buffer -----------------------------------------------------------------


def draft_url(story=None):
    if story is None:
        return reverse("api-story-editor-draft-new")
    return reverse("api-story-editor-draft", args=[story.pk])


def test_draft_keeps_the_writers_text_without_a_revision_or_an_edit_event(writer, story):
    client = client_for(writer)
    revisions, events = Revision.objects.count(), Event.objects.count()
    saved = client.put(draft_url(story), {"title": "T", "dek": "", "body": "Unsaved words.",
                                          "base_revision": latest_hash(story)}, format="json")
    assert saved.status_code == 200
    again = client.get(draft_url(story)).json()
    assert again["body"] == "Unsaved words."
    assert again["base_revision"] == latest_hash(story)
    assert (Revision.objects.count(), Event.objects.count()) == (revisions, events)


def test_draft_is_replaced_not_piled_up(writer, story):
    client = client_for(writer)
    for text in ("one", "two", "three"):
        client.put(draft_url(story), {"body": text}, format="json")
    assert Draft.objects.filter(story=story).count() == 1
    assert client.get(draft_url(story)).json()["body"] == "three"


def test_draft_is_invisible_to_another_author(writer, other_writer, story):
    story.authors.add(other_writer)
    client_for(writer).put(draft_url(story), {"body": "Mine only."}, format="json")
    response = client_for(other_writer).get(draft_url(story))
    assert response.status_code == 200
    assert response.json()["kept"] is False
    assert response.json()["body"] == ""


def test_draft_of_someone_elses_story_is_refused(other_writer, story):
    response = client_for(other_writer).put(draft_url(story), {"body": "x"}, format="json")
    assert response.status_code in (403, 404)
    assert not Draft.objects.exists()


def test_draft_of_a_new_story_is_kept_and_dropped_when_the_story_is_created(writer):
    client = client_for(writer)
    client.put(draft_url(), {"title": "New", "body": "Typed before saving."}, format="json")
    assert client.get(draft_url()).json()["body"] == "Typed before saving."
    make_story(writer, body="Typed before saving.")
    assert client.get(draft_url()).json()["kept"] is False


def test_saving_the_story_drops_the_writers_draft(writer, story):
    from stories import services
    client_for(writer).put(draft_url(story), {"body": "New text."}, format="json")
    services.story_update(story_id=story.pk, user=writer, base_revision=latest_hash(story),
                          body="New text.")
    assert not Draft.objects.filter(story=story).exists()


def test_discarding_the_draft(writer, story):
    client = client_for(writer)
    client.put(draft_url(story), {"body": "x"}, format="json")
    assert client.delete(draft_url(story)).status_code == 204
    assert client.get(draft_url(story)).json()["kept"] is False


def test_no_draft_is_an_explicit_empty_answer_not_an_error(writer, story):
    response = client_for(writer).get(draft_url(story))
    assert response.status_code == 200
    assert response.json() == {"kept": False, "title": "", "dek": "", "body": "",
                               "base_revision": "", "updated_at": None}


def test_a_kept_draft_says_so(writer, story):
    client = client_for(writer)
    client.put(draft_url(story), {"body": "Kept."}, format="json")
    answer = client.get(draft_url(story)).json()
    assert (answer["kept"], answer["body"]) == (True, "Kept.")
    assert answer["updated_at"]


@pytest.mark.parametrize("payload, message", [
    ({"body": "nul\x00"}, "Null characters are not allowed"),
    ({"body": "x", "title": "t" * 301}, "300"),
    ({"body": {"a": 1}}, "Invalid input"),
])
def test_draft_refuses_bad_input_with_a_message(writer, story, payload, message):
    response = client_for(writer).put(draft_url(story), payload, format="json")
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_draft_over_the_limit_is_refused(writer, story, settings):
    settings.NEWSROOM_MAX_BODY_BYTES = 100
    response = client_for(writer).put(draft_url(story), {"body": "y" * 101}, format="json")
    assert response.status_code == 400
    assert "the limit is 100 bytes" in response.json()["detail"]


# --- the text a merge starts from ------------------------------------------------------------


def test_a_revision_text_by_hash_gives_its_title_dek_and_body(writer, story):
    from stories import services

    first = latest_hash(story)
    services.story_update(story_id=story.pk, user=writer, base_revision=first, body="Newer.")
    url = reverse("api-story-editor-revision-text", args=[story.pk, first])
    answer = client_for(writer).get(url).json()
    assert (answer["number"], answer["hash"], answer["body"]) == (1, first, "Old text.")


def test_a_revision_text_gives_its_source_list_with_library_ids(writer, story):
    from stories import services

    first = latest_hash(story)
    ledger = SourceFactory(key="ledger", title="The Ledger")
    services.story_update(story_id=story.pk, user=writer, base_revision=first,
                          source_keys=["ledger", "port-annual"])
    story.refresh_from_db()
    url = reverse("api-story-editor-revision-text", args=[story.pk, latest_hash(story)])
    answer = client_for(writer).get(url).json()
    assert answer["sources"] == [
        {"key": "ledger", "id": ledger.pk, "label": "ledger: The Ledger"},
        {"key": "port-annual", "id": story.source_entries.get(source__key="port-annual")
         .source_id, "label": "port-annual: Annual report 2024"},
    ]


def test_a_revision_text_of_an_unknown_hash_is_404(writer, story):
    url = reverse("api-story-editor-revision-text", args=[story.pk, "0" * 64])
    assert client_for(writer).get(url).status_code == 404


def test_a_revision_text_of_a_story_the_user_may_not_see_is_404(other_writer, story):
    url = reverse("api-story-editor-revision-text", args=[story.pk, latest_hash(story)])
    assert client_for(other_writer).get(url).status_code == 404


def test_check_underlines_a_direction_control_left_open_where_it_was_typed(writer, story):
    body = "Cranes arrived [@port-annual].\n\nFares rose \u202eten percent."
    data = client_for(writer).post(check_url(story), {"body": body, "sources": ["port-annual"]},
                                   format="json").json()
    [warning] = [w for w in data["warnings"] if w["code"] == "open_direction_control"]
    assert warning["message"].startswith(
        "Line 3, column 12: a right-to-left override (U+202E) is left open")
    assert body[warning["from"]:warning["to"]] == "\u202e"
