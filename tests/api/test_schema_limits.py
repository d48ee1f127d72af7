"""The OpenAPI schema states the limits the API enforces, so a client generated from it knows
what the server refuses: id bounds, page bounds, string lengths, list lengths, and the
throttle, size and precondition refusals with their bodies and headers."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from audit import transparency as log
from audit.api import LARGEST_ID, NewsroomPagination
from audit.paging import LIMIT
from stories.api.transparency import MAX_PAGE
from tests.api.conftest import client_for


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        cache.clear()
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def parameter(operation, name, where):
    return next(p for p in operation["parameters"] if p["name"] == name and p["in"] == where)


def component(schema, ref):
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def body_schema(schema, response):
    return component(schema, response["content"]["application/json"]["schema"]["$ref"])


# --- ids -------------------------------------------------------------------------------------


def test_every_integer_path_parameter_is_an_id_from_1_to_largest_id(schema):
    seen = []
    for label, operation in operations(schema):
        for p in operation.get("parameters", []):
            if p["in"] == "path" and p["schema"]["type"] == "integer":
                assert p["schema"]["minimum"] == 1, label
                assert p["schema"]["maximum"] == LARGEST_ID == 2**63 - 1, label
                seen.append((label, p["name"]))
    assert ("GET /api/v1/stories/{id}/", "id") in seen
    assert ("GET /api/v1/reports/{id}/", "id") in seen
    assert ("POST /api/v1/stories/{id}/comments/{thread_id}/replies/", "thread_id") in seen


def test_story_filter_of_reports_is_an_id(schema):
    story = parameter(schema["paths"]["/api/v1/reports/"]["get"], "story", "query")
    assert (story["schema"]["minimum"], story["schema"]["maximum"]) == (1, LARGEST_ID)


@pytest.mark.parametrize(("component_name", "field"), [
    ("CommentInputRequest", "claim"),
    ("ReportInputRequest", "claim"),
    ("CheckInputRequest", "claim"),
])
def test_claim_ids_in_bodies_are_bounded(schema, component_name, field):
    prop = schema["components"]["schemas"][component_name]["properties"][field]
    assert (prop["minimum"], prop["maximum"]) == (1, LARGEST_ID)


@pytest.mark.django_db
def test_a_comment_on_a_claim_id_past_the_largest_is_refused_naming_claim(make, reviewer):
    cache.clear()
    story = make("in_review")
    response = client_for(reviewer).post(
        f"/api/v1/stories/{story.pk}/comments/",
        {"text": "Source?", "claim": LARGEST_ID + 1,
         "revision": story.latest_revision.content_hash}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["claim"]


# --- pages -----------------------------------------------------------------------------------


LISTS = ["/api/v1/stories/", "/api/v1/sources/", "/api/v1/reports/", "/api/v1/public/stories/",
         "/api/v1/stories/{id}/audit/", "/api/v1/stories/{id}/revisions/"]


@pytest.mark.parametrize("path", LISTS)
def test_lists_document_their_page_bounds(schema, path):
    operation = schema["paths"][path]["get"]
    page = parameter(operation, "page", "query")["schema"]
    size = parameter(operation, "page_size", "query")["schema"]
    assert (page["minimum"], page["maximum"]) == (1, LIMIT)
    assert (size["minimum"], size["maximum"]) == (1, NewsroomPagination.max_page_size)
    count = body_schema(schema, operation["responses"]["200"])["properties"]["count"]
    assert count["maximum"] == LIMIT


def test_transparency_entries_document_their_bounds(schema):
    operation = schema["paths"]["/api/v1/public/transparency/entries/"]["get"]
    start = parameter(operation, "start", "query")["schema"]
    limit = parameter(operation, "limit", "query")["schema"]
    assert (start["minimum"], start["maximum"]) == (0, log.MAX_SIZE)
    assert (limit["minimum"], limit["maximum"]) == (1, MAX_PAGE)
    size = parameter(schema["paths"]["/api/v1/public/transparency/tree-head/"]["get"], "size",
                     "query")["schema"]
    assert (size["minimum"], size["maximum"]) == (0, log.MAX_SIZE)


def test_a_revision_diff_documents_the_revision_numbers_it_takes(schema):
    operation = schema["paths"]["/api/v1/stories/{id}/revisions/diff/"]["get"]
    for name in ("from", "to"):
        number = parameter(operation, name, "query")
        assert number["required"] is True
        assert (number["schema"]["minimum"], number["schema"]["maximum"]) == (1, 1_000_000)


# --- lengths ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "name", "length"), [
    ("/api/v1/stories/", "author", 150),
    ("/api/v1/sources/", "q", 200),
    ("/api/v1/sources/", "outlet", 200),
])
def test_text_filters_document_their_max_length(schema, path, name, length):
    assert parameter(schema["paths"][path]["get"], name, "query")["schema"]["maxLength"] == length


def test_lists_in_bodies_document_their_max_items(schema):
    checks = schema["components"]["schemas"]["ReviewInputRequest"]["properties"]["checks"]
    assert checks["maxItems"] == 5000


# --- refusals: throttles, size, preconditions ------------------------------------------------


def test_every_operation_documents_its_throttle_429_with_retry_after(schema):
    for label, operation in operations(schema):
        throttled = operation["responses"].get("429")
        assert throttled, label
        assert "Retry-After" in throttled["headers"], label
        assert body_schema(schema, throttled)["required"] == ["detail"], label


def test_every_json_write_documents_413_and_415(schema):
    writes = [(label, op) for label, op in operations(schema) if "requestBody" in op]
    assert len(writes) > 10
    for label, operation in writes:
        assert {"413", "415"} <= set(operation["responses"]), label


def test_story_edit_documents_its_preconditions(schema):
    patch = schema["paths"]["/api/v1/stories/{id}/"]["patch"]
    if_match = parameter(patch, "If-Match", "header")
    assert if_match["required"] is True
    assert {"412", "428"} <= set(patch["responses"])
    stale = patch["responses"]["412"]
    assert "ETag" in stale["headers"]
    assert {"detail", "etag", "revision", "revision_number", "refused"} <= set(
        body_schema(schema, stale)["properties"])
    assert "ETag" in patch["responses"]["200"]["headers"]


@pytest.mark.parametrize("path", ["/api/v1/stories/{id}/reviews/",
                                  "/api/v1/stories/{id}/publish/",
                                  "/api/v1/stories/{id}/comments/"])
def test_writes_naming_a_revision_document_412_with_the_current_one(schema, path):
    operation = schema["paths"][path]["post"]
    assert parameter(operation, "If-Match", "header").get("required", False) is False
    stale = body_schema(schema, operation["responses"]["412"])
    assert {"detail", "etag", "revision", "revision_number"} <= set(stale["properties"])


@pytest.mark.parametrize("path, which", [("/api/v1/stories/{id}/reviews/", "in review"),
                                         ("/api/v1/stories/{id}/publish/", "approved"),
                                         ("/api/v1/stories/{id}/comments/", "latest")])
def test_writes_naming_a_revision_document_if_match_lists_and_star(schema, path, which):
    described = parameter(schema["paths"][path]["post"], "If-Match", "header")["description"]
    assert "A list of tags holds when any of them is" in described and which in described
    assert "`*` names no revision" in described


@pytest.mark.django_db
def test_a_stale_edit_answers_the_documented_412(make, writer, schema):
    cache.clear()
    story = make("draft")
    response = client_for(writer).patch(f"/api/v1/stories/{story.pk}/", {"title": "New"},
                                        format="json", HTTP_IF_MATCH='"0000"')
    assert response.status_code == 412
    documented = body_schema(
        schema, schema["paths"]["/api/v1/stories/{id}/"]["patch"]["responses"]["412"])
    assert set(response.json()) <= set(documented["properties"])
    assert set(documented["required"]) <= set(response.json())
    assert response["ETag"] == response.json()["etag"]


def test_report_text_that_may_be_blank_has_no_format_a_blank_breaks(schema):
    # A report without a suggested source or e-mail (or once closed) shows "" for them: a
    # `uri` or `email` format would make that answer contradict the schema.
    report = schema["components"]["schemas"]["Report"]["properties"]
    assert "format" not in report["suggested_url"]
    assert "format" not in report["email"]


# --- the documented bounds are the enforced ones -------------------------------------------

# Query bounds a request may pass, with what the server does instead of refusing.
LENIENT = {
    "page_size": "a larger ask is served the maximum",
}


def _real_path(path, story, revision):
    return (path.replace("{id}", str(story.pk)).replace("{key}", "port-annual")
            .replace("{slug}", story.slug).replace("{revision}", revision))


@pytest.fixture
def published(make, editor):
    """A published story, and an editor's client to read every operation about it with."""
    cache.clear()
    return make("published"), client_for(editor)


