"""Stored XSS: hostile payloads in every writable field, stored through the services, rendered on
every page and API answer that shows them; the parsed output runs no script of theirs."""

import json
from urllib.parse import quote

import pytest
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser

from audit.models import Event
from sources import services as source_services
from sources.models import Source
from stories import services
from stories.models import Revision, Story
from tests.api.conftest import client_for
from tests.public.helpers import sitemap_urls
from tests.security import payloads as P
from tests.security.conftest import login
from tests.security.html_checks import feed_problems, html_problems, json_ld_blocks, script_scheme


def test_corpus_has_at_least_forty_distinct_payloads():
    assert len(set(P.ALL)) == len(P.ALL) >= 40


@pytest.mark.parametrize("payload", [p for p in P.ALL if "<" in p and "\uff1c" not in p
                                     and "\u200b" not in p and not p.startswith("<!--")
                                     and "mglyph" not in p and "noscript" not in p
                                     and "<scr<script>" not in p
                                     and not p.startswith("<javascript:")])
def test_the_checker_catches_raw_html_payloads(payload):
    # Guards the guard: pasted unescaped into a page, these would run.
    assert html_problems(f"<!doctype html><body><p>{payload}</p></body>")


def _check_page(client, url, problems, *, status=200):
    response = client.get(url)
    if response.status_code != status:
        problems.append(f"{url}: status {response.status_code}")
        return None
    html = response.content.decode()
    problems.extend(f"{url}: {p}" for p in html_problems(html))
    return html


def _check_json(client, url, problems, **headers):
    response = client.get(url, **headers)
    if response.status_code != 200:
        problems.append(f"{url}: status {response.status_code}")
        return None
    if not response["Content-Type"].startswith("application/json"):
        problems.append(f"{url}: served as {response['Content-Type']}")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{url}: no X-Content-Type-Options: nosniff")
    return json.loads(response.content)


def test_public_pages_run_no_hostile_script(client, hostile, writer, co_author):
    problems: list[str] = []
    for page in ("/", "/?page=2", "/feed/", "/sitemap.xml"):
        assert client.get(page).status_code == 200, page
    _check_page(client, "/", problems)
    for story in hostile.published:
        html = _check_page(client, story.get_absolute_url(), problems)
        _check_page(client, reverse("story-history", args=[story.slug]), problems)
        tree = LexborHTMLParser(html)
        # The title is shown, as text, exactly as written.
        assert tree.css_first("article.story h1").text() == story.live_revision.title
        assert json_ld_blocks(html)[0]["headline"] == story.live_revision.title
    for source in hostile.sources:
        _check_page(client, reverse("source-detail", args=[source.key]), problems)
    _check_page(client, hostile.snapshot.get_absolute_url(), problems)
    for author in (writer, co_author):
        _check_page(client, reverse("author-detail", args=[author.username]), problems)
    for query in [*P.STORABLE, "alert", "rose", "script"]:  # NUL: 400, see test_bad_input
        _check_page(client, "/search/?q=" + quote(query), problems)
    _check_page(client, reverse("preview", args=[hostile.preview_link.token]), problems)
    problems += feed_problems(client.get("/feed/").content)
    for url in sitemap_urls(client):
        assert url.startswith("http://testserver/"), url
    assert problems == []


def test_retraction_and_correction_are_shown_as_text(client, hostile):
    html = client.get(hostile.retracted.get_absolute_url()).content.decode()
    reason = LexborHTMLParser(html).css_first(".retraction-reason").text()
    assert P.STORABLE[20].replace("\n", "") in reason.replace("\n", "")
    html = client.get(hostile.corrected.get_absolute_url()).content.decode()
    note = LexborHTMLParser(html).css_first(".correction").text()
    assert P.STORABLE[0] in note
    assert html_problems(html) == []


def test_public_api_answers_are_json_with_sanitised_html(client, hostile):
    problems: list[str] = []
    listing = _check_json(client, "/api/v1/public/stories/", problems)
    assert {item["title"] for item in listing["results"]} >= {
        s.live_revision.title for s in hostile.published}
    for story in hostile.published:
        data = _check_json(client, f"/api/v1/public/stories/{story.slug}/", problems)
        problems += [f"{story.slug} html: {p}" for p in html_problems(data["html"])]
        for source in data["sources"]:
            if script_scheme(source["url"]):
                problems.append(f"{story.slug}: source url {source['url']!r}")
    assert problems == []


