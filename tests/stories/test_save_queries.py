from django.db import connection
from django.test.utils import CaptureQueriesContext

from stories import services
from tests.factories import SourceFactory, make_story


def body_with_claims(count: int, word: str) -> str:
    return "\n\n".join(f"Claim {word} number {i} holds [@port-data]." for i in range(count))


def queries_to_save(writer, claims: int) -> int:
    story = make_story(writer, title=f"Story with {claims} claims",
                       body=body_with_claims(claims, "first"), sources=["port-data"])
    with CaptureQueriesContext(connection) as captured:
        services.story_update(story_id=story.pk, user=writer,
                              base_revision=story.latest_revision.content_hash,
                              body=body_with_claims(claims, "second"), source_keys=["port-data"])
    assert story.revisions.count() == 2
    assert story.revisions.get(number=2).claims.count() == claims
    return len(captured)


def test_story_update_queries_do_not_grow_with_claims(writer):
    SourceFactory(key="port-data")

    assert queries_to_save(writer, 10) == queries_to_save(writer, 1_000)
