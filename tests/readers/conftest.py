import pytest


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttles, the top-stories list and the page-view de-duplication live in the cache.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def live_story(writer, reviewer, editor):
    from tests.public.helpers import publish_story

    return publish_story(writer, reviewer, editor, title="Harbour cranes arrive",
                         dek="Three electric cranes, two years late.")
