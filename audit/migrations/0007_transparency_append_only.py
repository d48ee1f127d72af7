"""On PostgreSQL, the transparency log is append-only like the audit table: a trigger rejects
UPDATE, DELETE and TRUNCATE from every session, and no grantee but the owner holds those
privileges (the app role keeps SELECT and INSERT; see audit.0002, 0004 and 0005)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_transparencyentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_transparencyentry is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_transparencyentry_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_transparencyentry
    FOR EACH ROW EXECUTE FUNCTION audit_transparencyentry_append_only();
CREATE TRIGGER audit_transparencyentry_no_truncate BEFORE TRUNCATE ON audit_transparencyentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_transparencyentry_append_only();
DO $$
DECLARE
    grantee_name text;
BEGIN
    FOR grantee_name IN
        SELECT DISTINCT CASE WHEN acl.grantee = 0 THEN 'PUBLIC'
                             ELSE quote_ident(pg_get_userbyid(acl.grantee)) END
        FROM pg_class c, aclexplode(c.relacl) AS acl
        WHERE c.oid = 'audit_transparencyentry'::regclass
          AND acl.grantee <> c.relowner
          AND acl.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER')
    LOOP
        EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON '
            || 'audit_transparencyentry FROM ' || grantee_name;
    END LOOP;
END
$$;
"""
REVERSE = """
DROP TRIGGER IF EXISTS audit_transparencyentry_no_truncate ON audit_transparencyentry;
DROP TRIGGER IF EXISTS audit_transparencyentry_no_update_delete ON audit_transparencyentry;
DROP FUNCTION IF EXISTS audit_transparencyentry_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_transparency_entry")]
    operations = [migrations.RunPython(forward, reverse)]