def test_authenticated_api_answers_are_json_and_keep_the_text(hostile, editor, reviewer):
    problems: list[str] = []
    api = client_for(editor)
    for story in hostile.stories:
        base = f"/api/v1/stories/{story.pk}/"
        detail = _check_json(api, base, problems)
        assert detail["title"] == story.title and detail["body"] == story.body
        claims = _check_json(api, base + "claims/", problems)
        _check_json(api, base + "audit/", problems)
        _check_json(api, base + "revisions/", problems)
        assert claims["claims"]
    notes = {c["note"] for claim in _check_json(
        api, f"/api/v1/stories/{hostile.in_review.pk}/claims/", problems)["claims"]
        for c in claim["checks"]}
    assert set(P.STORABLE[:8]) <= notes
    _check_json(api, f"/api/v1/stories/{hostile.corrected.pk}/revisions/diff/?from=1&to=2",
                problems)
    listing = _check_json(api, "/api/v1/sources/?page_size=200", problems)
    assert {s["title"] for s in listing["results"]} >= {s.title for s in hostile.sources}
    for source in hostile.sources[:10]:
        _check_json(api, f"/api/v1/sources/{source.key}/", problems)
    assert problems == []


def test_admin_screens_run_no_hostile_script(client, hostile, editor, reviewer):
    problems: list[str] = []
    login(client, editor)
    _check_page(client, reverse("admin:stories_story_changelist"), problems)
    _check_page(client, reverse("admin:stories_story_changelist") + "?q=alert", problems)
    for story in hostile.stories:
        for name in ("change", "preview", "workflow", "revisions", "review"):
            _check_page(client, reverse(f"admin:stories_story_{name}", args=[story.pk]),
                        problems)
    corrected = hostile.corrected
    first, last = corrected.revisions.order_by("number")[:1][0], corrected.latest_revision
    _check_page(client, reverse("admin:stories_story_diff", args=[corrected.pk])
                + f"?a={first.pk}&b={last.pk}", problems)
    _check_page(client, reverse("admin:stories_revision_changelist"), problems)
    _check_page(client, reverse("admin:stories_revision_change", args=[last.pk]), problems)
    _check_page(client, reverse("admin:sources_source_changelist"), problems)
    for source in hostile.sources[:12]:
        _check_page(client, reverse("admin:sources_source_change", args=[source.pk]), problems)
    _check_page(client, reverse("admin:stories_image_changelist"), problems)
    _check_page(client, reverse("admin:stories_image_change", args=[hostile.image.pk]),
                problems)
    _check_page(client, reverse("admin:audit_event_changelist"), problems)
    for event in Event.objects.exclude(details={}).order_by("-id")[:15]:
        _check_page(client, reverse("admin:audit_event_change", args=[event.pk]), problems)
    login(client, reviewer)
    for story in (hostile.in_review,):
        _check_page(client, reverse("admin:stories_story_review", args=[story.pk]), problems)
        _check_page(client, reverse("admin:stories_story_workflow", args=[story.pk]), problems)
    assert problems == []


def test_review_screen_shows_hostile_notes_and_comments_as_text(client, hostile, reviewer):
    login(client, reviewer)
    html = client.get(reverse("admin:stories_story_review", args=[hostile.in_review.pk]))
    text = LexborHTMLParser(html.content.decode()).body.text()
    assert "<script>alert(1)</script>" in text


# --- fields that refuse hostile values ---------------------------------------------------


@pytest.mark.parametrize("payload", P.ALL)
def test_hostile_slug_is_refused_cleanly(writer, payload):
    with pytest.raises(services.InvalidInput) as refused:
        services.story_create(author=writer, title="Harbour cranes arrive", slug=payload)
    assert "slug" in refused.value.message_dict
    assert not Story.objects.exists() and not Revision.objects.exists()


@pytest.mark.parametrize("payload", P.ALL)
def test_hostile_source_key_is_refused_cleanly(writer, payload):
    with pytest.raises(services.InvalidInput) as refused:
        source_services.source_create(user=writer, key=payload, title="Port report",
                                      url="https://example.org/report")
    assert "key" in refused.value.message_dict
    assert not Source.objects.exists()


@pytest.mark.parametrize("url", P.URL_PAYLOADS)
def test_source_url_is_refused_unless_http(writer, client, url):
    try:
        source = source_services.source_create(user=writer, key="port-report",
                                               title="Port report", url=url)
    except services.InvalidInput as refused:
        assert "url" in refused.message_dict
        assert not Source.objects.exists()
        return
    assert source.url.startswith(("http://", "https://")), source.url
    assert script_scheme(source.url) is None
