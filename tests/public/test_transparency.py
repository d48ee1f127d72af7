"""The public transparency log: every change of what readers see is an entry, under a signed
tree head, with proofs anyone can check; the story page, review trail and API point to it."""

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit import checkpoints, merkle, tree_heads
from audit import transparency as log
from audit.models import AppendOnlyError, TransparencyEntry
from stories import services
from stories.canonical import canonical_bytes
from stories.models import State
from tests.audit import helpers
from tests.factories import approved_hash
from tests.public.helpers import approve, publish_story, republish

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(writer, reviewer, editor):
    return publish_story(writer, reviewer, editor, title="Harbour cranes arrive")


def _keys(client):
    document = client.get(reverse("well-known-transparency")).json()
    return {k["id"]: checkpoints.load_public_key(k["public_key"]) for k in document["keys"]}


def test_publishing_appends_one_entry_naming_the_text_reviewers_and_snapshots(story):
    (entry,) = TransparencyEntry.objects.all()
    fields = json.loads(entry.data)
    revision = story.live_revision
    assert fields["kind"] == "publish"
    assert fields["story"] == f"/stories/{story.slug}/"
    assert (fields["revision"], fields["content_hash"]) == (revision.number,
                                                            revision.content_hash)
    assert fields["reviewers"] == ["First Reviewer"]
    assert [s["key"] for s in fields["sources"]] == revision.source_keys
    assert all("snapshot_sha256" in s for s in fields["sources"])
    assert entry.root == merkle.leaf_hash(entry.data.encode()).hex()


def test_a_correction_and_a_retraction_each_append_an_entry(story, writer, reviewer, editor):
    republish(story, writer, reviewer, editor, body=story.body + " More.", note="Fixed a date.")
    services.story_retract(story_id=story.pk, user=editor, reason="The source recanted.")
    kinds = [json.loads(e.data) for e in TransparencyEntry.objects.order_by("index")]
    assert [(k["kind"], k["revision"]) for k in kinds] == [
        ("publish", 1), ("correction", 2), ("retraction", 2)]
    assert kinds[1]["note"] == "Fixed a date."
    assert kinds[2]["reason"] == "The source recanted."


def test_a_scheduled_publish_appends_its_entry_when_it_goes_public(writer, reviewer, editor):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import SourceFactory, make_story

    source = SourceFactory()
    story = make_story(writer, title="Tide tables", body=f"The tide turns [@{source.key}].",
                       sources=[source])
    services.story_submit(story_id=story.pk, user=writer)
    approve(story, reviewer)
    when = timezone.now() + timedelta(hours=1)
    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor,
                           publish_at=when)
    assert not TransparencyEntry.objects.exists()  # scheduled: readers see nothing yet
    assert services.publish_due(now=when + timedelta(seconds=1)) == [story.pk]
    (entry,) = TransparencyEntry.objects.all()
    fields = json.loads(entry.data)
    story.refresh_from_db()
    assert (fields["kind"], fields["story"], fields["revision"], fields["content_hash"]) == (
        "publish", "/stories/tide-tables/", 1, story.live_revision.content_hash)
    assert fields["reviewers"] == ["First Reviewer"]


def test_a_publish_whose_entry_cannot_be_signed_does_not_happen(writer, reviewer, editor,
                                                                settings):
    story = publish_story(writer, reviewer, editor)
    services.story_update(story_id=story.pk, user=writer, body=story.body + " Again.")
    services.story_submit(story_id=story.pk, user=writer)
    approve(story, reviewer)
    settings.TRANSPARENCY_SIGNING_KEY_FILE = ""
    with pytest.raises(ImproperlyConfigured):
        services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor,
                               note="Update.", note_kind="update")
    story.refresh_from_db()
    assert story.state == State.APPROVED and story.live_revision.number == 1
    assert TransparencyEntry.objects.count() == 1


def test_entries_are_never_changed_or_deleted_through_the_orm(story):
    entry = TransparencyEntry.objects.get()
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        TransparencyEntry.objects.update(kind="x")
    with pytest.raises(AppendOnlyError):
        TransparencyEntry.objects.all().delete()


