"""WACZ evidence packages (Web Archive Collection Zipped, 1.1.1): a story's WARCs in one file.

Layout, as py-wacz writes it and ReplayWeb.page reads it:

    archive/snapshot-<id>.warc.gz   each WARC, stored (not re-compressed)
    indexes/index.cdx               the CDXJ index of every record (cdxj-indexer), sorted
    pages/pages.jsonl               one entry per archived page (the citable sources)
    datapackage.json                every file with its sha256 and size, the package's metadata
    datapackage-digest.json         the sha256 of datapackage.json

Member names are ours (snapshot ids), never a URL, key or title, so nothing a source says can
steer a path. The package is built in memory: a story's WARCs are each bounded by the fetcher's
cap, and MAX_ENTRIES bounds how many there are.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version

from cdxj_indexer.main import CDXJIndexer

from . import warc

WACZ_VERSION = "1.1.1"
MIME = "application/wacz"
MAX_ENTRIES = 500


class PackageError(Exception):
    """The package cannot be built (nothing to put in it, or too much)."""


@dataclass(frozen=True)
class Entry:
    """One snapshot in a package: its id, WARC bytes and the page it archived."""

    snapshot_id: int
    data: bytes
    url: str
    fetched_at: datetime
    title: str = ""


def _name(entry: Entry) -> str:
    return f"snapshot-{int(entry.snapshot_id)}.warc.gz"


def _index(entries: list[Entry]) -> bytes:
    lines: list[str] = []
    for entry in entries:
        out = io.StringIO()
        CDXJIndexer(out, [io.BytesIO(entry.data)], filename=_name(entry)).process_all()
        lines += [line for line in out.getvalue().splitlines() if line.strip()]
    return ("\n".join(sorted(lines)) + "\n").encode("utf-8")


def _pages(entries: list[Entry], title: str) -> bytes:
    rows = [{"format": "json-pages-1.0", "id": "pages", "title": title or "All Pages"}]
    for entry in entries:
        rows.append({"id": f"snapshot-{int(entry.snapshot_id)}", "url": entry.url,
                     "ts": entry.fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "title": entry.title or entry.url})
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def _stored(path: str, when: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=when.astimezone(UTC).timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    return info


def build(entries: list[Entry], *, title: str, description: str = "",
          created: datetime | None = None) -> bytes:
    """The WACZ of these snapshots; PackageError when there is none, or too many."""
    if not entries:
        raise PackageError("There is no archived snapshot to package.")
    if len(entries) > MAX_ENTRIES:
        raise PackageError(f"A package holds at most {MAX_ENTRIES} snapshots.")
    created = created or datetime.now(UTC)
    files: list[tuple[str, bytes]] = [(f"archive/{_name(e)}", e.data) for e in entries]
    files += [("indexes/index.cdx", _index(entries)), ("pages/pages.jsonl",
                                                        _pages(entries, title))]
    stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    package = {
        "profile": "data-package",
        "resources": [
            {"name": path.rsplit("/", 1)[-1].lower(), "path": path,
             "hash": "sha256:" + hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for path, data in files
        ],
        "title": title,
        "description": description,
        "mainPageURL": entries[0].url,
        "mainPageDate": entries[0].fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "created": stamp,
        "wacz_version": WACZ_VERSION,
        "software": f"{warc.SOFTWARE} (warcio {version('warcio')}, "
                    f"cdxj-indexer {version('cdxj-indexer')})",
    }
    datapackage = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
    digest = json.dumps({"path": "datapackage.json",
                         "hash": "sha256:" + hashlib.sha256(datapackage).hexdigest()},
                        indent=2).encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
        for path, data in files + [("datapackage.json", datapackage),
                                   ("datapackage-digest.json", digest)]:
            archive.writestr(_stored(path, created), data)
    return out.getvalue()
