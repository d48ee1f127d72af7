"""A whole newsroom archive, bulk-loaded into the real tables with PostgreSQL COPY.

`load(stories)` makes, at 100,000 stories: 300 authors over 10 years, about 2,000,000 claims,
30,000 sources (one cited by about 10,000 stories, a long tail cited once), about 2,000,000 audit
events in one valid chain (hashed and MAC'ed exactly as audit.services.audit_record does),
500,000 link checks, and stories in every workflow state; smaller archives scale every count
by stories / 100,000. Bodies are real Markdown parsed once per template by the citation
engine (stories.citations), so the HTML, claims and pinned sources are what the workflow would
store; each story adds a paragraph of its own words so the search index is realistic.

Only the benchmark writes rows this way: the workflow's services are the one write path, and
they take about 30 ms a story, which is an hour for this archive.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils.html import escape

from audit import macs
from audit.models import Event
from audit.services import GENESIS
from bench import generate
from sources.models import LinkCheck, Snapshot, Source
from sources.pins import PinnedSource
from stories import canonical, citations
from stories.models import Claim, Correction, Review, Revision, Story, StorySource
from stories.permissions import EDITORS, REVIEWERS, WRITERS

FULL = 100_000
EPOCH = datetime(2016, 12, 1, tzinfo=UTC)
YEARS = 10
TEMPLATES = 48
CLAIMS_PER_STORY = 20
SOURCES_PER_STORY = 5
RARE_WORD = "quillmoor"  # in the summary of exactly RARE_STORIES stories, at any size
RARE_STORIES = 5
COMMON_WORD = "investment"  # in the text of nearly every story
# In the title of one story in TITLE_EVERY at any size: the admin's title search finds a full
# page at 1,000 stories too, so its figures compare like with like (a word of the vocabulary
# is in about 2 titles at 1,000 stories and 175 at 100,000: one row shown against 50).
TITLE_WORD = "harbour"
TITLE_EVERY = 20
CORRECTED_MANY = 200  # one story corrected this many times
_SLOT_KEYS = [f"zzz-{i:05d}" for i in range(SOURCES_PER_STORY)]
_SLOT_TITLES = [f"QQTITLE{i}QQ" for i in range(SOURCES_PER_STORY)]
_OUTLETS = [("reu", "Reuters"), ("blo", "Bloomberg"), ("fti", "Financial Times"),
            ("cai", "Caixin"), ("nik", "Nikkei"), ("apn", "AP"), ("eco", "The Economist"),
            ("gov", "Ministry of Finance"), ("imf", "IMF"), ("sec", "SEC EDGAR")]
_SYLLABLES = ["ka", "lo", "mi", "ren", "sat", "vo", "dal", "pe", "tur", "bin", "es", "gor",
              "nal", "qui", "ra", "sen", "tal", "ul", "ver", "zan", "mo", "fen", "hil", "dor"]


def _words(count: int = 4000) -> list[str]:
    rng = random.Random(7)
    words: set[str] = set()
    while len(words) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word != RARE_WORD:
            words.add(word)
    return sorted(words)


@dataclass(frozen=True)
class Template:
    """A body parsed once: Markdown, HTML and claims with placeholder sources."""

    body: str
    html: str
    order: tuple[int, ...]  # slot of source number 1, 2, ...
    claims: tuple  # (claim, normalised text, numbers JSON, locators JSON)


def _templates() -> list[Template]:
    library = {key: citations.SourceInfo(key=key, title=title, outlet="", url="", health="ok")
               for key, title in zip(_SLOT_KEYS, _SLOT_TITLES, strict=True)}
    made = []
    for seed in range(TEMPLATES):
        rng = random.Random(seed)
        sentences = [generate._sentence(rng, _SLOT_KEYS, 18) for _ in range(CLAIMS_PER_STORY)]
        paragraphs = [" ".join(sentences[i:i + 4]) for i in range(0, len(sentences), 4)]
        body = "\n\n".join(paragraphs) + "\n"
        doc = citations.parse(body, source_list=list(_SLOT_KEYS), library=library, images={})
        order = tuple(_SLOT_KEYS.index(key) for key in doc.numbered)
        claims = tuple((c, citations.normalise_claim_text(c.text), _json(list(c.numbers)),
                        _json([s.locator for s in c.sources])) for c in doc.claims)
        made.append(Template(body=body, html=doc.html, order=order, claims=claims))
    return made


STATE_PAGE = 100  # the longest page of stories a user opens (the admin changelist's)


@dataclass
class Plan:
    """Counts for an archive of `stories` published stories (everything scales with it)."""

    stories: int
    authors: int = 0
    sources: int = 0
    link_checks: int = 0
    broken_every: int = 0
    other_states: dict = field(default_factory=dict)

    def __post_init__(self):
        scale = self.stories / FULL
        self.authors = max(10, round(300 * scale))
        self.sources = max(300, round(30_000 * scale))
        self.link_checks = round(500_000 * scale)
        # One source in 53 has a broken link, but never fewer than a full API page of them,
        # so the library filtered by health compares like with like too (a full page at
        # 1,000 stories, where 300 sources would hold only 6 broken links at that rate).
        self.broken_every = min(53, self.sources // (STATE_PAGE // 2))
        # Enough of each unpublished state to fill an admin or API page at every size, so a
        # page filtered by state compares like with like (a full page at 1,000 stories too);
        # at 100,000 stories the archive's own proportion (600 a state) is larger anyway.
        per_state = max(STATE_PAGE, round(600 * scale))
        self.other_states = {state: per_state for state in
                             ("draft", "in_review", "changes_requested", "approved",
                              "scheduled")}


class Copier:
    """COPY rows into one table, in the column order given, on a connection of its own (one
    connection carries one COPY at a time, and a story's rows go to eight tables at once)."""

    def __init__(self, model, columns):
        import psycopg

        self.conn = psycopg.connect(**connection.get_connection_params())
        self.conn.execute("SET synchronous_commit = off")
        # Foreign keys are checked by triggers; this load writes consistent ids itself.
        self.conn.execute("SET session_replication_role = replica")
        table = model._meta.db_table
        # NOT NULL columns added to the model since this loader was written take the field's
        # default ('' for text), so a new field does not break the load.
        self.defaults = [
            (f.column, f.get_db_prep_value(f.get_default(), connection))
            for f in model._meta.concrete_fields
            if f.column not in columns and f.attname not in columns and not f.null
            and not f.primary_key and not getattr(f, "generated", False)
        ]
        columns = [*columns, *(column for column, _ in self.defaults)]
        self.extra = tuple(value for _, value in self.defaults)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        self.copy = self.conn.cursor().copy(f"COPY {table} ({names}) FROM STDIN")  # noqa: S608
        self.rows = 0

    def __enter__(self):
        self.writer = self.copy.__enter__()
        return self

    def write(self, row):
        self.writer.write_row((*row, *self.extra) if self.extra else row)
        self.rows += 1

    def __exit__(self, *exc):
        try:
            self.copy.__exit__(*exc)
            if exc[0] is None:
                self.conn.commit()
        finally:
            self.conn.close()


def _json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder)


