import io
import json
import zipfile
from datetime import UTC, datetime

import pytest

from sources import wacz, warc

WHEN = datetime(2026, 3, 14, 7, 30, tzinfo=UTC)


def a_warc(url: str) -> bytes:
    capture = warc.Capture(requested_url=url, final_url=url, fetched_at=WHEN)
    return warc.write_conversion(b"<p>1.8 million euros</p>", "text/html", capture, "x.warc.gz")


def entry(snapshot_id=1, url="https://example.org/a", title="A page"):
    return wacz.Entry(snapshot_id=snapshot_id, data=a_warc(url), url=url, fetched_at=WHEN,
                      title=title)


@pytest.mark.parametrize("url, title", [
    ("https://example.org/../../etc/passwd", "../../etc/passwd"),
    ("https://example.org/a?name=/archive/x.warc.gz", "archive/../datapackage.json"),
    ("https://example.org/%2e%2e/%2e%2e/", "\u202eevil\x00"),
])
def test_member_names_are_ours_whatever_the_page_says(url, title):
    names = zipfile.ZipFile(io.BytesIO(wacz.build([entry(7, url, title)], title=title))).namelist()
    assert names == ["archive/snapshot-7.warc.gz", "indexes/index.cdx", "pages/pages.jsonl",
                     "datapackage.json", "datapackage-digest.json"]


def test_datapackage_lists_every_file_with_its_sha256():
    import hashlib

    archive = zipfile.ZipFile(io.BytesIO(wacz.build([entry(1), entry(2)], title="Evidence")))
    package = json.loads(archive.read("datapackage.json"))
    assert package["wacz_version"] == "1.1.1"
    for resource in package["resources"]:
        data = archive.read(resource["path"])
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["bytes"] == len(data)
    digest = json.loads(archive.read("datapackage-digest.json"))
    package_hash = hashlib.sha256(archive.read("datapackage.json")).hexdigest()
    assert digest["hash"] == f"sha256:{package_hash}"


def test_index_is_sorted_and_points_into_the_archive():
    archive = zipfile.ZipFile(io.BytesIO(wacz.build(
        [entry(2, "https://b.example/"), entry(1, "https://a.example/")], title="Evidence")))
    lines = archive.read("indexes/index.cdx").decode().splitlines()
    assert lines == sorted(lines)
    assert {json.loads(line.split(" ", 2)[2])["filename"] for line in lines} == {
        "snapshot-1.warc.gz", "snapshot-2.warc.gz"}


@pytest.mark.parametrize("entries", [[], [entry(n) for n in range(wacz.MAX_ENTRIES + 1)]],
                         ids=["none", "too-many"])
def test_an_empty_or_oversized_package_is_refused(entries):
    with pytest.raises(wacz.PackageError):
        wacz.build(entries, title="Evidence")
