"""Story bodies: what the API shows of stories, claims, reviews and the audit trail, and what
it accepts. Serializers validate shapes and types; every rule lives in stories.services."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.api import LARGEST_ID, IsoDateTimeField, LongTextField, WholeNumberField
from audit.models import Event
from audit.preconditions import entity_tag
from audit.services import display_name
from sources.api.serializers import archive_url
from sources.keys import KEY_MAX_LENGTH, KEY_PATTERN
from sources.selectors import numbered_sources
from stories.models import Correction, Decision, Revision, State, Story, Verdict
from stories.services.limits import (
    CLAIM_NOTE,
    COMMENT,
    PUBLIC_NOTE,
    RETRACTION_REASON,
    REVIEW_COMMENT,
)


def etag_of(revision: Revision | None) -> str:
    """The ETag of a story: its latest revision's content hash, quoted as HTTP wants."""
    return entity_tag(revision.content_hash if revision is not None else "")


class PersonSerializer(serializers.Serializer):
    username = serializers.CharField(source="get_username")
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return display_name(user)


class PinnedSourceFields(serializers.Serializer):
    """What the desk and the public API both say of a numbered source, as the revision pins
    it; its number is its position on the list."""

    number = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()
    outlet = serializers.CharField()
    url = serializers.CharField()
    author = serializers.CharField(allow_blank=True)
    published_on = serializers.CharField(allow_blank=True, help_text="ISO date, or empty.")


class NumberedSourceSerializer(PinnedSourceFields):
    """One source on the numbered list as the revision pins it; its number is its position."""

    snapshot = serializers.IntegerField(allow_null=True,
                                        help_text="Id of the snapshot the revision pins.")
    outdated = serializers.ListField(
        child=serializers.CharField(), required=False,
        help_text="What the library's copy now says differently (empty when it is the same); "
        "saving the story pins the library's copy in a new revision.")


def numbered_source_rows(revision: Revision | None) -> list[dict]:
    """A revision's numbered sources (sources.selectors.numbered_sources) as the API lists them."""
    return [{"number": entry.number, "key": entry.key, "title": entry.pin.title,
             "outlet": entry.pin.outlet, "url": entry.pin.url, "author": entry.pin.author,
             "published_on": entry.pin.published_on, "snapshot": entry.pin.snapshot_id,
             "outdated": list(entry.outdated)}
            for entry in numbered_sources(revision.pins if revision else [])]


class StorySerializer(serializers.ModelSerializer):
    """A story as listed: state, latest and live revision hashes and the ETag for edits."""

    revision = serializers.CharField(source="latest_revision.content_hash", default=None,
                                     allow_null=True, help_text="Latest revision's content hash.")
    revision_number = serializers.IntegerField(source="latest_revision.number", default=None,
                                               allow_null=True)
    live_revision = serializers.CharField(source="live_revision.content_hash", default=None,
                                          allow_null=True,
                                          help_text="Content hash of what readers see.")
    etag = serializers.SerializerMethodField(help_text="Send it back as If-Match to edit.")
    authors = PersonSerializer(source="author_list", many=True, read_only=True)

    class Meta:
        model = Story
        fields = ["id", "slug", "title", "dek", "state", "revision", "revision_number",
                  "live_revision", "etag", "authors", "publish_at", "published_at",
                  "created_at", "updated_at"]
        read_only_fields = fields

    def get_etag(self, story) -> str:
        return etag_of(story.latest_revision)


class StoryDetailSerializer(StorySerializer):
    """A story with its working text, numbered sources, and citation problem counts."""

    sources = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField(help_text="Citation errors in the latest "
                                               "revision (GET /claims/ lists them).")
    warnings = serializers.SerializerMethodField()
    approved_revision = serializers.CharField(source="approved_revision.content_hash",
                                              default=None, allow_null=True)
    live_updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True,
        help_text="When what readers see last changed (publication, correction or update); "
        "after a publish whose `publish_at` had passed, the time it went live.")

    class Meta(StorySerializer.Meta):
        fields = [*StorySerializer.Meta.fields, "body", "sources", "errors", "warnings",
                  "approved_revision", "live_updated_at", "retraction_reason", "retracted_at"]
        read_only_fields = fields

    @extend_schema_field(NumberedSourceSerializer(many=True))
    def get_sources(self, story):
        return numbered_source_rows(story.latest_revision)

    def get_errors(self, story) -> int:
        return len(story.latest_revision.errors) if story.latest_revision else 0

    def get_warnings(self, story) -> int:
        return len(story.latest_revision.warnings) if story.latest_revision else 0


class StoryCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    slug = serializers.SlugField(max_length=200, required=False, allow_blank=True)
    dek = serializers.CharField(max_length=600, required=False, allow_blank=True)
    body = LongTextField(required=False, allow_blank=True, trim_whitespace=False,
                         help_text="Markdown with [@key] citations (1 MB at most).")
    sources = serializers.ListField(
        child=serializers.RegexField(KEY_PATTERN, max_length=KEY_MAX_LENGTH), required=False,
        max_length=500, help_text="The numbered source list, in order (library keys).",
    )


class StoryUpdateSerializer(StoryCreateSerializer):
    title = serializers.CharField(max_length=300, required=False)
    slug = serializers.SlugField(max_length=200, required=False)


class ProblemSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    column = serializers.IntegerField(allow_null=True)
    text = serializers.CharField(allow_blank=True)


class CheckSerializer(serializers.Serializer):
    reviewer = serializers.CharField(source="reviewer.username")
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    note = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField(source="created_at")


class EvidenceSerializer(serializers.Serializer):
    """A hint for the reviewer: was the claim's wording found in the cited source's snapshot?"""

    source = serializers.IntegerField(help_text="The source's number.")
    status = serializers.ChoiceField(choices=["found", "partial", "not_found", "no_snapshot"])
    excerpt = serializers.CharField(allow_blank=True)
    found = serializers.ListField(child=serializers.CharField(), required=False,
                                  help_text="Figures or quotes of the claim found.")
    missing = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="Figures or quotes of the claim not found.")
    basis = serializers.CharField(required=False, help_text="figures or words.")


class ClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ordinal = serializers.IntegerField()
    text = serializers.CharField()
    line = serializers.IntegerField()
    column = serializers.IntegerField()
    sources = serializers.ListField(child=serializers.IntegerField(), source="numbers",
                                    help_text="Numbers of the sources cited for this claim.")
    keys = serializers.ListField(child=serializers.CharField())
    checks = CheckSerializer(many=True, source="checks.all")
    evidence = serializers.SerializerMethodField()

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, claim):
        rows = self.context.get("evidence", {}).get(claim.ordinal, [])
        return EvidenceSerializer(rows, many=True).data


class ClaimsSerializer(serializers.Serializer):
    """The latest revision's claims, with checks and evidence, and its citation problems."""

    revision = serializers.CharField(source="content_hash")
    revision_number = serializers.IntegerField(source="number")
    claims = ClaimSerializer(many=True, source="claims.all")
    errors = ProblemSerializer(many=True)
    warnings = ProblemSerializer(many=True, source="all_warnings",
                                 help_text="Citation warnings, then evidence warnings "
                                           "(figures not found in any cited snapshot).")


REVISION_HASH = r"^[0-9a-f]{64}$"


class CheckInputSerializer(serializers.Serializer):
    claim = WholeNumberField(min_value=1, max_value=LARGEST_ID,
                             help_text="The claim's `id` from GET /claims/.")
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, validators=[CLAIM_NOTE])


class NamesRevisionSerializer(serializers.Serializer):
    """An action that names the revision it acts on: `revision`, or its alias `base_revision`
    (the field wins); validated data always carries one `revision` ("" when neither came)."""

    revision = serializers.RegexField(REVISION_HASH, required=False, allow_blank=True)
    base_revision = serializers.RegexField(REVISION_HASH, required=False, allow_blank=True,
                                           help_text="Another name for `revision`.")

    def validate(self, attrs):
        alias = attrs.pop("base_revision", "")
        attrs["revision"] = attrs.get("revision") or alias
        return attrs


class ReviewInputSerializer(NamesRevisionSerializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    revision = serializers.RegexField(
        REVISION_HASH, required=False, allow_blank=True,
        help_text="Content hash of the revision you read (`revision` of GET /claims/). "
        "Required to approve and to send checks; a stale one answers 412.")
    comment = serializers.CharField(
        required=False, allow_blank=True, validators=[REVIEW_COMMENT])
    checks = CheckInputSerializer(many=True, required=False, max_length=5000)


class ReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(allow_blank=True)
    reviewer = serializers.CharField(source="reviewer.username")
    revision = serializers.CharField(source="content_hash")
    created_at = serializers.DateTimeField()
    story_state = serializers.ChoiceField(choices=State.choices, source="story.state")


class PublishInputSerializer(NamesRevisionSerializer):
    revision = serializers.RegexField(
        REVISION_HASH, required=False, allow_blank=True,
        help_text="Content hash of the approved revision you saw (`approved_revision`). "
        "Required (or If-Match); any other answers 412.")
    publish_at = IsoDateTimeField(
        required=False, allow_null=True,
        help_text="A future time schedules the story; a time already past publishes it now "
        "(the answer's `state` is `published` and `live_updated_at` says when).")
    note = serializers.CharField(required=False, allow_blank=True, validators=[PUBLIC_NOTE],
                                 help_text="Public correction/update note; needed when the "
                                 "story is already public.")
    note_kind = serializers.ChoiceField(choices=Correction.Kind.choices, required=False)


class RetractInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, validators=[RETRACTION_REASON],
                                   help_text="Shown to readers on the story page.")


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_username", allow_blank=True)
    revision = serializers.CharField(source="revision_hash", allow_blank=True)
    details = serializers.JSONField()

    class Meta:
        model = Event
        fields = ["id", "at", "actor", "actor_name", "action", "revision", "details", "hash",
                  "prev_hash"]
        read_only_fields = fields


