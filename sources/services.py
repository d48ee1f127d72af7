"""Changes to the source library: created and edited here, audited, snapshots queued on commit.

Also the snapshot side: source_capture (fetch and keep a copy), source_check_link (the periodic
re-check, with drift detection against the snapshot a live story was approved against) and
source_request_capture (what the admin and the API call). Fetches run outside any transaction;
only the recording of their outcome is atomic.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from audit import queueing
from audit.errors import ActionDenied, InvalidInput, validated
from audit.roles import is_editor, is_writer
from audit.services import audit_record, audited
from audit.stale import StaleEdit
from audit.submissions import submission_once
from audit.text import shown_fields

from . import archive, citing, evidence, extraction, fetch, selectors, tasks, warc
from .models import EDITABLE, Health, LinkCheck, Snapshot, Source

log = logging.getLogger(__name__)


# One-line fields shown inside other text (a message, a story's source list, the picker).
_INLINE = ("title", "outlet", "author")


def _queue_capture(source: Source) -> None:
    # A capture lost to a broker outage is redone by tasks.capture_missing.
    if source.url:
        queueing.on_commit(tasks.capture_source, source.pk)


@audited("source_create")
def source_create(*, user, submission: str | None = None, **fields) -> Source:
    """Add a source to the library; a source with a URL gets a snapshot queued. A repeat of
    `submission` (the add form's token, an Idempotency-Key) answers the first source, marked
    replayed, even though its key is now taken; another request with that key is refused."""
    if not is_writer(user):
        raise ActionDenied("source_create", "Only newsroom staff can add sources.", actor=user)
    return submission_once(submission, action="source_create", actor=user, model=Source,
                           make=partial(_create, user, fields))


def _create(user, fields: dict) -> Source:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput({name: ["This field cannot be set."] for name in unknown})
    source = validated(Source(added_by=user, **shown_fields(fields, _INLINE)))
    source.save()
    audit_record(action="source_create", actor=user,
                 details={"key": source.key, "url": source.url, "title": source.title})
    if source.outlet:
        queueing.after_commit(selectors.forget_outlets)
    _queue_capture(source)
    return source


# What readers are told about a source; notes are internal and anyone on staff may edit them.
DESCRIPTIVE = ("url", "title", "outlet", "author", "published_on", "kind", "description")


def _ensure_can_describe(user, source: Source) -> None:
    """Only editors change what a source says once a story by someone else lists it.

    Revisions pin their own copies, so an edit never reaches a reviewed page; the rule keeps
    one writer from rewriting the source under another writer's draft or review.
    """
    if is_editor(user):
        return
    others = source.story_entries.exclude(story__authors=user)
    if others.exists():
        raise ActionDenied(
            "source_update", "Stories by other writers cite this source, so only an editor "
            "can change its link or description. Ask an editor, or add a new source.",
            actor=user)


class StaleSource(StaleEdit):
    """The source was saved by someone else since the editor read it (HTTP 412); names who and
    when, from the audit trail (audit.stale)."""

    action = "source_update"

    def __init__(self, source: Source, *, lost_version: bool = False):
        self.source = source
        super().__init__(source, what="source", label=f'"{source.key}"',
                         actions=("source_create", "source_update"), about={"key": source.key},
                         lost_version=lost_version)


@audited("source_update")
def source_update(*, source_id: int, user, base_version: str | None = None,
                  **fields) -> Source:
    """Edit a library source; refuse it if someone saved since `base_version`; a changed URL
    gets a fresh snapshot queued.

    `base_version` is the `Source.version` the editor started from; "" (a form that lost it)
    is refused like a stale one, None skips the check (imports, `If-Match: *`).
    """
    if not is_writer(user):
        raise ActionDenied("source_update", "Only newsroom staff can edit sources.", actor=user)
    source = Source.objects.select_for_update(no_key=True).get(pk=source_id)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput({name: ["This field cannot be set."] for name in unknown})
    fields = shown_fields(fields, _INLINE)
    version_read = source.version
    before = {name: getattr(source, name) for name in fields}
    if "key" in fields and fields["key"] != source.key and source.story_entries.exists():
        raise InvalidInput({"key": ["Stories cite this key; it cannot be renamed."]})
    for name, value in fields.items():
        setattr(source, name, value)
    validated(source)
    described = [name for name in DESCRIPTIVE
                 if name in fields and before[name] != getattr(source, name)]
    if described:
        _ensure_can_describe(user, source)
    # After the permission checks, as a story edit: a forbidden edit is refused as forbidden
    # whatever version it names. The version is the row's as locked, before these fields.
    if base_version is not None and base_version != version_read:
        source.refresh_from_db()
        raise StaleSource(source, lost_version=not base_version)
    source.save()
    changed = {k: [str(before[k]), str(getattr(source, k))] for k in fields
               if before[k] != getattr(source, k)}
    if changed:
        audit_record(action="source_update", actor=user,
                     details={"key": source.key, "changed": changed})
    if "outlet" in changed:
        queueing.after_commit(selectors.forget_outlets)
    if "url" in changed:
        _queue_capture(source)
    return source


# --- snapshots and link health ------------------------------------------------------------

EXTENSIONS = {"html": "html", "text": "txt", "pdf": "pdf", "other": "bin"}


def _comparable(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = (parts.path or "/").rstrip("/") or "/"
    return host, path, parts.query


def redirected_materially(requested: str, final: str) -> bool:
    """True when the final URL is another page, not the same one over https, www or a slash."""
    return bool(final) and _comparable(requested) != _comparable(final)


def health_for(result: fetch.FetchResult, requested_url: str) -> str:
    """ok, redirected (elsewhere), broken (4xx/5xx) or unreachable (no usable answer)."""
    if result.status_code is None or result.error_kind == "too_many_redirects":
        return Health.UNREACHABLE
    if result.status_code >= 400:
        return Health.BROKEN
    if redirected_materially(requested_url, result.final_url):
        return Health.REDIRECTED
    return Health.OK


@dataclass(frozen=True)
class CheckOutcome:
    """What a capture or link check recorded: the health, and the snapshot if one was kept."""

    source_id: int
    health: str
    snapshot: Snapshot | None
    link_check: LinkCheck
    transient: bool = False
    error: str = ""


def _fetch(url: str) -> fetch.FetchResult:
    try:
        return fetch.fetch(url)
    except Exception as exc:  # noqa: BLE001 - fetch() should not raise; record it if it does
        log.exception("fetch of %s failed", url)
        return fetch.FetchResult(None, url, error=f"network: {type(exc).__name__}: {exc}")


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _warc_name(source: Source, sha: str) -> str:
    # A random part, so the name of an unpublished capture cannot be guessed from the source.
    return get_valid_filename(f"{source.key}-{(sha or 'empty')[:12]}-"
                              f"{secrets.token_hex(8)}.warc.gz")


def _attach_warc(snapshot: Snapshot, data: bytes, name: str) -> None:
    snapshot.warc.save(name, ContentFile(data), save=False)
    snapshot.warc_sha256 = hashlib.sha256(data).hexdigest()


def _new_snapshot(source: Source, url: str, result: fetch.FetchResult) -> Snapshot:
    extracted = extraction.Extracted("other")
    usable = result.body and not result.error and (result.status_code or 500) < 400
    if usable:
        extracted = extraction.extract(result.content_type, result.body, result.final_url)
    sha = hashlib.sha256(result.body).hexdigest() if result.body else ""
    snapshot = Snapshot(
        source=source, requested_url=url, status_code=result.status_code,
        final_url=result.final_url[:2000], content_type=result.content_type[:200],
        title=extracted.title[:1000], text=extracted.text.replace("\x00", ""), sha256=sha,
        size=len(result.body), error=result.error, author=extracted.author.replace("\x00", ""),
        published_on=_iso_date(extracted.published_on),
        site_name=extracted.site_name.replace("\x00", ""),
    )
    if result.body:
        name = get_valid_filename(f"{source.key}-{sha[:16]}.{EXTENSIONS[extracted.kind]}")
        snapshot.body.save(name, ContentFile(result.body), save=False)
    if result.exchanges and usable:
        name = _warc_name(source, sha)
        capture = replace(archive.capture_of(snapshot, result.redirects),
                          fetched_at=result.exchanges[0].started)
        _attach_warc(snapshot, warc.write_capture(result, capture, name), name)
    return snapshot


def _record(source_id: int, url: str, result: fetch.FetchResult, *, user, action: str,
            always_snapshot: bool) -> CheckOutcome:
    health = health_for(result, url)
    snapshot = None
    with transaction.atomic():
        source = Source.objects.select_for_update(no_key=True).get(pk=source_id)
        latest = source.snapshots.order_by("-fetched_at", "-id").first()
        same_as_latest = bool(latest and result.body and latest.sha256 and
                              latest.sha256 == hashlib.sha256(result.body).hexdigest()
                              and not result.error)
        if always_snapshot or not same_as_latest:
            snapshot = _new_snapshot(source, url, result)
            snapshot.save()
            if (snapshot.warc and settings.NEWSROOM_SCREENSHOTS
                    and extraction.is_html(snapshot.content_type, result.body)):
                queueing.on_commit(tasks.screenshot_snapshot, snapshot.pk)
        drift = ""
        if health in (Health.OK, Health.REDIRECTED) and not result.error:
            current_text = snapshot.text if snapshot is not None else (latest.text if latest
                                                                       else "")
            drift = _drift(source, current_text, exclude=snapshot)
            if drift:
                health = Health.CHANGED
        detail = result.error or drift or (
            f"redirected to {result.final_url}" if health == Health.REDIRECTED else "")
        link_check = LinkCheck.objects.create(
            source=source, status=health, status_code=result.status_code,
            final_url=result.final_url[:2000], detail=detail,
        )
        was = source.health
        source.health, source.health_checked_at = health, timezone.now()
        # The same health again is no change to the entry (readers' pages, their purge).
        source.save(update_fields=["health", "health_checked_at", "updated_at"]
                    if health != was else ["health_checked_at"])
        audit_record(action=action, actor=user, details={
            "key": source.key, "url": url, "health": health, "was": was,
            "status_code": result.status_code,
            "final_url": result.final_url, "error": result.error,
            "snapshot": snapshot.pk if snapshot else None,
            "sha256": snapshot.sha256 if snapshot else "",
        })
    return CheckOutcome(source_id, health, snapshot, link_check, result.transient, result.error)


CHANGED_BELOW = 0.8  # share of words in common below which a page "changed" (evidence.similarity)


def _drift(source: Source, current_text: str, *, exclude: Snapshot | None) -> str:
    """Why the text differs materially from a snapshot a live story was approved against."""
    if not current_text:
        return ""
    for baseline in selectors.snapshots_at(source, citing.approval_times(source)):
        if exclude is not None and baseline.pk == exclude.pk:
            continue
        if not baseline.text:
            continue
        score = evidence.similarity(baseline.text, current_text)
        if score < CHANGED_BELOW:
            return (f"text changed since review: {score:.0%} of its words match the snapshot "
                    f"of {timezone.localtime(baseline.fetched_at):%d %b %Y %H:%M}")
    return ""


def source_capture(*, source_id: int, user=None) -> Snapshot | None:
    """Fetch the source's URL and keep a snapshot, even of a failure; update its health.

    Never raises for a failed fetch: the reason is recorded on the snapshot (error, whose
    kind fetch.is_transient() reads to decide on a retry) and on the link check. Returns None
    for a source without a URL.
    """
    source = Source.objects.filter(pk=source_id).only("pk", "url").first()
    if source is None or not source.url:
        return None
    result = _fetch(source.url)
    outcome = _record(source.pk, source.url, result, user=user, action="source_capture",
                      always_snapshot=True)
    return outcome.snapshot


def source_check_link(*, source_id: int, user=None) -> CheckOutcome | None:
    """Re-check a source's link: a link check always, a snapshot only when the body changed;
    `changed` when the text drifted from the snapshot a live story was approved against."""
    source = Source.objects.filter(pk=source_id).only("pk", "url").first()
    if source is None or not source.url:
        return None
    result = _fetch(source.url)
    return _record(source.pk, source.url, result, user=user, action="source_check_link",
                   always_snapshot=False)


@audited("source_capture_request")
def source_request_capture(*, source_id: int, user) -> Source:
    """Ask for a fresh snapshot (admin, API): writers and up, a source with a URL; queued."""
    if not is_writer(user):
        raise ActionDenied("source_capture_request",
                           "Only newsroom staff can ask for a snapshot.", actor=user)
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        raise InvalidInput({"source": ["No such source."]})
    if not source.url:
        raise InvalidInput({"url": ["This source has no link to capture; add one first."]})
    audit_record(action="source_capture_request", actor=user,
                 details={"key": source.key, "url": source.url})
    queueing.on_commit(tasks.capture_source, source.pk)
    return source


# --- WARCs of earlier snapshots, and screenshots --------------------------------------------


def _archivable():
    return Snapshot.objects.good().filter(warc="").exclude(body="").select_related("source")


@audited("snapshot_convert")
def snapshots_convert_to_warc(*, user=None, limit: int | None = None) -> int:
    """Write a WARC for every snapshot kept before WARC capture (body kept, no WARC yet);
    returns how many were converted. Idempotent: converted snapshots are skipped."""
    if user is not None and not is_editor(user):
        raise ActionDenied("snapshot_convert", "Only editors can convert snapshots.", actor=user)
    converted = 0
    ids = list(_archivable().order_by("pk").values_list("pk", flat=True)[:limit])
    for snapshot_id in ids:
        with transaction.atomic():
            snapshot = _archivable().select_for_update(of=("self",)).filter(
                pk=snapshot_id).first()
            if snapshot is None:
                continue
            try:
                with snapshot.body.open("rb") as handle:
                    body = handle.read(fetch.MAX_BYTES + 1)
            except OSError as exc:
                log.warning("snapshot %s: body unreadable (%s); not converted", snapshot.pk, exc)
                continue
            if len(body) > fetch.MAX_BYTES:
                log.warning("snapshot %s: body over the fetch cap; not converted", snapshot.pk)
                continue
            name = _warc_name(snapshot.source, snapshot.sha256)
            _attach_warc(snapshot, warc.write_conversion(
                body, snapshot.content_type, archive.capture_of(snapshot), name), name)
            snapshot.save(update_fields=["warc", "warc_sha256"])
            converted += 1
    audit_record(action="snapshot_convert", actor=user,
                 details={"converted": converted, "ids": ids[:50]})
    return converted


def snapshot_screenshot(*, snapshot_id: int) -> Snapshot | None:
    """Take a full-page screenshot of a captured HTML page from its WARC, stored beside it;
    without a browser (or for a page that cannot be rendered) the note says why."""
    from . import screenshots

    snapshot = Snapshot.objects.select_related("source").filter(pk=snapshot_id).first()
    if snapshot is None or not snapshot.warc or snapshot.screenshot:
        return snapshot
    try:
        with snapshot.warc.open("rb") as handle:
            page = warc.replay(handle.read(warc.MAX_WARC_BYTES + 1), snapshot.final_url)
    except (OSError, warc.WarcError) as exc:
        shot = screenshots.Shot(note=f"No screenshot: the WARC cannot be read ({exc})."[:300])
    else:
        if not extraction.is_html(page.content_type, page.body):
            shot = screenshots.Shot(note="No screenshot: this capture is not a web page.")
        else:
            shot = screenshots.render(page, page.target_uri or snapshot.final_url,
                                      executable=settings.NEWSROOM_CHROMIUM)
    with transaction.atomic():
        snapshot = Snapshot.objects.select_for_update().get(pk=snapshot.pk)
        if shot.png:
            name = snapshot.warc.name.rsplit("/", 1)[-1].removesuffix(".warc.gz") + ".png"
            snapshot.screenshot.save(name, ContentFile(shot.png), save=False)
            snapshot.screenshot_note = ""
        else:
            snapshot.screenshot_note = shot.note[:300]
        snapshot.save(update_fields=["screenshot", "screenshot_note"])
        audit_record(action="snapshot_screenshot", actor=None, details={
            "key": snapshot.source.key, "snapshot": snapshot.pk,
            "taken": bool(shot.png), "note": snapshot.screenshot_note})
    return snapshot
