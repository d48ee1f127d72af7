"""The workflow: every change to a story goes through these functions.

The admin, the API, Celery tasks and management commands all call them, so a story is
saved, reviewed, approved and published the same way wherever the click happens. One module
per concern; callers import them from here (`from stories import services`).
"""

from audit.errors import ActionDenied, InvalidInput
from audit.services import audit_denied, audited

from ..review import IllegalTransition
from .comments import ThreadResolved, comment_reply, comment_resolve, comment_start
from .digest import (
    digest_confirm,
    digest_preview,
    digest_subscribe,
    digest_unsubscribe,
    page_view_record,
)
from .images import StaleImage, image_delete, image_update, image_upload
from .inbox import inbox_mark_all_read, inbox_mark_read
from .preview_links import preview_link_create, preview_link_open, preview_link_revoke
from .reports import (
    report_add_source,
    report_create,
    report_dismiss,
    report_open_correction,
    report_reply,
)
from .reviews import AlreadyApproved, CheckInput, review_submit
from .revisions import (
    MAX_CITATION_GROUPS,
    AlreadyCurrent,
    RevisionAltered,
    StaleRevision,
    content_hash,
    parse_story,
    same_text,
    source_info,
    story_create,
    story_restore,
    story_update,
    unique_slug,
    validate_body,
    validate_slug,
)
from .transparency_log import transparency_backfill
from .workflow import (
    publish_due,
    story_assign,
    story_publish,
    story_retract,
    story_submit,
    story_withdraw,
)

__all__ = [
    "MAX_CITATION_GROUPS",
    "ActionDenied",
    "AlreadyApproved",
    "AlreadyCurrent",
    "CheckInput",
    "IllegalTransition",
    "InvalidInput",
    "RevisionAltered",
    "StaleImage",
    "StaleRevision",
    "audit_denied",
    "audited",
    "ThreadResolved",
    "comment_reply",
    "comment_resolve",
    "comment_start",
    "content_hash",
    "image_delete",
    "image_update",
    "image_upload",
    "inbox_mark_all_read",
    "inbox_mark_read",
    "digest_confirm",
    "digest_preview",
    "digest_subscribe",
    "digest_unsubscribe",
    "page_view_record",
    "parse_story",
    "preview_link_create",
    "preview_link_open",
    "preview_link_revoke",
    "publish_due",
    "report_add_source",
    "report_create",
    "report_dismiss",
    "report_open_correction",
    "report_reply",
    "review_submit",
    "source_info",
    "story_assign",
    "story_create",
    "story_publish",
    "same_text",
    "story_restore",
    "story_retract",
    "story_submit",
    "story_update",
    "story_withdraw",
    "transparency_backfill",
    "unique_slug",
    "validate_body",
    "validate_slug",
]
