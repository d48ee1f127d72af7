"""The story list's filters (author, state, updated_since) narrow the list; a story looked up
by its id answers whatever query string comes with it, and the schema says so."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

LOOKUPS = ("", "audit/", "revisions/", "comments/", "claims/", "csl/")


@pytest.mark.parametrize("path", LOOKUPS)
def test_a_story_looked_up_by_id_ignores_the_list_filters(make, writer, path):
    draft = make("draft")
    response = client_for(writer).get(f"/api/v1/stories/{draft.pk}/{path}?state=published"
                                      "&author=nobody&updated_since=2999-01-01T00:00:00Z")
    assert response.status_code == 200, response.content


def test_the_list_filters_still_narrow_the_list(make, writer):
    make("draft")
    response = client_for(writer).get("/api/v1/stories/?state=published")
    assert response.status_code == 200 and response.json()["results"] == []


def test_the_schema_offers_the_list_filters_on_the_list_only():
    cache.clear()
    schema = APIClient().get("/api/schema/?format=json").json()
    filtered = sorted(f"{method.upper()} {path}" for path, methods in schema["paths"].items()
                      for method, operation in methods.items()
                      if any(p["name"] == "state" and p["in"] == "query"
                             for p in operation.get("parameters", [])))
    assert filtered == ["GET /api/v1/stories/"]
