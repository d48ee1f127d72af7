import io
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image as PILImage

from sources import services as source_services
from sources.models import Snapshot, Source
from stories import services
from stories.models import Image, PreviewLink, Story
from tests.factories import UserFactory, approved_hash, latest_hash
from tests.security import payloads as P


@pytest.fixture(autouse=True)
def _empty_cache():
    # The public page cache and the throttles live in the cache; start each test clean.
    cache.clear()
    yield
    cache.clear()


def login(client, user):
    """Sign a newsroom member in to the admin (staff status is what the admin asks for)."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    client.force_login(user)


@pytest.fixture
def co_author(db):
    return UserFactory(username="coauthor", first_name="Co", last_name="Author",
                       roles=["Writers"])


def approve_all(story: Story, reviewer, *, note: str = "", comment: str = "") -> None:
    story.refresh_from_db()
    checks = [services.CheckInput(claim=o, verdict="supported", note=note)
              for o in story.latest_revision.claims.values_list("ordinal", flat=True)]
    services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                           reviewer=reviewer, decision="approve",
                           comment=comment, checks=checks)


def png_file(name="figure.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (2, 2), "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@dataclass
class HostileWorld:
    """Every user-writable field filled with payloads, stored through the services."""

    sources: list[Source] = field(default_factory=list)
    published: list[Story] = field(default_factory=list)
    corrected: Story | None = None
    retracted: Story | None = None
    in_review: Story | None = None
    draft: Story | None = None
    snapshot: Snapshot | None = None
    image: Image | None = None
    preview_link: PreviewLink | None = None

    @property
    def stories(self) -> list[Story]:
        extra = [self.in_review, self.draft]
        return [*self.published, *(s for s in extra if s is not None)]


def _body(payloads: list[tuple[int, str]], image_id: int) -> str:
    """Each payload in the Markdown contexts a writer can reach, every claim cited."""
    blocks = []
    for index, payload in payloads:
        payload = payload.replace("image:1", f"image:{image_id}")
        key = f"hostile-{index}"
        locator = (payload.replace("]", ")").replace("[", "(").replace(";", ",")
                   .replace("\n", " "))
        # One line, no closing full stop: the group after it must have claim text before it.
        flat = payload.replace("\n", " ").rstrip(".") + " rose"
        blocks += [
            payload,
            f"{flat} [@{key}].",
            f"Port traffic rose 5% after {flat} [@{key}, {locator}].",
            f"- {flat} [@{key}]",
            f"> {flat} [@{key}]",
            f"## {flat}",
            f"`{flat}` and [{flat}](https://example.org/{index}) [@{key}].",
        ]
    return "\n\n".join(blocks)


def build_hostile_world(*, writer, co_author, reviewer, editor) -> HostileWorld:
    world = HostileWorld()
    Source.objects.get_or_create(key="key-a", defaults={"title": "Key A",
                                                        "url": "https://example.org/key-a"})
    for index, payload in enumerate(P.STORABLE):
        offline = index % 5 == 0
        world.sources.append(source_services.source_create(
            user=writer, key=f"hostile-{index}", title=payload[:500], outlet=payload[:200],
            author=payload[:300], url="" if offline else f"https://example.org/src/{index}",
            description=payload, notes=payload,
        ))
    world.image = Image.objects.create(file=png_file(), alt=P.STORABLE[6], caption=P.STORABLE[0],
                                       credit=P.STORABLE[14][:200], uploaded_by=writer)
    world.snapshot = Snapshot.objects.create(
        source=world.sources[1], requested_url=world.sources[1].url,
        final_url=world.sources[1].url, status_code=200, title=P.STORABLE[7],
        text="\n\n".join(P.STORABLE),
    )
    numbered = list(enumerate(P.STORABLE))
    titles = P.chunks(P.STORABLE, 300)
    deks = P.chunks(P.STORABLE, 600)
    per_story = -(-len(numbered) // len(titles))
    for n, title in enumerate(titles):
        mine = numbered[n * per_story:(n + 1) * per_story]
        story = services.story_create(
            author=writer, title=title, dek=deks[n % len(deks)],
            body=_body(mine, world.image.pk), authors=[co_author],
        )
        story.refresh_from_db()
        errors = story.latest_revision.errors
        assert errors == [], [e["message"] for e in errors]
        services.story_submit(story_id=story.pk, user=writer)
        approve_all(story, reviewer, note=mine[0][1], comment=mine[-1][1])
        services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
        world.published.append(Story.objects.get(pk=story.pk))
    # A correction note and a retraction reason, both public.
    corrected = world.published[0]
    services.story_update(story_id=corrected.pk, user=writer,
                          body=corrected.body + "\n\nA late paragraph [@hostile-1].")
    services.story_submit(story_id=corrected.pk, user=writer)
    approve_all(corrected, reviewer, note=P.STORABLE[2])
    services.story_publish(story_id=corrected.pk, revision=approved_hash(corrected),
                           user=editor, note=" ".join(P.STORABLE[:20]))
    world.corrected = Story.objects.get(pk=corrected.pk)
    retracted = world.published[1]
    services.story_retract(story_id=retracted.pk, user=editor,
                           reason="\n".join(P.STORABLE[20:45]))
    world.retracted = Story.objects.get(pk=retracted.pk)
    world.published = [Story.objects.get(pk=s.pk) for s in world.published]
    # Unpublished ones: in review with hostile comments and notes, and a draft.
    in_review = services.story_create(author=writer, title=P.STORABLE[4], dek=P.STORABLE[39],
                                      body=_body(numbered[:8], world.image.pk))
    services.story_submit(story_id=in_review.pk, user=writer)
    services.review_submit(
        story_id=in_review.pk, base_revision=latest_hash(in_review),
        reviewer=reviewer, decision="comment",
        comment="\n".join(P.STORABLE),
        checks=[services.CheckInput(claim=i + 1, verdict="needs_source", note=p)
                for i, p in enumerate(P.STORABLE[:8])],
    )
    world.in_review = Story.objects.get(pk=in_review.pk)
    world.preview_link = services.preview_link_create(
        revision_id=world.in_review.latest_revision_id, user=editor,
        expires_at=timezone.now() + timedelta(days=1), label=P.STORABLE[5][:200])
    world.draft = services.story_create(author=writer, title=P.STORABLE[38],
                                        body="\n\n".join(P.STORABLE))
    return world


@pytest.fixture
def hostile(writer, co_author, reviewer, editor) -> HostileWorld:
    return build_hostile_world(writer=writer, co_author=co_author, reviewer=reviewer,
                               editor=editor)
