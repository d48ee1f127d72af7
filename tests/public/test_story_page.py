import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sources.models import Snapshot
from stories import services
from tests.factories import SourceFactory, approved_hash, tamper_revision
from tests.public.helpers import publish_story, republish

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def test_story_page_shows_header_markup(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor, dek="Three cranes reached the port.")
    page = html(client.get(story.get_absolute_url()))
    assert '<article class="story"' in page
    assert "<h1" in page and "Harbour cranes arrive</h1>" in page
    assert '<p class="dek">Three cranes reached the port.</p>' in page
    history = reverse("story-history", args=[story.slug])
    assert (f'<p class="reviewed-by"><a href="{history}">Reviewed by First Reviewer</a></p>'
            in page)
    assert '<span class="source-count">2 Sources</span>' in page
    assert 'By <a rel="author" href="/authors/writer/">Staff Writer</a>' in page


def test_story_page_counts_one_source_in_singular(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor, sources=[SourceFactory()])
    page = html(client.get(story.get_absolute_url()))
    assert '<span class="source-count">1 Source</span>' in page


def test_story_page_lists_sources_in_number_order_with_links(client, writer, reviewer, editor):
    first, second = SourceFactory(title="Port authority annual report"), SourceFactory(
        title="Crane maker filing", outlet="Registry")
    body = f"The port grew [@{second.key}]. Cranes arrived [@{first.key}, p. 4]."
    story = publish_story(writer, reviewer, editor, body=body, sources=[second, first])
    page = html(client.get(story.get_absolute_url()))
    items = re.findall(r'<li id="source-(\d+)"', page)
    assert items == ["1", "2"]
    assert page.index("Crane maker filing") < page.index("Port authority annual report")
    assert f'href="{second.url}"' in page
    assert '<sup class="cite"><a href="#source-2" aria-label="Source 2: Port authority annual report" title="p. 4">2</a></sup>' in page  # noqa: E501


@pytest.mark.parametrize("first, last, shown", [("Staff", "Writer", "Staff Writer"),
                                               ("", "", "writer")])
def test_bylines_name_the_author_by_full_name_else_username(client, writer, reviewer, editor,
                                                            first, last, shown):
    writer.first_name, writer.last_name = first, last
    writer.save()
    story = publish_story(writer, reviewer, editor)
    page = html(client.get(story.get_absolute_url()))
    assert f'<a rel="author" href="/authors/writer/">{shown}</a>' in page
    assert f'<meta property="article:author" content="{shown}">' in page
    home = html(client.get("/"))
    assert f'<a href="/authors/writer/">{shown}</a>' in home


def test_story_page_body_is_the_stored_html(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor)
    tamper_revision(story.live_revision_id,
                    html='<p>Stored <span class="claim" id="claim-1">html</span></p>')
    assert "Stored <span" in html(client.get(story.get_absolute_url()))


def test_story_page_has_one_news_article_json_ld_with_citations(client, writer, reviewer, editor):
    source = SourceFactory(title="Evil </script><script>alert(1)</script>")
    story = publish_story(writer, reviewer, editor, sources=[source, SourceFactory()])
    response = client.get(story.get_absolute_url())
    page = html(response)
    # Data, not script: no nonce, so one cached copy of the page serves every reader.
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(blocks) == 1
    text = blocks[0]
    assert "nonce-" not in response["Content-Security-Policy"]
    assert "</script><script>" not in text
    data = json.loads(text)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Harbour cranes arrive"
    assert data["author"][0]["name"] == "Staff Writer"
    assert data["datePublished"] and data["dateModified"]
    assert data["publisher"]["name"]
    assert len(data["citation"]) == 2
    assert data["citation"][0]["name"] == source.title
    assert all(c["@type"] == "CreativeWork" and c["url"] for c in data["citation"])


