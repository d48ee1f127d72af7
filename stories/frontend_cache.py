"""Purging the edge cache (Varnish now, a CDN's API later) when a public page changes.

Like Wagtail's ``frontend_cache``: ``settings.NEWSROOM_FRONTEND_CACHE`` names a backend class
and its options (``{"BACKEND": "stories.frontend_cache.VarnishBackend", "LOCATION":
"http://127.0.0.1:6082"}``, Varnish's purge listener); unset, nothing is purged. Purges run in
tasks queued on commit (``stories.tasks``), so a page is purged only once the change it shows
is visible to the next request, and a cache that is down retries instead of failing the
editor's action.

A story's own change purges its pages by path. A library entry or a user shows on as many
story pages as cite or credit them (a source cited by 10,000 stories): those pages carry
surrogate keys (``Surrogate-Key: story-12 author-3 source-harbour-2024``, as Fastly and
Varnish set-ups use them), and one ban by key clears them all, whatever their number.
"""

from __future__ import annotations

import logging
import re
import urllib.request
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils.module_loading import import_string

from audit import queueing
from sources.models import Snapshot, Source

from . import pages, selectors, tasks
from .models import Story
from .sitemaps import STORIES_PER_FILE

log = logging.getLogger(__name__)

# Public pages that list stories: any publish, correction or retraction can change them.
LISTINGS = ("home", "feed", "sitemap", "search", "corrections", "corrections-feed",
            "transparency", "api-public-story-list",
            # The transparency log grows with each of them (its head, entries and proofs).
            "well-known-transparency", "api-transparency-log", "api-transparency-tree-head",
            "api-transparency-entries", "api-transparency-inclusion",
            "api-transparency-consistency")
# The pages of one archived copy: who may open them depends on which live revisions pin it.
SNAPSHOT_PAGES = ("snapshot-detail", "snapshot-replay", "snapshot-warc", "snapshot-screenshot")
# Varnish refuses a request header longer than its http_req_hdr_len (8 KB by default): one BAN
# carries at most this many characters of pattern, and a longer list is sent in several.
BAN_PATTERN_CHARS = 6000
# The response header naming what a public answer shows (Varnish keeps it with the object and
# bans on it; deploy/varnish/default.vcl removes it before answering readers).
TAG_HEADER = "Surrogate-Key"


class BaseBackend:
    """Removes pages from one edge cache, by path (every host and query string of it)."""

    def __init__(self, params: dict):
        self.params = params

    def purge(self, paths: list[str]) -> None:
        raise NotImplementedError

    def purge_tags(self, tags: list[str]) -> None:
        """Remove every cached answer labelled with one of these surrogate keys."""
        raise NotImplementedError


class VarnishBackend(BaseBackend):
    """HTTP ``BAN`` requests to Varnish (deploy/varnish/default.vcl): ``X-Ban-Url`` carries a
    regular expression over paths, ``X-Ban-Tags`` one over surrogate keys, each under
    BAN_PATTERN_CHARS; LOCATION is Varnish's address, from an address its ``purgers`` ACL
    allows."""

    def purge(self, paths: list[str]) -> None:
        for pattern in ban_patterns(paths, "^(", r")(\?.*)?$"):
            self._ban("X-Ban-Url", pattern)

    def purge_tags(self, tags: list[str]) -> None:
        for pattern in ban_patterns(tags, r"(^|\s)(", r")(\s|$)"):
            self._ban("X-Ban-Tags", pattern)

    def _ban(self, header: str, pattern: str) -> None:
        request = urllib.request.Request(  # noqa: S310 - LOCATION is the operator's setting
            self.params["LOCATION"].rstrip("/") + "/", method="BAN", headers={header: pattern})
        with urllib.request.urlopen(request, timeout=self.params.get("TIMEOUT", 5)) as answer:  # noqa: S310  # nosec B310
            answer.read()


def ban_patterns(values: list[str], before: str, after: str,
                 limit: int = BAN_PATTERN_CHARS) -> list[str]:
    """Regular expressions ``before(v1|v2|...)after`` matching exactly these values, each
    under ``limit`` characters: a story citing hundreds of sources is purged in several BANs."""
    room = limit - len(before) - len(after)
    groups, group, size = [], [], 0
    for escaped in (re.escape(v) for v in sorted(set(values))):
        if group and size + len(escaped) + 1 > room:
            groups.append(group)
            group, size = [], 0
        group.append(escaped)
        size += len(escaped) + 1
    if group:
        groups.append(group)
    return [before + "|".join(group) + after for group in groups]


