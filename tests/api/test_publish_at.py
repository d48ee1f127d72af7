"""The publish endpoint's publish_at: one ISO 8601 form in ASCII digits, any time the
calendar holds."""

import pytest

from tests.api.conftest import client_for


@pytest.mark.parametrize("asked", ["２０３０-12-03T14:05Z", "20301203T140500Z", "2030-W49-2T14:05Z",
                                   "2030-12-03T14:05:00Z\x00"])
def test_a_publish_at_in_another_iso_form_or_other_digits_is_refused_and_nothing_published(
        make, editor, asked):
    story = make("approved")
    response = client_for(editor).post(
        f"/api/v1/stories/{story.pk}/publish/",
        {"revision": story.approved_revision.content_hash, "publish_at": asked}, format="json")
    assert response.status_code == 400
    assert "YYYY-MM-DDThh:mm" in response.json()["errors"]["publish_at"][0]
    assert client_for(editor).get(f"/api/v1/stories/{story.pk}/").json()["state"] == "approved"


def test_a_publish_at_far_in_the_future_schedules_the_story(make, editor):
    story = make("approved")
    response = client_for(editor).post(
        f"/api/v1/stories/{story.pk}/publish/",
        {"revision": story.approved_revision.content_hash,
         "publish_at": "9999-12-31T23:59:00+00:00"}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "scheduled"
