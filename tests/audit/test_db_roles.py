import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit import db_roles


@pytest.mark.parametrize("name", ["newsroom_app", "_x", "a1_b2"])
def test_plain_role_names_are_accepted(name):
    assert db_roles.check_name(name) == name


@pytest.mark.parametrize("name", ['app"; DROP TABLE audit_event; --', "App", "1app", "", "a-b",
                                  "a" * 64, "app'"])
def test_role_names_that_need_quoting_are_refused(name):
    with pytest.raises(ValueError, match="not a plain PostgreSQL role name"):
        db_roles.check_name(name)


def test_the_owner_and_the_app_role_must_differ():
    with pytest.raises(ValueError, match="two roles"):
        db_roles.setup_statements("newsroom", "newsroom")


@pytest.mark.parametrize("expected", [
    'REVOKE ALL ON audit_event FROM "newsroom_app";',
    'GRANT SELECT, INSERT ON audit_event TO "newsroom_app";',
    'REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM "newsroom_app"',
    'REVOKE "newsroom_owner" FROM "newsroom_app"',
    'ALTER ROLE "newsroom_app" NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS',
    'ALTER DEFAULT PRIVILEGES FOR ROLE "newsroom_owner" IN SCHEMA public GRANT SELECT, INSERT, '
    'UPDATE, DELETE ON TABLES TO "newsroom_app"',
])
def test_the_printed_script_says_what_the_app_role_may_do(expected):
    assert expected in db_roles.script("newsroom_owner", "newsroom_app")


def test_audit_db_roles_prints_the_script_for_the_named_roles(capsys):
    call_command("audit_db_roles", owner="ed_owner", app="ed_app")
    out = capsys.readouterr().out
    assert out.startswith("-- Run as a superuser") and out.rstrip().endswith("COMMIT;")
    assert 'GRANT SELECT, INSERT ON audit_event TO "ed_app"' in out


def test_audit_db_roles_refuses_a_bad_name(db):
    with pytest.raises(CommandError, match="not a plain PostgreSQL role name"):
        call_command("audit_db_roles", app="x; drop")


@pytest.mark.parametrize("mode", ["execute", "check"])
def test_audit_db_roles_on_sqlite_says_roles_are_a_postgresql_matter(db, mode):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite has no roles")
    with pytest.raises(CommandError, match="PostgreSQL matter"):
        call_command("audit_db_roles", **{mode: True})
