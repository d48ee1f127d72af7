"""Conditional GET as clients send it: a 304 only while the client's copy is what the page
would show now, whichever validator the client sends back (some crawlers and proxies send
only If-Modified-Since)."""

import pytest
from django.core.cache import cache

from tests.factories import SourceFactory
from tests.public.helpers import publish_story, republish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


@pytest.fixture
def story(writer, reviewer, editor):
    return publish_story(writer, reviewer, editor, title="Harbour cranes arrive",
                         body="Five cranes arrived [@c1].", sources=[SourceFactory(key="c1")])


def urls(story) -> dict[str, str]:
    return {"story": story.get_absolute_url(), "home": "/",
            "api": f"/api/v1/public/stories/{story.slug}/"}


def revalidate(client, url, first):
    """Ask again the way a client holding `first` does: with every validator it was given."""
    headers = {}
    if first.has_header("ETag"):
        headers["HTTP_IF_NONE_MATCH"] = first["ETag"]
    if first.has_header("Last-Modified"):
        headers["HTTP_IF_MODIFIED_SINCE"] = first["Last-Modified"]
    return client.get(url, **headers)


def revalidate_by_date(client, url, first):
    """Ask again the way a crawler that keeps only dates does: If-Modified-Since alone."""
    if not first.has_header("Last-Modified"):
        return client.get(url)
    return client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])


@pytest.mark.parametrize("which", ["story", "home", "api"])
@pytest.mark.parametrize("who", ["author", "reviewer"])
def test_a_client_revalidating_by_date_reads_a_rename(client, story, writer, reviewer, which,
                                                      who):
    url = urls(story)[which]
    first = client.get(url)
    person = writer if who == "author" else reviewer
    person.first_name, person.last_name = "Ingrid", "Solberg"
    person.save()
    again = revalidate_by_date(client, url, first)
    assert again.status_code == 200
    assert "Ingrid Solberg" in again.content.decode()