class RevisionSerializer(serializers.ModelSerializer):
    hash = serializers.CharField(source="content_hash")
    created_by = serializers.CharField(source="created_by.username", default=None,
                                       allow_null=True)
    restored_from = serializers.IntegerField(source="restored_from.number", default=None,
                                             allow_null=True)
    sources = serializers.ListField(child=serializers.CharField(), source="source_keys")
    errors = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Revision
        fields = ["number", "hash", "title", "dek", "sources", "created_by", "created_at",
                  "restored_from", "errors", "warnings"]
        read_only_fields = fields

    def get_errors(self, revision) -> int:
        return len(revision.errors)

    def get_warnings(self, revision) -> int:
        return len(revision.warnings)


class DiffQuerySerializer(serializers.Serializer):
    from_ = WholeNumberField(min_value=1, max_value=1_000_000,
                             help_text="The number of the revision to compare from.")
    to = WholeNumberField(min_value=1, max_value=1_000_000,
                          help_text="The number of the revision to compare to.")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class RevisionRefSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    hash = serializers.CharField()


class DiffSerializer(serializers.Serializer):
    from_ = RevisionRefSerializer()
    to = RevisionRefSerializer()
    diff = serializers.CharField(help_text="Unified diff of title, dek and body.")
    sources_added = serializers.ListField(child=serializers.CharField())
    sources_removed = serializers.ListField(child=serializers.CharField())

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


# --- public ------------------------------------------------------------------------------


class PublicSourceSerializer(PinnedSourceFields):
    """A numbered source of the live revision, as that revision pins it."""

    snapshot_sha256 = serializers.CharField(
        allow_blank=True, help_text="SHA-256 of the archived copy the reviewer checked.")
    archive_url = serializers.URLField(allow_null=True)


class CorrectionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Correction.Kind.choices)
    note = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")


class RetractionSerializer(serializers.Serializer):
    reason = serializers.CharField()
    at = serializers.DateTimeField(allow_null=True)


class LogRefSerializer(serializers.Serializer):
    """A published version's (or the retraction's) entry in the public transparency log."""

    entry = serializers.IntegerField(help_text="The entry's index in the log.")
    kind = serializers.CharField(help_text="publish, correction, update or retraction.")
    revision = serializers.IntegerField(allow_null=True)
    content_hash = serializers.CharField(help_text="SHA-256 of the revision's canonical "
                                         "content (docs/transparency.md).")
    at = serializers.CharField(help_text="When it was logged (UTC).")
    proof = serializers.URLField(help_text="Its inclusion proof against the current tree head.")


def log_refs(request, refs) -> list[dict]:
    return [{"entry": r.index, "kind": r.kind, "revision": r.revision,
             "content_hash": r.content_hash, "at": r.timestamp,
             "proof": request.build_absolute_uri(r.proof_url)} for r in refs]


class PublicStorySerializer(serializers.Serializer):
    """A published story as listed: its live title and dek."""

    slug = serializers.SlugField()
    title = serializers.CharField()
    dek = serializers.CharField(allow_blank=True)
    url = serializers.URLField(help_text="The public story page.")
    authors = serializers.ListField(child=serializers.CharField())
    published_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    retracted = serializers.BooleanField()


class PublicStoryDetailSerializer(PublicStorySerializer):
    """A published story as readers see it: the live revision, reviewers, sources, notes."""

    html = serializers.CharField(help_text="Rendered, sanitised body of the live revision.")
    reviewed_by = serializers.ListField(child=serializers.CharField())
    revision = serializers.CharField(help_text="Content hash of the live revision: what the "
                                     "reviewers approved (stories.canonical defines it).")
    sources = PublicSourceSerializer(many=True)
    corrections = CorrectionSerializer(many=True)
    retraction = RetractionSerializer(allow_null=True)
    transparency = LogRefSerializer(many=True, help_text="Every entry the story has in the "
                                    "public transparency log, oldest first.")


