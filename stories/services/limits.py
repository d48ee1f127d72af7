"""How long the desk's free text may be, and the one message that says so. The services refuse
more (400 naming the field, a form error in the admin with the text kept); the API serializers
check the same limit first with the same words, and the schema's `maxLength` is the bound
enforced."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from audit.errors import InvalidInput

# A comment on the text (a thread's start or a reply) and a reviewer's note on a claim.
MAX_COMMENT = 10_000
# A review's own comment (what needs to change): the API's bound from the start.
MAX_REVIEW_COMMENT = 20_000
# What readers see: a correction or update note, a retraction's reason.
MAX_PUBLIC_NOTE = 5_000


class TextLimit(MaxLengthValidator):
    """A text's length limit, refused in one wording wherever it is checked: "`what` has N
    characters; `kind` holds at most `limit`." (what: "The note on claim 2", kind: "a note").
    A validator for serializer and form fields (the schema reads its `maxLength`), and
    `ensure` for services."""

    def __init__(self, limit: int, *, what: str, kind: str):
        super().__init__(limit)
        self.what, self.kind = what, kind

    def message_for(self, length: int, *, what: str = "") -> str:
        return (f"{what or self.what} has {length:,} characters; {self.kind} holds at most "
                f"{self.limit_value:,}.")

    def __call__(self, value):
        if len(value) > self.limit_value:
            raise ValidationError(self.message_for(len(value)), code=self.code)

    def __eq__(self, other):
        return (super().__eq__(other) and self.what == getattr(other, "what", None)
                and self.kind == getattr(other, "kind", None))

    __hash__ = MaxLengthValidator.__hash__

    def ensure(self, field: str, text: str, *, what: str = "") -> None:
        """Refuse `text` past the limit as invalid input of `field` (`what` names this text
        more closely than the limit's own, e.g. which claim's note)."""
        if len(text) > self.limit_value:
            raise InvalidInput({field: [self.message_for(len(text), what=what)]})


CLAIM_NOTE = TextLimit(MAX_COMMENT, what="The note", kind="a note")
COMMENT = TextLimit(MAX_COMMENT, what="This comment", kind="a comment")
REVIEW_COMMENT = TextLimit(MAX_REVIEW_COMMENT, what="The comment", kind="a comment")
PUBLIC_NOTE = TextLimit(MAX_PUBLIC_NOTE, what="The note", kind="a correction or update note")
RETRACTION_REASON = TextLimit(MAX_PUBLIC_NOTE, what="The reason", kind="a retraction reason")
