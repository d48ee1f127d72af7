"""Hostile input gets a 400 JSON answer, never a 500; a 500 under /api/ is JSON too."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.conftest import client_for

DEEP = 100_000


def nested(depth: int, open_: str = "[", close: str = "]") -> bytes:
    return (open_ * depth + close * depth).encode()


def deep_object(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


@pytest.mark.parametrize("body", [nested(DEEP), deep_object(DEEP), nested(DEEP, "[{\"a\":", "}]")],
                         ids=["arrays", "objects", "mixed"])
def test_deeply_nested_json_on_the_anonymous_token_endpoint_is_a_400(db, body):
    response = Client().post(reverse("api-auth-token"), body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "nested" in response.json()["detail"]


def test_deeply_nested_json_on_a_signed_in_endpoint_is_a_400(writer):
    response = client_for(writer).post(reverse("api-story-list"), nested(DEEP),
                                       content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_json_nested_within_the_parser_limit_but_deep_for_validation_is_a_400(writer):
    body = json.dumps({"title": "Deep", "body": "x", "source_keys": json.loads(nested(900))})
    response = client_for(writer).post(reverse("api-story-list"), body,
                                       content_type="application/json")
    assert response.status_code == 400, response.content[:300]


@pytest.mark.parametrize("value", [
    "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59.999999-01:00",
])
def test_updated_since_past_the_calendar_is_a_400(writer, value):
    response = client_for(writer).get(reverse("api-story-list"), {"updated_since": value})
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert "out of range" in response.json()["detail"]
    assert "updated_since" in response.json()["errors"]


def test_an_unexpected_error_in_the_api_answers_json(writer, monkeypatch):
    from stories.api import views

    def boom(*args, **kwargs):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(views.StoryViewSet, "list", boom)
    client = client_for(writer)
    client.raise_request_exception = False
    response = client.get(reverse("api-story-list"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Something went wrong on our side; it has been logged."}
    assert "nobody foresaw" not in response.content.decode()


def test_the_500_handler_answers_html_outside_the_api(rf):
    from newsroom.api import server_error

    page = server_error(rf.get("/stories/x/"))
    assert page.status_code == 500
    assert not page["Content-Type"].startswith("application/json")
    api = server_error(rf.get("/api/v1/anything/"))
    assert (api.status_code, json.loads(api.content)) == (500, {"detail": (
        "Something went wrong on our side; it has been logged.")})


@pytest.mark.parametrize("who, path", [
    (None, "/api/v1/public/stories/any-story/reports/"),
    (None, "/api/v1/public/stories/"),
    (None, "/api/v1/public/transparency/proofs/inclusion/"),
    ("writer", "/api/v1/stories/draft/"),
    ("writer", "/api/v1/stories/"),
    ("writer", "/api/v1/sources/"),
])
def test_options_describes_the_endpoint_and_its_methods(request, db, who, path):
    # DRF guesses each method's fields from the view's serializer and object; views that
    # read their own input serializers (or have no object) answered OPTIONS with a 500.
    user = request.getfixturevalue(who) if who else None
    response = client_for(user).options(path)
    assert response.status_code == 200
    assert response.json()["name"]
    assert "OPTIONS" in response["Allow"]