class Chain:
    """Audit events as audit_record writes them: each hashed over the one before, MAC'ed."""

    def __init__(self, copier, hmac_key: bytes):
        self.copier = copier
        self.key = hmac_key
        self.key_id = macs.key_id(hmac_key)
        # Making the users already wrote events (role changes are audited): continue after them.
        head = Event.objects.order_by("-id").values_list("id", "hash").first()
        self.next_id, self.prev = (head[0] + 1, head[1]) if head else (1, GENESIS)

    def add(self, *, at: datetime, actor, action: str, story_id: int | None,
            revision_hash: str = "", details: dict | None = None) -> None:
        user_id, username, name = actor if actor else (None, "", "system")
        details = details or {}  # plain str, int and bool: JSON gives back the same
        # The model's own hash function, over the fields it reads: no model instance to build.
        digest = Event.compute_hash(SimpleNamespace(
            at=at, actor_username=username, actor_name=name, action=action, story_id=story_id,
            revision_hash=revision_hash, details=details, prev_hash=self.prev))
        self.copier.write((self.next_id, at, user_id, username, name, action, story_id,
                           revision_hash, _json(details), self.prev, digest,
                           macs.event_mac(self.key, digest), self.key_id))
        self.prev = digest
        self.next_id += 1


def _users(plan: Plan) -> dict[str, list[tuple]]:
    """Writers, reviewers and editors as (id, username, display name), made with the ORM."""
    User = get_user_model()
    password = make_password("scale-bench-password")  # one hash: hashing 330 is 2 minutes
    rng = random.Random(3)
    given = ["Ana", "Bao", "Chidi", "Dana", "Elif", "Femi", "Goran", "Hana", "Ines", "Jun",
             "Kofi", "Lena", "Mateo", "Nour", "Oskar", "Priya", "Rui", "Sana", "Tomas", "Uma"]
    family = ["Achterberg", "Barros", "Castel", "Dimitrov", "Eklund", "Farouk", "Grau",
              "Halvorsen", "Iwata", "Jovanovic", "Kaur", "Lindqvist", "Moreau", "Nakamura",
              "Okafor", "Petrov", "Quispe", "Rossi", "Sato", "Tanaka"]
    groups = {name: Group.objects.get(name=name) for name in (WRITERS, REVIEWERS, EDITORS)}
    made: dict[str, list[tuple]] = {}
    for role, group, count in (("author", WRITERS, plan.authors), ("reviewer", REVIEWERS, 20),
                               ("editor", EDITORS, 5)):
        users = User.objects.bulk_create([
            User(username=f"{role}{i:03d}", first_name=rng.choice(given),
                 last_name=rng.choice(family), email=f"{role}{i:03d}@newsroom.example",
                 password=password, is_staff=True, is_active=True)
            for i in range(count)
        ])
        groups[group].user_set.add(*users)
        made[role] = [(u.pk, u.username, f"{u.first_name} {u.last_name}") for u in users]
    return made


