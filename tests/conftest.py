import io
import os
from contextlib import contextmanager, nullcontext

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.db.backends.signals import connection_created

from tests.factories import UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"

# PostgreSQL: with TEST_DB_APP_ROLE set (CI sets it), the harness, connected as a superuser,
# creates the roles in the test database (manage.py audit_db_roles) and every test connection
# then runs as the app role (SET ROLE), with the privileges production has.
APP_ROLE = os.environ.get("TEST_DB_APP_ROLE", "")
OWNER_ROLE = os.environ.get("TEST_DB_OWNER_ROLE", "newsroom_owner")
_as_app_role_in: dict[str, str] = {}  # {"database": test database name} once set up


def _set_app_role(sender, connection, **kwargs):
    database = _as_app_role_in.get("database")
    if database and connection.vendor == "postgresql" and (
            connection.settings_dict["NAME"] == database):
        with connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{APP_ROLE}"')


connection_created.connect(_set_app_role)

_execute_sql_flush = PostgresOperations.execute_sql_flush


def _flush_as_the_harness(self, sql_list):
    # Emptying the tables between transactional tests is the harness's job, not the app's: it
    # runs as the superuser the suite connects as, with user triggers (the audit table's
    # append-only one) off. No setting a normal session can make lets TRUNCATE through.
    restore = [f'SET LOCAL ROLE "{APP_ROLE}"'] if _as_app_role_in else []
    _execute_sql_flush(self, ["SET LOCAL ROLE NONE",
                              "SET LOCAL session_replication_role = replica", *sql_list,
                              "SET LOCAL session_replication_role = origin", *restore])


PostgresOperations.execute_sql_flush = _flush_as_the_harness


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connection

    if connection.vendor != "postgresql" or not APP_ROLE:
        yield
        return
    with django_db_blocker.unblock():
        call_command("audit_db_roles", owner=OWNER_ROLE, app=APP_ROLE, execute=True,
                     stdout=io.StringIO())
        _as_app_role_in["database"] = connection.settings_dict["NAME"]
        with connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{APP_ROLE}"')
    yield
    # Tearing the test database down takes the superuser again.
    _as_app_role_in.clear()
    with django_db_blocker.unblock():
        connection.close()


@contextmanager
def database_role(role: str | None):
    """Run the block as `role` in the database (None: the superuser the suite connects as)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (before,) = cursor.fetchone()
        cursor.execute("SET ROLE NONE" if role is None else f'SET ROLE "{role}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{before}"')


def database_owner():
    """Run the block as the owner role when the suite runs as the app role (e.g. a restore)."""
    from django.db import connection

    if connection.vendor == "postgresql" and _as_app_role_in:
        return database_role(OWNER_ROLE)
    return nullcontext()


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
    settings.AUDIT_CHECKPOINT_PATH = str(tmp_path / "audit-checkpoints.jsonl")
    settings.NEWSROOM_SITE_URL = "http://testserver"  # e-mails link where the test client goes
    # A transparency log key of the test's own, generated on first use.
    settings.TRANSPARENCY_SIGNING_KEY = ""
    settings.TRANSPARENCY_SIGNING_KEY_FILE = str(tmp_path / "transparency-signing-key")
    settings.TRANSPARENCY_GENERATE_KEY = True
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


@pytest.fixture
def signed_in_superuser(db, client):
    """A superuser signed in on `client` (the admin's every changelist, third-party ones too)."""
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    yield user
    cache.clear()  # the lists cache what they offer (the audit trail's actions)


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