class CanonicalSourceSerializer(serializers.Serializer):
    """A numbered source as the content hash covers it (stories.canonical.PINNED_FIELDS)."""

    key = serializers.CharField()
    kind = serializers.CharField(required=False)
    title = serializers.CharField(required=False)
    outlet = serializers.CharField(required=False)
    author = serializers.CharField(required=False)
    published_on = serializers.CharField(required=False)
    url = serializers.CharField(required=False)
    description = serializers.CharField(required=False)
    snapshot_id = serializers.IntegerField(required=False, allow_null=True)
    snapshot_sha256 = serializers.CharField(required=False)
    snapshot_fetched_at = serializers.CharField(required=False)


class PublicCanonicalSerializer(serializers.Serializer):
    """The live revision's canonical content: everything its content hash covers, so anyone
    can recompute the hash (docs/transparency.md) and find it in the transparency log."""

    story = serializers.CharField(help_text="The story's path, as log entries name it.")
    revision = serializers.IntegerField()
    content_hash = serializers.CharField()
    hash_version = serializers.IntegerField(help_text="Which canonical form the hash covers.")
    title = serializers.CharField()
    dek = serializers.CharField(allow_blank=True)
    body = serializers.CharField(allow_blank=True, help_text="The Markdown source.")
    sources = CanonicalSourceSerializer(many=True)
    transparency = LogRefSerializer(many=True)


def public_story_item(request, story, *, authors, revision) -> dict:
    return {
        "slug": story.slug, "title": revision.title, "dek": revision.dek,
        "url": request.build_absolute_uri(story.get_absolute_url()),
        "authors": [display_name(a) for a in authors],
        "published_at": story.published_at,
        "updated_at": story.live_updated_at or story.published_at,
        "retracted": story.retracted_at is not None,
    }


def public_story_detail(request, page) -> dict:
    """A published story's API detail (PublicStoryDetailSerializer's fields) from its page."""
    story, revision = page.story, page.revision
    return {
        **public_story_item(request, story, authors=page.authors, revision=revision),
        "html": revision.html,
        "reviewed_by": list(page.reviewers),
        "revision": revision.content_hash,
        "sources": [
            {"number": c.number, "key": c.key,
             **{name: getattr(c.source, name, "") or "" for name in (
                 "title", "outlet", "url", "author", "published_on", "snapshot_sha256")},
             "archive_url": archive_url(request, c.snapshot_id) if c.snapshot_id else None}
            for c in page.sources
        ],
        "corrections": page.corrections,
        "retraction": ({"reason": story.retraction_reason, "at": story.retracted_at}
                       if story.retracted_at else None),
        "transparency": log_refs(request, page.log),
    }


# --- comments (never public) ----------------------------------------------------------------


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.username")
    author_name = serializers.SerializerMethodField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_author_name(self, comment) -> str:
        return display_name(comment.author)


class CommentThreadSerializer(serializers.Serializer):
    """A thread against the latest revision: where its words are now (`claim` ordinal, `line`
    in the body source), or `outdated` once they changed."""

    id = serializers.IntegerField(source="thread.pk")
    quote = serializers.CharField(source="thread.quote")
    on_claim = serializers.BooleanField(source="thread.on_claim")
    claim = serializers.IntegerField(source="claim_ordinal", allow_null=True)
    line = serializers.IntegerField(allow_null=True)
    outdated = serializers.BooleanField()
    made_on_revision = serializers.IntegerField(source="thread.revision.number")
    created_by = serializers.CharField(source="thread.created_by.username")
    resolved = serializers.BooleanField()
    resolved_at = serializers.DateTimeField(source="thread.resolved_at", allow_null=True)
    resolved_by = serializers.CharField(source="thread.resolved_by.username", default=None,
                                        allow_null=True)
    comments = CommentSerializer(many=True)


class CommentInputSerializer(NamesRevisionSerializer):
    """Start a thread on a claim (its `id` from GET /claims/) or on a passage (its words)."""

    text = serializers.CharField(trim_whitespace=False, validators=[COMMENT])
    claim = WholeNumberField(required=False, allow_null=True, min_value=1,
                             max_value=LARGEST_ID)
    quote = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class CommentReplyInputSerializer(serializers.Serializer):
    text = serializers.CharField(trim_whitespace=False, validators=[COMMENT])
