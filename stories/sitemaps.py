"""Sitemap entries for the public site: only published stories."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from . import selectors


class StorySitemap(Sitemap):
    """Every published story, with the time its live text last changed."""

    changefreq = "daily"
    priority = 0.8
    limit = 5000

    def items(self):
        return selectors.published_stories()

    def lastmod(self, item):
        return item.retracted_at or item.live_updated_at or item.published_at


class PagesSitemap(Sitemap):
    """The home page."""

    changefreq = "hourly"
    priority = 1.0

    def items(self):
        return ["home"]

    def location(self, item):
        return reverse(item)


SITEMAPS = {"stories": StorySitemap, "pages": PagesSitemap}
