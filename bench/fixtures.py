"""Benchmark data, made once per run through the workflow (stories.services), like real use.

Sources go straight into the library with bulk_create: source_create would queue a snapshot
fetch of every URL, and a benchmark must not touch the network.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from bench.generate import make_story
from sources.models import Source
from stories import services
from stories.models import Story
from stories.permissions import EDITORS, REVIEWERS, WRITERS

LIBRARY_SIZE = 300
HOME_STORIES = 20  # typical stories on the home page (plus the long one)


@dataclass(frozen=True)
class BenchData:
    """What the benchmarks request: slugs for readers, ids and users for the admin screens."""

    typical_slug: str
    long_slug: str
    draft_id: int  # 2,000-claim draft the writer opens and saves
    review_id: int  # 2,000-claim story waiting for review
    writer: object
    reviewer: object


def _user(username: str, group: str, last_name: str):
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": "Bench", "last_name": last_name,
                                     "is_staff": True})
    user.groups.add(Group.objects.get(name=group))
    return user


def _library() -> None:
    _, _, library = make_story(words=10, claims=1, sources=LIBRARY_SIZE)
    have = set(Source.objects.filter(key__in=library).values_list("key", flat=True))
    Source.objects.bulk_create([
        Source(key=info.key, title=info.title, outlet=info.outlet, url=info.url,
               health=info.health)
        for info in library.values() if info.key not in have
    ])


def _story(writer, slug: str, title: str, *, words: int, claims: int, sources: int,
           seed: int, listed: int | None = None) -> Story:
    story = Story.objects.filter(slug=slug).first()
    if story is not None:
        return story
    body, source_list, _ = make_story(words=words, claims=claims, sources=sources, seed=seed)
    keys = source_list if listed is None else sorted({*source_list, *_keys(listed)})
    return services.story_create(author=writer, title=title, slug=slug, body=body,
                                 dek="A generated story for the benchmarks.", source_keys=keys)


def _keys(count: int) -> list[str]:
    _, _, library = make_story(words=10, claims=1, sources=count)
    return list(library)


def _submit(story: Story, writer) -> None:
    if Story.objects.get(pk=story.pk).state == "draft":
        services.story_submit(story_id=story.pk, user=writer)


def _publish(story: Story, writer, reviewer, editor) -> None:
    if Story.objects.get(pk=story.pk).live_revision_id:
        return
    _submit(story, writer)
    claims = Story.objects.get(pk=story.pk).latest_revision.claims.values_list("ordinal",
                                                                               flat=True)
    services.review_submit(story_id=story.pk, base_revision=story.latest_revision.content_hash,
                           reviewer=reviewer, decision="approve",
                           checks=[services.CheckInput(claim=o, verdict="supported")
                                   for o in claims])
    services.story_publish(story_id=story.pk, revision=story.latest_revision.content_hash,
                           user=editor)


@transaction.atomic
def build() -> BenchData:
    """Users, a 300-source library, ~20 typical published stories and three 2,000-claim ones."""
    writer = _user("bench-writer", WRITERS, "Writer")
    reviewer = _user("bench-reviewer", REVIEWERS, "Reviewer")
    editor = _user("bench-editor", EDITORS, "Editor")
    _library()
    typical = []
    for i in range(HOME_STORIES):
        typical.append(_story(writer, f"typical-{i:02d}", f"Typical story {i}", words=1_500,
                              claims=15, sources=9, seed=100 + i, listed=9))
        _publish(typical[-1], writer, reviewer, editor)
    long_kwargs = {"words": 50_000, "claims": 2_000, "sources": LIBRARY_SIZE, "seed": 1}
    published = _story(writer, "long-published", "A 2,000-claim story", **long_kwargs)
    _publish(published, writer, reviewer, editor)
    draft = _story(writer, "long-draft", "A 2,000-claim draft", **long_kwargs)
    in_review = _story(writer, "long-review", "A 2,000-claim story in review", **long_kwargs)
    _submit(in_review, writer)
    return BenchData(typical_slug=typical[0].slug, long_slug=published.slug,
                     draft_id=draft.pk, review_id=in_review.pk, writer=writer,
                     reviewer=reviewer)