def _pick(rng: random.Random, size: int, power: float) -> int:
    """An index in [0, size): low indexes far more often (a newsroom's few busy names)."""
    return min(size - 1, int(size * rng.random() ** power))


def load(stories: int, *, hmac_key: bytes, log=print) -> dict:
    """Fill the (freshly migrated, empty) database with an archive; returns its counts."""
    started = time.monotonic()
    plan = Plan(stories)
    rng = random.Random(16)
    vocabulary = _words()
    templates = _templates()
    users = _users(plan)
    authors, reviewers, editors = users["author"], users["reviewer"], users["editor"]
    log(f"  {plan.stories:,} published stories, {plan.sources:,} sources, "
        f"{plan.authors} authors")
    counts = {"stories": 0, "revisions": 0, "claims": 0, "events": 0, "sources": 0,
              "link_checks": 0, "story_sources": 0, "reviews": 0, "corrections": 0}

    pins = _load_sources(plan, rng, vocabulary, counts)
    _load_stories(plan, rng, vocabulary, templates, pins, authors, reviewers, editors,
                  hmac_key, counts, log)
    _load_link_checks(plan, rng, counts)
    models = [Source, Snapshot, LinkCheck, Story, Revision, Claim, StorySource, Review,
              Correction, Event, Story.authors.through]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
        for model in models:
            # An archive that has been in use has been vacuumed: statistics for the planner,
            # and a visibility map, so counts over an index need not visit the table.
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")  # noqa: S608
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


