"""Form submission tokens are remembered for a week, then forgotten by the daily prune."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from audit import submissions
from audit.tasks import prune_submissions

pytestmark = pytest.mark.django_db


def first_use(token, user, *, made=7):
    assert submissions.submission_claim(token, action="comment_add 1", actor=user) is None
    submissions.submission_done(token, object_id=made)


def test_a_repeat_within_the_week_is_still_recognised_after_the_prune(writer):
    token = str(uuid.uuid4())
    first_use(token, writer)
    prune_submissions()
    assert submissions.submission_claim(token, action="comment_add 1", actor=writer) == 7


def test_a_token_first_used_over_a_week_ago_is_forgotten(writer):
    token = str(uuid.uuid4())
    first_use(token, writer)
    assert submissions.submissions_prune(now=timezone.now() + timedelta(days=8)) == 1
    assert submissions.submission_claim(token, action="comment_add 1", actor=writer) is None
