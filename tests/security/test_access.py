"""Access control by ID guessing: every path to a story, tried by people who may not see it."""

import pytest
from django.urls import reverse

from stories import services
from stories.models import Story
from tests.api.conftest import client_for
from tests.factories import SourceFactory, make_story
from tests.security.conftest import login

SECRET = "Scoop: harbour authority sells Berth 4"
BODY = "The sale price was 41 million [@berth-sale]."


@pytest.fixture
def scoop(writer, co_author):
    SourceFactory(key="berth-sale")
    return make_story(writer, title=SECRET, body=BODY, sources=["berth-sale"],
                      authors=[co_author])


def in_state(story: Story, state: str, writer) -> Story:
    if state == "in_review":
        services.story_submit(story_id=story.pk, user=writer)
    return Story.objects.get(pk=story.pk)


def admin_paths(story: Story) -> list[str]:
    revision = story.latest_revision
    return [
        reverse("admin:stories_story_change", args=[story.pk]),
        reverse("admin:stories_story_preview", args=[story.pk]),
        reverse("admin:stories_story_revisions", args=[story.pk]),
        reverse("admin:stories_story_diff", args=[story.pk]) + f"?a={revision.pk}&b={revision.pk}",
        reverse("admin:stories_story_review", args=[story.pk]),
        reverse("admin:stories_story_workflow", args=[story.pk]),
        reverse("admin:stories_revision_change", args=[revision.pk]),
    ]


def api_paths(story: Story) -> list[str]:
    base = f"/api/v1/stories/{story.pk}/"
    return [base, base + "claims/", base + "audit/", base + "revisions/",
            base + "revisions/diff/?from=1&to=1"]


def listing_paths() -> list[str]:
    return [
        reverse("admin:stories_story_changelist"),
        reverse("admin:stories_story_changelist") + "?q=Scoop",
        reverse("admin:stories_revision_changelist"),
        "/api/v1/stories/",
        "/api/v1/stories/?state=draft",
        "/api/v1/stories/?state=in_review",
    ]


def public_paths(story: Story) -> list[str]:
    return [story.get_absolute_url(), reverse("story-history", args=[story.slug]),
            "/search/?q=harbour", "/", "/feed/", "/sitemap.xml", "/sources/berth-sale/",
            "/authors/writer/", f"/api/v1/public/stories/{story.slug}/",
            "/api/v1/public/stories/"]


HIDDEN = [
    ("other_writer", "draft"),
    ("other_writer", "in_review"),
    ("reviewer", "draft"),
]
VISIBLE = [
    ("co_author", "draft"),
    ("reviewer", "in_review"),
    ("editor", "draft"),
    ("writer", "draft"),
]


def _actor(request, name):
    return request.getfixturevalue(name)


@pytest.mark.parametrize(("who", "state"), HIDDEN)
def test_admin_paths_by_id_are_closed_to_people_who_may_not_see_the_story(
        request, client, scoop, writer, who, state):
    story = in_state(scoop, state, writer)
    login(client, _actor(request, who))
    for path in admin_paths(story):
        response = client.get(path)
        assert response.status_code in (302, 403, 404), (path, response.status_code)
        if response.status_code == 302:
            assert "/admin/login/" not in response["Location"], path
        assert SECRET not in response.content.decode(), path
    restore = reverse("admin:stories_story_restore", args=[story.pk, story.latest_revision_id])
    assert client.post(restore).status_code in (403, 404)
    assert Story.objects.get(pk=story.pk).latest_revision.number == 1


@pytest.mark.parametrize(("who", "state"), HIDDEN)
def test_listings_never_name_the_story(request, client, scoop, writer, who, state):
    in_state(scoop, state, writer)
    actor = _actor(request, who)
    login(client, actor)
    api = client_for(actor)
    for path in listing_paths():
        response = (api if path.startswith("/api/") else client).get(path)
        assert response.status_code == 200, path
        assert SECRET not in response.content.decode(), path


@pytest.mark.parametrize(("who", "state"), HIDDEN)
def test_api_paths_by_id_answer_404(request, scoop, writer, who, state):
    story = in_state(scoop, state, writer)
    api = client_for(_actor(request, who))
    for path in api_paths(story):
        response = api.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert SECRET not in response.content.decode()
    for action in ("submit", "withdraw", "publish", "retract"):
        response = api.post(f"/api/v1/stories/{story.pk}/{action}/", {}, format="json")
        assert response.status_code in (403, 404), action
    patch = api.patch(f"/api/v1/stories/{story.pk}/", {"title": "Mine now"}, format="json",
                      HTTP_IF_MATCH="*")
    assert patch.status_code == 404
    assert Story.objects.get(pk=story.pk).title == SECRET


@pytest.mark.parametrize(("who", "state"), VISIBLE)
def test_authors_reviewers_and_editors_do_see_it(request, client, scoop, writer, who, state):
    story = in_state(scoop, state, writer)
    actor = _actor(request, who)
    login(client, actor)
    for name in ("change", "preview", "revisions", "workflow"):
        response = client.get(reverse(f"admin:stories_story_{name}", args=[story.pk]))
        assert response.status_code == 200, name
    assert client_for(actor).get(f"/api/v1/stories/{story.pk}/").status_code == 200


@pytest.mark.parametrize("state", ["draft", "in_review"])
def test_anonymous_sees_nothing_unpublished(client, scoop, writer, state):
    story = in_state(scoop, state, writer)
    for path in admin_paths(story):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], path
    for path in api_paths(story):
        assert client.get(path).status_code in (401, 403), path
    for path in public_paths(story):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert SECRET not in response.content.decode(), path
    assert client.get(story.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("who", ["other_writer", "reviewer"])
def test_signed_in_staff_do_not_see_unpublished_stories_on_public_pages(
        request, client, scoop, who):
    client.force_login(_actor(request, who))
    for path in public_paths(scoop):
        assert SECRET not in client.get(path).content.decode(), path


def test_source_admin_counts_but_does_not_name_hidden_stories(client, scoop, other_writer):
    login(client, other_writer)
    source = scoop.source_entries.get().source
    response = client.get(reverse("admin:sources_source_change", args=[source.pk]))
    assert response.status_code == 200
    assert SECRET not in response.content.decode()


def test_a_guessed_preview_token_opens_nothing(client, scoop):
    assert client.get("/preview/not-a-real-token/").status_code == 404
