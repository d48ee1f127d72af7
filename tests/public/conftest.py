import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The actor fixtures hash a password each; the real hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def page_cache_on(settings):
    """The page caches on whatever the environment sets: fragments kept, answers cacheable for
    300 s (the defaults)."""
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 300
    settings.NEWSROOM_PAGE_STALE_SECONDS = 60
