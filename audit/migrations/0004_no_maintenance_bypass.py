"""The append-only trigger refuses TRUNCATE from every session: no setting bypasses it.

0002 let a session that set `newsroom.audit_maintenance = 'on'` truncate the table, and any
session may set a custom setting. Emptying a database now takes its owner or a superuser
(who can drop the trigger anyway); the event MACs and signed checkpoints detect it.
"""

from django.db import migrations

STRICT = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
# 0002's function, restored on the way back.
WITH_BYPASS = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND current_setting('newsroom.audit_maintenance', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(STRICT, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WITH_BYPASS, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_event_mac")]
    operations = [migrations.RunPython(forward, reverse)]
