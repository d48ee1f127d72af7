import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sources import evidence, selectors
from sources.models import Snapshot
from tests.factories import SourceFactory, make_story

TEXT = ("Shares of the chipmaker rose 6 per cent on Tuesday, the highest since 2021. "
        "The plan exceeds the 380bn yuan commitment.")


def snapshot(source, text=TEXT, **kwargs):
    fields = {"requested_url": source.url, "status_code": 200, "final_url": source.url,
              "content_type": "text/html", "text": text, **kwargs}
    return Snapshot.objects.create(source=source, **fields)


@pytest.fixture
def story(writer):
    wire, paper, interview = (SourceFactory(key="wire"), SourceFactory(key="paper"),
                              SourceFactory(key="notes", url="", description="Call notes"))
    snapshot(wire)
    snapshot(paper, text="Nothing relevant here at all.")
    snapshot(paper, text="", status_code=404)  # newer, but not good: ignored
    body = ("Shares rose over 6%, the highest since 2021 [@wire]. "
            "The plan exceeds the 380 billion yuan commitment [@paper]. "
            "Output was 9% higher [@wire; @notes].")
    return make_story(writer, body=body, sources=[wire, paper, interview])


def test_claim_evidence_per_claim_and_numbered_source(story):
    evidence = selectors.claim_evidence(story.latest_revision)
    assert [(e["source"], e["status"]) for e in evidence[1]] == [(1, "found")]
    assert "6 per cent" in evidence[1][0]["excerpt"]
    assert [(e["source"], e["status"]) for e in evidence[2]] == [(2, "not_found")]
    assert [(e["source"], e["status"]) for e in evidence[3]] == [(1, "not_found"),
                                                                 (3, "no_snapshot")]


def test_claim_evidence_finds_snapshots_in_one_query_without_their_texts(story):
    keys = list(story.latest_revision.source_keys)
    with CaptureQueriesContext(connection) as queries:
        found = selectors.latest_snapshots(keys)
    assert len(queries) == 1
    assert set(found) == {"wire", "paper"}
    assert "text" not in queries[0]["sql"]
    paper = Snapshot.objects.get(pk=found["paper"].id)
    assert paper.text == "Nothing relevant here at all."


def test_claim_evidence_uses_the_snapshot_the_revision_pins_not_a_newer_one(story):
    wire = story.source_entries.get(source__key="wire").source
    first = wire.snapshots.get()
    later = snapshot(wire, text="Page rewritten entirely.")
    Snapshot.objects.filter(pk=later.pk).update(fetched_at=first.fetched_at.replace(year=2100))
    assert selectors.claim_evidence(story.latest_revision)[1][0]["status"] == "found"
    assert selectors.claim_evidence(story.latest_revision,
                                    as_of=later.fetched_at.replace(year=2100)
                                    )[1][0]["status"] == "not_found"


def test_evidence_warnings_name_figures_no_cited_snapshot_has(story):
    warnings = selectors.evidence_warnings(story.latest_revision)
    assert [w["code"] for w in warnings] == ["figures_not_found", "figures_not_found"]
    first = warnings[0]
    assert "380 billion" in first["message"]
    assert first["line"] == 1 and first["column"] > 1
    assert first["text"].startswith("The plan exceeds")


def test_evidence_warnings_skip_claims_without_any_snapshot(writer):
    source = SourceFactory(key="fresh")
    story = make_story(writer, body="Shares rose 6% [@fresh].", sources=[source])
    assert selectors.evidence_warnings(story.latest_revision) == []


def test_snapshot_at_picks_the_newest_good_one_before(db):
    source = SourceFactory()
    old = snapshot(source)
    assert selectors.snapshot_at(source, old.fetched_at) == old
    assert selectors.snapshot_at(source, old.fetched_at.replace(year=2000)) is None