def _load_sources(plan, rng, vocabulary, counts) -> list[dict]:
    """Sources (one snapshot each) and their pinned copies, by source index."""
    pins = []
    fetched = EPOCH - timedelta(days=30)
    with Copier(Source, ["id", "key", "url", "title", "outlet", "author",
                                 "published_on", "kind", "description", "notes", "health",
                                 "health_checked_at", "created_at", "updated_at"]) as sources, \
            Copier(Snapshot, ["id", "source_id", "fetched_at", "requested_url",
                                      "status_code", "final_url", "content_type", "title",
                                      "text", "body", "sha256", "size", "error"]) as snapshots:
        for index in range(plan.sources):
            pk = index + 1
            code, outlet = _OUTLETS[index % len(_OUTLETS)]
            key = f"{code}-{index:05d}"
            url = f"https://{code}.example/{index // 100}/{key}"
            title = (f"{vocabulary[index % len(vocabulary)].title()} "
                     f"{vocabulary[(index * 7) % len(vocabulary)]} report {index}")
            health = "broken" if index % plan.broken_every == 7 % plan.broken_every else "ok"
            published = (EPOCH - timedelta(days=rng.randint(0, 400))).date()
            sources.write((pk, key, url, title, outlet, "", published, "report", "", "",
                           health, fetched, fetched, fetched))
            sha = hashlib.sha256(url.encode()).hexdigest()
            snapshots.write((pk, pk, fetched, url, 200, url, "text/html", title,
                             f"{title}. " + " ".join(rng.sample(vocabulary, 40)), "", sha,
                             4096, ""))
            pins.append(PinnedSource(
                key=key, kind="report", title=title, outlet=outlet,
                published_on=published.isoformat(), url=url, snapshot_id=pk,
                snapshot_sha256=sha, snapshot_fetched_at=fetched.isoformat()).as_dict())
    counts["sources"] = plan.sources
    return pins


def _story_sources(rng, plan) -> list[int]:
    """Five distinct source indexes: the most-cited one for a tenth of stories, then a few
    busy sources and a long tail."""
    chosen: list[int] = [0] if rng.random() < 0.1 else []
    while len(chosen) < SOURCES_PER_STORY:
        index = 1 + _pick(rng, plan.sources - 1, 2.2)
        if index not in chosen:
            chosen.append(index)
    return chosen