def test_the_well_known_document_has_a_tree_head_signed_by_a_published_key(client, story):
    response = client.get("/.well-known/newsroom-transparency.json")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and response["ETag"]
    document = response.json()
    head = tree_heads.read(document["tree_head"], _keys(client))
    assert head.size == 1
    assert set(document["endpoints"]) >= {"entries", "inclusion_proof", "consistency_proof"}


def test_a_rotated_key_is_still_published_and_its_heads_still_verify(client, story, settings,
                                                                     tmp_path):
    old = client.get(reverse("api-transparency-tree-head")).json()
    old_public = checkpoints.public_key_text(log.signing_key())
    settings.TRANSPARENCY_SIGNING_KEY = checkpoints.private_key_text(
        Ed25519PrivateKey.generate())
    settings.TRANSPARENCY_VERIFY_KEYS = [old_public]
    keys = client.get(reverse("api-transparency-log")).json()["keys"]
    assert [k["current"] for k in keys] == [True, False]
    assert keys[1]["public_key"] == old_public
    tree_heads.read(old, _keys(client))


@pytest.mark.parametrize("url", ["/transparency/", "/.well-known/newsroom-transparency.json"])
def test_a_rotation_rolled_back_is_not_answered_304(client, story, settings, url):
    # Rotate to a new key, then back: the same two keys are published, the other one current.
    old = log.signing_key()
    new = Ed25519PrivateKey.generate()
    settings.TRANSPARENCY_SIGNING_KEY = checkpoints.private_key_text(new)
    settings.TRANSPARENCY_VERIFY_KEYS = [checkpoints.public_key_text(old)]
    rotated = client.get(url)
    settings.TRANSPARENCY_SIGNING_KEY = checkpoints.private_key_text(old)
    settings.TRANSPARENCY_VERIFY_KEYS = [checkpoints.public_key_text(new)]
    back = client.get(url, HTTP_IF_NONE_MATCH=rotated["ETag"])
    assert back.status_code == 200 and back.content != rotated.content


def test_a_tree_head_signed_with_another_key_is_refused(client, story):
    head = client.get(reverse("api-transparency-tree-head")).json()
    forged = tree_heads.sign(size=head["size"], root=head["root"], timestamp=head["timestamp"],
                             key=Ed25519PrivateKey.generate())
    with pytest.raises(tree_heads.TreeHeadError, match="not one of the log's published keys"):
        tree_heads.read(forged.as_dict(), _keys(client))
    # The right key id on someone else's signature is no better.
    relabelled = {**forged.as_dict(), "key": head["key"]}
    with pytest.raises(tree_heads.TreeHeadError, match="signature does not match"):
        tree_heads.read(relabelled, _keys(client))


def test_inclusion_and_consistency_proofs_verify_as_the_log_grows(client, story, writer,
                                                                  reviewer, editor):
    first = client.get(reverse("api-transparency-tree-head")).json()
    republish(story, writer, reviewer, editor, body=story.body + " Second.")
    publish_story(writer, reviewer, editor, title="Another story")
    second = client.get(reverse("api-transparency-tree-head")).json()
    assert second["size"] == 3
    proof = client.get(reverse("api-transparency-consistency"), {"first": 1}).json()
    merkle.verify_consistency(first=1, second=3, first_root=bytes.fromhex(first["root"]),
                              second_root=bytes.fromhex(second["root"]),
                              path=[bytes.fromhex(h) for h in proof["path"]])
    entries = client.get(reverse("api-transparency-entries")).json()["entries"]
    for item in entries:
        found = client.get(reverse("api-transparency-inclusion"), {"index": item["index"]}).json()
        merkle.verify_inclusion(index=item["index"], size=3,
                                leaf=merkle.leaf_hash(item["data"].encode()),
                                path=[bytes.fromhex(h) for h in found["path"]],
                                root_hash=bytes.fromhex(second["root"]))


def test_the_proof_of_a_published_revision_is_found_by_story_and_revision(client, story):
    found = client.get(reverse("api-transparency-inclusion"),
                       {"story": story.slug, "revision": 1})
    assert found.status_code == 200 and found.json()["index"] == 0
    missing = client.get(reverse("api-transparency-inclusion"),
                         {"story": story.slug, "revision": 9})
    assert missing.status_code == 404
    assert "No log entry publishes revision 9" in missing.json()["detail"]


