"""A request that loses the database answers 503 with Retry-After, not a 500 (bench/outages.py
restarts a real PostgreSQL under load for the figures in docs/operations.md)."""

import pytest
from django.db import OperationalError
from django.urls import reverse

from tests.api.conftest import client_for


def lost(*args, **kwargs):
    raise OperationalError("terminating connection due to administrator command")


def test_an_api_request_that_loses_the_database_is_a_503_json(writer, monkeypatch):
    from stories.api import views

    monkeypatch.setattr(views.StoryViewSet, "list", lost)
    response = client_for(writer).get(reverse("api-story-list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "try again" in response.json()["detail"]


@pytest.mark.django_db
def test_a_page_that_loses_the_database_is_a_503(client, monkeypatch):
    from stories import selectors

    monkeypatch.setattr(selectors, "published_stories", lost)
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
