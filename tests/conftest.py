import os

import pytest
from django.db.backends.signals import connection_created

from tests.factories import UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


def _allow_flush(sender, connection, **kwargs):
    # The audit trigger refuses TRUNCATE unless a maintenance session asks; the test
    # database's flush between transactional tests is such a session.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET newsroom.audit_maintenance = 'on'")


connection_created.connect(_allow_flush)


def need(condition: bool, reason: str) -> None:
    """Skip when a real service is missing locally; under CI=true, fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real hashers cost ~0.3 s a user; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def writer(db):
    return UserFactory(username="writer", first_name="Staff", last_name="Writer",
                       roles=["Writers"])


@pytest.fixture
def other_writer(db):
    return UserFactory(username="writer2", first_name="Other", last_name="Writer",
                       roles=["Writers"])


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", first_name="First", last_name="Reviewer",
                       roles=["Reviewers"])


@pytest.fixture
def second_reviewer(db):
    return UserFactory(username="reviewer2", first_name="Second", last_name="Reviewer",
                       roles=["Reviewers"])


@pytest.fixture
def editor(db):
    return UserFactory(username="editor", first_name="Desk", last_name="Editor",
                       roles=["Editors"])


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    # A real Celery worker (tests/integration) must see the test database, which SQLite keeps
    # in memory by default: when such a test is collected, use a file instead (one per process).
    from django.conf import settings

    wants_worker = any(item.get_closest_marker("celery_worker") for item in request.session.items)
    database = settings.DATABASES["default"]
    if wants_worker and database["ENGINE"].endswith("sqlite3") and not (
        database.get("TEST", {}).get("NAME")
    ):
        import tempfile

        database.setdefault("TEST", {})["NAME"] = os.path.join(
            tempfile.gettempdir(), f"newsroom-test-{os.getpid()}.sqlite3")