def test_the_canonical_content_rebuilds_the_logged_hash(client, story):
    data = client.get(reverse("api-public-story-canonical", args=[story.slug])).json()
    rebuilt = hashlib.sha256(canonical_bytes(
        title=data["title"], dek=data["dek"], body=data["body"], sources=data["sources"],
        version=data["hash_version"])).hexdigest()
    assert rebuilt == data["content_hash"] == data["transparency"][0]["content_hash"]


def test_the_story_page_and_review_trail_show_the_entry_hash_and_proof(client, story):
    hash_ = story.live_revision.content_hash
    page = client.get(story.get_absolute_url()).content.decode()
    trail = client.get(reverse("story-history", args=[story.slug])).content.decode()
    proof = reverse("api-transparency-inclusion") + "?index=0"
    for html in (page, trail):
        assert '<span class="log-index">#0</span>' in html
        assert f'title="{hash_}">{hash_[:12]}</code>' in html
        assert f'href="{proof}"' in html


def test_the_public_api_returns_each_published_versions_entry(client, story, writer, reviewer,
                                                              editor):
    republish(story, writer, reviewer, editor, body=story.body + " Second.")
    data = client.get(reverse("api-public-story-detail", args=[story.slug])).json()
    assert [(t["entry"], t["kind"], t["revision"]) for t in data["transparency"]] == [
        (0, "publish", 1), (1, "correction", 2)]
    assert data["transparency"][1]["proof"].endswith("/proofs/inclusion/?index=1")


def test_the_transparency_page_lists_the_head_keys_and_entries(client, story):
    response = client.get(reverse("transparency"))
    html = response.content.decode()
    head = log.tree_head()
    assert response.status_code == 200 and "public" in response["Cache-Control"]
    assert f'<code class="log-root">{head.root}</code>' in html
    assert f"/stories/{story.slug}/" in html and "First Reviewer" in html
    assert client.get(reverse("transparency"),
                      HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_an_empty_log_says_so(client):
    assert client.get(reverse("api-transparency-log")).json()["tree_head"] is None
    assert "the log is empty" in client.get(reverse("transparency")).content.decode()
    assert client.get(reverse("api-transparency-inclusion"), {"index": 0}).status_code == 400


@pytest.mark.parametrize(("name", "params", "message"), [
    ("api-transparency-inclusion", {"index": "abc"}, "index: Must be a whole number"),
    ("api-transparency-inclusion", {"index": "-1"}, "index: Must be a whole number"),
    ("api-transparency-inclusion", {"index": "1e3"}, "index: Must be a whole number"),
    ("api-transparency-inclusion", {"index": "9" * 40}, "index: Must be a whole number"),
    ("api-transparency-inclusion", {"index": "9007199254740993"}, "Must be a whole number"),
    ("api-transparency-inclusion", {"index": "1"}, "index 1 is out of range"),
    ("api-transparency-inclusion", {"index": "0", "size": "0"}, "size 0 is out of range"),
    ("api-transparency-inclusion", {"index": "0", "size": "5"}, "size 5 is out of range"),
    ("api-transparency-inclusion", {"index": "7", "size": "5"}, "size 5 is out of range"),
    ("api-transparency-inclusion", {"index": "1", "size": "1"}, "index 1 is out of range"),
    ("api-transparency-inclusion", {}, "index: Required"),
    ("api-transparency-inclusion", {"story": "x", "revision": "two"}, "revision: Must be"),
    ("api-transparency-consistency", {}, "first: Required"),
    ("api-transparency-consistency", {"first": "2"}, "first 2 is out of range"),
    ("api-transparency-consistency", {"first": "0", "second": "7"}, "second 7 is out of range"),
    ("api-transparency-consistency", {"first": "1", "second": "0"}, "out of range"),
    ("api-transparency-entries", {"limit": "0"}, "limit: Must be from 1 to 1000"),
    ("api-transparency-entries", {"limit": "100000"}, "limit: Must be from 1 to 1000"),
    ("api-transparency-entries", {"start": "7"}, "start: The log has 1 entries"),
    ("api-transparency-tree-head", {"size": "x"}, "size: Must be a whole number"),
])
def test_bad_proof_requests_answer_400_with_a_message(client, story, name, params, message):
    response = client.get(reverse(name), params)
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]


