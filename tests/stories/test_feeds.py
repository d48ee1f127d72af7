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
