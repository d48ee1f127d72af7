import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sources import selectors
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


def test_claim_evidence_loads_snapshots_in_one_query(story):
    keys = list(story.latest_revision.source_keys)
    with CaptureQueriesContext(connection) as queries:
        texts = selectors.latest_snapshot_texts(keys)
    assert len(queries) == 1
    assert set(texts) == {"wire", "paper"}
    assert texts["paper"][1] == "Nothing relevant here at all."


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
