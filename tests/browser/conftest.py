import os

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still plain synchronous calls, so its async-safety guard would only get in the way.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
