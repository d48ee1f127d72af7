import pytest

from sources import services
from sources.models import Health, normalise_url
from tests.sources.fixture_server import Page, fixture_server


@pytest.mark.parametrize("url, normal", [
    ("http://[::1]:8080/a?b=1#top", "http://[::1]:8080/a?b=1"),
    ("HTTPS://[2001:DB8::1]:443/", "https://[2001:db8::1]/"),
    ("http://[::1]", "http://[::1]/"),
    ("http://Example.ORG:80/x", "http://example.org/x"),
])
def test_normalise_url_keeps_ipv6_brackets(url, normal):
    assert normalise_url(url) == normal


def test_a_source_at_an_ipv6_literal_is_saved_with_brackets_and_captured(writer, settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    try:
        with fixture_server({"/v6": Page("<title>Over IPv6</title><p>6%</p>")},
                            host="::1") as (base, _):
            source = services.source_create(user=writer, key="v6", title="v6",
                                            url=f"{base}/v6")
            assert source.url == f"{base}/v6"
            snapshot = services.source_capture(source_id=source.pk)
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    source.refresh_from_db()
    assert (snapshot.status_code, snapshot.error, snapshot.title) == (200, "", "Over IPv6")
    assert source.health == Health.OK
