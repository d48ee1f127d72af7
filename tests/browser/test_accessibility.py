"""axe-core over every public page and the admin pages this project owns: no critical and no
serious violation. The figures (pages, rules run, violations by impact) are printed."""

import pytest
from django.urls import reverse

from sources.models import Source
from tests.browser.conftest import axe_violations
from tests.browser.newsroom import canal_newsroom

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

@pytest.fixture
def newsroom(writer, reviewer, editor):
    return canal_newsroom(writer, reviewer, editor)


def _pages(newsroom):
    story = newsroom["published"]
    draft = newsroom["in_review"]
    revisions = list(story.revisions.order_by("number").values_list("pk", flat=True))
    public = [
        ("home", "/"),
        ("story", story.get_absolute_url()),
        ("history", reverse("story-history", args=[story.slug])),
        ("source", reverse("source-detail", args=["canal-trust"])),
        ("author", reverse("author-detail", args=["writer"])),
        ("search", reverse("search") + "?q=lock"),
        ("corrections", reverse("corrections")),
        ("transparency", reverse("transparency")),
        ("not found", "/no-such-page/"),
    ]
    admin = [
        ("dashboard", reverse("admin:index")),
        ("inbox", reverse("admin:stories_story_inbox")),
        ("story form", reverse("admin:stories_story_change", args=[draft.pk])),
        ("new story form", reverse("admin:stories_story_add")),
        ("workflow", reverse("admin:stories_story_workflow", args=[story.pk])),
        ("review screen", reverse("admin:stories_story_review", args=[draft.pk])),
        ("revisions", reverse("admin:stories_story_revisions", args=[story.pk])),
        ("diff", reverse("admin:stories_story_diff", args=[story.pk])
         + f"?a={revisions[0]}&b={revisions[-1]}"),
        ("story list", reverse("admin:stories_story_changelist")),
        # A search for an action's name: no event, and the hint pointing to the Action filter.
        ("audit search", reverse("admin:audit_event_changelist") + "?q=publish"),
        ("source form", reverse("admin:sources_source_change",
                                args=[Source.objects.get(key="canal-trust").pk])),
    ]
    return public, admin


def test_no_page_has_a_critical_or_serious_accessibility_violation(
        live_server, page_factory, newsroom, editor, capsys):
    public, admin = _pages(newsroom)
    anonymous = page_factory()
    staff = page_factory(user=editor, live_server=live_server)
    found, figures = {}, []
    for pages, page in ((public, anonymous), (admin, staff)):
        for name, url in pages:
            page.goto(live_server.url + url)
            violations = axe_violations(page, impacts=("minor", "moderate", "serious",
                                                       "critical"))
            by_impact = {}
            for v in violations:
                by_impact[v["impact"]] = by_impact.get(v["impact"], 0) + 1
            figures.append(f"{name:16} {url[:60]:60} " + (
                ", ".join(f"{k} {n}" for k, n in sorted(by_impact.items())) or "none"))
            bad = [v for v in violations if v["impact"] in ("critical", "serious")]
            if bad:
                found[name] = bad
    with capsys.disabled():
        print(f"\naxe-core on {len(figures)} pages (violations by impact):")
        print("\n".join(figures))
    assert found == {}, "\n".join(
        f"{name}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
        for name, vs in found.items() for v in vs)
