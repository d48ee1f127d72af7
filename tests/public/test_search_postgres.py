"""Full-text search on PostgreSQL: the stored vector, its GIN index, ranking and highlights.

SQLite has neither; there search matches words in the text (test_pages.py covers it)."""

import pytest
from django.db import connection

from stories import selectors
from stories.models import Revision
from tests.factories import SourceFactory
from tests.public.helpers import publish_story

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only: runs in the DATABASE_URL=postgres://… pass of make test")


def publish(writer, reviewer, editor, title, body, dek=""):
    source = SourceFactory()
    return publish_story(writer, reviewer, editor, title=title, dek=dek,
                         body=f"{body} [@{source.key}].", sources=[source])


def test_each_revision_stores_its_search_vector(writer, reviewer, editor):
    story = publish(writer, reviewer, editor, "Harbour cranes", "The cranes arrived")
    vector = Revision.objects.filter(pk=story.live_revision_id).values_list(
        "search_vector", flat=True).get()
    assert "'crane':" in vector and "'harbour':" in vector


def test_a_headline_match_outranks_a_match_in_the_text(writer, reviewer, editor):
    publish(writer, reviewer, editor, "Budget vote", "The budget mentions cranes once")
    publish(writer, reviewer, editor, "Cranes arrive", "Three of them came by sea")
    titles = [h.item.revision.title for h in selectors.search_published("cranes")]
    assert titles == ["Cranes arrive", "Budget vote"]


def test_search_matches_other_forms_of_a_word(writer, reviewer, editor):
    publish(writer, reviewer, editor, "Port news", "The operator is building two terminals")
    assert [h.item.revision.title for h in selectors.search_published("terminal builds")] == [
        "Port news"]


def test_a_snippet_marks_the_matching_words_in_the_readers_text(writer, reviewer, editor):
    publish(writer, reviewer, editor, "Port news", "Container volumes rose <b>sharply</b>")
    hit = selectors.search_published("sharply")[0]
    assert "<mark>sharply</mark>" in hit.snippet
    assert "<b>" not in hit.snippet and "[@" not in hit.snippet


def test_the_search_query_uses_the_gin_index(writer, reviewer, editor):
    publish(writer, reviewer, editor, "Harbour cranes", "The cranes arrived")
    from django.contrib.postgres.search import SearchQuery

    from stories.search import CONFIG

    found = Revision.objects.filter(search_vector=SearchQuery("cranes", config=CONFIG))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: force the choice
        plan = found.explain()
    assert "revision_search" in plan


def test_an_operator_soup_query_is_safe(writer, reviewer, editor):
    publish(writer, reviewer, editor, "Harbour cranes", "The cranes arrived")
    for query in ["cranes & | ! ( :* <-> ", '"unclosed', "-cranes", "cranes OR OR OR",
                  "x" * 10_000]:
        selectors.search_published(query)  # websearch syntax never fails to parse
