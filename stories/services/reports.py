"""Readers' error reports and the corrections desk: a reader reports a claim of a live story;
editors and the story's reviewers reply, dismiss it, open a correction (published through the
normal workflow, which links it back), or turn a suggested URL into a library source."""

import re
import unicodedata
from functools import partial
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone

from audit import queueing
from audit.errors import ActionDenied, Conflict, InvalidInput
from audit.services import audit_record, audited
from audit.submissions import submission_once
from sources import services as source_services
from sources.keys import key_from
from sources.models import Source, normalise_url

from .. import tasks
from ..models import Claim, Correction, ErrorReport, ReportStatus, Revision, Story
from ..permissions import can_handle_reports
from .limits import TextLimit

NOTE_MIN = 10
NOTE_MAX = 2000
URL_MAX = 2000
EMAIL_MAX = 254
REPLY_MAX = 5000
REASON_MAX = 2000
REPORT_REPLY = TextLimit(REPLY_MAX, what="The reply", kind="a reply to a reader")
DISMISSAL_REASON = TextLimit(REASON_MAX, what="The reason", kind="a dismissal reason")
READER_NOTE = TextLimit(NOTE_MAX, what="Your note", kind="a report")
READER_LINK = TextLimit(URL_MAX, what="The link", kind="a link")
READER_EMAIL = TextLimit(EMAIL_MAX, what="The e-mail address", kind="an e-mail address")

# Control characters (other than tab and newline), bidirectional overrides and NUL: nothing a
# note needs, and some of them (NUL) PostgreSQL refuses.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_url = URLValidator(schemes=["http", "https"])
# Characters a URL carries only percent-encoded (RFC 3986): a pasted one is not a link.
_NOT_IN_URL = re.compile(r"[\s<>\"'`{}|\\^]")


class ReportClosed(Conflict):
    """The report is already closed (corrected or dismissed): nothing more can be done (409)."""

    def __init__(self, report: ErrorReport, action: str):
        self.action = action
        super().__init__(f"Report #{report.pk} is already {report.get_status_display().lower()}.",
                         story_id=report.story_id)


class StoryRetracted(Conflict):
    """A retracted story takes no corrections (409)."""

    def __init__(self, action: str, story_id: int | None = None):
        self.action = action
        super().__init__("This story was retracted: it takes no more corrections.",
                         story_id=story_id)


def clean_text(value: str) -> str:
    """Plain text as stored: Unicode NFC, newlines unified, control characters removed."""
    value = unicodedata.normalize("NFC", str(value or "")).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value).strip()


def _field_errors(*, note: str, suggested_url: str, email: str) -> dict:
    errors: dict[str, list[str]] = {}
    if len(note) < NOTE_MIN:
        errors["note"] = [f"Say what is wrong with this claim (at least {NOTE_MIN} characters)."]
    elif len(note) > NOTE_MAX:
        errors["note"] = [READER_NOTE.message_for(len(note))]
    if len(suggested_url) > URL_MAX:
        errors["suggested_url"] = [READER_LINK.message_for(len(suggested_url))]
    elif suggested_url:
        try:
            if _NOT_IN_URL.search(suggested_url):
                raise ValidationError("Enter a valid URL.")
            _url(suggested_url)
            normalise_url(suggested_url)  # the form the library stores it in (add-source)
        except ValidationError as exc:
            errors["suggested_url"] = [exc.messages[0] if exc.messages[0] != "Enter a valid URL."
                                       else "Enter a full http:// or https:// link."]
    if len(email) > EMAIL_MAX:
        errors["email"] = [READER_EMAIL.message_for(len(email))]
    elif email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = ["Enter a valid e-mail address, or leave it empty."]
    return errors