def _load_stories(plan, rng, vocabulary, templates, pins, authors, reviewers,
                  editors, hmac_key, counts, log) -> None:
    span = timedelta(days=365 * YEARS)
    total = plan.stories + sum(plan.other_states.values())
    states = ["published"] * plan.stories
    for state, count in plan.other_states.items():
        states.extend([state] * count)
    rng.shuffle(states)
    rare = set(rng.sample(range(total), RARE_STORIES))
    many = next(i for i, s in enumerate(states) if s == "published")  # corrected 200 times
    retracted = {i for i, s in enumerate(states) if s == "published" and rng.random() < 0.005}
    now = datetime.now(UTC)

    story_cols = ["id", "title", "slug", "dek", "body", "state", "publish_at", "published_at",
                  "live_updated_at", "retraction_reason", "retracted_at", "created_at",
                  "updated_at", "approved_revision_id", "latest_revision_id",
                  "live_revision_id"]
    revision_cols = ["id", "story_id", "number", "title", "dek", "body", "source_keys",
                     "pinned_sources", "content_hash", "hash_version", "created_by_id",
                     "created_at", "html", "errors", "warnings", "restored_from_id"]
    claim_cols = ["id", "revision_id", "ordinal", "text", "normalised", "start", "end", "line",
                  "column", "numbers", "keys", "locators"]
    with Copier(Story, story_cols) as story_rows, \
            Copier(Revision, revision_cols) as revision_rows, \
            Copier(Claim, claim_cols) as claim_rows, \
            Copier(StorySource, ["id", "story_id", "source_id", "position"]) as entries, \
            Copier(Story.authors.through, ["id", "story_id", "user_id"]) as bylines, \
            Copier(Review, ["id", "story_id", "revision_id", "reviewer_id", "decision",
                                    "comment", "content_hash", "created_at"]) as reviews, \
            Copier(Correction, ["id", "story_id", "revision_id", "kind", "note",
                                        "created_at"]) as corrections, \
            Copier(Event, ["id", "at", "actor_id", "actor_username", "actor_name",
                                   "action", "story_id", "revision_hash", "details",
                                   "prev_hash", "hash", "mac", "mac_key"]) as events:
        chain = Chain(events, hmac_key)
        revision_id = claim_id = 0
        for index, state in enumerate(states):
            story_id = index + 1
            created = EPOCH + span * (index / total) + timedelta(minutes=rng.randint(0, 600))
            writer = authors[_pick(rng, len(authors), 1.6)]
            byline = [writer]
            if rng.random() < 0.2:
                other = authors[rng.randrange(len(authors))]
                if other != writer:
                    byline.append(other)
            template = templates[index % len(templates)]
            slots = _story_sources(rng, plan)
            numbered = [slots[slot] for slot in template.order]
            keys = [pins[i]["key"] for i in numbered]
            words = rng.sample(vocabulary, 60)
            title = " ".join(words[:7]).capitalize()
            if index % TITLE_EVERY == 3:
                title = f"{title} {TITLE_WORD}"
            dek = " ".join(words[7:25]).capitalize() + "."
            if index in rare:
                title = f"{title} near {RARE_WORD}"
                dek = f"{dek[:-1]} near {RARE_WORD}."
            lead = " ".join(words[25:60]).capitalize() + "."
            body = template.body
            for slot, key in enumerate(pins[i]["key"] for i in slots):
                body = body.replace(_SLOT_KEYS[slot], key)
            body = f"{lead}\n\n{body}"
            html = f"<p>{escape(lead)}</p>\n{template.html}"
            for slot, source_index in enumerate(slots):
                html = html.replace(_SLOT_TITLES[slot], escape(pins[source_index]["title"]))
            pinned = [pins[i] for i in numbered]
            offset = len(lead) + 2

            revisions = 1
            if state == "published" and index == many:
                revisions = CORRECTED_MANY + 1
            elif state == "published" and rng.random() < 0.08:
                revisions = 2
            published_at = created + timedelta(days=rng.randint(1, 5))
            story_events = []
            revision_ids = []
            for number in range(1, revisions + 1):
                revision_id += 1
                revision_ids.append(revision_id)
                text = body if number == 1 else body.replace(" said ", " stated ", number - 1)
                digest = canonical.content_hash(title=title, dek=dek, body=text, sources=pinned)
                made = created if number == 1 else published_at + timedelta(hours=number)
                revision_rows.write((revision_id, story_id, number, title, dek, text,
                                     _json(keys), _json(pinned), digest, 2, writer[0], made,
                                     html, "[]", "[]", None))
                for claim, normalised, numbers_json, locators_json in template.claims:
                    claim_id += 1
                    claim_rows.write((
                        claim_id, revision_id, claim.ordinal, claim.text, normalised,
                        claim.start + offset, claim.end + offset, claim.line + 2, claim.column,
                        numbers_json, _json([keys[n - 1] for n in claim.numbers]),
                        locators_json))
                story_events.append((number, digest, made))
            latest_body = text
            counts["revisions"] += revisions
            counts["claims"] += revisions * len(template.claims)

            live = state in ("published",)
            last = revision_ids[-1]
            approved = last if state in ("approved", "scheduled", "published") else None
            retracted_at = published_at + timedelta(days=30) if index in retracted else None
            live_updated = (published_at + timedelta(hours=revisions) if revisions > 1
                            else published_at)
            story_rows.write((
                story_id, title, f"{'-'.join(words[:4])}-{story_id}", dek,
                latest_body, "retracted" if retracted_at else state,
                now + timedelta(days=3) if state == "scheduled" else None,
                published_at if live else None, live_updated if live else None,
                "The figures in this story could not be verified." if retracted_at else "",
                retracted_at, created, live_updated if live else created, approved, last,
                last if live else None))
            for position, source_index in enumerate(numbered):
                counts["story_sources"] += 1
                entries.write((counts["story_sources"], story_id, source_index + 1, position))
            for user in byline:
                counts["bylines"] = counts.get("bylines", 0) + 1
                bylines.write((counts["bylines"], story_id, user[0]))

            _story_events(chain, rng, story_id, state, writer, reviewers, editors,
                          story_events, published_at, retracted_at, reviews, corrections,
                          revision_ids, counts)
            counts["stories"] += 1
            if story_id % 10_000 == 0:
                log(f"  {story_id:,} stories, {chain.next_id - 1:,} events")
        counts["events"] = chain.next_id - 1