def test_story_page_has_social_and_canonical_tags(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor, dek="Dek here")
    page = html(client.get(story.get_absolute_url()))
    assert f'<link rel="canonical" href="http://testserver{story.get_absolute_url()}">' in page
    assert '<meta property="og:title" content="Harbour cranes arrive">' in page
    assert '<meta property="og:type" content="article">' in page
    assert '<meta name="twitter:card" content="summary">' in page


def test_story_page_has_no_inline_script_or_style(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor)
    page = html(client.get(story.get_absolute_url()))
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts and all("src=" in attrs or attrs == ' type="application/ld+json"'
                           for attrs in scripts)
    assert "<style" not in page and " style=" not in page


def test_story_page_links_archived_snapshot_taken_before_approval(
        client, writer, reviewer, editor):
    source = SourceFactory()
    old = Snapshot.objects.create(source=source, requested_url=source.url, status_code=200,
                                  text="Archived words")
    Snapshot.objects.filter(pk=old.pk).update(fetched_at=timezone.now() - timedelta(days=2))
    failed = Snapshot.objects.create(source=source, requested_url=source.url, error="timeout")
    Snapshot.objects.filter(pk=failed.pk).update(fetched_at=timezone.now() - timedelta(days=1))
    story = publish_story(writer, reviewer, editor, sources=[source])
    Snapshot.objects.create(source=source, requested_url=source.url, status_code=200)  # later
    page = html(client.get(story.get_absolute_url()))
    links = re.findall(r'href="/sources/snapshots/(\d+)/"', page)
    assert links == [str(old.pk)]


def test_story_page_puts_archive_first_when_link_is_broken(client, writer, reviewer, editor):
    source = SourceFactory(health="broken")
    snapshot = Snapshot.objects.create(source=source, requested_url=source.url, status_code=200)
    Snapshot.objects.filter(pk=snapshot.pk).update(fetched_at=timezone.now() - timedelta(days=1))
    story = publish_story(writer, reviewer, editor, sources=[source])
    page = html(client.get(story.get_absolute_url()))
    item = page[page.index('<li id="source-1"'):]
    assert item.index(f"/sources/snapshots/{snapshot.pk}/") < item.index(f'href="{source.url}"')
    assert "reported broken" in item


def test_story_page_shows_corrections_with_dates(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor, body="Five cranes arrived [@src-x].",
                          sources=[SourceFactory(key="src-x")])
    republish(story, writer, reviewer, editor, body="Three cranes arrived [@src-x].",
              note="An earlier version gave the wrong number of cranes.")
    page = html(client.get(story.get_absolute_url()))
    assert 'class="corrections"' in page
    assert "An earlier version gave the wrong number of cranes." in page
    assert timezone.now().strftime("%-d %B %Y") in page
    assert "Three cranes arrived" in page and "Five cranes" not in page
    assert "Updated <time" in page


def test_retracted_story_keeps_its_url_with_notice(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor)
    services.story_retract(story_id=story.pk, user=editor, reason="The central source was forged.")
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    page = html(response)
    assert "This story was retracted" in page
    assert "The central source was forged." in page


def test_unknown_story_is_404(client, db):
    assert client.get(reverse("story-detail", args=["nope"])).status_code == 404


def test_history_lists_published_revisions_with_reviewers_notes_and_diff(
        client, writer, reviewer, second_reviewer, editor):
    source = SourceFactory(key="src-h")
    story = publish_story(writer, reviewer, editor, body="Five cranes arrived [@src-h].",
                          sources=[source])
    services.story_update(story_id=story.pk, user=writer, body="Three cranes arrived [@src-h].")
    services.story_submit(story_id=story.pk, user=writer)
    from tests.public.helpers import approve
    approve(story, second_reviewer)
    services.story_publish(story_id=story.pk, revision=approved_hash(story),
                           user=editor, note="Corrected the crane count.")
    page = html(client.get(reverse("story-history", args=[story.slug])))
    assert page.count('class="trail-entry"') == 2
    assert "First Reviewer" in page and "Second Reviewer" in page
    assert "Corrected the crane count." in page
    assert "<del>Five</del>" in page and "<ins>Three</ins>" in page


