"""Hostile and malformed requests across the API and the admin: each is refused with a 4xx and
a message a person can act on, never a 500, and nothing is half-saved."""

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Count

from audit.models import Event
from sources.models import Source
from stories.models import Revision, Story
from tests.api.conftest import client_for
from tests.factories import SourceFactory, make_story
from tests.security.conftest import login

MB = 1_000_000
CYRILLIC_A = "\u0430"


def snapshot_counts() -> dict:
    events = {
        row["action"]: row["n"]
        for row in Event.objects.values("action").annotate(n=Count("id"))
        if not row["action"].endswith(".denied")
    }
    return {"stories": Story.objects.count(), "revisions": Revision.objects.count(),
            "sources": Source.objects.count(), "events": events,
            "titles": sorted(Story.objects.values_list("title", flat=True))}


@dataclass(frozen=True)
class Bad:
    """One hostile request: who sends it, where, what; the status range it must get."""

    name: str
    method: str
    path: str
    body: Any = None
    raw: bytes | None = None
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    who: str = "writer"
    expect: tuple = (400,)
    says: str = ""


def story_json(**fields):
    return {"title": "Harbour cranes arrive", "body": "Cranes [@port-annual].", **fields}


API = [
    Bad("body over 1 MB", "POST", "/api/v1/stories/", story_json(body="a" * (MB + 1)),
        says="body"),
    Bad("request over DATA_UPLOAD_MAX_MEMORY_SIZE", "POST", "/api/v1/stories/",
        raw=json.dumps(story_json(body="a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)))
        .encode(), expect=(413,), says="request body is over"),
    Bad("NUL in title", "POST", "/api/v1/stories/", story_json(title="Cranes\x00"),
        says="title"),
    Bad("NUL in body", "POST", "/api/v1/stories/", story_json(body="Cranes\x00 arrive."),
        says="body"),
    Bad("NUL in source key", "POST", "/api/v1/sources/",
        {"key": "port\x00annual", "title": "Report", "url": "https://example.org/r"},
        says="key"),
    Bad("invalid UTF-8 body", "POST", "/api/v1/stories/",
        raw=b'{"title": "Cranes \xff\xfe arrive", "body": ""}', says="JSON parse error"),
    Bad("truncated JSON", "POST", "/api/v1/stories/", raw=b'{"title": "Cranes', says="JSON"),
    Bad("JSON array instead of object", "POST", "/api/v1/stories/", raw=b"[1, 2, 3]"),
    Bad("not JSON at all", "POST", "/api/v1/stories/", raw=b"title=Cranes",
        content_type="text/plain", expect=(415,), says="Unsupported media type"),
    Bad("title as list", "POST", "/api/v1/stories/", story_json(title=["a", "b"]),
        says="title"),
    Bad("title as number", "POST", "/api/v1/stories/", story_json(title={"x": 1}),
        says="title"),
    Bad("sources as string", "POST", "/api/v1/stories/", story_json(sources="port-annual"),
        says="sources"),
    Bad("sources with 501 entries", "POST", "/api/v1/stories/",
        story_json(sources=[f"k{i}" for i in range(501)]), says="sources"),
    Bad("unknown source key", "POST", "/api/v1/stories/", story_json(sources=["no-such-key"]),
        says="sources"),
    Bad("title over 300 characters", "POST", "/api/v1/stories/", story_json(title="T" * 301),
        says="title"),
    Bad("slug over 200 characters", "POST", "/api/v1/stories/", story_json(slug="s" * 201),
        says="slug"),
    Bad("slug with path traversal", "POST", "/api/v1/stories/", story_json(slug="../../etc"),
        says="slug"),
    Bad("slug percent-encoded traversal", "POST", "/api/v1/stories/",
        story_json(slug="%2e%2e%2fetc"), says="slug"),
    Bad("source key over 80 characters", "POST", "/api/v1/sources/",
        {"key": "k" * 81, "title": "Report", "url": "https://example.org/r"}, says="key"),
    Bad("source key with path traversal", "POST", "/api/v1/sources/",
        {"key": "../etc/passwd", "title": "Report", "url": "https://example.org/r"},
        says="key"),
    Bad("source key differing only by case", "POST", "/api/v1/sources/",
        {"key": "Port-Annual", "title": "Report", "url": "https://example.org/other"},
        says="key"),
    Bad("source key with a Cyrillic a", "POST", "/api/v1/sources/",
        {"key": f"port-{CYRILLIC_A}nnual", "title": "Report", "url": "https://example.org/c"},
        says="key"),
    Bad("source key with full-width letters", "POST", "/api/v1/sources/",
        {"key": "\uff50ort-annual", "title": "Report", "url": "https://example.org/f"},
        says="key"),
    Bad("source URL javascript:", "POST", "/api/v1/sources/",
        {"key": "js-link", "title": "Report", "url": "javascript:alert(1)"}, says="url"),
    Bad("source URL with a port past 65535", "POST", "/api/v1/sources/",
        {"key": "ported", "title": "Report", "url": "https://example.org:99999/r"},
        says="url"),
    Bad("source lookup of an unclosed IPv6 host", "POST", "/api/v1/sources/lookup/",
        {"url": "http://[::1"}, says="url"),
    Bad("source published_on garbage", "POST", "/api/v1/sources/",
        {"key": "dated", "title": "Report", "url": "https://example.org/d",
         "published_on": "yesterday"}, says="published_on"),
    Bad("source kind unknown", "POST", "/api/v1/sources/",
        {"key": "kinded", "title": "Report", "url": "https://example.org/k", "kind": "rumour"},
        says="kind"),
    Bad("source key traversal in the path", "GET", "/api/v1/sources/..%2f..%2fetc%2fpasswd/",
        expect=(404,)),
    Bad("source key dot-dot in the path", "GET", "/api/v1/sources/%2e%2e%2f/", expect=(404,)),
    Bad("page number huge", "GET", "/api/v1/stories/?page=99999999999999999999",
        expect=(404,), says="Invalid page"),
    Bad("page number negative", "GET", "/api/v1/stories/?page=-1", expect=(404,),
        says="Invalid page"),
    Bad("page number not a number", "GET", "/api/v1/sources/?page=abc", expect=(404,),
        says="Invalid page"),
    Bad("public page number huge", "GET", "/api/v1/public/stories/?page=10000000000",
        who="anonymous", expect=(404,), says="Invalid page"),
    Bad("NUL in a filter", "GET", "/api/v1/stories/?author=writer%00", says="NUL"),
    Bad("NUL in a search", "GET", "/api/v1/sources/?q=%00", says="NUL"),
    Bad("state filter unknown", "GET", "/api/v1/stories/?state=deleted", says="state"),
    Bad("updated_since garbage", "GET", "/api/v1/stories/?updated_since=last-week",
        says="updated_since"),
    Bad("PATCH without If-Match", "PATCH", "STORY", {"title": "Changed"}, expect=(428,),
        says="If-Match"),
    Bad("PATCH with malformed If-Match", "PATCH", "STORY", {"title": "Changed"},
        headers={"HTTP_IF_MATCH": '"not-a-hash'}, expect=(412,), says="newer version"),
    Bad("PATCH with a stale If-Match", "PATCH", "STORY", {"title": "Changed"},
        headers={"HTTP_IF_MATCH": '"' + "0" * 64 + '"'}, expect=(412,), says="newer version"),
    Bad("PATCH body as list", "PATCH", "STORY", raw=b'["title"]', headers={"HTTP_IF_MATCH": "*"}),
    Bad("review checks as dict", "POST", "STORY/reviews/",
        {"decision": "comment", "checks": {"claim": 1, "verdict": "supported"}},
        who="reviewer", says="checks"),
    Bad("review decision unknown", "POST", "STORY/reviews/", {"decision": "lgtm"},
        who="reviewer", says="decision"),
    Bad("review claim negative", "POST", "STORY/reviews/",
        {"decision": "comment", "checks": [{"claim": -1, "verdict": "supported"}]},
        who="reviewer", says="checks"),
    Bad("publish_at garbage", "POST", "STORY/publish/", {"publish_at": "next tuesday"},
        who="editor", says="publish_at"),
    Bad("publish_at as list", "POST", "STORY/publish/", {"publish_at": [2026]},
        who="editor", says="publish_at"),
    Bad("retract reason as object", "POST", "STORY/retract/", {"reason": {"a": 1}},
        who="editor", says="reason"),
    Bad("diff revisions not numbers", "GET", "STORY/revisions/diff/?from=a&to=b",
        says="from"),
    Bad("check: a source id past any id", "POST", "/api/v1/stories/check/",
        {"body": "Cranes [@port-annual].", "source_ids": [2**63]}, says="source_ids: Ensure"),
    Bad("token username as object", "POST", "/api/v1/auth/token/",
        {"username": {"$ne": ""}, "password": "x"}, who="anonymous", says="username"),
]


@pytest.fixture
def world(writer, reviewer, editor):
    SourceFactory(key="port-annual", url="https://example.org/port-annual")
    story = make_story(writer, title="Harbour cranes arrive", body="Cranes [@port-annual].",
                       sources=["port-annual"])
    from stories import services

    services.story_submit(story_id=story.pk, user=writer)
    return {"story": story, "writer": writer, "reviewer": reviewer, "editor": editor}


def _send(client, bad: Bad, story: Story):
    path = bad.path.replace("STORY", f"/api/v1/stories/{story.pk}/").replace("//", "/")
    if bad.path == "STORY":
        path = f"/api/v1/stories/{story.pk}/"
    data = bad.raw if bad.raw is not None else (
        json.dumps(bad.body) if bad.body is not None else None)
    if bad.method == "GET":
        return client.get(path, **bad.headers)
    return client.generic(bad.method, path, data or b"", content_type=bad.content_type,
                          **bad.headers)


def test_the_table_has_at_least_thirty_rows():
    assert len(API) + len(ADMIN) >= 30


@pytest.mark.parametrize("bad", API, ids=[b.name for b in API])
def test_api_refuses_bad_input_cleanly(world, bad):
    before = snapshot_counts()
    user = None if bad.who == "anonymous" else world[bad.who]
    response = _send(client_for(user), bad, world["story"])
    assert response.status_code in bad.expect, response.content[:300]
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"].strip()
    assert bad.says.lower() in json.dumps(body).lower()
    assert snapshot_counts() == before


# --- the admin ------------------------------------------------------------------------------


def story_form(**fields):
    data = {"title": "Harbour cranes arrive", "slug": "", "dek": "", "body": "Cranes.",
            "source_entries-TOTAL_FORMS": "0", "source_entries-INITIAL_FORMS": "0",
            "source_entries-MIN_NUM_FORMS": "0", "source_entries-MAX_NUM_FORMS": "1000"}
    data.update(fields)
    return data


def source_form(**fields):
    data = {"key": "new-source", "title": "Report", "url": "https://example.org/new",
            "outlet": "", "author": "", "published_on": "", "kind": "article",
            "description": "", "notes": "",
            "snapshots-TOTAL_FORMS": "0", "snapshots-INITIAL_FORMS": "0",
            "link_checks-TOTAL_FORMS": "0", "link_checks-INITIAL_FORMS": "0"}
    data.update(fields)
    return data


LONG_NUMBER = "9" * 5000
STORY_ADD = "/admin/stories/story/add/"
SOURCE_ADD = "/admin/sources/source/add/"
IMAGE_ADD = "/admin/stories/image/add/"

ADMIN = [
    Bad("admin: body over 1 MB", "POST", STORY_ADD, story_form(body="a" * (MB + 1)),
        says="limit is 1,000,000 bytes"),
    Bad("admin: NUL in title", "POST", STORY_ADD, story_form(title="Cranes\x00"),
        says="Null characters are not allowed"),
    Bad("admin: NUL in body", "POST", STORY_ADD, story_form(body="Cranes\x00."),
        says="Null characters are not allowed"),
    Bad("admin: title over 300 characters", "POST", STORY_ADD, story_form(title="T" * 301),
        says="at most 300 characters"),
    Bad("admin: slug with path traversal", "POST", STORY_ADD, story_form(slug="../../etc"),
        says="valid “slug”"),
    Bad("admin: slug percent-encoded traversal", "POST", STORY_ADD,
        story_form(slug="%2e%2e%2f"), says="valid “slug”"),
    Bad("admin: slug over 200 characters", "POST", STORY_ADD, story_form(slug="s" * 201),
        says="at most 200 characters"),
    Bad("admin: source key with NUL", "POST", SOURCE_ADD, source_form(key="port\x00annual"),
        says="Null characters are not allowed"),
    Bad("admin: source key with path traversal", "POST", SOURCE_ADD,
        source_form(key="../etc/passwd"), says="letters, digits"),
    Bad("admin: source key differing only by case", "POST", SOURCE_ADD,
        source_form(key="PORT-ANNUAL"), says="already taken"),
    Bad("admin: source key with a Cyrillic a", "POST", SOURCE_ADD,
        source_form(key=f"port-{CYRILLIC_A}nnual"), says="letters, digits"),
    Bad("admin: source key over 80 characters", "POST", SOURCE_ADD, source_form(key="k" * 81),
        says="at most 80 characters"),
    Bad("admin: source URL javascript:", "POST", SOURCE_ADD,
        source_form(key="js", url="javascript:alert(1)"), says="Enter a valid URL"),
    Bad("admin: source URL with a port past 65535", "POST", SOURCE_ADD,
        source_form(key="ported", url="https://example.org:99999/"),
        says="host or port is not valid"),
    Bad("admin: request over DATA_UPLOAD_MAX_MEMORY_SIZE", "POST", STORY_ADD,
        story_form(body="a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)), expect=(413,),
        says="The request body is over 4,194,304 bytes"),
    Bad("admin: NUL in the changelist search", "GET", "/admin/stories/story/?q=%00",
        expect=(400,), says="NUL"),
    Bad("admin: a story id in digits int() cannot read", "GET",
        "/admin/stories/story/%C2%B2/change/", expect=(302,)),
    Bad("admin: a source id in digits int() cannot read", "GET",
        "/admin/sources/source/%C2%B2/change/", expect=(302,)),
    # More digits than Python's int() reads from text (4,300): each was a 500.
    Bad("admin: a story id longer than any number", "GET",
        f"/admin/stories/story/{LONG_NUMBER}/change/", expect=(302,)),
    Bad("admin: a source id longer than any number", "GET",
        f"/admin/sources/source/{LONG_NUMBER}/change/", expect=(302,)),
    Bad("admin: a report id longer than any number", "GET",
        f"/admin/stories/errorreport/{LONG_NUMBER}/change/", expect=(404,)),
    Bad("public: a claim to report longer than any number", "GET",
        f"/stories/harbour-cranes-arrive/report/?claim={LONG_NUMBER}", expect=(200, 404)),
    Bad("admin: a source row id that is not a number", "POST", STORY_ADD,
        story_form(**{"source_entries-TOTAL_FORMS": "1", "source_entries-0-source": "abc",
                      "source_entries-0-number": "1"}),
        says="Select a valid choice"),
    Bad("admin: a source row id in digits int() cannot read", "POST", STORY_ADD,
        story_form(**{"source_entries-TOTAL_FORMS": "1", "source_entries-0-source": "\u00b2",
                      "source_entries-0-number": "1"}),
        says="Select a valid choice"),
    Bad("admin: a source row id past any row's", "POST", STORY_ADD,
        story_form(**{"source_entries-TOTAL_FORMS": "1",
                      "source_entries-0-source": "9223372036854775808",
                      "source_entries-0-number": "1"}),
        says="Select a valid choice"),
    *(Bad(f"admin: a figure's credit source {value!r}", "POST", IMAGE_ADD,
          {"alt": "A figure", "caption": "", "credit": "", "credit_source": value},
          says="Select a valid choice")
      for value in ("abc", "\u00b2", "9223372036854775808", "-1")),
    Bad("public: NUL in search", "GET", "/search/?q=cranes%00", expect=(400,), says="NUL"),
    Bad("public: NUL in a source key", "GET", "/sources/%00/", expect=(400,), says="NUL"),
    Bad("public: traversal in a source key", "GET", "/sources/..%2f..%2fetc%2fpasswd/",
        expect=(404,)),
    Bad("public: traversal in a slug", "GET", "/stories/%2e%2e%2f%2e%2e%2fetc/",
        expect=(404,)),
]


@pytest.mark.parametrize("bad", ADMIN, ids=[b.name for b in ADMIN])
def test_admin_and_public_pages_refuse_bad_input_cleanly(client, world, bad):
    before = snapshot_counts()
    login(client, world["writer"])
    response = client.get(bad.path) if bad.method == "GET" else client.post(bad.path, bad.body)
    text = response.content.decode(errors="replace")
    if bad.expect == (400,) and bad.method == "POST" and bad.says:
        # A refused form is shown again (400) with the reason and the writer's input.
        assert response.status_code == 400, text[:300]
        assert 'class="errornote"' in text or "errorlist" in text
    else:
        assert response.status_code in bad.expect, text[:300]
    assert bad.says in text
    assert snapshot_counts() == before


def test_a_story_form_too_large_to_read_says_so_on_a_page_of_the_site(client, world):
    login(client, world["writer"])
    response = client.post(STORY_ADD, story_form(
        body="a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)))
    text = response.content.decode()
    assert response.status_code == 413
    assert '<header class="site-header"' in text  # not Django's bare "Bad Request (400)"
    assert "the story editor keeps your unsaved text" in text


@pytest.mark.parametrize("path", ["/search/?q=cranes%00", "/admin/stories/story/?q=%00"])
def test_a_nul_in_the_address_is_refused_on_a_page_of_the_site(client, world, path):
    login(client, world["writer"])
    response = client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert '<header class="site-header"' in response.content.decode()  # not bare text
    assert "NUL character (%00)" in response.content.decode()


def test_a_refused_admin_form_keeps_the_text(client, world):
    login(client, world["writer"])
    body = "Cranes arrived on Friday.\x00 The port says 40%."
    response = client.post(STORY_ADD, story_form(title="Keep my words", body=body))
    assert response.status_code == 400
    assert "Keep my words" in response.content.decode()
    assert "The port says 40%." in response.content.decode()


@pytest.mark.parametrize("number", ["99999999999999999999", LONG_NUMBER])
def test_a_figure_id_past_any_number_in_a_draft_is_saved_as_an_unknown_figure(client, world,
                                                                               number):
    login(client, world["writer"])
    response = client.post(STORY_ADD, story_form(
        title="Quay figures", body=f"Cranes.\n\n![The quay](image:{number})\n"), follow=True)
    assert response.status_code == 200
    story = Story.objects.get(title="Quay figures")
    page = client.get(f"/admin/stories/story/{story.pk}/change/").content.decode()
    assert f"unknown image &quot;{number}&quot;" in page


@pytest.mark.parametrize("path", ["/?page=99999999999999999999", "/?page=-3", "/?page=abc",
                                  "/authors/writer/?page=-1",
                                  "/admin/stories/story/?p=99999999999",
                                  "/admin/stories/story/?p=-1", "/admin/stories/story/?p=abc"])
def test_odd_page_numbers_never_answer_500(client, world, path):
    login(client, world["writer"])
    assert client.get(path).status_code in (200, 302, 404)


def test_json_parser_stops_reading_at_the_upload_limit(settings):
    # Under a real server DRF parses the request stream itself, past Django's body check.
    import io

    from audit.api import BoundedJSONParser, RequestTooLarge

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    with pytest.raises(RequestTooLarge):
        BoundedJSONParser().parse(io.BytesIO(b'{"body": "' + b"a" * 2000 + b'"}'))
    assert BoundedJSONParser().parse(io.BytesIO(b'{"body": "ok"}')) == {"body": "ok"}


@pytest.mark.parametrize("path, status", [("/", 200), ("/admin/login/", 200),
                                          ("/api/v1/stories/", 401)])
def test_a_forged_session_cookie_holding_a_nul_is_no_session(client, db, path, status):
    # The test client sends it as a cookie escape ("\000"), which Django decodes to a NUL;
    # PostgreSQL refuses NUL in the session look-up (the 500 only showed there).
    client.cookies[settings.SESSION_COOKIE_NAME] = "\x00" * 8 + "abcdefgh"
    response = client.get(path)
    assert response.status_code == status


@pytest.mark.parametrize("path", ["/", "/stories/harbour-cranes-arrive/", "/admin/login/"])
def test_a_host_the_site_does_not_serve_is_a_page_saying_so(client, db, path):
    response = client.get(path, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert '<header class="site-header"' in response.content.decode()
    assert "does not serve the site named in the request" in response.content.decode()
    assert "evil.example" not in response.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/public/stories/", "/api/v1/stories/",
                                  "/api/v1/no-such-endpoint/"])
def test_a_host_the_site_does_not_serve_is_a_json_400_under_the_api(client, db, path):
    response = client.get(path, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "does not serve the site named in the request" in response.json()["detail"]


FIELDS = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))


def test_a_form_with_more_fields_than_any_form_has_is_a_page_saying_so(client, db):
    response = client.post("/digest/", FIELDS, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert '<header class="site-header"' in response.content.decode()
    assert "more fields than any form" in response.content.decode()


def test_a_query_with_more_fields_than_any_form_has_is_a_json_400_under_the_api(client, db):
    response = client.get(f"/api/v1/public/stories/?{FIELDS}")
    assert response.status_code == 400
    assert "more fields than any form" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/digest/", "/stories/any-story/report/", "/admin/login/"])
def test_a_form_sent_without_its_csrf_token_is_a_page_saying_what_to_do(db, path):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(path, {"email": "reader@example.org"})
    assert response.status_code == 403
    assert '<header class="site-header"' in response.content.decode()  # not Django's page
    assert "reload the page" in response.content.decode()


@pytest.mark.parametrize("path", ["/admin/audit/event/?at__year=-1",
                                  f"/admin/audit/event/?at__year={10**20}"])
def test_a_changelist_lookup_the_database_cannot_run_is_the_admins_bad_filter_notice(
        client, world, path):
    # Django turns a lookup it cannot build into ?e=1; these failed only when the query ran.
    login(client, world["editor"])
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize("path", [f"/admin/stories/story/?pk__in={10**20}",
                                  f"/admin/sources/source/?pk__in={10**20}"])
def test_a_changelist_lookup_by_an_id_past_any_id_is_never_a_500(client, world, path):
    # SQLite cannot compare it (OverflowError: the bad-filter notice); PostgreSQL finds none.
    login(client, world["editor"])
    assert client.get(path).status_code in (200, 302)


def test_a_form_refused_for_want_of_its_cookie_says_to_allow_cookies(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/digest/", {"email": "reader@example.org"})
    assert response.status_code == 403
    assert "allow cookies for this site" in response.content.decode()


def test_a_form_with_a_wrong_token_says_it_expired(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.get("/digest/")  # the form page sets the CSRF cookie
    response = client.post("/digest/", {"email": "reader@example.org",
                                        "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    body = response.content.decode()
    assert "The form has expired" in body and "allow cookies" not in body
