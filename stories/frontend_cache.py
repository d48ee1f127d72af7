"""Purging the edge cache (Varnish now, a CDN's API later) when a public page changes.

Like Wagtail's ``frontend_cache``: ``settings.NEWSROOM_FRONTEND_CACHE`` names a backend class
and its options (``{"BACKEND": "stories.frontend_cache.VarnishBackend", "LOCATION":
"http://127.0.0.1:6081"}``); unset, nothing is purged. Purges run in tasks queued on commit
(``stories.tasks``), so a page is purged only once the change it shows is visible to the next
request, and a cache that is down retries instead of failing the editor's action.
"""

from __future__ import annotations

import logging
import re
import urllib.request
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from audit import queueing

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


class BaseBackend:
    """Removes pages from one edge cache, by path (every host and query string of it)."""

    def __init__(self, params: dict):
        self.params = params

    def purge(self, paths: list[str]) -> None:
        raise NotImplementedError


class VarnishBackend(BaseBackend):
    """One HTTP ``BAN`` to Varnish (deploy/varnish/default.vcl) whose ``X-Ban-Url`` header is
    a regular expression over the paths; LOCATION is Varnish's address, from an address its
    ``purgers`` ACL allows."""

    def purge(self, paths: list[str]) -> None:
        for pattern in ban_patterns(paths):
            request = urllib.request.Request(  # noqa: S310 - LOCATION is the operator's setting
                self.params["LOCATION"].rstrip("/") + "/", method="BAN",
                headers={"X-Ban-Url": pattern})
            with urllib.request.urlopen(request, timeout=self.params.get("TIMEOUT", 5)) as answer:  # noqa: S310  # nosec B310
                answer.read()


def ban_patterns(paths: list[str], limit: int = BAN_PATTERN_CHARS) -> list[str]:
    """Regular expressions matching exactly these paths (with any query string), each under
    ``limit`` characters: a source cited by thousands of stories is purged in several BANs."""
    patterns, group, size = [], [], 0
    for escaped in (re.escape(p) for p in sorted(set(paths))):
        if group and size + len(escaped) + 1 > limit - 16:
            patterns.append(group)
            group, size = [], 0
        group.append(escaped)
        size += len(escaped) + 1
    if group:
        patterns.append(group)
    return ["^(" + "|".join(group) + r")(\?.*)?$" for group in patterns]


@lru_cache(maxsize=4)
def _backend(backend: str, location: str) -> BaseBackend:
    return import_string(backend)(settings.NEWSROOM_FRONTEND_CACHE)


def backend() -> BaseBackend | None:
    """The configured edge cache, or None."""
    config = settings.NEWSROOM_FRONTEND_CACHE
    if not config:
        return None
    return _backend(config["BACKEND"], config.get("LOCATION", ""))


def purge(paths: list[str]) -> None:
    """Purge these paths from the edge cache, if one is configured (raises OSError when it
    cannot be reached: tasks retry)."""
    found = backend()
    if found is not None and paths:
        found.purge(paths)


def _path(name: str, *args) -> list[str]:
    try:
        return [reverse(name, args=args)]
    except NoReverseMatch:  # a page this deployment does not serve
        return []


def story_paths(story) -> list[str]:
    """Every public path showing this story: its pages, its authors', its sources', the API
    detail and the listings."""
    paths = [*_path("story-detail", story.slug), *_path("story-history", story.slug),
             *_path("story-evidence", story.slug),
             *_path("api-public-story-detail", story.slug),
             *_path("api-public-story-evidence", story.slug),
             *_path("api-public-story-canonical", story.slug),
             *_path("sitemap-stories", story.pk // STORIES_PER_FILE)]
    for name in LISTINGS:
        paths += _path(name)
    for username in story.authors.values_list("username", flat=True):
        paths += _path("author-detail", username)
    live = story.live_revision
    for key in (live.source_keys or []) if live else []:
        paths += _path("source-detail", key)
    return paths + revision_snapshot_paths(live)


def revision_snapshot_paths(revision) -> list[str]:
    """The archived-copy pages of every snapshot this revision pins: publishing it makes them
    public, and replacing it (a correction) can make them private again."""
    paths = []
    for pin in revision.pins if revision is not None else []:
        if pin.snapshot_id:
            for name in SNAPSHOT_PAGES:
                paths += _path(name, pin.snapshot_id)
    return paths


def source_paths(source) -> list[str]:
    """The source's page and the pages of every published story citing it."""
    from . import selectors

    paths = _path("source-detail", source.key)
    for story in selectors.stories_citing(source):
        paths += story_paths(story)
    return paths


def author_paths(user) -> list[str]:
    """The author's page and the pages of every published story they wrote."""
    from . import selectors

    paths = _path("author-detail", user.get_username())
    for story in selectors.published_stories().filter(authors=user):
        paths += story_paths(story)
    return paths


# --- what else changes a live page: library entries (link health), names, bylines ------------


def _queue(task_name: str, *args) -> None:
    if backend() is None:  # no edge cache: nothing to purge, no task to queue
        return
    from . import tasks

    queueing.on_commit(getattr(tasks, task_name), *args)


@receiver(post_save, sender="sources.Source", dispatch_uid="frontend-cache-source")
def _source_saved(sender, instance, created, **kwargs):
    if not created:  # a new source is cited by no live page yet
        _queue("source_changed", instance.pk)


@receiver(post_save, sender=get_user_model(), dispatch_uid="frontend-cache-author")
def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    if not created and update_fields != frozenset({"last_login"}):
        _queue("author_changed", instance.pk)


@receiver(m2m_changed, sender="stories.Story_authors", dispatch_uid="frontend-cache-byline")
def _byline_changed(sender, instance, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear") and getattr(
            instance, "live_revision_id", None):
        _queue("page_published", instance.pk)
