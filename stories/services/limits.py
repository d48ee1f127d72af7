"""How long the desk's free text may be. The services refuse more (400 naming the field, a
form error in the admin with the text kept); the API serializers and admin forms state the
same numbers, so the schema's `maxLength` is the bound enforced."""

from audit.errors import InvalidInput

# A comment on the text (a thread's start or a reply) and a reviewer's note on a claim.
MAX_COMMENT = 10_000
# A review's own comment (what needs to change): the API's bound from the start.
MAX_REVIEW_COMMENT = 20_000
# What readers see: a correction or update note, a retraction's reason.
MAX_PUBLIC_NOTE = 5_000


def ensure_length(field: str, text: str, limit: int, *, what: str, kind: str) -> None:
    """Refuse `text` past `limit` as invalid input of `field`: "`what` has N characters;
    `kind` holds at most `limit`." (what: "The note on claim 2", kind: "a note")."""
    if len(text) > limit:
        raise InvalidInput({field: [
            f"{what} has {len(text):,} characters; {kind} holds at most {limit:,}."]})


def too_long(kind: str, limit: int) -> dict:
    """A form or serializer field's `error_messages` in the desk's words: "`kind` holds at
    most `limit` characters." (kind: "A note", "A retraction reason")."""
    return {"max_length": f"{kind} holds at most {limit:,} characters."}
