"""On PostgreSQL, nobody but the audit table's owner holds UPDATE, DELETE or TRUNCATE on it.

Default privileges (`manage.py audit_db_roles`) give the app role full DML on every table the
owner creates, this one included when a fresh database is migrated; this takes the rest back
from every grantee, whatever the role is called. The app role keeps SELECT and INSERT.
"""

from django.db import migrations

REVOKE = """
DO $$
DECLARE
    grantee_name text;
BEGIN
    FOR grantee_name IN
        SELECT DISTINCT CASE WHEN acl.grantee = 0 THEN 'PUBLIC'
                             ELSE quote_ident(pg_get_userbyid(acl.grantee)) END
        FROM pg_class c, aclexplode(c.relacl) AS acl
        WHERE c.oid = 'audit_event'::regclass
          AND acl.grantee <> c.relowner
          AND acl.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER')
    LOOP
        EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_event FROM '
            || grantee_name;
    END LOOP;
END
$$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVOKE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_no_maintenance_bypass")]
    # Going back leaves the privileges as they are: nothing to restore that anyone should hold.
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
