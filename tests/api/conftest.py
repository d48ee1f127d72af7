import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from stories import services
from stories.models import Story
from tests.factories import SourceFactory, approved_hash, latest_hash, make_story

BODY = "The port handled 4.2 million containers in 2024 [@port-annual]."


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def approve(story, reviewer):
    checks = [services.CheckInput(claim=c.ordinal, verdict="supported")
              for c in story.latest_revision.claims.all()]
    services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                           reviewer=reviewer, decision="approve",
                           checks=checks)


def story_in(state, *, author, reviewer, editor, title="Harbour cranes arrive", body=BODY):
    """A story brought to `state` through the workflow services."""
    SourceFactory(key="port-annual") if not _has_source("port-annual") else None
    story = make_story(author, title=title, body=body, sources=["port-annual"])
    if state == "draft":
        return Story.objects.get(pk=story.pk)
    services.story_submit(story_id=story.pk, user=author)
    if state == "changes_requested":
        services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                               reviewer=reviewer,
                               decision="request_changes", comment="Add the source page.")
    if state in ("approved", "published", "retracted"):
        approve(Story.objects.get(pk=story.pk), reviewer)
    if state in ("published", "retracted"):
        services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    if state == "retracted":
        services.story_retract(story_id=story.pk, user=editor, reason="The figures were wrong.")
    return Story.objects.get(pk=story.pk)


def _has_source(key):
    from sources.models import Source

    return Source.objects.filter(key=key).exists()


@pytest.fixture
def roles(writer, other_writer, reviewer, editor):
    return {"anonymous": None, "author": writer, "other_writer": other_writer,
            "reviewer": reviewer, "editor": editor}


@pytest.fixture
def make(writer, reviewer, editor):
    def build(state, **kwargs):
        return story_in(state, author=writer, reviewer=reviewer, editor=editor, **kwargs)
    return build


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2 at full strength costs ~1 s per test user; these tests don't exercise hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
