"""Today's top stories, ranked by anonymous hourly page-view counts; sharing and link cards."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from stories import reader_selectors
from stories.models import PageView, Story
from tests.public.helpers import publish_story, republish

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126 Safari/537.36"


def view(client, story, agent=BROWSER, address="192.0.2.1"):
    return client.post(reverse("story-viewed", args=[story.slug]), HTTP_USER_AGENT=agent,
                       REMOTE_ADDR=address)


def total(story) -> int:
    return sum(PageView.objects.filter(story=story).values_list("count", flat=True))


def test_a_view_is_counted_once_per_address_and_hour_without_storing_the_address(client,
                                                                                live_story):
    assert view(client, live_story).status_code == 204
    view(client, live_story)
    view(client, live_story, address="192.0.2.2")
    assert total(live_story) == 2
    row = PageView.objects.get()
    assert row.hour == row.hour.replace(minute=0, second=0, microsecond=0)
    assert "192.0.2" not in str(PageView.objects.values().get())


@pytest.mark.parametrize("agent", ["", "Googlebot/2.1 (+http://www.google.com/bot.html)",
                                   "curl/8.5.0", "python-requests/2.32",
                                   "facebookexternalhit/1.1", "HeadlessChrome/126"])
def test_bots_are_not_counted(client, live_story, agent):
    assert view(client, live_story, agent=agent).status_code == 204
    assert total(live_story) == 0


def test_a_get_writes_nothing(client, live_story):
    response = client.get(reverse("story-viewed", args=[live_story.slug]),
                          HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 405 and total(live_story) == 0


def test_an_unpublished_story_is_not_counted(client, writer):
    from tests.factories import make_story

    draft = make_story(writer, title="Draft")
    assert view(client, draft).status_code == 404
    assert not PageView.objects.exists()


def test_top_stories_rank_todays_stories_by_views_then_newest(writer, reviewer, editor):
    old = publish_story(writer, reviewer, editor, title="Old news")
    Story.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=3))
    quiet = publish_story(writer, reviewer, editor, title="Quiet")
    busy = publish_story(writer, reviewer, editor, title="Busy")
    newest = publish_story(writer, reviewer, editor, title="Newest")
    hour = reader_selectors.hour_of(timezone.now())
    PageView.objects.create(story=busy, hour=hour, count=40)
    PageView.objects.create(story=quiet, hour=hour - timedelta(hours=2), count=3)
    PageView.objects.create(story=old, hour=hour, count=500)  # popular, but not today's
    ids = reader_selectors.top_story_ids(count=4)
    assert ids[:3] == [busy.pk, quiet.pk, newest.pk]
    assert ids[3] == old.pk  # a quiet day fills up with the most read


def test_views_older_than_a_day_do_not_count(writer, reviewer, editor):
    a = publish_story(writer, reviewer, editor, title="A")
    b = publish_story(writer, reviewer, editor, title="B")
    PageView.objects.create(story=a, hour=reader_selectors.hour_of(
        timezone.now() - timedelta(days=2)), count=999)
    assert reader_selectors.top_story_ids(count=2) == [b.pk, a.pk]


def test_the_story_page_lists_todays_top_stories_without_itself(client, writer, reviewer,
                                                                editor):
    here = publish_story(writer, reviewer, editor, title="Cranes arrive")
    publish_story(writer, reviewer, editor, title="Ferry fares rise", dek="By 4%.")
    page = client.get(here.get_absolute_url()).content.decode()
    top = page[page.index('id="top-stories-title"'):]
    top = top[:top.index("</section>")]
    assert "Ferry fares rise" in top and "By 4%." in top and "Cranes arrive" not in top
    assert "2 sources · reviewed by First Reviewer" in top
    home = client.get("/").content.decode()
    assert "Today's top stories" in home


def test_a_retracted_story_is_not_a_top_story(writer, reviewer, editor):
    from stories import services

    gone = publish_story(writer, reviewer, editor, title="Gone")
    services.story_retract(story_id=gone.pk, user=editor, reason="Wrong.")
    assert gone.pk not in reader_selectors.top_story_ids(count=5)


def test_top_stories_show_a_correction_and_drop_a_retraction_at_the_next_request(
        client, writer, reviewer, editor, django_capture_on_commit_callbacks):
    from stories import services

    story = publish_story(writer, reviewer, editor, title="Cranes arrive")
    assert "Cranes arrive" in top_of(client.get("/"))  # built, and kept for a minute
    with django_capture_on_commit_callbacks(execute=True):
        republish(story, writer, reviewer, editor, title="Four cranes arrive")
    assert "Four cranes arrive" in top_of(client.get("/"))
    with django_capture_on_commit_callbacks(execute=True):
        services.story_retract(story_id=story.pk, user=editor, reason="Wrong port.")
    assert top_of(client.get("/")) == ""


def top_of(response) -> str:
    """The text of the page's "Today's top stories" section ("" when it has none)."""
    page = response.content.decode()
    if 'id="top-stories-title"' not in page:
        return ""
    top = page[page.index('id="top-stories-title"'):]
    return top[:top.index("</section>")]


def test_share_links_are_plain_links_with_the_canonical_address(client, live_story):
    page = client.get(live_story.get_absolute_url()).content.decode()
    share = page[page.index('class="share"'):]
    share = share[:share.index("</section>")]
    encoded = "http%3A%2F%2Ftestserver%2Fstories%2Fharbour-cranes-arrive%2F"
    for start in ("mailto:?subject=Harbour%20cranes%20arrive&amp;body=" + encoded,
                  "https://bsky.app/intent/compose?text=", "https://www.facebook.com/sharer/"
                  "sharer.php?u=" + encoded, "https://www.linkedin.com/sharing/"):
        assert start in share
    assert "<script" not in share and "<iframe" not in share
    assert 'class="share-native" hidden' in share and 'class="share-copy" hidden' in share


def test_link_cards_carry_title_dek_and_the_first_figure(client, writer, reviewer, editor):
    from stories.models import Image
    from tests.factories import SourceFactory

    source = SourceFactory()
    image = Image.objects.create(file="figures/cranes.png", alt="Three cranes at Berth 4",
                                 width=800, height=600)
    story = publish_story(writer, reviewer, editor, title="Cranes arrive", dek="Three of them.",
                          body=f"![Cranes](image:{image.pk})\n\nThey came [@{source.key}].",
                          sources=[source])
    page = client.get(story.get_absolute_url()).content.decode()
    assert '<meta property="og:title" content="Cranes arrive">' in page
    assert '<meta property="og:description" content="Three of them.">' in page
    assert '<meta property="og:image" content="http://testserver/media/figures/cranes.png' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page


def test_a_story_without_a_figure_has_a_summary_card(client, live_story):
    page = client.get(live_story.get_absolute_url()).content.decode()
    assert '<meta name="twitter:card" content="summary">' in page
    assert "og:image" not in page
