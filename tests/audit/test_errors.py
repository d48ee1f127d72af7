from datetime import UTC, datetime

import pytest

from audit.errors import Conflict
from stories.services.comments import ThreadResolved
from stories.services.preview_links import LinkRevoked
from stories.services.reports import ReportClosed, StoryRetracted


def test_a_conflict_names_the_story_it_is_given_and_keeps_its_message():
    refusal = Conflict("Already done.", story_id=7)

    assert (str(refusal), refusal.story_id) == ("Already done.", 7)


def test_a_conflict_without_a_story_names_none():
    assert Conflict("Already done.").story_id is None


class _Thread:
    story_id = 11


class _Report:
    pk, story_id = 3, 12

    def get_status_display(self):
        return "Dismissed"


class _Link:
    class revision:  # noqa: N801 - stands in for link.revision
        story_id = 13

    revoked_at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(("refusal", "story_id"), [
    (lambda: ThreadResolved("Resolved.", thread=_Thread()), 11),
    (lambda: ReportClosed(_Report(), "report_reply"), 12),
    (lambda: LinkRevoked(_Link()), 13),
    (lambda: StoryRetracted("report_correct", story_id=14), 14),
    (lambda: StoryRetracted("report_correct"), None),
])
def test_each_conflict_names_its_story_through_conflict(refusal, story_id):
    assert refusal().story_id == story_id