def reported_revision(story: Story, content_hash: str) -> Revision:
    """The revision the reader read: the live one, or (a publish landed since they opened the
    form) an earlier revision of this story that was live before it."""
    live = story.live_revision
    if not content_hash or content_hash == live.content_hash:
        return live
    earlier = (Revision.objects.filter(story=story, content_hash=content_hash,
                                       number__lt=live.number).order_by("-number").first())
    if earlier is None:
        raise InvalidInput({"revision": ["This is not a version of the story readers were "
                                         "shown; reload the story and report again."]})
    return earlier


@transaction.atomic
def report_create(*, slug: str, ordinal: int, note: str, suggested_url: str = "",
                  email: str = "", content_hash: str = "",
                  submission: str | None = None) -> ErrorReport:
    """A reader reports claim `ordinal` of a published story (no account). Raises
    Story.DoesNotExist / Claim.DoesNotExist (404), StoryRetracted (409), InvalidInput (400).
    A repeat of `submission` (the report form's token, an Idempotency-Key) files and e-mails
    nothing more: the first report answers it, marked replayed."""
    story = (Story.objects.published().select_related("live_revision")
             .get(slug=slug))
    if story.retracted_at:
        raise StoryRetracted("report_create")
    return submission_once(submission, action=f"report_create {story.pk}", actor=None,
                           model=ErrorReport,
                           make=partial(_report, story, ordinal=ordinal, note=note,
                                        suggested_url=suggested_url, email=email,
                                        content_hash=content_hash))


def _report(story: Story, *, ordinal: int, note: str, suggested_url: str, email: str,
            content_hash: str) -> ErrorReport:
    revision = reported_revision(story, clean_text(content_hash)[:64])
    claim = Claim.objects.get(revision=revision, ordinal=ordinal)
    note, url, email = clean_text(note), clean_text(suggested_url), clean_text(email).lower()
    errors = _field_errors(note=note, suggested_url=url, email=email)
    if errors:
        raise InvalidInput(errors)
    report = ErrorReport.objects.create(
        story=story, revision=revision, claim=claim, content_hash=revision.content_hash,
        claim_text=claim.text, note=note, suggested_url=url, email=email)
    # The reader's words and address stay out of the permanent trail (the address is erased
    # on closing); the trail says which claim, which version, and what came with it.
    audit_record(action="report_create", story=story, revision_hash=revision.content_hash,
                 details={"report": report.pk, "claim": claim.ordinal,
                          "suggested_url": bool(url), "reply_wanted": bool(email)})
    queueing.on_commit(tasks.notify_report_received, report.pk)
    return report


def _locked_report(report_id: int, user, action: str) -> ErrorReport:
    report = (ErrorReport.objects.select_for_update(of=("self",))
              .select_related("story", "claim").get(pk=report_id))
    if not can_handle_reports(user, report.story):
        raise ActionDenied(action, "Only editors and the story's reviewers handle readers' "
                           "reports on it.", actor=user, story_id=report.story_id)
    if report.closed:
        raise ReportClosed(report, action)
    return report


def _close(report: ErrorReport, user, status: str) -> None:
    report.status = status
    report.closed_at = timezone.now()
    report.email = ""  # kept only for the reply
    report.handled_by = user if getattr(user, "pk", None) else report.handled_by


@audited("report_reply")
def report_reply(*, report_id: int, user, message: str,
                 submission: str | None = None) -> ErrorReport:
    """E-mail the reader a reply (the report stays open); needs the address they left. A
    repeat of `submission` sends nothing more (the report answered is marked replayed)."""
    report = _locked_report(report_id, user, "report_reply")
    return submission_once(submission, action=f"report_reply {report.pk}", actor=user,
                           model=ErrorReport, make=partial(_reply, report, user, message))


def _reply(report: ErrorReport, user, message: str) -> ErrorReport:
    message = clean_text(message)
    if not report.email:
        raise InvalidInput({"message": ["The reader left no e-mail address to reply to."]})
    if not message:
        raise InvalidInput({"message": ["Write the reply."]})
    REPORT_REPLY.ensure("message", message)
    report.replied_at = timezone.now()
    report.handled_by = user
    report.save(update_fields=["replied_at", "handled_by"])
    audit_record(action="report_reply", actor=user, story=report.story,
                 revision_hash=report.content_hash,
                 details={"report": report.pk, "claim": report.claim.ordinal, "message": message})
    queueing.on_commit(tasks.send_report_reply, report.pk, message)
    return report


