"""The refusals every app's services raise and every interface maps once (403, 400, 409/412).

They live in the lowest app so that sources and stories share them without importing upward.
"""

from django.core.exceptions import PermissionDenied, ValidationError

from .preconditions import entity_tag


class ActionDenied(PermissionDenied):
    """The actor may not do this (HTTP 403); the attempt is audited as `<action>.denied`."""

    def __init__(self, action: str, reason: str, *, actor=None, story_id=None):
        self.action, self.reason, self.actor, self.story_id = action, reason, actor, story_id
        super().__init__(reason)


class InvalidInput(ValidationError):
    """Input the workflow cannot accept (HTTP 400), keyed by field name."""


def validated(record):
    """`record` after its model's own checks (full_clean), a failure raised as InvalidInput so
    each interface answers it as any refused input (400 naming the fields)."""
    try:
        record.full_clean()
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict) from exc
    return record


def ensure_no_nul(field: str, text: str, *, what: str) -> None:
    """Refuse a NUL character as a Django form field does (PostgreSQL cannot store one), for
    text read from a request without a form field (a claim's note, a comment)."""
    if "\x00" in text:
        raise InvalidInput({field: [f"{what}: Null characters are not allowed."]})


class RefusedInput(InvalidInput):
    """An attempt refused for what the record holds, not for a typo (HTTP 400): submitting a
    revision with citation errors. `audited` records it once as `<action>.denied`."""

    def __init__(self, message, *, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class Conflict(Exception):
    """The record's current state does not allow the action (HTTP 409, or 412 when stale);
    `audited` records it as `<action>.denied` with `refused` set to the class's `refused`, about
    `story_id` when the refusal names one (a service reached by a report's or a comment's id)
    or else the service's `story_id` argument. Every subclass passes it the one way,
    `super().__init__(message, story_id=...)`, the keyword ActionDenied takes."""

    refused = "conflict"

    def __init__(self, *args, story_id: int | None = None):
        self.story_id = story_id
        super().__init__(*args)


class Stale(Conflict):
    """The record changed since the caller read it (HTTP 412): nothing was saved. `version` is
    the current one, sent back as the answer's ETag for the caller's next If-Match; audited
    as `<action>.denied` with `refused: stale`."""

    refused = "stale"

    def __init__(self, message: str, *, version: str, story_id: int | None = None):
        self.version = version
        super().__init__(message, story_id=story_id)

    @property
    def etag(self) -> str:
        return entity_tag(self.version)

    def body(self) -> dict:
        """The 412's JSON: the message and the current ETag."""
        return {"detail": str(self), "etag": self.etag}
