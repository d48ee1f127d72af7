"""Reads of preserved captures: a snapshot's WARC (stored, or built from an older snapshot's
body), its replay, and the WACZ package of a list of snapshots. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass

from . import fetch, wacz, warc
from .models import Snapshot


class NotArchived(Exception):
    """This snapshot has no archived copy; the message says why (for staff)."""


@dataclass(frozen=True)
class Archived:
    """A snapshot's WARC bytes, and whether they were built now from an older snapshot."""

    data: bytes
    converted: bool = False


def capture_of(snapshot: Snapshot, redirects: tuple[str, ...] = ()) -> warc.Capture:
    """What a snapshot's WARC metadata record says about it."""
    return warc.Capture(
        requested_url=snapshot.requested_url, final_url=snapshot.final_url,
        redirects=redirects, fetched_at=snapshot.fetched_at, source_key=snapshot.source.key,
        title=snapshot.title, author=snapshot.author,
        published_on=snapshot.published_on.isoformat() if snapshot.published_on else "",
        site_name=snapshot.site_name, sha256=snapshot.sha256)


def why_not_archived(snapshot: Snapshot) -> str:
    """Why a snapshot has no WARC ("" when it has one or can have one)."""
    if snapshot.error:
        return f"This capture failed ({snapshot.error}), so there is nothing archived."
    if snapshot.status_code is None or snapshot.status_code >= 400:
        return (f"This capture failed (the server answered HTTP {snapshot.status_code}), so "
                "there is nothing archived.")
    if snapshot.warc or snapshot.body:
        return ""
    return "This capture kept no page (an empty answer), so there is nothing archived."


def _read(field, limit: int) -> bytes:
    try:
        with field.open("rb") as handle:
            data = handle.read(limit + 1)
    except (OSError, ValueError) as exc:
        raise NotArchived(f"The archived file cannot be read ({type(exc).__name__}).") from exc
    if len(data) > limit:
        raise NotArchived(f"The archived file is larger than {limit:,} bytes.")
    return data


def warc_of(snapshot: Snapshot) -> Archived:
    """The snapshot's WARC: the stored one, or (for a snapshot kept before WARCs and not yet
    converted by manage.py archive_snapshots) the same conversion built in memory."""
    reason = why_not_archived(snapshot)
    if reason:
        raise NotArchived(reason)
    if snapshot.warc:
        return Archived(_read(snapshot.warc, warc.MAX_WARC_BYTES))
    body = _read(snapshot.body, fetch.MAX_BYTES)
    name = f"snapshot-{snapshot.pk}.warc.gz"
    return Archived(warc.write_conversion(body, snapshot.content_type, capture_of(snapshot),
                                          name), converted=True)


def replay_of(snapshot: Snapshot) -> warc.Replay:
    """The archived page of a snapshot, read back from its WARC."""
    archived = warc_of(snapshot)
    try:
        return warc.replay(archived.data, snapshot.final_url or snapshot.requested_url)
    except warc.WarcError as exc:
        raise NotArchived(str(exc)) from exc


def package(snapshots: list[Snapshot], *, title: str, description: str = "") -> bytes:
    """The WACZ of these snapshots (those with nothing archived are left out)."""
    entries = []
    for snapshot in snapshots:
        try:
            archived = warc_of(snapshot)
        except NotArchived:
            continue
        entries.append(wacz.Entry(snapshot_id=snapshot.pk, data=archived.data,
                                  url=snapshot.final_url or snapshot.requested_url,
                                  fetched_at=snapshot.fetched_at,
                                  title=snapshot.title or snapshot.source.title))
    if not entries:
        raise NotArchived("None of these sources has an archived copy yet.")
    return wacz.build(entries, title=title, description=description)
