import io
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse
from warcio.archiveiterator import ArchiveIterator

from sources import services as source_services
from sources.models import Snapshot
from stories import services as story_services
from tests.factories import SourceFactory, make_story
from tests.sources.fixture_server import Page, fixture_server
from tests.sources.test_services import publish

WACZ = Path(sys.executable).with_name("wacz")
PAGE = ("<html><head><title>Dredging plan</title></head><body><article><h1>Dredging plan</h1>"
        "<p>The council approved 1.8 million euros for dredging the harbour, officials "
        "said on Tuesday in a statement to reporters.</p></article></body></html>")


@pytest.fixture
def site(settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    routes = {f"/page-{n}": Page(PAGE.replace("Dredging", f"Dredging {n}")) for n in range(60)}
    routes["/gone"] = Page("<h1>Gone</h1>", status=410)
    with fixture_server(routes) as (base, server):
        yield base, server


def captured(base, path="/page-0", **kwargs):
    source = SourceFactory(url=f"{base}{path}", **kwargs)
    source_services.source_capture(source_id=source.pk)
    return source


@pytest.fixture
def published(site, writer, reviewer, editor):
    base, _ = site
    source = captured(base)
    story = publish(source, writer, reviewer, editor,
                    body="The council approved 1.8 million euros [@{key}].")
    return story, source.snapshots.get()


def admin_login(client, user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)


def wacz_validate(data: bytes, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "evidence.wacz"
    path.write_bytes(data)
    return subprocess.run([str(WACZ), "validate", "-f", str(path)], capture_output=True,
                          text=True, timeout=120)


def test_published_story_links_download_the_evidence(client, published):
    story, _ = published
    page = client.get(reverse("story-detail", args=[story.slug])).content.decode()
    assert f'href="{reverse("story-evidence", args=[story.slug])}"' in page
    assert "Download the evidence" in page


def test_evidence_package_passes_wacz_validate(client, published, tmp_path):
    story, _ = published
    response = client.get(reverse("story-evidence", args=[story.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/wacz"
    assert response["Content-Disposition"].endswith('-evidence-r1.wacz"')
    result = wacz_validate(response.content, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded" in result.stdout


def test_evidence_package_holds_the_approved_snapshot_warc_index_and_pages(client, published):
    story, snapshot = published
    data = client.get(reverse("story-evidence", args=[story.slug])).content
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == [f"archive/snapshot-{snapshot.pk}.warc.gz", "indexes/index.cdx",
                         "pages/pages.jsonl", "datapackage.json", "datapackage-digest.json"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())
        index = archive.read("indexes/index.cdx").decode()
        assert snapshot.final_url.split("//", 1)[1].split(":", 1)[0] in index
        assert f'"filename": "snapshot-{snapshot.pk}.warc.gz"' in index
        assert snapshot.final_url in archive.read("pages/pages.jsonl").decode()


def test_public_api_serves_the_same_package(client, published, tmp_path):
    story, _ = published
    response = client.get(reverse("api-public-story-evidence", args=[story.slug]))
    assert response.status_code == 200
    assert wacz_validate(response.content, tmp_path).returncode == 0


def test_evidence_answers_304_to_a_current_copy(client, published):
    story, _ = published
    first = client.get(reverse("story-evidence", args=[story.slug]))
    again = client.get(reverse("story-evidence", args=[story.slug]),
                       HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


@pytest.mark.parametrize("name", ["story-evidence", "api-public-story-evidence"])
def test_evidence_304_repeats_the_caching_headers_of_its_200(client, settings, published, name):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 300
    url = reverse(name, args=[published[0].slug])
    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    for header in ("ETag", "Cache-Control", "Vary"):
        assert again.get(header) == first[header], header


def test_evidence_covers_only_snapshots_approved_with_the_live_revision(client, published,
                                                                        site, writer):
    story, approved = published
    base, _ = site
    later = captured(base, "/page-1")  # cited by a new draft revision, not yet approved
    story_services.story_update(story_id=story.pk, user=writer,
                                body=f"The council approved 1.8 million euros [@{later.key}].")
    data = client.get(reverse("story-evidence", args=[story.slug])).content
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert f"archive/snapshot-{approved.pk}.warc.gz" in names
    assert not any(f"snapshot-{later.snapshots.get().pk}." in n for n in names)


@pytest.mark.parametrize("name", ["story-evidence", "api-public-story-evidence"])
def test_unpublished_story_evidence_is_404_for_readers(client, site, writer, name):
    base, _ = site
    story = make_story(writer, body=f"Claim [@{captured(base).key}].")
    assert client.get(reverse(name, args=[story.slug])).status_code == 404


def test_snapshot_warc_is_a_download_for_readers_when_approved(client, published):
    _, snapshot = published
    response = client.get(reverse("snapshot-warc", args=[snapshot.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/warc"
    kinds = [r.rec_type for r in ArchiveIterator(io.BytesIO(response.content))]
    assert kinds == ["warcinfo", "response", "request", "metadata"]


def test_snapshot_not_approved_with_a_live_revision_is_404_for_readers(client, site, db):
    base, _ = site
    snapshot = captured(base, "/page-2").snapshots.get()
    for name in ("snapshot-warc", "snapshot-replay", "snapshot-screenshot"):
        assert client.get(reverse(name, args=[snapshot.pk])).status_code == 404


def test_failed_snapshot_is_404_for_readers_and_explained_to_staff(client, site, writer):
    base, _ = site
    snapshot = captured(base, "/gone").snapshots.get()
    assert client.get(reverse("snapshot-warc", args=[snapshot.pk])).status_code == 404
    client.force_login(writer)
    response = client.get(reverse("snapshot-warc", args=[snapshot.pk]))
    assert response.status_code == 404
    assert "This capture failed (the server answered HTTP 410)" in response.content.decode()


def test_fetch_error_snapshot_tells_staff_why(client, writer, db):
    source = SourceFactory(url="https://unreachable.example/")
    snapshot = Snapshot.objects.create(source=source, requested_url=source.url,
                                       error="network: cannot resolve unreachable.example")
    client.force_login(writer)
    response = client.get(reverse("snapshot-replay", args=[snapshot.pk]))
    assert response.status_code == 404
    assert "This capture failed (network: cannot resolve" in response.content.decode()


def test_replay_serves_the_archived_page_sandboxed(client, published):
    _, snapshot = published
    response = client.get(reverse("snapshot-replay", args=[snapshot.pk]))
    assert response.status_code == 200
    assert b"1.8 million euros" in response.content
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_archived_copy_page_frames_the_replay_and_links_the_warc(client, published):
    _, snapshot = published
    page = client.get(reverse("snapshot-detail", args=[snapshot.pk])).content.decode()
    assert f'src="{reverse("snapshot-replay", args=[snapshot.pk])}"' in page
    assert f'href="{reverse("snapshot-warc", args=[snapshot.pk])}"' in page


def test_replay_of_a_damaged_warc_is_404_for_readers_and_a_message_for_staff(client, published,
                                                                             writer):
    _, snapshot = published
    with open(snapshot.warc.path, "wb") as handle:
        handle.write(b"\x1f\x8b\x08\x00garbage")
    assert client.get(reverse("snapshot-replay", args=[snapshot.pk])).status_code == 404
    client.force_login(writer)
    response = client.get(reverse("snapshot-replay", args=[snapshot.pk]))
    assert response.status_code == 404
    assert "The WARC" in response.content.decode()


def test_snapshot_kept_before_warcs_is_packaged_by_conversion(client, published, tmp_path):
    story, snapshot = published
    Snapshot.objects.filter(pk=snapshot.pk).update(warc="")
    data = client.get(reverse("story-evidence", args=[story.slug])).content
    assert wacz_validate(data, tmp_path).returncode == 0


def test_admin_downloads_the_latest_revisions_evidence(client, published, editor, tmp_path):
    story, _ = published
    admin_login(client, editor)
    response = client.get(reverse("admin:stories_story_evidence", args=[story.pk]))
    assert response.status_code == 200
    assert wacz_validate(response.content, tmp_path).returncode == 0


def test_admin_explains_a_story_without_archived_sources(client, editor, writer, db):
    story = make_story(writer, body="No sources here.")
    admin_login(client, editor)
    response = client.get(reverse("admin:stories_story_evidence", args=[story.pk]), follow=True)
    assert "No evidence package for revision 1" in response.content.decode()


def test_fifty_source_package_builds_in_under_two_seconds(site, writer, reviewer, editor,
                                                          client, tmp_path):
    base, _ = site
    sources = [captured(base, f"/page-{n}") for n in range(50)]
    body = " ".join(f"Claim {n} is 1.8 million euros [@{s.key}]." for n, s in
                    enumerate(sources))
    story = make_story(writer, body=body, sources=sources)
    from tests.factories import approved_hash, latest_hash

    story_services.story_submit(story_id=story.pk, user=writer)
    ordinals = story.latest_revision.claims.values_list("ordinal", flat=True)
    story_services.review_submit(
        story_id=story.pk, base_revision=latest_hash(story), reviewer=reviewer,
        decision="approve",
        checks=[story_services.CheckInput(claim=o, verdict="supported") for o in ordinals])
    story_services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    start = time.perf_counter()
    response = client.get(reverse("story-evidence", args=[story.slug]))
    elapsed = time.perf_counter() - start
    assert response.status_code == 200
    assert len(zipfile.ZipFile(io.BytesIO(response.content)).namelist()) == 54
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert wacz_validate(response.content, tmp_path).returncode == 0
