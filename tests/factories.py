"""factory_boy factories for the newsroom's models."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from sources.models import Source
from stories import services


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User {n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    key = factory.Sequence(lambda n: f"src-{n}")
    url = factory.Sequence(lambda n: f"https://news.example.org/articles/{n}")
    title = factory.Sequence(lambda n: f"Port traffic report number {n}")
    outlet = "Example Wire"
    kind = "article"


def make_story(author, *, title="Harbour cranes arrive", body="", sources=(), **kwargs):
    """Create a story through the workflow, as a writer would."""
    return services.story_create(
        author=author, title=title, body=body,
        source_keys=[s.key if hasattr(s, "key") else s for s in sources], **kwargs,
    )


def latest_hash(story) -> str:
    """The content hash of the story's latest revision, as a reviewer reads it."""
    from stories.models import Story

    revision = Story.objects.select_related("latest_revision").get(pk=story.pk).latest_revision
    return revision.content_hash if revision else ""


def approved_hash(story) -> str:
    """The content hash of the story's approved revision ("" when none), as an editor sees it."""
    from stories.models import Story

    revision = Story.objects.select_related("approved_revision").get(pk=story.pk).approved_revision
    return revision.content_hash if revision else ""


def tamper_revision(revision_id: int, **fields) -> None:
    """Change a saved revision's row the way only someone bent on tampering could: past the
    application, which refuses every change (stories.models.InsertOnlyQuerySet)."""
    from django.db.models import QuerySet

    from stories.models import Revision

    QuerySet(model=Revision).filter(pk=revision_id).update(**fields)
