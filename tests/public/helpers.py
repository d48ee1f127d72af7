"""Publish stories the way the newsroom does: write, submit, review every claim, publish."""

from stories import services
from stories.models import Story
from tests.factories import SourceFactory, approved_hash, latest_hash, make_story


def approve(story: Story, reviewer) -> None:
    """Submit-free approval: the reviewer checks every claim of the latest revision."""
    story.refresh_from_db()
    ordinals = story.latest_revision.claims.values_list("ordinal", flat=True)
    services.review_submit(
        story_id=story.pk, base_revision=latest_hash(story), reviewer=reviewer, decision="approve",
        checks=[services.CheckInput(claim=o, verdict="supported") for o in ordinals],
    )


def publish_story(writer, reviewer, editor, *, title="Harbour cranes arrive", body=None,
                  sources=None, dek="", **kwargs) -> Story:
    """A story taken through submit, approval and publication; returns it fresh from the DB."""
    if sources is None:
        sources = [SourceFactory(), SourceFactory()]
    if body is None:
        keys = [s.key if hasattr(s, "key") else s for s in sources]
        body = " ".join(f"Claim number {i + 1} is true [@{k}]." for i, k in enumerate(keys))
    story = make_story(writer, title=title, body=body, sources=sources, dek=dek, **kwargs)
    services.story_submit(story_id=story.pk, user=writer)
    approve(story, reviewer)
    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    story.refresh_from_db()
    return story


def republish(story: Story, writer, reviewer, editor, *, note="Fixed a figure.",
              note_kind="correction", **changes) -> Story:
    """Edit a published story and publish the edit with a public note."""
    services.story_update(story_id=story.pk, user=writer, **changes)
    services.story_submit(story_id=story.pk, user=writer)
    approve(story, reviewer)
    services.story_publish(story_id=story.pk, revision=approved_hash(story),
                           user=editor, note=note, note_kind=note_kind)
    story.refresh_from_db()
    return story


SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def sitemap_index(client, **extra) -> dict[str, str]:
    """The sitemap index at /sitemap.xml as a crawler reads it: each file's address and
    lastmod."""
    import xml.etree.ElementTree as ET  # noqa: S405 - our own sitemap

    index = ET.fromstring(client.get("/sitemap.xml", **extra).content)  # noqa: S314  # nosec B314
    return {entry.findtext(f"{SITEMAP_NS}loc"): entry.findtext(f"{SITEMAP_NS}lastmod")
            for entry in index.iter(f"{SITEMAP_NS}sitemap")}


def sitemap_urls(client) -> list[str]:
    """Every page URL the sitemap lists: the index at /sitemap.xml, then each file it names."""
    import xml.etree.ElementTree as ET  # noqa: S405 - our own sitemap

    urls = []
    for file_url in sitemap_index(client):
        file = ET.fromstring(client.get(file_url).content)  # noqa: S314  # nosec B314
        urls += [url.text for url in file.iter(f"{SITEMAP_NS}loc")]
    return urls
