import pytest

from stories.review import (
    STATES,
    TRANSITIONS,
    Action,
    IllegalTransition,
    PriorCheck,
    carried_check,
    next_state,
)

ALLOWED = [
    ("draft", Action.SUBMIT, "in_review"),
    ("changes_requested", Action.SUBMIT, "in_review"),
    ("in_review", Action.WITHDRAW, "draft"),
    ("in_review", Action.REQUEST_CHANGES, "changes_requested"),
    ("in_review", Action.APPROVE, "approved"),
    ("approved", Action.PUBLISH, "published"),
    ("approved", Action.SCHEDULE, "scheduled"),
    ("scheduled", Action.PUBLISH, "published"),
    ("published", Action.RETRACT, "retracted"),
    ("draft", Action.EDIT, "draft"),
    ("changes_requested", Action.EDIT, "changes_requested"),
    ("in_review", Action.EDIT, "draft"),
    ("approved", Action.EDIT, "draft"),
    ("scheduled", Action.EDIT, "draft"),
    ("published", Action.EDIT, "draft"),
    ("retracted", Action.EDIT, "retracted"),
]


@pytest.mark.parametrize(("state", "action", "expected"), ALLOWED)
def test_allowed_transition_reaches_its_state(state, action, expected):
    assert next_state(state, action) == expected


FORBIDDEN = [
    (state, action)
    for state in STATES
    for action in Action
    if (state, action) not in TRANSITIONS
]


@pytest.mark.parametrize(("state", "action"), FORBIDDEN)
def test_every_other_pair_is_an_illegal_transition(state, action):
    with pytest.raises(IllegalTransition):
        next_state(state, action)


def test_the_table_lists_exactly_the_allowed_transitions():
    assert {(s, a): e for s, a, e in ALLOWED} == TRANSITIONS


@pytest.mark.parametrize("state", ["draft", "in_review", "approved", "changes_requested"])
def test_a_story_with_a_live_revision_can_be_retracted_mid_correction(state):
    assert next_state(state, Action.RETRACT, live=True) == "retracted"


def test_a_retracted_story_cannot_be_retracted_again():
    with pytest.raises(IllegalTransition):
        next_state("retracted", Action.RETRACT, live=True)


@pytest.mark.parametrize("state, action, message", [
    ("in_review", Action.PUBLISH, "This story is in review, so it cannot be published: only a "
                                  "story that is approved or scheduled can."),
    ("draft", Action.APPROVE, "This story is a draft, so it cannot be approved: only a story "
                              "that is in review can."),
    ("retracted", Action.RETRACT, "This story is already retracted."),
    ("in_review", Action.SUBMIT, "This story is already in review."),
    ("published", Action.SUBMIT, "This story is published, so it cannot be submitted for "
                                 "review: only a story that is a draft or sent back for changes "
                                 "can."),
])
def test_a_refused_transition_says_why_in_words(state, action, message):
    with pytest.raises(IllegalTransition) as refused:
        next_state(state, action, live=state == "retracted")
    assert str(refused.value) == message


PRIOR = [
    PriorCheck("exports rose 6%", ("a",), "supported", 3),
    PriorCheck("imports fell", ("b",), "unsupported", 2),
    PriorCheck("imports fell", ("b",), "supported", 1),
]


@pytest.mark.parametrize(
    ("normalised", "keys", "expected"),
    [
        ("exports rose 6%", ("a",), 3),
        ("exports rose 7%", ("a",), None),  # text changed
        ("exports rose 6%", ("a", "c"), None),  # sources changed
        ("imports fell", ("b",), None),  # the latest verdict was not supported
    ],
)
def test_carried_check_only_for_unchanged_claims_last_marked_supported(normalised, keys, expected):
    assert carried_check(normalised, keys, PRIOR) == expected
