import pytest

from audit.details import readable_details


@pytest.mark.parametrize(("details", "expected"), [
    ({"restored_from": None, "to": "draft"}, [("to", "draft")]),
    ({"publish_at": "", "note": "Fixed the date."}, [("note", "Fixed the date.")]),
    ({"was_live": True, "first": False}, [("was live", "yes"), ("first", "no")]),
    ({"keys": ["a", "b"]}, [("keys", "a, b")]),
    ({"checks": {"claim_id": 4, "verdict": "supported", "note": None}},
     [("checks", "claim id: 4; verdict: supported")]),
    ({}, []),
    (None, []),
])
def test_event_details_read_as_labelled_values(details, expected):
    assert readable_details(details) == expected
