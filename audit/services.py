"""Writing to and checking the audit trail: the hash chain, event MACs and signed checkpoints."""

import contextlib
import functools
import json
import os
import queue
import threading
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Count, Max, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from . import checkpoints, macs
from .checkpoints import Checkpoint
from .errors import ActionDenied, Conflict, RefusedInput
from .models import Event, story_model
from .text import shown_text

GENESIS = "0" * 64
# Any constant works; it only has to be the same for every writer of the chain.
_CHAIN_LOCK_ID = 7_004_211


def _hmac_key() -> bytes:
    if not settings.AUDIT_HMAC_KEY:
        raise ImproperlyConfigured("Set AUDIT_HMAC_KEY: audit events are sealed with it.")
    return settings.AUDIT_HMAC_KEY.encode()


def _hmac_keys() -> dict[str, bytes]:
    """The current key and the retired ones, by key id: every key whose MACs still verify."""
    keys = [_hmac_key(), *(k.encode() for k in settings.AUDIT_HMAC_RETIRED_KEYS)]
    return {macs.key_id(key): key for key in keys}


def display_name(user) -> str:
    """The name a byline, a "Reviewed by" line or a message shows, as a title is shown
    (audit.text.shown_text): no direction control it leaves open reverses the text after it."""
    if user is None:
        return "system"
    return shown_text(user.get_full_name()).strip() or user.get_username()