def test_a_client_revalidating_by_date_reads_the_top_stories_of_now(
        client, story, writer, reviewer, editor, django_capture_on_commit_callbacks):
    first = client.get(story.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        publish_story(writer, reviewer, editor, title="Ferry timetable changes")
    again = revalidate_by_date(client, story.get_absolute_url(), first)
    assert again.status_code == 200
    assert "Ferry timetable changes" in again.content.decode()


def top_box(page: str) -> str:
    return page.split('<section class="top-stories"')[1].split("</section>")[0]


@pytest.mark.parametrize("which", ["story", "home"])
def test_a_reviewers_rename_reaches_todays_top_stories_on_the_next_request(
        client, story, writer, reviewer, editor, which, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        publish_story(writer, reviewer, editor, title="Ferry timetable changes")
    url = story.get_absolute_url() if which == "story" else "/"
    first = client.get(url)
    assert "First Reviewer" in top_box(first.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        reviewer.first_name, reviewer.last_name = "Ingrid", "Solberg"
        reviewer.save()
    assert "Ingrid Solberg" in top_box(client.get(url).content.decode())


def test_a_client_revalidating_a_page_whose_only_change_is_a_top_storys_reviewer_reads_it(
        client, story, writer, second_reviewer, reviewer, editor,
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        checked = publish_story(writer, second_reviewer, editor, title="Ferry timetable changes")
    first = client.get(checked.get_absolute_url())
    assert "First Reviewer" in top_box(first.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        reviewer.first_name, reviewer.last_name = "Ingrid", "Solberg"
        reviewer.save()
    again = revalidate(client, checked.get_absolute_url(), first)
    assert again.status_code == 200
    assert "Ingrid Solberg" in top_box(again.content.decode())


# --- the RSS feed ----------------------------------------------------------------------------


def test_browsers_revalidate_the_feed_and_shared_caches_keep_it_briefly(client, story):
    response = client.get("/feed/")
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"public", "max-age=0", "s-maxage=300"} <= directives
    assert {"Cookie", "Accept-Encoding"} <= {v.strip() for v in response["Vary"].split(",")}


@pytest.mark.parametrize("change", ["retraction", "rename"])
def test_a_feed_reader_revalidating_reads_the_change(client, story, editor, writer, change):
    first = client.get("/feed/")
    if change == "retraction":
        from stories import services

        services.story_retract(story_id=story.pk, user=editor, reason="Forged source.")
        expected = "Retracted: Harbour cranes arrive"
    else:
        writer.first_name, writer.last_name = "Ingrid", "Solberg"
        writer.save()
        expected = "Ingrid Solberg"
    again = client.get("/feed/")
    assert expected in again.content.decode()
    # What any cache holding the first copy (the edge, a proxy, the reader's own) compares.
    for header in ("ETag", "Last-Modified"):
        assert not again.has_header(header) or again[header] != first[header], header
    assert revalidate(client, "/feed/", first).status_code == 200
    assert revalidate_by_date(client, "/feed/", first).status_code == 200


def test_an_unchanged_feed_answers_304(client, story):
    first = client.get("/feed/")
    again = client.get("/feed/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and "s-maxage=300" in again["Cache-Control"]


# --- a new release's templates ------------------------------------------------------------


@pytest.mark.parametrize("url,template", [("/", "home.html"),
                                          ("/corrections/", "corrections.html"),
                                          ("/transparency/", "transparency.html")])
def test_a_page_revalidated_after_its_template_changed_is_sent_again(client, settings, story,
                                                                    tmp_path, url, template):
    first = client.get(url)
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / template).write_text(
        '{% extends "base.html" %}{% block content %}The new layout{% endblock %}')
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and "The new layout" in again.content.decode()


@pytest.mark.parametrize("url", ["/", "/corrections/", "/transparency/", "/feed/"])
def test_a_page_revalidated_after_the_site_was_renamed_is_sent_again(client, settings, story,
                                                                    url):
    first = client.get(url)
    settings.NEWSROOM_SITE_NAME = "The Eastmere Ledger"
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and "The Eastmere Ledger" in again.content.decode()


def test_the_etag_follows_the_top_stories_shown_even_when_no_new_generation_was_started(
        client, story, writer, reviewer, editor):
    # Here nothing starts a new generation (on-commit callbacks do not run), as when the
    # shared cache dropped the write or another process's local cache never heard of it.
    ferry = publish_story(writer, reviewer, editor, title="Ferry timetable changes")
    first = client.get(story.get_absolute_url())
    assert "Ferry timetable changes" in top_box(first.content.decode())
    republish(ferry, writer, reviewer, editor, title="Ferry timetable stays")
    cache.clear()  # the minute the list is kept for is up
    again = client.get(story.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert "Ferry timetable stays" in top_box(again.content.decode())


def test_a_release_that_renders_differently_reaches_a_revalidating_client(client, story,
                                                                          monkeypatch):
    from stories import pages

    first = client.get(story.get_absolute_url())
    # The release: new code (a share network more) and so a new digest of the code.
    network = ("threads", "Threads", "https://www.threads.net/intent/post?{q}",
               lambda url, title: {"text": f"{title} {url}"})
    monkeypatch.setattr(pages, "_SHARE", (*pages._SHARE, network))
    monkeypatch.setattr(pages, "code_version", lambda: "the-next-release", raising=False)
    again = client.get(story.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and 'class="share-threads"' in again.content.decode()


def test_the_code_version_comes_from_the_code(monkeypatch):
    from stories import pages

    assert pages.code_version() == pages.code_version()
    before = pages.template_version()
    monkeypatch.setattr(pages, "code_version", lambda: "the-next-release")
    assert pages.template_version() != before


# --- the corrections log -------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/corrections/", "/corrections/feed/"])
def test_a_second_correction_in_the_same_second_reaches_a_client_revalidating(
        client, story, writer, reviewer, editor, monkeypatch, url):
    from datetime import timedelta

    from django.utils import timezone

    second = timezone.now().replace(microsecond=0)
    moments = iter([second + timedelta(microseconds=100 * n) for n in range(1, 5000)])
    monkeypatch.setattr(timezone, "now", lambda: next(moments))
    republish(story, writer, reviewer, editor, body="Four cranes arrived [@c1].",
              note="Four cranes, not five.")
    first = client.get(url)
    republish(story, writer, reviewer, editor, body="Three cranes arrived [@c1].",
              note="Three cranes, not four.")
    now = client.get(url)
    # What any cache holding the first copy (the edge, a proxy, the reader's own) compares.
    for header in ("ETag", "Last-Modified"):
        assert not now.has_header(header) or now[header] != first.get(header), header
    for again in (revalidate(client, url, first), revalidate_by_date(client, url, first)):
        assert again.status_code == 200 and "Three cranes, not four." in again.content.decode()
