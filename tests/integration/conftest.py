# Fixtures the worker tests share: a SQLite file both processes can write, and the role groups.
from tests.integration.test_celery_worker import roles, shared_sqlite  # noqa: F401