@transaction.atomic
def audit_record(*, action: str, actor=None, story=None, revision_hash: str = "",
                 details: dict | None = None) -> Event:
    """Append one event to the chain; concurrent writers are serialised so links never fork."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])
    last = Event.objects.order_by("-id").values_list("hash", flat=True).first()
    actor = actor if actor is not None and getattr(actor, "pk", None) else None
    now = timezone.now()
    event = Event(
        # Milliseconds: what a JSON backup (dumpdata) keeps, so a restored chain still verifies.
        at=now.replace(microsecond=now.microsecond // 1000 * 1000),
        actor=actor,
        actor_username=actor.get_username() if actor else "",
        actor_name=display_name(actor),
        action=action,
        story=story,
        revision_hash=revision_hash or "",
        # Round-trip through JSON so the hash covers exactly what the database gives back.
        details=json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder)),
        prev_hash=last or GENESIS,
    )
    event.hash = event.compute_hash()
    key = _hmac_key()
    event.mac_key, event.mac = macs.key_id(key), macs.event_mac(key, event.hash)
    event.save()
    return event


def audit_denied(*, action: str, user, story=None, reason: str) -> None:
    """Record a refused attempt that was stopped before reaching a service (e.g. by a view)."""
    audit_record(action=f"{action}.denied", actor=user, story=story, details={"reason": reason})


# Who acts, by the keyword each service names its actor with.
_ACTOR_KEYWORDS = ("user", "reviewer", "author")


def audited(action: str):
    """Run the service atomically; record a refusal (403 forbidden, 409 wrong state or altered
    revision, 412 stale) once, as `<action>.denied`, after the rollback so it survives."""

    def decorator(func):
        atomic = transaction.atomic(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return atomic(*args, **kwargs)
            except ActionDenied as exc:
                _record_refusal(exc.action, exc.actor, exc.story_id, exc.reason, "forbidden")
                raise
            except RefusedInput as exc:
                actor = next((kwargs[k] for k in _ACTOR_KEYWORDS if k in kwargs), None)
                reason = "; ".join(m for ms in exc.message_dict.values() for m in ms)
                _record_refusal(action, actor, kwargs.get("story_id"), reason, "invalid")
                raise
            except Conflict as exc:
                actor = next((kwargs[k] for k in _ACTOR_KEYWORDS if k in kwargs), None)
                name = str(getattr(exc, "action", "") or action)
                _record_refusal(name, actor, exc.story_id or kwargs.get("story_id"), str(exc),
                                exc.refused)
                raise

        return wrapper

    return decorator


def _record_refusal(action: str, actor, story_id, reason: str, kind: str) -> None:
    story = story_model()._default_manager.filter(pk=story_id).first() if story_id else None
    audit_record(action=f"{action}.denied", actor=actor, story=story,
                 details={"reason": reason, "refused": kind})


class ChainBroken(Exception):
    """The audit trail does not verify, so it must not be checkpointed as it is."""

    def __init__(self, report: "ChainReport"):
        super().__init__(report.reason or report.problem)
        self.report = report


@dataclass(frozen=True)
class ChainReport:
    """What verifying the trail found: intact, or the first bad event or other problem."""

    checked: int
    first_bad: Event | None = None
    reason: str = ""
    # Wrong but not one event's fault: a shortened chain, an unreadable checkpoint log.
    problem: str = ""
    legacy: int = 0
    checkpoint: Checkpoint | None = None
    checkpoints: int = 0
    newer: int = 0
    warnings: tuple[str, ...] = field(default=())

    @property
    def intact(self) -> bool:
        return self.first_bad is None and not self.problem

    @property
    def failure(self) -> str:
        """What is wrong, in one sentence naming the event or the checkpoint."""
        if self.first_bad is not None:
            bad = self.first_bad
            return (f"Audit chain broken at event #{bad.pk} ({bad.action}, "
                    f"{bad.at:%Y-%m-%d %H:%M:%S}): {self.reason}. {self.checked} events before "
                    "it are intact.")
        return f"Audit trail not intact: {self.problem}" if self.problem else ""


# --- checkpoint log -------------------------------------------------------------------------


def checkpoint_path() -> Path:
    if not settings.AUDIT_CHECKPOINT_PATH:
        raise ImproperlyConfigured("Set AUDIT_CHECKPOINT_PATH: the append-only file, outside "
                                   "the database, that signed checkpoints go to.")
    return Path(settings.AUDIT_CHECKPOINT_PATH)


def _signing_key():
    text = settings.AUDIT_SIGNING_KEY
    if not text:
        raise ImproperlyConfigured("Set AUDIT_SIGNING_KEY to sign checkpoints "
                                   "(manage.py audit_keygen makes one).")
    try:
        return checkpoints.load_signing_key(text)
    except checkpoints.BadKey as exc:
        raise ImproperlyConfigured(f"AUDIT_SIGNING_KEY: {exc}") from exc


def _verify_keys() -> dict:
    try:
        keys = [checkpoints.load_public_key(text) for text in settings.AUDIT_VERIFY_KEYS]
        if settings.AUDIT_SIGNING_KEY:
            keys.append(checkpoints.load_signing_key(settings.AUDIT_SIGNING_KEY).public_key())
    except checkpoints.BadKey as exc:
        raise ImproperlyConfigured(f"AUDIT_VERIFY_KEYS or AUDIT_SIGNING_KEY: {exc}") from exc
    return {checkpoints.public_key_id(key): key for key in keys}


def _read_checkpoints(path: Path) -> tuple[list[Checkpoint], str]:
    """Every checkpoint in the log, oldest first, or the problem with the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return [], ""
    keys = _verify_keys()
    found: list[Checkpoint] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            checkpoint = checkpoints.read(line, keys)
        except checkpoints.CheckpointError as exc:
            return found, f"Checkpoint log {path}, line {number}: {exc}."
        if found and checkpoint.count < found[-1].count:
            return found, (f"Checkpoint log {path}, line {number}: its count "
                           f"{checkpoint.count} is below the count {found[-1].count} before it.")
        found.append(checkpoint)
    return found, ""


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: one write() lands whole at the end, even with another writer; also what an
    # append-only file (chattr +a) or a WORM mount allows.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


# --- verifying ------------------------------------------------------------------------------


def _events(n: int) -> str:
    return "1 event was" if n == 1 else f"{n} events were"


def _describe(checkpoint: Checkpoint) -> str:
    return f"the checkpoint signed at {checkpoint.at}"


# What the chain check reads of each event: what Event.compute_hash covers, and the seal.
_CHAIN_FIELDS = ("id", "at", "actor_username", "actor_name", "action", "story_id",
                 "revision_hash", "details", "prev_hash", "hash", "mac", "mac_key")
_ChainRow = namedtuple("_ChainRow", _CHAIN_FIELDS)
_CHUNK = 5000
_AHEAD = 2  # chunks read ahead of the check


