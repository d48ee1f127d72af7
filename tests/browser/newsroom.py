"""The small newsroom the page-by-page browser tests open (accessibility, the walk): a story
published and corrected once, and a story in review with a reviewer's comment."""

from stories import services
from stories.models import Story
from tests.factories import SourceFactory, latest_hash, make_story
from tests.public.helpers import publish_story, republish

BODY = ("The lock gates at Millbrook were replaced in 14 weeks, two weeks early "
        "[@canal-trust].\n\nBoat traffic fell by a fifth while they were shut "
        "[@canal-trust; @lock-counts, table 3].")


def canal_newsroom(writer, reviewer, editor) -> dict:
    """{"published": a corrected story, "in_review": a submitted one with a comment}."""
    for user in (writer, reviewer, editor):
        user.is_staff = True
        user.save()
    SourceFactory(key="canal-trust", title="Millbrook lock: works complete",
                  outlet="Canal and River Trust", url="https://canal.example.org/millbrook")
    SourceFactory(key="lock-counts", title="Lock passages by month", outlet="Waterways Data",
                  url="https://data.example.org/locks", kind="dataset")
    published = publish_story(writer, reviewer, editor, title="Millbrook lock reopens early",
                              dek="New gates after 14 weeks.", body=BODY,
                              sources=["canal-trust", "lock-counts"])
    published = republish(published, writer, reviewer, editor, note="The works took 14 weeks.",
                          body=BODY.replace("two weeks early", "a fortnight early"))
    in_review = make_story(writer, title="Towpath closures this winter",
                           body="Three towpaths close for repairs in January [@canal-trust].",
                           sources=["canal-trust"])
    services.story_submit(story_id=in_review.pk, user=writer)
    services.comment_start(story_id=in_review.pk, user=reviewer, text="Which three?",
                           revision=latest_hash(in_review), quote="Three towpaths close")
    return {"published": published, "in_review": Story.objects.get(pk=in_review.pk)}
