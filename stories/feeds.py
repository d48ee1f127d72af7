"""RSS of published stories: live titles and deks only."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.html import escape

from audit.services import display_name

from . import selectors


class LatestStoriesFeed(Feed):
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
        # Feed readers render <description> as HTML: send the dek as text, never as markup.
        return escape(item.live_revision.dek)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return item.get_absolute_url()

    item_guid_is_permalink = True

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.live_updated_at or item.published_at

    def item_author_name(self, item):
        return ", ".join(display_name(a) for a in item.authors.all()) or None
