from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse

from sources.models import Source
from tests.api.conftest import client_for
from tests.sources.fixture_server import Page, fixture_server

pytestmark = pytest.mark.django_db

PAGES = Path(__file__).resolve().parent.parent / "sources" / "pages"
URL = reverse("api-source-lookup")


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site(settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    with fixture_server({"/release": Page((PAGES / "press-release-water.html").read_bytes())}
                        ) as (base, _):
        yield base


def test_lookup_proposes_a_source_and_saves_nothing(writer, site):
    response = client_for(writer).post(URL, {"url": f"{site}/release"}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["title"] == "Water utility announces pipe renewal programme"
    assert data["outlet"] == "Lakeside Water Company"
    assert data["published_on"] == "2026-05-05"
    assert data["key"] == "lakeside-water-company-2026-water-utility-announces"
    assert not Source.objects.exists()


def test_lookup_of_a_missing_page_says_so(writer, site):
    response = client_for(writer).post(URL, {"url": f"{site}/gone"}, format="json")
    assert response.status_code == 400
    assert "The page answered 404" in response.json()["detail"]


def test_lookup_of_a_private_address_is_refused_with_the_reason(writer, settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = False
    response = client_for(writer).post(URL, {"url": "http://10.0.0.1/admin"}, format="json")
    assert response.status_code == 400
    assert "not allowed" in response.json()["detail"]


def test_lookup_needs_newsroom_staff(db):
    from tests.factories import UserFactory
    response = client_for(UserFactory(username="outsider")).post(
        URL, {"url": "https://example.org/"}, format="json")
    assert response.status_code == 403


def test_lookup_is_throttled(writer, settings):
    settings.NEWSROOM_LOOKUP_RATE = "2/minute"
    client = client_for(writer)
    codes = [client.post(URL, {"url": "ftp://x"}, format="json").status_code for _ in range(3)]
    assert codes == [400, 400, 429]
