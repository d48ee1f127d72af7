"""Every changelist with a search box, the project's own and the third-party apps' alike,
answers a search far longer than anyone types with a message instead of a server error
(SQLite refuses a LIKE pattern past 50,000 bytes), and still searches one of ordinary length.
Iterating the registry means an admin registered later cannot slip through."""

import pytest
from django.contrib import admin
from django.urls import reverse

from audit.admin_mixins import SEARCH_MAX_LENGTH
from tests.factories import SourceFactory


def _searchable():
    return [(model._meta.app_label, model._meta.model_name)
            for model, model_admin in admin.site._registry.items() if model_admin.search_fields]


@pytest.mark.parametrize(("app_label", "model_name"), _searchable())
def test_a_search_of_60000_characters_says_it_is_too_long_instead_of_failing(
        client, signed_in_superuser, app_label, model_name):
    url = reverse(f"admin:{app_label}_{model_name}_changelist")

    response = client.get(url, {"q": "port " * 12_000})

    assert response.status_code == 200, (app_label, model_name)
    assert (f"A search holds at most {SEARCH_MAX_LENGTH} characters"
            in response.content.decode()), (app_label, model_name)


def test_a_search_at_the_limit_still_finds_what_it_names(client, signed_in_superuser):
    SourceFactory(key="harbour-report", title="Harbour " + "x" * 40)
    term = "Harbour"
    padded = term + " " * (SEARCH_MAX_LENGTH - len(term))

    response = client.get(reverse("admin:sources_source_changelist"), {"q": padded})

    assert "harbour-report" in response.content.decode()
    assert "A search holds at most" not in response.content.decode()
