"""Backup and restore: dumpdata, load into an emptied database, and the audit chain still
verifies (links, hashes, MACs, against the checkpoint taken before the dump) and every published
story renders the same."""

import re

import pytest
from django.core.management import call_command
from selectolax.lexbor import LexborHTMLParser

from audit.models import Event
from stories.models import Story
from tests.conftest import database_owner
from tests.public.helpers import publish_story, republish

# Transactional: flush and loaddata run outside a test transaction, as they would for real.
# serialized_rollback brings back the role groups the migrations created.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

_TIME = re.compile(r'datetime="[^"]*"')
EXCLUDE = ["contenttypes", "auth.permission", "sessions", "admin.logentry", "axes"]


def article(client, story) -> str:
    html = client.get(story.get_absolute_url()).content.decode()
    return LexborHTMLParser(html).css_first("article.story").html


# JSON, Django's default; XML would keep microseconds but normalises line ends in the HTML.
@pytest.mark.parametrize("fmt", ["json"])
def test_dump_and_restore_keeps_the_audit_chain_and_the_pages(client, settings, tmp_path,
                                                              writer, reviewer, editor, fmt):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    first = publish_story(writer, reviewer, editor, title="Harbour cranes arrive")
    second = publish_story(writer, reviewer, editor, title="Berth 4 substation signed off")
    republish(second, writer, reviewer, editor, body=second.body + " One more [@"
              + second.source_entries.first().source.key + "].")
    before = {story.slug: article(client, story) for story in Story.objects.published()}
    events = list(Event.objects.order_by("id").values_list("hash", "mac"))
    assert len(before) == 2 and len(events) > 10

    # The checkpoint log lives outside the database and survives the restore; each event's MAC
    # travels in the dump and verifies with the same AUDIT_HMAC_KEY.
    call_command("audit_checkpoint", verbosity=0)
    backup = tmp_path / f"backup.{fmt}"
    call_command("dumpdata", natural_foreign=True, natural_primary=True, exclude=EXCLUDE,
                 format=fmt, output=str(backup), verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    assert not Story.objects.exists() and not Event.objects.exists()
    # Restoring is the owner's job: loaddata saves each row as UPDATE-then-INSERT and resets
    # the id sequences, and the app role may do neither to the audit table.
    with database_owner():
        call_command("loaddata", str(backup), verbosity=0)

    # The restored trail is the dumped one, event for event (restoring group memberships may
    # append role_change events after it; the chain still has to verify as a whole).
    restored = list(Event.objects.order_by("id").values_list("hash", "mac"))
    assert restored[:len(events)] == events
    call_command("verify_audit", require_checkpoint=True, verbosity=0)
    after = {story.slug: article(client, story) for story in Story.objects.published()}
    if fmt == "json":
        # JSON keeps times to the millisecond only: the pages match once <time> is set aside.
        before, after = ({k: _TIME.sub("", v) for k, v in pages.items()}
                         for pages in (before, after))
    assert after == before
    assert {first.slug, second.slug} == set(after)