def test_history_leaves_out_unpublished_revisions(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor)
    services.story_update(story_id=story.pk, user=writer, body="Secret draft text [@src-0].")
    page = html(client.get(reverse("story-history", args=[story.slug])))
    assert page.count('class="trail-entry"') == 1
    assert "Secret draft" not in page


def test_history_of_unpublished_story_is_404(client, writer):
    from tests.factories import make_story
    story = make_story(writer, title="Draft only")
    assert client.get(reverse("story-history", args=[story.slug])).status_code == 404


def test_preview_link_shows_revision_with_banner_and_noindex(client, writer, editor):
    from tests.factories import make_story
    story = make_story(writer, title="Embargoed scoop", body="Big news [@p1].",
                       sources=[SourceFactory(key="p1")])
    link = services.preview_link_create(revision_id=story.latest_revision_id, user=editor,
                                        expires_at=timezone.now() + timedelta(days=1))
    response = client.get(reverse("preview", args=[link.token]))
    page = html(response)
    assert response.status_code == 200
    assert "Preview — not published" in page
    assert '<meta name="robots" content="noindex">' in page
    assert "Embargoed scoop" in page and "Big news" in page


@pytest.mark.parametrize("state", ["expired", "revoked", "unknown"])
def test_preview_link_expired_revoked_or_unknown_is_404(client, writer, editor, state):
    from tests.factories import make_story
    story = make_story(writer, title="Embargoed scoop")
    link = services.preview_link_create(revision_id=story.latest_revision_id, user=editor,
                                        expires_at=timezone.now() + timedelta(days=1))
    token = link.token
    if state == "expired":
        type(link).objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(1))
    elif state == "revoked":
        services.preview_link_revoke(link_id=link.pk, user=editor)
    else:
        token = "not-a-token"
    assert client.get(reverse("preview", args=[token])).status_code == 404


def source_item(page: str, number: int) -> str:
    return re.search(rf'<li id="source-{number}".*?</li>', page, re.S).group()


def test_each_listed_source_links_back_to_the_claims_citing_it(client, writer, reviewer,
                                                                editor):
    a, b, unused = SourceFactory(), SourceFactory(), SourceFactory()
    body = (f"Cranes arrived on Friday [@{a.key}]. They cost 40 million [@{a.key}; @{b.key}].\n\n"
            f"The quay was rebuilt [@{b.key}, p. 2].")
    story = publish_story(writer, reviewer, editor, body=body, sources=[a, b, unused])
    page = html(client.get(story.get_absolute_url()))

    assert 'aria-label="Back to claim 1">1</a>' in source_item(page, 1)
    assert 'aria-label="Back to claim 2">2</a>' in source_item(page, 1)
    assert "Back to claims" in source_item(page, 1)
    assert re.findall(r'href="#claim-(\d+)"', source_item(page, 2)) == ["2", "3"]
    assert "Back to claim" not in source_item(page, 3)  # listed, cited by no claim
    for target in set(re.findall(r'href="#(claim-\d+)"', page)):
        assert page.count(f'id="{target}"') == 1


def test_a_source_cited_by_one_claim_links_back_to_it_in_words(client, writer, reviewer, editor):
    only = SourceFactory()
    story = publish_story(writer, reviewer, editor, body=f"Cranes arrived [@{only.key}].",
                          sources=[only])
    item = source_item(html(client.get(story.get_absolute_url())), 1)
    assert '<a class="source-backref" href="#claim-1">Back to claim 1</a>' in item


def test_a_retracted_story_still_links_back_to_its_claims(
        client, writer, reviewer, editor):
    only = SourceFactory()
    story = publish_story(writer, reviewer, editor, body=f"Cranes arrived [@{only.key}].",
                          sources=[only])
    services.story_retract(story_id=story.pk, user=editor, reason="The figures were wrong.")
    item = source_item(html(client.get(story.get_absolute_url())), 1)
    assert 'href="#claim-1">Back to claim 1</a>' in item
