import io

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date

from sources.models import Source
from stories import pages, services, transparency
from stories.models import Claim, ImmutableRevision, Revision
from tests.factories import SourceFactory, tamper_revision
from tests.public.helpers import publish_story, republish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


@pytest.fixture
def story(writer, reviewer, editor):
    return publish_story(writer, reviewer, editor, body="Five cranes arrived [@c1].",
                         sources=[SourceFactory(key="c1")])


def text(client, url) -> str:
    return client.get(url).content.decode()


def behind_the_cache(story, html: str) -> None:
    # Revisions are immutable; only a test writes one behind the application's back.
    tamper_revision(story.live_revision_id, html=html)


# --- the article fragment -------------------------------------------------------------------


def test_the_article_is_a_cached_fragment(client, story):
    assert "Five cranes" in text(client, story.get_absolute_url())
    behind_the_cache(story, "<p>Changed behind the cache's back</p>")
    assert "Five cranes" in text(client, story.get_absolute_url())


def test_a_new_template_version_renders_the_fragment_afresh(client, story, monkeypatch):
    text(client, story.get_absolute_url())
    behind_the_cache(story, "<p>Seen with the new templates</p>")
    monkeypatch.setattr(pages, "template_version", lambda: "a-new-version")
    assert "Seen with the new templates" in text(client, story.get_absolute_url())