def test_snapshots_at_many_times_are_snapshot_at_each_without_repeats_in_two_queries(db):
    from datetime import timedelta

    source = SourceFactory()
    start = snapshot(source).fetched_at
    first = Snapshot.objects.filter(source=source).get()
    broken = snapshot(source, status_code=500, fetched_at=start + timedelta(days=1))
    second = snapshot(source, text="Later text.", fetched_at=start + timedelta(days=2))
    times = [start - timedelta(days=1), start, start + timedelta(hours=1),
             start + timedelta(days=1), start + timedelta(days=3), start + timedelta(days=4)]
    expected = [s for s in dict.fromkeys(selectors.snapshot_at(source, t) for t in times) if s]
    with CaptureQueriesContext(connection) as queries:
        found = selectors.snapshots_at(source, times)
    assert found == expected == [first, second] and broken not in found
    assert found[1].text == "Later text." and len(queries) == 2


MANY_CLAIMS = [
    ("Shares rose over 6%, the highest since 2021", ("wire",)),
    ("The plan exceeds the 380 billion yuan commitment", ("paper",)),
    ("Output was 9% higher, \u201cwe will win\u201d he said", ("wire", "paper")),
    ("Nothing to check here", ("wire",)),
    ("Exports of 1,200 tonnes in 2020", ("paper", "notes")),
]


def _claims(keys):
    numbers = {key: i for i, key in enumerate(keys, start=1)}
    return [evidence.ClaimInput(ordinal=i, text=text, sources=tuple(numbers[k] for k in cited))
            for i, (text, cited) in enumerate(MANY_CLAIMS, start=1)]


def test_unsaved_evidence_from_cached_indexes_is_what_indexing_the_texts_finds(story):
    keys = list(story.latest_revision.source_keys)
    claims, positions = _claims(keys), {i: (1, i) for i in range(1, 6)}
    selectors.snapshot_index_cache.clear()
    cold = selectors.unsaved_evidence_warnings(claims, keys, positions)
    with CaptureQueriesContext(connection) as queries:
        warm = selectors.unsaved_evidence_warnings(claims, keys, positions)
    assert cold == warm
    assert [ordinal for ordinal, _ in warm] == [2, 3, 5]
    assert len(queries) == 1  # the snapshots' ids; their texts come from the index cache


def test_claim_evidence_from_cached_indexes_is_the_same(story):
    selectors.snapshot_index_cache.clear()
    cold = selectors.claim_evidence(story.latest_revision)
    cache.clear()  # the per-revision result cache, so the indexes are read again
    assert len(selectors.snapshot_index_cache) == 2  # wire's and paper's; notes has none
    assert selectors.claim_evidence(story.latest_revision) == cold


def test_a_new_snapshot_is_indexed_not_read_from_an_older_ones_index(story):
    keys = list(story.latest_revision.source_keys)
    claims, positions = _claims(keys), {i: (1, i) for i in range(1, 6)}
    before = selectors.unsaved_evidence_warnings(claims, keys, positions)
    wire = Snapshot.objects.filter(source__key="wire").get()
    newer = snapshot(wire.source,
                     text="Shares rose 6% after 2021; 9% more: \u201cwe will win\u201d.")
    Snapshot.objects.filter(pk=newer.pk).update(fetched_at=wire.fetched_at.replace(year=2100))
    after = selectors.unsaved_evidence_warnings(claims, keys, positions)
    assert [o for o, _ in before] == [2, 3, 5]
    assert [o for o, _ in after] == [2, 5]


def test_index_cache_drops_the_least_recently_used_past_its_size():
    def index(n):
        return evidence.index_text(f"{n} " + "word " * 200)

    measure = selectors.IndexCache(max_bytes=10**9)
    measure.put((1, "", None), index(1))
    one = measure.size
    indexes = selectors.IndexCache(max_bytes=3 * one + one // 2)
    for n in (1, 2, 3):
        indexes.put((n, "", None), index(n))
    assert indexes.get((1, "", None)) is not None  # now the most recently used
    indexes.put((4, "", None), index(4))
    assert len(indexes) == 3 and indexes.size <= indexes.max_bytes
    assert indexes.get((2, "", None)) is None
    assert [indexes.get((n, "", None)).text[:2] for n in (1, 3, 4)] == ["1 ", "3 ", "4 "]


def test_index_cache_keeps_nothing_bigger_than_itself():
    indexes = selectors.IndexCache(max_bytes=100)
    indexes.put((1, "", None), evidence.index_text("word " * 100))
    assert len(indexes) == 0 and indexes.size == 0
