"""RSS of published stories: live titles and deks only."""

import html

from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.contrib.syndication.views import Feed, add_domain
from django.urls import reverse
from django.utils.feedgenerator import Rss201rev2Feed

from audit.services import display_name
from audit.text import without_control_characters

from . import selectors
from .caching import digest_validated_page


class XmlSafeRss(Rss201rev2Feed):
    """RSS 2.0 whose items carry no character XML 1.0 cannot: a title or note saved with a
    control character before the services removed them (a revision is never rewritten) would
    otherwise make Django's writer refuse the whole feed, a 500 for every reader."""

    def add_item(self, **kwargs):
        super().add_item(**{name: without_control_characters(value) if isinstance(value, str)
                            else value for name, value in kwargs.items()})


class ReaderFeed(Feed):
    """A public feed validated by its ETag alone (see public_feed), without Django's date."""

    feed_type = XmlSafeRss

    def __call__(self, request, *args, **kwargs):
        # Django dates a feed by its newest item, to the second. A feed also changes with what
        # has no newer date (a retraction's title prefix, a byline, a headline) and with a
        # second item dated in the same second: a cache comparing that date would keep the
        # old feed.
        response = super().__call__(request, *args, **kwargs)
        del response.headers["Last-Modified"]
        return response


def public_feed(feed: ReaderFeed):
    """The feed's view: cached like every public page, with an ETag (a digest of the feed) and
    a 304 when the reader's copy is the feed as it is now."""
    return digest_validated_page(feed)


class LatestStoriesFeed(ReaderFeed):
    """The 30 most recently published stories, as readers see them."""

    description_template = None

    def title(self):
        return f"{settings.NEWSROOM_SITE_NAME}: latest stories"

    def link(self):
        return reverse("home")

    def description(self):
        return "Fact-checked stories with numbered sources for every claim."

    def items(self):
        return selectors.published_stories()[:30]

    def item_title(self, item):
        prefix = "Retracted: " if item.retracted_at else ""
        return prefix + item.live_revision.title

    def item_description(self, item):
        # Feed readers render <description> as HTML: the dek's < > & become entities so it
        # reads as text. Quotes stay as they are (the XML writer escapes once more, and an
        # escaped quote would reach readers as "&#x27;").
        return html.escape(item.live_revision.dek, quote=False)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return item.get_absolute_url()

    item_guid_is_permalink = True

    def get_feed(self, obj, request):
        """The feed, with each permalink guid absolute as RSS requires (Django only makes the
        links absolute)."""
        feed = super().get_feed(obj, request)
        domain = get_current_site(request).domain
        for entry in feed.items:
            if entry.get("unique_id"):
                entry["unique_id"] = add_domain(domain, entry["unique_id"], request.is_secure())
        return feed

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.live_updated_at or item.published_at

    def item_author_name(self, item):
        return ", ".join(display_name(a) for a in item.authors.all()) or None


latest_stories_feed = public_feed(LatestStoriesFeed())