@lru_cache(maxsize=4)
def _backend(backend: str, location: str) -> BaseBackend:
    return import_string(backend)(settings.NEWSROOM_FRONTEND_CACHE)


def backend() -> BaseBackend | None:
    """The configured edge cache, or None."""
    config = settings.NEWSROOM_FRONTEND_CACHE
    if not config:
        return None
    return _backend(config["BACKEND"], config.get("LOCATION", ""))


def repeat_after() -> int:
    """Seconds after which each purge is sent again (the config's REPEAT_AFTER, 10 by default;
    0: never): longer than a page takes to render, so a copy the first purge missed because
    it was still being fetched is gone by then."""
    config = settings.NEWSROOM_FRONTEND_CACHE or {}
    return int(config.get("REPEAT_AFTER", 10))


def purge(paths: list[str], tags: list[str] = ()) -> None:
    """Purge these paths, and the answers labelled with these surrogate keys, from the edge
    cache, if one is configured (raises OSError when it cannot be reached: tasks retry)."""
    found = backend()
    if found is not None and paths:
        found.purge(paths)
    if found is not None and tags:
        found.purge_tags(list(tags))


# --- surrogate keys: what a public answer shows ---------------------------------------------


def story_tag(story_id: int) -> str:
    return f"story-{story_id}"


def author_tag(user_id: int) -> str:
    """A user a page names: as an author (byline) or as a reviewer ("Reviewed by")."""
    return f"author-{user_id}"


def source_tag(key: str) -> str:
    # Keys are unique whatever their case; quoting keeps a header value plain ASCII.
    return "source-" + quote(key.lower(), safe="")


def snapshot_tag(snapshot_id: int) -> str:
    """An archived copy, on the evidence packages holding it."""
    return f"snapshot-{snapshot_id}"


def tag(response, tags) -> object:
    """Label a public answer with the surrogate keys of what it shows."""
    if tags:
        known = response.get(TAG_HEADER, "").split()
        response[TAG_HEADER] = " ".join(dict.fromkeys([*known, *tags]))
    return response


def story_page_tags(page, history=()) -> list[str]:
    """A story page shows the story, its authors' and reviewers' names (and, on its history,
    those of the earlier versions shown) and its sources' link health."""
    return [story_tag(page.story.pk), *(author_tag(user.pk) for user in page.authors),
            *(author_tag(user_id) for user_id in page.reviewer_ids),
            *(author_tag(user_id) for entry in history for user_id in entry.reviewer_ids),
            *(source_tag(cited.key) for cited in page.sources)]


def top_stories_tags(shown) -> list[str]:
    """Today's top stories a page shows (stories.pages.top_stories_for): each one's headline
    and its reviewers' names, so a correction, a retraction or a rename bans every page
    showing them."""
    return [tag for pk, _html, reviewers in shown
            for tag in (story_tag(pk), *(author_tag(user_id) for user_id in reviewers))]


def teaser_tags(items) -> list[str]:
    """A list of teasers (an author's or a source's page) names each story's authors, co-authors
    included, and reviewers: a rename of any of them bans it. (Which stories it lists changes
    only with a publish or a byline change, which purge it by path: story_paths.)"""
    return [tag for item in items for tag in (
        *(author_tag(user.pk) for user in item.authors),
        *(author_tag(user_id) for user_id in item.reviewer_ids))]


def _path(name: str, *args) -> list[str]:
    return [reverse(name, args=args)]


def listing_paths() -> list[str]:
    """The public listings (every page of them: bans match any query string)."""
    return [path for name in LISTINGS for path in _path(name)]


