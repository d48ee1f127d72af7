"""E-mails about readers' reports: the desk hears of a new one; the reader gets the reply.
Called by tasks (stories.tasks), which make them idempotent."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.urls import reverse

from ..models import ErrorReport
from ..permissions import EDITORS


def site_url(path: str = "") -> str:
    """An absolute address on the public site (NEWSROOM_SITE_URL), for e-mails."""
    return settings.NEWSROOM_SITE_URL.rstrip("/") + path


def _subject(text: str) -> str:
    # A header holds one line: a title with a newline in it must not start a new header.
    return " ".join(f"[{settings.NEWSROOM_SITE_NAME}] {text}".split())[:250]


def report_received(*, report_id: int) -> int:
    """Tell the story's reviewers (or, when it has none with an address, the editors)."""
    report = ErrorReport.objects.select_related("story", "claim").filter(pk=report_id).first()
    if report is None or report.closed:
        return 0
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    reviewers = users.filter(Q(reviews__story=report.story_id)
                             | Q(assignments__story=report.story_id)).distinct()
    recipients = list(reviewers) or list(users.filter(groups__name=EDITORS).distinct())
    if not recipients:
        return 0
    desk = site_url(reverse("admin:stories_errorreport_change", args=[report.pk]))
    body = (f"A reader reported claim {report.claim.ordinal} of "
            f"\u201c{report.story.title}\u201d:\n\n"
            f"  {report.claim_text}\n\nTheir note and the claim's sources are on the "
            f"corrections desk:\n{desk}\n")
    messages = [EmailMessage(_subject(f"Reader report: {report.story.title}"), body,
                             to=[u.email]) for u in recipients]
    return get_connection().send_messages(messages) or 0


def report_reply(*, report_id: int, message: str) -> int:
    """Send the desk's reply to the address the reader left (none left, or closed: nothing)."""
    report = ErrorReport.objects.select_related("story", "claim").filter(pk=report_id).first()
    if report is None or not report.email:
        return 0
    story_url = site_url(report.story.get_absolute_url())
    body = (f"{message}\n\n--\nYou reported claim {report.claim.ordinal} of "
            f"\u201c{report.story.title}\u201d ({story_url}):\n  {report.claim_text}\n\n"
            "We keep your address only until the report is closed.\n")
    mail = EmailMessage(_subject(f"About your report on \u201c{report.story.title}\u201d"), body,
                        to=[report.email])
    return mail.send()
