"""Preview links: time-limited addresses that show an unpublished revision to outsiders."""

from datetime import datetime
from functools import partial

from django.utils import timezone

from audit.errors import Conflict, InvalidInput
from audit.services import audit_record, audited
from audit.submissions import submission_once

from ..models import (
    PreviewLink,
    Revision,
)
from .workflow import _ensure_editor


class LinkRevoked(Conflict):
    """A revoked preview link stays revoked, at the time it was (HTTP 409)."""

    def __init__(self, link: PreviewLink):
        when = timezone.localtime(link.revoked_at).strftime("%d %b %Y %H:%M")
        super().__init__(f"This preview link was already revoked on {when}.",
                         story_id=link.revision.story_id)


@audited("preview_link")
def preview_link_create(*, revision_id: int, user, expires_at: datetime,
                        label: str = "", submission: str | None = None) -> PreviewLink:
    """An editor creates an expiring read-only link to one revision for an outside reviewer;
    a repeat of `submission` answers the first link, marked replayed."""
    revision = Revision.objects.select_related("story").get(pk=revision_id)
    _ensure_editor(user, revision.story, "preview_link")
    return submission_once(submission, action=f"preview_link {revision.pk}", actor=user,
                           model=PreviewLink, make=partial(
                               _link, revision=revision, user=user, expires_at=expires_at,
                               label=label))


def _link(*, revision: Revision, user, expires_at: datetime, label: str) -> PreviewLink:
    if expires_at <= timezone.now():
        raise InvalidInput({"expires_at": ["Choose an expiry time in the future."]})
    link = PreviewLink.objects.create(revision=revision, created_by=user, expires_at=expires_at,
                                      label=label)
    audit_record(action="preview_link", actor=user, story=revision.story,
                 revision_hash=revision.content_hash,
                 details={"link": link.pk, "label": label, "expires_at": expires_at})
    return link


@audited("preview_link_revoke")
def preview_link_revoke(*, link_id: int, user) -> PreviewLink:
    """An editor revokes a preview link once; it no longer opens."""
    link = (PreviewLink.objects.select_for_update(of=("self",))
            .select_related("revision__story").get(pk=link_id))
    _ensure_editor(user, link.revision.story, "preview_link_revoke")
    if link.revoked_at is not None:
        raise LinkRevoked(link)
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    audit_record(action="preview_link_revoke", actor=user, story=link.revision.story,
                 revision_hash=link.revision.content_hash, details={"link": link.pk})
    return link


def preview_link_open(*, token: str) -> PreviewLink | None:
    """The active link for a token, or None; every successful opening is audited."""
    link = PreviewLink.objects.select_related("revision__story").filter(token=token).first()
    if link is None or not link.active:
        return None
    audit_record(action="preview_link_open", story=link.revision.story,
                 revision_hash=link.revision.content_hash,
                 details={"link": link.pk, "label": link.label})
    return link