@pytest.mark.parametrize(("name", "params", "queries"), [
    ("api-transparency-inclusion", {"index": 0, "size": 2}, 1),
    ("api-transparency-inclusion", {"index": 1}, 2),
    ("api-transparency-consistency", {"first": 1, "second": 2}, 1),
    ("api-transparency-consistency", {"first": 1}, 2),
])
def test_a_proof_takes_the_same_queries_however_long_the_log(client, story, writer, reviewer,
                                                            editor, name, params, queries):
    counts = []
    for _ in range(2):
        publish_story(writer, reviewer, editor, title=f"Story {len(counts)}")
        publish_story(writer, reviewer, editor, title=f"Story {len(counts)} again")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(name), params).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts == [queries, queries]


def test_an_append_takes_the_same_queries_however_long_the_log(story):
    counts = []
    for _ in range(7):
        with CaptureQueriesContext(connection) as captured:
            log.log_append(fields={"v": 1, "kind": "publish"}, kind="publish")
        counts.append(len(captured.captured_queries))
    # The last entry (it keeps the frontier) and the insert; on PostgreSQL the lock first.
    assert counts == [3 if connection.vendor == "postgresql" else 2] * 7


def test_a_log_from_before_frontiers_were_kept_goes_on_growing_as_the_rfc_defines(
        story, writer, reviewer, editor):
    publish_story(writer, reviewer, editor, title="Second story")
    publish_story(writer, reviewer, editor, title="Third story")
    with transaction.atomic():  # what entries logged before audit.0009 hold
        helpers.tamper("UPDATE audit_transparencyentry SET frontier = %s", [b""])
    publish_story(writer, reviewer, editor, title="Fourth story")
    publish_story(writer, reviewer, editor, title="Fifth story")
    rows = list(TransparencyEntry.objects.order_by("index"))
    assert log.tree_head().root == merkle.root(
        [merkle.leaf_hash(row.data.encode()) for row in rows]).hex()
    assert [bool(bytes(row.frontier)) for row in rows] == [False, False, False, True, True]
    assert log.log_verify().intact


def test_verify_transparency_names_an_entry_whose_frontier_was_rewritten(story, writer,
                                                                        reviewer, editor):
    publish_story(writer, reviewer, editor, title="Second story")
    with transaction.atomic():
        helpers.tamper('UPDATE audit_transparencyentry SET frontier = %s WHERE "index" = 1',
                       [bytes(32)])
    report = log.log_verify()
    assert report.problem == "entry 1: its stored frontier does not match the entries up to it"


def test_a_tree_head_of_a_size_the_log_never_had_is_404(client, story):
    response = client.get(reverse("api-transparency-tree-head"), {"size": 2})
    assert response.status_code == 404
    assert "no tree head of size 2" in response.json()["detail"]


def test_a_damaged_log_answers_503_naming_the_missing_entry(client, story, writer, reviewer,
                                                           editor, monkeypatch):
    publish_story(writer, reviewer, editor, title="Second story")
    monkeypatch.setattr(log, "_rows", lambda positions: {})
    response = client.get(reverse("api-transparency-inclusion"), {"index": 1})
    assert response.status_code == 503
    assert "entry" in response.json()["detail"] and "missing" in response.json()["detail"]


def test_tree_heads_sign_exactly_the_documented_bytes(story):
    entry = TransparencyEntry.objects.get()
    signed = (b"newsroom-transparency-tree-head-v1\n" + json.dumps(
        {"key": entry.key, "root": entry.root, "size": 1, "timestamp": entry.timestamp, "v": 1},
        sort_keys=True, separators=(",", ":")).encode())
    log.signing_key().public_key().verify(base64.b64decode(entry.signature), signed)


def test_verify_transparency_finds_the_log_intact(story, writer, reviewer, editor):
    publish_story(writer, reviewer, editor, title="Second story")
    report = log.log_verify()
    assert report.intact and report.checked == 2


def test_publishing_purges_the_transparency_pages(story):
    from stories.frontend_cache import story_paths

    paths = story_paths(story)
    for name in ("transparency", "well-known-transparency", "api-transparency-inclusion",
                 "api-transparency-consistency", "api-transparency-entries"):
        assert reverse(name) in paths
    assert reverse("api-public-story-canonical", args=[story.slug]) in paths
