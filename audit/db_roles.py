"""PostgreSQL roles: an owner that runs migrations, and an app role that may only read and append
to the append-only tables (the audit trail and the public transparency log).

Pure: role names in, SQL text out. `manage.py audit_db_roles` prints or runs it; the checks
are queries whose rows name what is wrong.
"""

import re
from dataclasses import dataclass

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
AUDIT_TABLE = "audit_event"
# Tables the app role may only read and append to; each also has an append-only trigger.
APPEND_ONLY_TABLES = (AUDIT_TABLE, "audit_transparencyentry")


def check_name(name: str) -> str:
    """A role name safe to write into SQL unquoted-equivalent (lower case, no quotes)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a plain PostgreSQL role name ([a-z_][a-z0-9_]*)")
    return name


def setup_statements(owner: str, app: str) -> list[tuple[str, str]]:
    """(why, SQL) pairs that create or correct both roles and their privileges; idempotent."""
    owner, app = check_name(owner), check_name(app)
    if owner == app:
        raise ValueError("the owner and the app role must be two roles")
    attributes = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    return [
        ("Both roles log in; set their passwords with \\password in psql.", f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{owner}') THEN
        CREATE ROLE "{owner}" LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{app}') THEN
        CREATE ROLE "{app}" LOGIN;
    END IF;
END
$$"""),  # noqa: S608 - names pass check_name  # nosec B608
        ("Extensions the migrations use, which only a superuser may create: pg_trgm (the "
         "trigram indexes of the admin's story search).",
         "CREATE EXTENSION IF NOT EXISTS pg_trgm"),
        ("Neither is a superuser or may create roles or databases.",
         f'ALTER ROLE "{owner}" {attributes}'),
        ("", f'ALTER ROLE "{app}" {attributes}'),
        ("The app role may not act as the owner, who can alter or empty the audit table.",
         f'REVOKE "{owner}" FROM "{app}"'),
        ("Nor hold the built-in role that writes every table.",
         f'REVOKE pg_write_all_data FROM "{app}"'),
        ("Both may connect to this database.", f"""
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO "{owner}", "{app}"',
                   current_database());
END
$$"""),
        ("Only the owner creates objects in schema public.",
         "REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
        ("", f'GRANT USAGE, CREATE ON SCHEMA public TO "{owner}"'),
        ("", f'REVOKE CREATE ON SCHEMA public FROM "{app}"'),
        ("", f'GRANT USAGE ON SCHEMA public TO "{app}"'),
        ("Tables, views, sequences and functions already there (a database migrated as another "
         "role) pass to the owner; sequences of identity columns follow their tables.",
         f"""
DO $$
DECLARE
    obj record;
BEGIN
    FOR obj IN
        SELECT c.oid::regclass AS name,
               CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                              WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                              ELSE 'TABLE' END AS kind
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND c.relowner <> '{owner}'::regrole
          AND NOT EXISTS (SELECT FROM pg_depend d
                          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                            AND d.deptype IN ('a', 'i', 'e'))
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO "{owner}"', obj.kind, obj.name);
    END LOOP;
    FOR obj IN
        SELECT p.oid::regprocedure AS name
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.proowner <> '{owner}'::regrole
          AND NOT EXISTS (SELECT FROM pg_depend d
                          WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                            AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO "{owner}"', obj.name);
    END LOOP;
END
$$"""),  # noqa: S608 - names pass check_name  # nosec B608
        ("The app role reads and writes the app's tables and draws ids from their sequences...",
         f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{app}"'),
        ("", f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{app}"'),
        ("...but never empties a table or adds triggers or foreign keys to one.",
         f'REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM "{app}"'),
        *((f"{table}: read and append, nothing else (once it exists; its migration does "
           "the same for a fresh database).", f"""
DO $$
BEGIN
    IF to_regclass('public.{table}') IS NOT NULL THEN
        REVOKE ALL ON {table} FROM "{app}";
        GRANT SELECT, INSERT ON {table} TO "{app}";
    END IF;
END
$$""") for table in APPEND_ONLY_TABLES),
        ("Tables and sequences that the owner's later migrations create get the same grants.",
         f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
         f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{app}"'),
        ("", f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
             f'GRANT USAGE, SELECT ON SEQUENCES TO "{app}"'),
    ]


def script(owner: str, app: str) -> str:
    """The statements as one psql script, each with its reason."""
    parts = ["-- Run as a superuser, connected to the newsroom's database. Idempotent.",
             "BEGIN;"]
    for why, sql in setup_statements(owner, app):
        if why:
            parts.append(f"\n-- {why}")
        parts.append(sql.strip() + ";")
    parts.append("\nCOMMIT;")
    return "\n".join(parts) + "\n"


@dataclass(frozen=True)
class Check:
    """A query returning one row per problem; `problem` describes what each row means."""

    problem: str
    sql: str


def checks() -> list[Check]:
    """What must hold once roles and migrations are in place; any role may run these.

    Each query takes the parameters `owner`, `app` and `tables` (see check_params)."""
    return [
        Check("a role is missing",
              "SELECT r FROM unnest(ARRAY[%(owner)s, %(app)s]) AS r "
              "WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r)"),
        Check("the app role has a privileged attribute",
              "SELECT rolname FROM pg_roles WHERE rolname = %(app)s AND (rolsuper OR "
              "rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication)"),
        Check("the app role is a member of the owner or of pg_write_all_data",
              "SELECT r FROM unnest(ARRAY[%(owner)s, 'pg_write_all_data']) AS r "
              "WHERE EXISTS (SELECT FROM pg_roles WHERE rolname = %(app)s) "
              "AND pg_has_role(%(app)s, r, 'MEMBER')"),
        Check("the app role owns objects in schema public (it could alter them)",
              "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
              "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = %(app)s"),
        Check("an append-only table is not owned by the owner role",
              "SELECT split_part(t, '.', 2) || ' (' || pg_get_userbyid(relowner) || ')' "
              "FROM unnest(%(tables)s::text[]) AS t JOIN pg_class ON oid = to_regclass(t) "
              "WHERE pg_get_userbyid(relowner) <> %(owner)s"),
        Check("the app role may change or empty an append-only table",
              "SELECT split_part(t, '.', 2) || ' ' || p FROM unnest(%(tables)s::text[]) AS t, "
              "unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES']) AS p "
              "WHERE EXISTS (SELECT FROM pg_roles WHERE rolname = %(app)s) "
              "AND to_regclass(t) IS NOT NULL AND has_table_privilege(%(app)s, t, p)"),
        Check("the app role may not read or append to an append-only table",
              "SELECT split_part(t, '.', 2) || ' ' || p FROM unnest(%(tables)s::text[]) AS t, "
              "unnest(ARRAY['SELECT', 'INSERT']) AS p "
              "WHERE EXISTS (SELECT FROM pg_roles WHERE rolname = %(app)s) "
              "AND to_regclass(t) IS NOT NULL AND NOT has_table_privilege(%(app)s, t, p)"),
        Check("the app role lacks read or write on an app table (the app would fail)",
              "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
              "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
              "AND c.oid <> ALL (SELECT to_regclass(t) FROM unnest(%(tables)s::text[]) AS t "
              "WHERE to_regclass(t) IS NOT NULL) "
              "AND EXISTS (SELECT FROM pg_roles WHERE rolname = %(app)s) "
              "AND NOT (has_table_privilege(%(app)s, c.oid, 'SELECT') "
              "AND has_table_privilege(%(app)s, c.oid, 'INSERT') "
              "AND has_table_privilege(%(app)s, c.oid, 'UPDATE') "
              "AND has_table_privilege(%(app)s, c.oid, 'DELETE'))"),
    ]


def check_params(owner: str, app: str) -> dict[str, str]:
    return {"owner": check_name(owner), "app": check_name(app),
            "tables": [f"public.{table}" for table in APPEND_ONLY_TABLES]}