def _read_ahead(fetch):
    """The rows of each chunk `fetch()` returns (until an empty one), each chunk read by a
    second thread while this one checks the chunk before: the database produces rows while
    Python hashes (psycopg waits for the server without holding the GIL). When the caller
    stops early, the reader finishes the chunk it is reading and stops, so the connection is
    free again once this generator is closed."""
    chunks: queue.Queue = queue.Queue(maxsize=_AHEAD)
    stop = threading.Event()

    def read():
        try:
            while not stop.is_set():
                chunk = fetch()
                chunks.put(chunk)
                if not chunk:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the checking thread, raised there
            chunks.put(exc)

    reader = threading.Thread(target=read, name="audit-verify-reader", daemon=True)
    reader.start()
    try:
        while True:
            chunk = chunks.get()
            if isinstance(chunk, BaseException):
                raise chunk
            if not chunk:
                return
            yield from chunk
    finally:
        stop.set()
        while reader.is_alive():  # a reader blocked on a full queue needs room to finish
            with contextlib.suppress(queue.Empty):
                chunks.get_nowait()
            reader.join(0.01)


def _chain_rows(events):
    """The events as _ChainRows, streamed: a server-side cursor inside a transaction on
    PostgreSQL (rows made as they are fetched; outside one, Django's cursor is WITH HOLD and
    the server first materialises the whole result), read ahead by a second thread there.

    Rows are read as plain values, no model instance or field converter per event: the time as
    the database's text of it, parsed by datetime.fromisoformat (C) (Django's timestamp loader
    is Python and cost a fifth of the whole check per event), the details as their JSON text,
    parsed by json.loads as the JSONField would. The same values either way, so the same hash.
    """
    query = (events.annotate(at_text=Cast("at", TextField()),
                             details_text=Cast("details", TextField()))
             .values_list("at_text", "id", *_CHAIN_FIELDS[2:7], "details_text",
                          *_CHAIN_FIELDS[8:]))
    sql, params = query.query.sql_with_params()
    loads = json.loads
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            rows = _read_ahead(lambda: cursor.fetchmany(_CHUNK))
        else:  # SQLite: one connection, one thread
            rows = (row for chunk in iter(lambda: cursor.fetchmany(_CHUNK), []) for row in chunk)
        try:
            for at_text, pk, user, name, action, story, revision, details, *seal in rows:
                at = datetime.fromisoformat(at_text)
                # SQLite's text has no offset (it stores UTC); PostgreSQL's is in the session's
                # zone.
                at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
                yield _ChainRow(pk, at, user, name, action, story, revision,
                                None if details is None else loads(details), *seal)
        finally:
            rows.close()