def test_a_designer_edit_of_a_template_shows_on_the_next_request(client, story, settings,
                                                                 tmp_path):
    text(client, story.get_absolute_url())  # the fragment is cached
    edited = tmp_path / "stories" / "_story_text.html"
    edited.parent.mkdir()
    original = (settings.BASE_DIR / "stories/templates/stories/_story_text.html").read_text()
    edited.write_text(original.replace('<h2 id="sources-title">Sources</h2>',
                                       '<h2 id="sources-title">Where this comes from</h2>'))
    engine = {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    settings.TEMPLATES = [engine, *settings.TEMPLATES[1:]]
    page = text(client, story.get_absolute_url())
    assert "Where this comes from" in page and "Five cranes" in page


def designed(settings, tmp_path, name: str, templates: dict[str, str]) -> None:
    """A release whose templates in `name` (a new directory, searched first) differ."""
    folder = tmp_path / name
    for path, source in templates.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(source)
    engine = {**settings.TEMPLATES[0], "DIRS": [folder, *settings.TEMPLATES[0]["DIRS"]]}
    settings.TEMPLATES = [engine, *settings.TEMPLATES[1:]]


def test_a_designer_edit_of_a_template_they_added_shows_on_the_next_request(
        client, story, settings, tmp_path):
    # A designer adds an include to the article's text, then edits what the include says:
    # both are template edits and nothing else, and each shows with the fragment warm.
    original = (settings.BASE_DIR / "stories/templates/stories/_story_text.html").read_text()
    with_part = original.replace('<h2 id="sources-title">Sources</h2>',
                                 '{% include "stories/_sources_heading.html" %}')
    designed(settings, tmp_path, "first", {
        "stories/_story_text.html": with_part,
        "stories/_sources_heading.html": '<h2 id="sources-title">Our sources</h2>'})
    assert "Our sources" in text(client, story.get_absolute_url())
    designed(settings, tmp_path, "second", {
        "stories/_story_text.html": with_part,
        "stories/_sources_heading.html": '<h2 id="sources-title">Where this comes from</h2>'})
    page = text(client, story.get_absolute_url())
    assert "Where this comes from" in page and "Five cranes" in page


def test_zero_seconds_turns_the_fragment_cache_off(client, settings, story):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    text(client, story.get_absolute_url())
    behind_the_cache(story, "<p>Fresh every time</p>")
    assert "Fresh every time" in text(client, story.get_absolute_url())


def test_a_broken_link_found_later_reaches_the_cached_page(client, story):
    assert "reported broken" not in text(client, story.get_absolute_url())
    source = Source.objects.get(key="c1")
    source.health = "broken"
    source.save()
    assert "reported broken" in text(client, story.get_absolute_url())


def test_a_library_edit_after_publish_does_not_reach_the_page(client, writer, reviewer, editor):
    source = SourceFactory(title="Old title")
    story = publish_story(writer, reviewer, editor, sources=[source])
    text(client, story.get_absolute_url())
    source.title, source.url = "New title", "https://evil.example/phish"
    source.save()
    sources = text(client, story.get_absolute_url()).split('<ol class="sources">')[1]
    assert "Old title" in sources and "New title" not in sources
    assert "evil.example" not in sources


def test_a_correction_shows_on_the_next_request(client, story, writer, reviewer, editor):
    text(client, story.get_absolute_url())
    text(client, "/")
    republish(story, writer, reviewer, editor, title="Three cranes arrive",
              body="Three cranes arrived [@c1].", note="Corrected the number of cranes.")
    page = text(client, story.get_absolute_url())
    assert "Three cranes arrived" in page and "Corrected the number of cranes." in page
    assert "Five cranes" not in page
    assert "Three cranes arrive" in text(client, "/")


def test_a_retraction_shows_on_the_next_request(client, story, editor):
    text(client, story.get_absolute_url())
    text(client, "/")
    services.story_retract(story_id=story.pk, user=editor, reason="Forged source.")
    assert "Forged source." in text(client, story.get_absolute_url())
    assert "Retracted" in text(client, "/")


def test_an_author_change_shows_on_the_next_request(client, story, editor, other_writer):
    text(client, story.get_absolute_url())
    services.story_update(story_id=story.pk, user=editor, authors=[story.authors.first(),
                                                                    other_writer])
    assert other_writer.get_full_name() in text(client, story.get_absolute_url())


@pytest.mark.parametrize("who", ["author", "reviewer"])
def test_a_rename_shows_on_the_next_request(client, story, writer, reviewer, who):
    text(client, story.get_absolute_url())
    person = writer if who == "author" else reviewer
    person.first_name, person.last_name = "Ingrid", "Solberg"
    person.save()
    page = text(client, story.get_absolute_url())
    assert "Ingrid Solberg" in page.split('<header class="story-header">')[1].split("</header>")[0]


@pytest.mark.parametrize("who", ["author", "reviewer"])
def test_a_rename_shows_on_the_home_page_on_the_next_request(client, story, writer, reviewer,
                                                             who):
    text(client, "/")
    person = writer if who == "author" else reviewer
    person.first_name, person.last_name = "Ingrid", "Solberg"
    person.save()
    teasers = text(client, "/").split('<div class="teasers">')[1].split("</div>")[0]
    assert "Ingrid Solberg" in teasers


def test_an_authors_new_username_reaches_the_byline_links_on_the_next_request(client, story,
                                                                              writer):
    text(client, story.get_absolute_url())
    text(client, "/")
    writer.username = "ingrid-solberg"
    writer.save()
    assert 'href="/authors/ingrid-solberg/"' in text(client, story.get_absolute_url())
    assert 'href="/authors/ingrid-solberg/"' in text(client, "/")


def test_a_rename_shows_in_the_top_stories_of_other_pages_on_the_next_request(
        client, story, writer, second_reviewer, editor, django_capture_on_commit_callbacks):
    from stories.services.digest import page_view_record

    other = publish_story(writer, second_reviewer, editor, title="Harbour reopens",
                          body="The harbour reopened [@c1].", sources=["c1"])
    page_view_record(story_id=other.pk)
    pages.live_changed()
    first = client.get(story.get_absolute_url())
    assert "Second Reviewer" in first.content.decode()  # only in the top stories' teaser
    with django_capture_on_commit_callbacks(execute=True):
        second_reviewer.first_name, second_reviewer.last_name = "Ingrid", "Solberg"
        second_reviewer.save()
    again = client.get(story.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and "Ingrid Solberg" in again.content.decode()


def test_a_correction_adds_its_log_entry_on_the_next_request(client, story, writer, reviewer,
                                                            editor):
    assert "In the public log: 1 entry" in text(client, story.get_absolute_url())
    republish(story, writer, reviewer, editor, body="Four cranes arrived [@c1].")
    assert "In the public log: 2 entries" in text(client, story.get_absolute_url())


def test_backfilled_log_entries_show_on_a_page_viewed_before(client, writer, reviewer, editor,
                                                            monkeypatch):
    from django.core.management import call_command

    monkeypatch.setattr(transparency, "log_revision", lambda **kwargs: None)
    story = publish_story(writer, reviewer, editor, title="Logged late")
    monkeypatch.undo()
    assert "In the public log" not in text(client, story.get_absolute_url())
    call_command("transparency_backfill", stdout=io.StringIO())
    assert "In the public log: 1 entry" in text(client, story.get_absolute_url())


# --- HTTP caching ---------------------------------------------------------------------------


def public_urls(story) -> list[str]:
    return [story.get_absolute_url(), "/", f"/api/v1/public/stories/{story.slug}/"]


@pytest.mark.parametrize("which", [0, 1, 2], ids=["story", "home", "api"])
def test_anonymous_answers_may_be_kept_by_shared_caches(client, story, which):
    response = client.get(public_urls(story)[which])
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert directives == {"public", "max-age=0", "s-maxage=300", "stale-while-revalidate=60"}
    vary = {v.strip() for v in response["Vary"].split(",")}
    assert {"Cookie", "Accept-Encoding"} <= vary
    assert response["ETag"]


@pytest.mark.parametrize("which", [0, 1], ids=["story", "home"])
def test_signed_in_answers_are_private(client, story, editor, which):
    client.force_login(editor)
    response = client.get(public_urls(story)[which])
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_anonymous_story_page_carries_no_nonce(client, story):
    first, second = (client.get(story.get_absolute_url()) for _ in range(2))
    assert "nonce-" not in first["Content-Security-Policy"]
    assert "nonce=" not in first.content.decode()
    assert first.content == second.content
    assert first["Content-Security-Policy"] == second["Content-Security-Policy"]


@pytest.mark.parametrize("which", [0, 1, 2], ids=["story", "home", "api"])
def test_an_unchanged_page_answers_304(client, story, which):
    url = public_urls(story)[which]
    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert "s-maxage=300" in again["Cache-Control"]


@pytest.mark.parametrize("change", ["correction", "retraction", "broken link"])
def test_the_etag_changes_with_what_the_page_shows(client, story, writer, reviewer, editor,
                                                   change):
    urls = public_urls(story)
    before = [client.get(url)["ETag"] for url in urls]
    if change == "correction":
        republish(story, writer, reviewer, editor, body="Four cranes arrived [@c1].")
    elif change == "retraction":
        services.story_retract(story_id=story.pk, user=editor, reason="Forged source.")
    else:
        Source.objects.filter(key="c1").update(health="broken")
    for url, etag in zip(urls, before, strict=True):
        if change == "broken link" and url == "/":
            continue  # teasers do not show link health
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200 and response["ETag"] != etag


def test_a_page_revalidated_by_date_alone_is_sent_again(client, story):
    # It has no modification date a client could trust (stories.pages): a date is no validator.
    for url in public_urls(story):
        response = client.get(url, HTTP_IF_MODIFIED_SINCE=http_date())
        assert response.status_code == 200 and not response.has_header("Last-Modified"), url


# --- GET never writes; revisions are immutable -----------------------------------------------


def test_get_requests_write_nothing(client, story, editor):
    urls = [*public_urls(story), f"/stories/{story.slug}/history/", "/api/v1/public/stories/"]
    for signed_in in (False, True):
        if signed_in:
            client.force_login(editor)
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            writes = [q["sql"] for q in captured.captured_queries
                      if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
            assert writes == [], url


def test_a_saved_revision_cannot_be_saved_again(story):
    revision = Revision.objects.get(pk=story.live_revision_id)
    revision.html = "<p>Rewritten</p>"
    with pytest.raises(ImmutableRevision):
        revision.save()
    assert Revision.objects.get(pk=revision.pk).html != "<p>Rewritten</p>"


def test_a_saved_revision_cannot_be_changed_through_a_queryset(story):
    with pytest.raises(ImmutableRevision):
        Revision.objects.filter(pk=story.live_revision_id).update(html="<p>Rewritten</p>")
    with pytest.raises(ImmutableRevision):
        story.revisions.update(title="Rewritten")
    assert "Rewritten" not in Revision.objects.get(pk=story.live_revision_id).html


def test_a_saved_revision_cannot_be_changed_by_bulk_update(story):
    revision = Revision.objects.get(pk=story.live_revision_id)
    revision.title = "Rewritten"
    with pytest.raises(ImmutableRevision):
        Revision.objects.bulk_update([revision], ["title"])
    assert Revision.objects.get(pk=revision.pk).title != "Rewritten"


def test_a_saved_revision_cannot_be_overwritten_by_an_upserting_bulk_create(story):
    revision = Revision.objects.get(pk=story.live_revision_id)
    copy = Revision(story_id=story.pk, number=revision.number, title="Rewritten",
                    content_hash=revision.content_hash)
    with pytest.raises(ImmutableRevision):
        Revision.objects.bulk_create([copy], update_conflicts=True,
                                     unique_fields=["story", "number"], update_fields=["title"])
    assert Revision.objects.get(pk=revision.pk).title != "Rewritten"


def test_the_claims_a_reviewer_checked_cannot_be_changed(story):
    # The review screen shows these rows as what the reviewer signed off: they are part of the
    # revision, immutable with it.
    claim = Claim.objects.get(revision_id=story.live_revision_id, ordinal=1)
    claim.text = "Fifty cranes arrived"
    with pytest.raises(ImmutableRevision):
        claim.save()
    with pytest.raises(ImmutableRevision):
        Claim.objects.filter(pk=claim.pk).update(text="Fifty cranes arrived")
    with pytest.raises(ImmutableRevision):
        story.live_revision.claims.update(numbers=[9])
    with pytest.raises(ImmutableRevision):
        Claim.objects.bulk_update([claim], ["text"])
    assert Claim.objects.get(pk=claim.pk).text == "Five cranes arrived"


def test_a_saved_revision_cannot_be_deleted(story):
    # Deleting the live revision would unpublish the story without a retraction or a word.
    revision = Revision.objects.get(pk=story.live_revision_id)
    with pytest.raises(ImmutableRevision), transaction.atomic():
        revision.delete()
    with pytest.raises(ImmutableRevision), transaction.atomic():
        story.revisions.all().delete()
    with pytest.raises(ImmutableRevision), transaction.atomic():
        Claim.objects.filter(revision=revision).delete()
    story.refresh_from_db()
    assert story.live_revision_id == revision.pk and revision.claims.count() == 1
