"""The RSS feed as a real feed reader reads it."""

import feedparser
import pytest

from tests.public.helpers import publish_story


@pytest.fixture
def feed(client, writer, reviewer, editor):
    publish_story(writer, reviewer, editor, title="Tom's cranes <arrive> & unload",
                  dek="The port's \"new\" cranes: 4 < 5 & rising.")
    response = client.get("/feed/", HTTP_HOST="localhost")
    assert response.status_code == 200
    return feedparser.parse(response.content)


def test_the_feed_is_well_formed_rss(feed):
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version.startswith("rss")


def test_titles_and_descriptions_read_as_written_never_double_escaped(feed):
    entry = feed.entries[0]
    assert entry.title == "Tom's cranes <arrive> & unload"
    assert entry.summary == "The port's \"new\" cranes: 4 &lt; 5 &amp; rising."
    assert "&#x27;" not in entry.summary and "&amp;#" not in entry.summary


def test_each_guid_is_the_storys_absolute_permalink(feed):
    entry = feed.entries[0]
    assert entry.id.startswith("http://localhost/stories/")
    assert entry.link == entry.id


@pytest.mark.parametrize("path", ["/feed/", "/corrections/feed/"])
def test_control_characters_typed_into_a_story_never_break_the_feeds(client, writer, reviewer,
                                                                     editor, path):
    # XML 1.0 has no C0 control characters: Django's feed writer refuses them (a 500 for the
    # whole feed, every reader's). None is kept in what a writer or an editor types for readers.
    from tests.public.helpers import republish

    story = publish_story(writer, reviewer, editor, title="Ferry\x01 fares\x1b rise",
                          dek="Up\x0b 4%\x7f.")
    republish(story, writer, reviewer, editor, note="Fare\x08 was\x1f wrong.",
              body=story.body + " More.")
    response = client.get(path, HTTP_HOST="localhost")
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert "Ferry fares rise" in parsed.entries[0].title


def test_a_note_saved_with_a_control_character_before_the_rule_still_leaves_a_feed(
        client, writer, reviewer, editor):
    from stories.models import Correction
    from tests.public.helpers import republish

    story = publish_story(writer, reviewer, editor, title="Ferry fares rise")
    republish(story, writer, reviewer, editor, note="Fare was wrong.", body=story.body + " More.")
    Correction.objects.filter(story=story).update(note="Fare\x01 was wrong.")
    response = client.get("/corrections/feed/", HTTP_HOST="localhost")
    assert response.status_code == 200
    assert feedparser.parse(response.content).entries[0].summary == "Fare was wrong."
