"""A capture that failed after the server said 200 is not a healthy link."""

import gzip

import pytest

from sources import fetch, services
from sources.models import Health
from tests.factories import SourceFactory
from tests.sources.fixture_server import Page, fixture_server


@pytest.fixture
def site(settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    routes = {
        "/big": Page(b"x" * (fetch.MAX_BYTES + 1), content_type="text/plain"),
        "/bomb": Page(gzip.compress(gzip.compress(bytes(8 * fetch.MAX_BYTES))),
                      content_type="text/plain", headers={"Content-Encoding": "gzip, gzip"}),
    }
    with fixture_server(routes) as (base, _):
        yield base


@pytest.mark.parametrize("path", ["/big", "/bomb"])
def test_source_capture_of_a_200_whose_body_failed_is_not_ok(site, db, path):
    source = SourceFactory(url=f"{site}{path}")
    snapshot = services.source_capture(source_id=source.pk)
    source.refresh_from_db()
    assert snapshot.error.startswith("too_large: HTTP 200")
    assert source.health != Health.OK
    assert source.health == Health.UNREACHABLE