@pytest.mark.django_db
def test_one_past_each_documented_query_bound_is_refused_naming_it(schema, published):
    story, client = published
    checked = []
    for label, operation in operations(schema):
        method, path = label.split(" ", 1)
        if method != "GET":
            continue
        for p in operation.get("parameters", []):
            bounds = p["schema"]
            if p["in"] != "query" or p["name"] in LENIENT:
                continue
            if "maxLength" in bounds:
                value = "a" * (bounds["maxLength"] + 1)
            elif "maximum" in bounds:
                value = bounds["maximum"] + 1
            else:
                continue
            query = {q["name"]: q["schema"].get("minimum", 0)
                     for q in operation["parameters"] if q.get("required") and q["in"] == "query"}
            if p["name"] == "revision":
                query["story"] = story.slug  # read only with a story
            response = client.get(_real_path(path, story, story.latest_revision.content_hash),
                                  {**query, p["name"]: value})
            assert response.status_code in (400, 404), (label, p["name"], response.content)
            body = response.json()
            if response.status_code == 400:
                assert p["name"] in body["errors"], (label, p["name"], body)
            else:
                assert p["name"] == "page", (label, p["name"], body)
            checked.append((label, p["name"]))
    assert ("GET /api/v1/sources/", "q") in checked
    assert ("GET /api/v1/public/transparency/entries/", "limit") in checked
    assert ("GET /api/v1/stories/", "page") in checked
    assert ("GET /api/v1/stories/", "author") in checked
    assert ("GET /api/v1/public/transparency/proofs/inclusion/", "revision") in checked
    assert ("GET /api/v1/reports/", "story") in checked
    assert ("GET /api/v1/stories/{id}/revisions/diff/", "from") in checked