def _story_events(chain, rng, story_id, state, writer, reviewers, editors, revisions,
                  published_at, retracted_at, reviews, corrections, revision_ids,
                  counts) -> None:
    """The trail of one story: drafted, assigned, discussed, checked, approved, published."""
    number, digest, at = revisions[0]
    reviewer = reviewers[rng.randrange(len(reviewers))]
    editor = editors[rng.randrange(len(editors))]
    step = timedelta(minutes=7)
    chain.add(at=at, actor=writer, action="revision", story_id=story_id, revision_hash=digest,
              details={"revision": 1, "claims": CLAIMS_PER_STORY})
    if state == "draft":
        return
    at += step
    chain.add(at=at, actor=editor, action="assign", story_id=story_id,
              details={"reviewer": reviewer[1]})
    at += step
    chain.add(at=at, actor=writer, action="submit", story_id=story_id, revision_hash=digest,
              details={"from": "draft", "to": "in_review"})
    for _ in range(rng.randint(0, 14)):
        at += step
        chain.add(at=at, actor=reviewer, action="comment", story_id=story_id,
                  revision_hash=digest, details={"comment": "Which table is this figure from?"})
    for _ in range(rng.randint(0, 12)):
        at += step
        chain.add(at=at, actor=None, action="preview_link_open", story_id=story_id,
                  details={"link": story_id})
    if state == "in_review":
        return
    at += step
    chain.add(at=at, actor=reviewer, action="claim_check", story_id=story_id,
              revision_hash=digest,
              details={"checks": [{"claim": n, "verdict": "supported", "note": ""}
                                  for n in range(1, 9)]})
    if state == "changes_requested":
        chain.add(at=at + step, actor=reviewer, action="request_changes", story_id=story_id,
                  revision_hash=digest, details={"from": "in_review", "to": state,
                                                 "comment": "Source the second figure."})
        return
    for position, (number, digest, made) in enumerate(revisions):
        when = at + step if position == 0 else made + step
        counts["reviews"] += 1
        reviews.write((counts["reviews"], story_id, revision_ids[position], reviewer[0],
                       "approve", "", digest, when))
        chain.add(at=when, actor=reviewer, action="approve", story_id=story_id,
                  revision_hash=digest,
                  details={"from": "in_review", "to": "approved", "approvals": 1,
                           "required": 1})
        if state == "approved":
            return
        if state == "scheduled":
            chain.add(at=when + step, actor=editor, action="schedule", story_id=story_id,
                      revision_hash=digest, details={"from": "approved", "to": "scheduled",
                                                     "revision": digest})
            return
        live_at = published_at if position == 0 else made + 2 * step
        details = ({"from": "approved", "to": "published", "revision": number, "first": True}
                   if position == 0 else
                   {"from": "approved", "to": "published", "revision": number,
                    "note": f"Correction {number - 1}: a figure was misquoted.",
                    "kind": "correction"})
        if position:
            counts["corrections"] += 1
            corrections.write((counts["corrections"], story_id, revision_ids[position],
                               "correction", details["note"], live_at))
        chain.add(at=live_at, actor=editor, action="publish", story_id=story_id,
                  revision_hash=digest, details=details)
    if retracted_at is not None:
        chain.add(at=retracted_at, actor=editors[0], action="retract", story_id=story_id,
                  revision_hash=revisions[-1][1],
                  details={"from": "published", "to": "retracted",
                           "reason": "The figures in this story could not be verified."})


def _load_link_checks(plan, rng, counts) -> None:
    span = 365 * YEARS * 86400
    with Copier(LinkCheck, ["id", "source_id", "checked_at", "status", "status_code",
                                    "final_url", "detail"]) as checks:
        for pk in range(1, plan.link_checks + 1):
            at = EPOCH + timedelta(seconds=rng.randrange(span))
            source = 1 + _pick(rng, plan.sources, 1.5)
            ok = rng.random() > 0.03
            checks.write((pk, source, at, "ok" if ok else "broken", 200 if ok else 404, "",
                          "" if ok else "Not Found"))
    counts["link_checks"] = plan.link_checks
