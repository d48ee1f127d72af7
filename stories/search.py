"""The stored full-text search vector of a revision, and the GIN indexes search runs on.

PostgreSQL computes the vector itself (a generated column: a revision never changes, so its
vector never goes stale, and a bulk load fills it too) and a GIN index finds the matches.
SQLite has neither tsvector nor GIN: there the column is NULL and search matches text instead
(stories.selectors.search_published).
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Upper

# The language whose stemming and stop words search uses; the query must use the same one.
CONFIG = "english"


class RevisionSearchVector(models.Func):
    """Headline (weight A), summary (B) and Markdown body (C) as one tsvector; NULL on SQLite."""

    template = "%(expressions)s"
    output_field = SearchVectorField()

    def __init__(self):
        super().__init__(
            SearchVector("title", weight="A", config=CONFIG)
            + SearchVector("dek", weight="B", config=CONFIG)
            + SearchVector("body", weight="C", config=CONFIG)
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return "NULL", []


class PostgresGinIndex(GinIndex):
    """A GIN index on PostgreSQL; a plain index elsewhere (SQLite has no GIN), so migrations
    and table rebuilds on SQLite still work."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            if self.expressions:  # the expression without its PostgreSQL operator class
                plain = models.Index(*(e.get_source_expressions()[0] if isinstance(e, OpClass)
                                       else e for e in self.expressions), name=self.name)
            else:
                plain = models.Index(fields=self.fields, name=self.name)
            return plain.create_sql(model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)


def trigram_index(field: str, *, name: str) -> PostgresGinIndex:
    """A trigram GIN index serving the admin's `icontains` search on `field` (Django compares
    UPPER(field) LIKE UPPER('%term%')), so a search never reads every row of a large table."""
    return PostgresGinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=name)