@pytest.mark.django_db
def test_an_id_past_the_largest_in_any_path_is_a_404(schema, published):
    story, client = published
    checked = []
    for label, operation in operations(schema):
        method, path = label.split(" ", 1)
        for p in operation.get("parameters", []):
            if p["in"] != "path" or p["schema"]["type"] != "integer":
                continue
            url = _real_path(path.replace(f"{{{p['name']}}}", str(LARGEST_ID + 1)), story,
                             story.latest_revision.content_hash)
            url = url.replace("{thread_id}", "1")
            response = getattr(client, method.lower())(url, {}, format="json")
            assert response.status_code == 404, (label, p["name"], response.content)
            assert response.json()["detail"]
            checked.append((label, p["name"]))
    assert ("PATCH /api/v1/stories/{id}/", "id") in checked
    assert ("POST /api/v1/reports/{id}/dismiss/", "id") in checked
    assert ("POST /api/v1/stories/{id}/comments/{thread_id}/resolve/", "thread_id") in checked


def test_source_edit_documents_an_optional_if_match_and_its_412(schema):
    operation = schema["paths"]["/api/v1/sources/{key}/"]
    patch = operation["patch"]
    assert parameter(patch, "If-Match", "header").get("required", False) is False
    assert "412" in patch["responses"] and "428" not in patch["responses"]
    stale = patch["responses"]["412"]
    assert "ETag" in stale["headers"]
    assert {"detail", "etag", "refused"} <= set(body_schema(schema, stale)["properties"])
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert "ETag" in operation["get"]["responses"]["200"]["headers"]


def test_a_source_date_is_documented_as_yyyy_mm_dd(schema):
    for name in ("SourceWriteRequest", "PatchedSourceWriteRequest"):
        date = schema["components"]["schemas"][name]["properties"]["published_on"]
        assert date["format"] == "date"
        assert date["pattern"] == r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$"
        assert "YYYY-MM-DD" in date["description"]


@pytest.mark.parametrize("path, code", [("/api/v1/stories/{id}/reviews/", "201"),
                                        ("/api/v1/stories/{id}/comments/", "201"),
                                        ("/api/v1/stories/{id}/comments/{thread_id}/replies/",
                                         "201"),
                                        ("/api/v1/reports/{id}/reply/", "200")])
def test_writes_taking_an_idempotency_key_document_the_replay_header(schema, path, code):
    operation = schema["paths"][path]["post"]
    assert parameter(operation, "Idempotency-Key", "header")
    replayed = operation["responses"][code]["headers"]["Idempotent-Replayed"]
    assert replayed["schema"]["enum"] == ["true"]
    assert "replay" in replayed["description"]
