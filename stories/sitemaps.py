"""The sitemap: an index (/sitemap.xml) of files that each list at most 500 published stories.

Stories go to files by id (ids 0-499 in /sitemap-stories-0.xml, 500-999 in -1, ...), so a
file is one range scan of the primary key and costs the same in any archive; the protocol
allows 50,000 URLs a file, and 500 keep each file quick to render. The index lists the files
that hold a published story, each with the newest change among its stories; it is one grouped
query, rendered once and cached until any story changes (its key holds the newest
Story.updated_at, an indexed look-up), so an unchanged index costs the same in any archive.

Each answer is cached like every public page and validated by a digest of it
(``caching.digest_validated_page``), with no Last-Modified: a file changes with what has no
newer date to the second (a second story published in the same second), and a crawler
revalidating by that date alone would be told its old copy is current.
"""

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.core.cache import cache
from django.db.models import F, Max
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse

from .caching import digest_validated_page
from .models import Story

STORIES_PER_FILE = 500
# What readers last saw change on a story page: a retraction, a correction, the publication.
LAST_CHANGE = Coalesce("retracted_at", "live_updated_at", "published_at")


class StorySitemap(Sitemap):
    """The published stories whose ids fall in one file's range, with their last change."""

    changefreq = "daily"
    priority = 0.8
    limit = STORIES_PER_FILE

    def __init__(self, file: int):
        self.file = file

    def items(self):
        start = self.file * STORIES_PER_FILE
        return (Story.objects.published().filter(pk__gte=start, pk__lt=start + STORIES_PER_FILE)
                .only("slug", "published_at", "live_updated_at", "retracted_at").order_by("pk"))

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


def _story_files() -> list[tuple[int, object]]:
    """(file number, newest change) of every file holding a published story."""
    return list(Story.objects.published().annotate(file=F("pk") / STORIES_PER_FILE)
                .values("file").annotate(last=Max(LAST_CHANGE)).order_by("file")
                .values_list("file", "last"))


@digest_validated_page
def sitemap_index(request):
    """/sitemap.xml: the pages file, then one file per 500 story ids, each with lastmod.

    The index grows with the archive (one entry per 500 ids), so the rendered XML is cached,
    keyed by the address it was asked on and the newest Story.updated_at: any change to any
    story makes a new key, and an unchanged archive is answered from the cache."""
    origin = f"{request.scheme}://{request.get_host()}"
    newest = Story.objects.aggregate(at=Max("updated_at"))["at"]
    key = (f"sitemap-index:{STORIES_PER_FILE}:{origin}:"
           f"{newest.isoformat() if newest else '-'}")
    xml = cache.get(key)
    if xml is None:
        entries = [sitemap_views.SitemapIndexItem(origin + reverse("sitemap-pages"), None)]
        entries += [
            sitemap_views.SitemapIndexItem(origin + reverse("sitemap-stories", args=[file]),
                                           last)
            for file, last in _story_files()
        ]
        xml = render_to_string("sitemap_index.xml", {"sitemaps": entries}, request)
        cache.set(key, xml, 24 * 3600)
    return HttpResponse(xml, content_type="application/xml")


def _sitemap(request, sitemaps: dict):
    # Django dates the file by its newest entry, to the second: no validator (see above).
    response = sitemap_views.sitemap(request, sitemaps)
    del response.headers["Last-Modified"]
    return response


@digest_validated_page
def sitemap_pages(request):
    return _sitemap(request, {"pages": PagesSitemap})


@digest_validated_page
def sitemap_stories(request, file: int):
    if file > 10**9:  # past any id: answered without a query
        raise Http404("No such sitemap file.")
    return _sitemap(request, {"stories": StorySitemap(file)})