@audited("report_dismiss")
def report_dismiss(*, report_id: int, user, reason: str) -> ErrorReport:
    """Close the report without a correction, with the reason (the address is erased)."""
    report = _locked_report(report_id, user, "report_dismiss")
    reason = clean_text(reason)
    if not reason:
        raise InvalidInput({"reason": ["Say why the report is dismissed."]})
    DISMISSAL_REASON.ensure("reason", reason)
    report.resolution = reason
    _close(report, user, ReportStatus.DISMISSED)
    report.save()
    audit_record(action="report_dismiss", actor=user, story=report.story,
                 revision_hash=report.content_hash,
                 details={"report": report.pk, "claim": report.claim.ordinal, "reason": reason})
    return report


@audited("report_correct")
def report_open_correction(*, report_id: int, user) -> ErrorReport:
    """Mark the report as leading to a correction: the story is then edited, reviewed and
    published as usual, and the correction note it is published with closes the report."""
    report = _locked_report(report_id, user, "report_correct")
    if report.story.retracted_at:
        raise StoryRetracted("report_correct", report.story_id)
    if report.status == ReportStatus.CORRECTING:
        return report
    report.status = ReportStatus.CORRECTING
    report.handled_by = user
    report.save(update_fields=["status", "handled_by"])
    audit_record(action="report_correct", actor=user, story=report.story,
                 revision_hash=report.content_hash,
                 details={"report": report.pk, "claim": report.claim.ordinal})
    return report


def reports_corrected(*, story: Story, correction: Correction, user=None) -> list[int]:
    """Close the story's reports under correction with the published note (called by the
    publish service inside its transaction); returns their ids."""
    ids = list(ErrorReport.objects.select_for_update().filter(
        story=story, status=ReportStatus.CORRECTING).values_list("pk", flat=True))
    if not ids:
        return []
    ErrorReport.objects.filter(pk__in=ids).update(
        status=ReportStatus.CORRECTED, correction=correction, email="",
        closed_at=timezone.now())
    audit_record(action="report_corrected", actor=user, story=story,
                 revision_hash=correction.revision.content_hash,
                 details={"reports": ids, "correction": correction.pk, "kind": correction.kind})
    return ids


def _source_key(url: str) -> str:
    parts = urlsplit(url)
    base = key_from(f"{parts.hostname or 'source'}{parts.path}".replace("/", "-"))[:60] or "source"
    key, n = base, 1
    while Source.objects.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


@audited("report_add_source")
def report_add_source(*, report_id: int, user, title: str = "") -> Source:
    """Make the reader's suggested URL a library source (through the source service, which
    queues its snapshot); an existing source with that URL is reused."""
    report = _locked_report(report_id, user, "report_add_source")
    if not report.suggested_url:
        raise InvalidInput({"suggested_url": ["The reader suggested no link."]})
    if report.suggested_source_id:
        return report.suggested_source
    title = clean_text(title)[:500]
    try:
        url = normalise_url(report.suggested_url)
    except ValidationError as exc:
        raise InvalidInput({"suggested_url": exc.messages}) from exc
    source = Source.objects.filter(url=url).first()
    if source is None:
        source = source_services.source_create(
            user=user, key=_source_key(url), url=url,
            title=title or f"Suggested by a reader: {urlsplit(url).hostname}")
    report.suggested_source = source
    report.save(update_fields=["suggested_source"])
    audit_record(action="report_add_source", actor=user, story=report.story,
                 revision_hash=report.content_hash,
                 details={"report": report.pk, "source": source.key, "url": url})
    return source