def audit_verify(*, since_checkpoint: bool = False) -> ChainReport:
    """Walk the chain oldest first, checking links, hashes and MACs against every signed checkpoint.

    Report the first event whose link, hash or MAC is wrong, or that is not the head a
    checkpoint signed at its position; or that the chain is shorter than a checkpoint says.
    With since_checkpoint, start from the latest checkpoint's head when it is where the
    checkpoint says (else walk it all, to name what is wrong).
    """
    path = checkpoint_path()
    signed, problem = _read_checkpoints(path)
    if problem:
        return ChainReport(0, problem=problem, checkpoints=len(signed))
    latest = signed[-1] if signed else None
    at_position = {checkpoint.count: checkpoint for checkpoint in signed}
    keys = _hmac_keys()

    events = Event.objects.order_by("id")
    expected_prev, checked, sealed_before = GENESIS, 0, False
    if since_checkpoint and latest is not None and latest.count:
        head = Event.objects.filter(pk=latest.head_id).first()
        if (head is not None and head.hash == latest.head_hash
                and Event.objects.filter(pk__lte=head.pk).count() == latest.count):
            events = events.filter(pk__gt=head.pk)
            expected_prev, checked, sealed_before = head.hash, latest.count, bool(head.mac)

    # Legacy (MAC-less) events: how many, and the first and last id, never the events.
    legacy, legacy_ids = 0, [None, None]

    def broken(row, reason):
        event = Event.objects.get(pk=row.id)
        return ChainReport(checked, event, reason, checkpoint=latest, checkpoints=len(signed))

    # Streamed (a server-side cursor on PostgreSQL) as plain rows: memory stays flat however
    # long the chain, and no model instance is built per event. The hash is the model's own,
    # recomputed from each row's fields. The first problem ends the walk; the event is read
    # once the stream is closed (its reader thread done with the connection).
    problem = None
    with contextlib.closing(_chain_rows(events)) as rows:
        for row in rows:
            if row.prev_hash != expected_prev:
                problem = row, "its link to the previous event is broken"
                break
            if Event.compute_hash(row) != row.hash:
                problem = row, "its content does not match its hash"
                break
            if row.mac:
                key = keys.get(row.mac_key)
                if key is None:
                    problem = row, (f"its MAC was made with key {row.mac_key!r}, which is "
                                    "neither AUDIT_HMAC_KEY nor in AUDIT_HMAC_RETIRED_KEYS")
                    break
                if not macs.mac_matches(key, row.hash, row.mac):
                    problem = row, ("its MAC does not match: the newsroom did not write this "
                                    "event as it stands (forged, or rewritten and rehashed)")
                    break
                sealed_before = True
            elif sealed_before:
                problem = row, ("it has no MAC, though events before it have one (an event "
                                "inserted or rewritten without the key)")
                break
            elif latest is not None and checked >= latest.count:
                problem = row, ("it has no MAC and is newer than the latest checkpoint (every "
                                "event since MACs began carries one)")
                break
            else:
                legacy += 1
                legacy_ids[0] = legacy_ids[0] or row.id
                legacy_ids[1] = row.id
            checked += 1
            checkpoint = at_position.get(checked)
            if checkpoint is not None and (row.id, row.hash) != (checkpoint.head_id,
                                                                 checkpoint.head_hash):
                problem = row, (f"{_describe(checkpoint)} has event #{checkpoint.head_id} "
                                f"(hash {checkpoint.head_hash[:12]}…) as event number "
                                f"{checked}: the chain up to here was rewritten, or events "
                                "were removed from it")
                break
            expected_prev = row.hash
    if problem is not None:
        return broken(*problem)

    warnings = []
    if latest is not None and checked < latest.count:
        return ChainReport(checked, problem=(
            f"The database holds {checked} events, but {_describe(latest)} counted "
            f"{latest.count} (the last #{latest.head_id}): {_events(latest.count - checked)} "
            "deleted (the table truncated, or its newest events removed)."),
            checkpoint=latest, checkpoints=len(signed))
    if latest is None:
        warnings.append(f"No signed checkpoint in {path} yet: deleting the newest events, or "
                        "all of them, would go unnoticed. Run manage.py audit_checkpoint.")
    if legacy:
        warnings.append(f"{legacy} events (#{legacy_ids[0]} to #{legacy_ids[1]}) predate "
                        "event MACs and are unauthenticated"
                        + ("; the checkpoints vouch for them from here on."
                           if latest is not None else "; the first checkpoint will cover them."))
    return ChainReport(checked, legacy=legacy, checkpoint=latest, checkpoints=len(signed),
                       newer=checked - latest.count if latest else checked,
                       warnings=tuple(warnings))


# --- checkpointing --------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointResult:
    """The checkpoint now latest, and whether this call wrote it (False: nothing changed)."""

    checkpoint: Checkpoint
    written: bool
    report: ChainReport


def audit_checkpoint() -> CheckpointResult:
    """Sign the chain's length and head into the checkpoint log; refuse a chain that fails."""
    key = _signing_key()
    path = checkpoint_path()
    # The head first, then the check: everything signed has been verified.
    totals = Event.objects.aggregate(count=Count("id"), head=Max("id"))
    head = Event.objects.filter(pk=totals["head"]).values_list("hash", flat=True).first()
    report = audit_verify(since_checkpoint=True)
    if not report.intact:
        raise ChainBroken(report)
    checkpoint = Checkpoint(count=totals["count"], head_id=totals["head"],
                            head_hash=head or GENESIS,
                            at=timezone.now().isoformat(timespec="seconds"),
                            key=checkpoints.public_key_id(key))
    latest = report.checkpoint
    if latest is not None and (latest.count, latest.head_id, latest.head_hash) == (
            checkpoint.count, checkpoint.head_id, checkpoint.head_hash):
        return CheckpointResult(latest, False, report)
    _append(path, checkpoints.sign(checkpoint, key))
    return CheckpointResult(checkpoint, True, report)
