"""Stored pages as text (stories.models.StoredParts) instead of JSON, a stored API detail, and
lz4 TOAST compression for the long text columns of stories_revision on PostgreSQL >= 14.

The stored pages are a cache of templates' output: the old JSON values are dropped and each
live story's page is rebuilt on its next view (or by tasks.page_published).

lz4 decompresses a long body several times faster than PostgreSQL's default pglz (the
2,000-claim story's 820 KB body: ~1.5 ms less per read). SET COMPRESSION applies to values
written afterwards; existing rows keep pglz until rewritten, e.g. with
``UPDATE stories_revision SET html = html || ''`` at a quiet time (VACUUM FULL does not
recompress).
"""

from django.db import migrations

import stories.models

LZ4_COLUMNS = ("html", "page", "api")


def _lz4_available(connection) -> bool:
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return False
    with connection.cursor() as cursor:  # a server built without lz4 refuses the ALTER
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                       "WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
    return bool(row and row[0])


def _set_compression(method: str):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        if not _lz4_available(connection):
            return
        table = schema_editor.quote_name(apps.get_model("stories", "Revision")._meta.db_table)
        for column in LZ4_COLUMNS:
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN "
                                  f"{schema_editor.quote_name(column)} SET COMPRESSION {method}")
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('stories', '0003_revision_page_and_teaser'),
    ]

    operations = [
        migrations.RemoveField(model_name='revision', name='page'),
        migrations.AddField(
            model_name='revision',
            name='page',
            field=stories.models.StoredParts(
                blank=True, default=dict, editable=False,
                help_text="The public page around the body, rendered once while this revision "
                          "is live (stories.pages); rebuilt when its stamp no longer matches."),
        ),
        migrations.AddField(
            model_name='revision',
            name='api',
            field=stories.models.StoredParts(
                blank=True, default=dict, editable=False,
                help_text="The public API's detail as JSON text up to the body HTML, stored "
                          "with the page (stories.pages)."),
        ),
        migrations.RunPython(_set_compression("lz4"), _set_compression("pglz"), elidable=False),
    ]