def story_paths(story) -> list[str]:
    """Every public path showing this story: its pages, its authors', its sources', the API
    detail and the listings."""
    paths = [*_path("story-detail", story.slug), *_path("story-history", story.slug),
             *_path("story-evidence", story.slug),
             *_path("api-public-story-detail", story.slug),
             *_path("api-public-story-evidence", story.slug),
             *_path("api-public-story-canonical", story.slug),
             *_path("sitemap-stories", story.pk // STORIES_PER_FILE), *listing_paths()]
    for username in story.authors.values_list("username", flat=True):
        paths += _path("author-detail", username)
    live = story.live_revision
    return paths + revision_source_paths(live) + revision_snapshot_paths(live)


def revision_source_paths(revision) -> list[str]:
    """The pages of the sources this revision cites: replacing it with one that no longer
    cites a source takes the story off that source's page."""
    keys = (revision.source_keys or []) if revision is not None else []
    return [path for key in keys for path in _path("source-detail", key)]


def revision_snapshot_paths(revision) -> list[str]:
    """The archived-copy pages of every snapshot this revision pins: publishing it makes them
    public, and replacing it (a correction) can make them private again."""
    return [path for pin in (revision.pins if revision is not None else [])
            if pin.snapshot_id for path in snapshot_paths(pin.snapshot_id)]


def uncited_snapshot_paths(previous, live) -> list[str]:
    """The archived-copy pages of the sources `previous` cited and `live` does not, when no
    published story cites them any more: readers may no longer open any copy of them (pinned
    or not: selectors.public_snapshot)."""
    dropped = (set(previous.source_keys or []) if previous is not None else set()) - set(
        (live.source_keys or []) if live is not None else [])
    uncited = [source.pk for source in Source.objects.filter(key__in=dropped)
               if not selectors.stories_citing(source).exists()]
    ids = Snapshot.objects.filter(source__in=uncited).order_by("pk").values_list("pk", flat=True)
    return [path for snapshot_id in ids for path in snapshot_paths(snapshot_id)]


def snapshot_paths(snapshot_id: int) -> list[str]:
    """The pages of one archived copy (SNAPSHOT_PAGES)."""
    return [path for name in SNAPSHOT_PAGES for path in _path(name, snapshot_id)]


def source_purge(source) -> tuple[list[str], list[str]]:
    """(paths, tags) of a source edit: the source's page, and every page citing it (one ban by
    surrogate key)."""
    return _path("source-detail", source.key), [source_tag(source.key)]


def author_purge(user) -> tuple[list[str], list[str]]:
    """(paths, tags) of a rename: the author's page, the listings (their bylines) and every
    page naming them (one ban by surrogate key)."""
    return ([*_path("author-detail", user.get_username()), *listing_paths()],
            [author_tag(user.pk)])


# --- what else changes a live page: library entries (link health), names, bylines ------------


def _queue(task_name: str, *args) -> None:
    if backend() is None:  # no edge cache: nothing to purge, no task to queue
        return
    queueing.on_commit(getattr(tasks, task_name), *args)


@receiver(post_save, sender="sources.Source", dispatch_uid="frontend-cache-source")
def _source_saved(sender, instance, created, update_fields=None, **kwargs):
    # A new source is cited by no live page yet; a link check finding the same health again
    # (a sweep checks the whole library) changes none: no purge, no ban for Varnish to keep.
    if not created and update_fields != frozenset({"health_checked_at"}):
        _queue("source_changed", instance.pk)


@receiver(post_save, sender="sources.Snapshot", dispatch_uid="frontend-cache-snapshot")
def _snapshot_saved(sender, instance, created, **kwargs):
    if not created:  # archived later: a WARC written for an old capture, a screenshot taken
        _queue("snapshot_changed", instance.pk)


@receiver(post_save, sender=get_user_model(), dispatch_uid="frontend-cache-author")
def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    # A rename (any save but a sign-in's last_login stamp) reaches every page naming the user
    # on the next request, as a publish does (services.workflow): once committed, a new
    # generation of what is cached across stories (today's top stories show reviewers' names,
    # and the pages' ETags take them), and the edge purge.
    if not created and update_fields != frozenset({"last_login"}):
        queueing.after_commit(pages.live_changed)
        _queue("author_changed", instance.pk)


@receiver(m2m_changed, sender="stories.Story_authors", dispatch_uid="frontend-cache-byline")
def _byline_changed(sender, instance, action, reverse, pk_set=None, **kwargs):
    # From either side: story.authors.remove(user) or user.stories.remove(story).
    if backend() is None:
        return
    if action == "pre_clear":  # who (or what) is about to leave: post_clear does not say
        related = instance.stories if reverse else instance.authors
        instance._bylines_cleared = set(related.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if action == "post_clear":
        pk_set = instance.__dict__.pop("_bylines_cleared", set())
    if reverse:  # instance is the user, pk_set the stories
        live = sorted(Story.objects.filter(pk__in=pk_set or (), live_revision__isnull=False)
                      .values_list("pk", flat=True))
        users = [instance.pk]
    else:
        live = [instance.pk] if instance.live_revision_id else []
        users = sorted(pk_set or ())
    for story_id in live:  # its page, and the pages of the authors it now has
        _queue("page_published", story_id)
    if live and action != "post_add":
        # An author taken off a live byline: their page no longer lists the story.
        for user_id in users:
            _queue("author_changed", user_id)
