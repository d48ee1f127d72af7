"""Every role x every action x every state, through the workflow services: allowed, 403 or 409.

The expected outcome is derived from two plain tables (who may act, and from which states),
so a change to a rule shows up as a failing row here.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import Event
from stories import services
from stories.models import Revision, State, Story
from stories.services import ActionDenied, CheckInput, IllegalTransition
from tests.factories import SourceFactory, approved_hash, latest_hash, make_story

BODY = "Freight rose 4% in May [@matrix-src]."
STATES = [s.value for s in State]
ROLES = ["author", "other_writer", "reviewer", "editor"]
WHO = {
    "submit": {"author"},
    "withdraw": {"author"},
    "request_changes": {"reviewer"},
    "approve": {"reviewer"},
    "publish": {"editor"},
    "retract": {"editor"},
    "edit": {"author", "editor"},
}
FROM = {
    "submit": {"draft", "changes_requested"},
    "withdraw": {"in_review"},
    "request_changes": {"in_review"},
    "approve": {"in_review"},
    "publish": {"approved", "scheduled"},
    "retract": {"published"},
    "edit": set(STATES),
}


def expected(role, action, state):
    if role not in WHO[action]:
        return 403
    if state not in FROM[action]:
        return 409
    return 200


def bring_to(state, *, author, reviewer, editor):
    SourceFactory(key="matrix-src")
    story = make_story(author, body=BODY)
    if state == "draft":
        return story
    services.story_submit(story_id=story.pk, user=author)
    if state == "changes_requested":
        services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                               reviewer=reviewer,
                               decision="request_changes", comment="Add the May figure.")
    if state in ("approved", "scheduled", "published", "retracted"):
        services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                               reviewer=reviewer, decision="approve",
                               checks=[CheckInput(claim=1, verdict="supported")])
    if state == "scheduled":
        services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor,
                               publish_at=timezone.now() + timedelta(days=1))
    if state in ("published", "retracted"):
        services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    if state == "retracted":
        services.story_retract(story_id=story.pk, user=editor, reason="Figures were wrong.")
    return Story.objects.get(pk=story.pk)


def act(action, story, user):
    if action == "submit":
        services.story_submit(story_id=story.pk, user=user)
    elif action == "withdraw":
        services.story_withdraw(story_id=story.pk, user=user)
    elif action == "request_changes":
        services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                               reviewer=user, decision="request_changes",
                               comment="Please recheck.")
    elif action == "approve":
        services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                               reviewer=user, decision="approve",
                               checks=[CheckInput(claim=1, verdict="supported")])
    elif action == "publish":
        services.story_publish(story_id=story.pk, revision=approved_hash(story),
                               user=user, note="Updated figures.")
    elif action == "retract":
        services.story_retract(story_id=story.pk, user=user, reason="The report was withdrawn.")
    else:
        services.story_update(story_id=story.pk, user=user, body=BODY + " Edited.")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(WHO))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(role, action, state, writer, other_writer, reviewer, second_reviewer, editor):
    story = bring_to(state, author=writer, reviewer=second_reviewer, editor=editor)
    user = {"author": writer, "other_writer": other_writer, "reviewer": reviewer,
            "editor": editor}[role]
    revisions = Revision.objects.filter(story=story).count()
    outcome = expected(role, action, state)

    if outcome == 403:
        with pytest.raises(ActionDenied):
            act(action, story, user)
        assert Event.objects.filter(story=story, action=f"{action}.denied",
                                    actor=user).exists()
    elif outcome == 409:
        with pytest.raises(IllegalTransition):
            act(action, story, user)
    else:
        act(action, story, user)

    story_after = Story.objects.get(pk=story.pk)
    if outcome == 200 and action == "edit":
        assert Revision.objects.filter(story=story).count() == revisions + 1
    elif outcome == 200:
        assert story_after.state != state
    else:
        assert story_after.state == state
        assert Revision.objects.filter(story=story).count() == revisions
