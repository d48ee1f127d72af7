import pytest
from django.core.exceptions import PermissionDenied

from audit.models import Event
from sources import selectors, services, tasks
from sources.fetch import FetchResult
from sources.models import Health, LinkCheck, Snapshot, Source
from stories import services as story_services
from stories.services import InvalidInput
from tests.factories import SourceFactory, UserFactory, approved_hash, latest_hash, make_story
from tests.sources.fixture_server import Page, fixture_server, redirect
from tests.sources.test_fetch import PDF

PAGE = ("<html><head><title>Chip plan</title></head><body><article>"
        "<p>Shares of the chipmaker rose 6 per cent on Tuesday, the highest since 2021.</p>"
        "<p>The plan exceeds the 380bn yuan commitment made in March by the ministry, "
        "officials said in a statement to reporters in the capital.</p></article></body></html>")
REWRITTEN = ("<html><head><title>Chip plan</title></head><body><article>"
             "<p>This article has been removed at the request of the publisher. Read our "
             "latest coverage of technology markets and the semiconductor industry.</p>"
             "</article></body></html>")


@pytest.fixture
def site(settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    routes = {"/chip": Page(PAGE), "/gone": Page("<h1>Gone</h1>", status=410),
              "/old": redirect("/chip"), "/pdf": Page(PDF, content_type="application/pdf"),
              "/big": Page(b"x" * (5 * 1024 * 1024 + 10), content_type="text/plain")}
    with fixture_server(routes) as (base, server):
        yield base, server


def source_at(url, **kwargs):
    return SourceFactory(url=url, **kwargs)


def publish(source, writer, reviewer, editor, body="Shares rose 6% [@{key}]."):
    story = make_story(writer, body=body.format(key=source.key), sources=[source])
    story_services.story_submit(story_id=story.pk, user=writer)
    story.refresh_from_db()
    ordinals = story.latest_revision.claims.values_list("ordinal", flat=True)
    story_services.review_submit(
        story_id=story.pk, base_revision=latest_hash(story), reviewer=reviewer, decision="approve",
        checks=[story_services.CheckInput(claim=o, verdict="supported") for o in ordinals])
    story_services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    return story


def test_source_capture_stores_the_page(site, db):
    base, _ = site
    source = source_at(f"{base}/chip")
    snapshot = services.source_capture(source_id=source.pk)
    assert snapshot.status_code == 200
    assert snapshot.title == "Chip plan"
    assert "rose 6 per cent" in snapshot.text
    assert snapshot.body.read() == PAGE.encode()
    assert snapshot.size == len(PAGE.encode())
    assert len(snapshot.sha256) == 64
    source.refresh_from_db()
    assert source.health == Health.OK
    assert source.health_checked_at is not None
    assert LinkCheck.objects.get(source=source).status == Health.OK
    event = Event.objects.filter(action="source_capture").last()
    assert event.details["key"] == source.key
    assert event.details["health"] == "ok"


def test_source_capture_marks_an_http_error_broken(site, db):
    base, _ = site
    source = source_at(f"{base}/gone")
    snapshot = services.source_capture(source_id=source.pk)
    source.refresh_from_db()
    assert (snapshot.status_code, source.health) == (410, Health.BROKEN)
    assert not snapshot.ok


def test_source_capture_marks_a_redirect_elsewhere(site, db):
    base, _ = site
    source = source_at(f"{base}/old")
    snapshot = services.source_capture(source_id=source.pk)
    source.refresh_from_db()
    assert snapshot.final_url == f"{base}/chip"
    assert source.health == Health.REDIRECTED
    assert "redirected to" in source.link_checks.first().detail


def test_source_capture_records_an_unreachable_host_without_raising(db, settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    source = source_at("http://127.0.0.1:9/nothing-listens-here")
    snapshot = services.source_capture(source_id=source.pk)
    source.refresh_from_db()
    assert source.health == Health.UNREACHABLE
    assert snapshot.status_code is None
    assert snapshot.error.startswith("network:")
    assert source.link_checks.first().detail == snapshot.error


def test_source_capture_records_a_refused_private_address(site, db, settings):
    base, _ = site
    settings.SOURCE_FETCH_ALLOW_PRIVATE = False
    source = source_at(f"{base}/chip")
    snapshot = services.source_capture(source_id=source.pk)
    source.refresh_from_db()
    assert snapshot.error.startswith("refused:")
    assert source.health == Health.UNREACHABLE


def test_source_capture_records_a_body_over_the_cap(site, db):
    base, _ = site
    source = source_at(f"{base}/big")
    snapshot = services.source_capture(source_id=source.pk)
    assert snapshot.error.startswith("too_large:")
    assert not snapshot.body
    assert not snapshot.ok


def test_source_capture_stores_a_pdf(site, db):
    base, _ = site
    source = source_at(f"{base}/pdf", kind="report")
    snapshot = services.source_capture(source_id=source.pk)
    assert snapshot.content_type == "application/pdf"
    assert snapshot.body.name.endswith(".pdf")
    assert "Exports fell 12 percent" in snapshot.text


def test_source_capture_of_a_source_without_a_link_does_nothing(db):
    source = SourceFactory(url="", description="Phone interview, notes in the shared drive")
    assert services.source_capture(source_id=source.pk) is None
    assert not Snapshot.objects.exists()


def test_source_capture_survives_a_fetcher_that_raises(db, monkeypatch):
    source = source_at("https://news.example.org/a")

    def explode(url):
        raise RuntimeError("boom")

    monkeypatch.setattr(services.fetch, "fetch", explode)
    snapshot = services.source_capture(source_id=source.pk)
    assert "boom" in snapshot.error
    assert health_of(source) == Health.UNREACHABLE


def health_of(source):
    source.refresh_from_db()
    return source.health


@pytest.mark.parametrize("requested, final, material", [
    ("http://example.com/a", "https://example.com/a", False),
    ("https://example.com/a", "https://www.example.com/a/", False),
    ("https://example.com/a", "https://example.com/b", True),
    ("https://example.com/a", "https://other.example.com/a", True),
    ("https://example.com/a?id=1", "https://example.com/a?id=2", True),
])
def test_redirected_materially(requested, final, material):
    assert services.redirected_materially(requested, final) is material


@pytest.mark.parametrize("result, health", [
    (FetchResult(200, "https://e.org/a"), Health.OK),
    (FetchResult(200, "https://e.org/b", redirects=("https://e.org/b",)), Health.REDIRECTED),
    (FetchResult(404, "https://e.org/a"), Health.BROKEN),
    (FetchResult(503, "https://e.org/a"), Health.BROKEN),
    (FetchResult(None, "https://e.org/a", error="timeout: ReadTimeout"), Health.UNREACHABLE),
    (FetchResult(302, "https://e.org/z", error="too_many_redirects: more than 5"),
     Health.UNREACHABLE),
    (FetchResult(200, "https://e.org/a", error="too_large: cap"), Health.OK),
])
def test_health_for(result, health):
    assert services.health_for(result, "https://e.org/a") == health


def test_source_check_link_flags_text_changed_since_approval(site, writer, reviewer, editor):
    base, server = site
    source = source_at(f"{base}/chip")
    services.source_capture(source_id=source.pk)
    publish(source, writer, reviewer, editor)
    server.routes["/chip"] = Page(REWRITTEN)
    outcome = services.source_check_link(source_id=source.pk)
    assert outcome.health == Health.CHANGED
    source.refresh_from_db()
    assert source.health == Health.CHANGED
    assert "changed since review" in source.link_checks.first().detail
    assert source.snapshots.count() == 2  # the new text is kept; the approved one too


def test_source_check_link_keeps_ok_when_text_is_the_same(site, writer, reviewer, editor):
    base, _ = site
    source = source_at(f"{base}/chip")
    services.source_capture(source_id=source.pk)
    publish(source, writer, reviewer, editor)
    outcome = services.source_check_link(source_id=source.pk)
    assert outcome.health == Health.OK
    assert outcome.snapshot is None  # same body: a link check, no duplicate snapshot
    assert source.snapshots.count() == 1
    assert source.link_checks.count() == 2


def test_source_check_link_compares_with_the_snapshot_current_at_approval(
        site, writer, reviewer, editor):
    base, server = site
    source = source_at(f"{base}/chip")
    services.source_capture(source_id=source.pk)
    publish(source, writer, reviewer, editor)
    server.routes["/chip"] = Page(REWRITTEN)
    services.source_capture(source_id=source.pk)  # a later capture is not the baseline
    assert services.source_check_link(source_id=source.pk).health == Health.CHANGED


def test_source_check_link_ignores_drift_for_unpublished_sources(site, db):
    base, server = site
    source = source_at(f"{base}/chip")
    services.source_capture(source_id=source.pk)
    server.routes["/chip"] = Page(REWRITTEN)
    assert services.source_check_link(source_id=source.pk).health == Health.OK


def test_source_request_capture_queues_on_commit(writer, django_capture_on_commit_callbacks,
                                                 monkeypatch):
    source = source_at("https://news.example.org/a")
    queued = []
    monkeypatch.setattr(tasks.capture_source, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        services.source_request_capture(source_id=source.pk, user=writer)
    assert queued == [(source.pk,)]
    assert Event.objects.filter(action="source_capture_request").exists()


def test_source_request_capture_refuses_readers(db):
    reader = UserFactory()
    source = source_at("https://news.example.org/a")
    with pytest.raises(PermissionDenied):
        services.source_request_capture(source_id=source.pk, user=reader)
    assert Event.objects.filter(action="source_capture_request.denied").exists()


def test_source_request_capture_needs_a_link(writer):
    source = SourceFactory(url="", description="Interview notes")
    with pytest.raises(InvalidInput) as error:
        services.source_request_capture(source_id=source.pk, user=writer)
    assert "url" in error.value.message_dict


def test_source_create_survives_a_broker_that_is_down(writer, django_capture_on_commit_callbacks,
                                                      monkeypatch):
    def down(*args):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.capture_source, "delay", down)
    with django_capture_on_commit_callbacks(execute=True):
        source = services.source_create(user=writer, key="wire-1", title="Wire",
                                        url="https://news.example.org/wire")
    assert source.pk


def test_source_outlet_changes_stand_when_the_cache_cannot_forget_the_outlets(
        writer, django_capture_on_commit_callbacks, monkeypatch):
    def cache_down():
        raise OSError("cache unreachable")

    monkeypatch.setattr(selectors, "forget_outlets", cache_down)
    with django_capture_on_commit_callbacks(execute=True):
        source = services.source_create(user=writer, key="wire-2", title="Wire", outlet="AP",
                                        description="Wire copy")
    with django_capture_on_commit_callbacks(execute=True):
        services.source_update(source_id=source.pk, user=writer, outlet="Reuters")
    assert Source.objects.get(key="wire-2").outlet == "Reuters"


def test_source_create_captures_in_eager_mode(site, writer, django_capture_on_commit_callbacks):
    base, _ = site
    with django_capture_on_commit_callbacks(execute=True):
        source = services.source_create(user=writer, key="chip", title="Chip plan",
                                        url=f"{base}/chip")
    assert source.snapshots.get().status_code == 200


def test_source_title_outlet_and_author_keep_no_direction_control_left_open(writer):
    # The admin's "The source “key: A ‮title” was added successfully." read backwards after it.
    source = services.source_create(user=writer, key="ledger-fares", title="A \u202etitle",
                                    outlet="The \u2067Ledger", author="Ann \u202bعربي\u202c",
                                    description="On paper.")
    assert (source.title, source.outlet, source.author) == ("A title", "The Ledger",
                                                            "Ann \u202bعربي\u202c")
    source = services.source_update(source_id=source.pk, user=writer, title="B \u202etitle")
    assert Source.objects.get(pk=source.pk).title == "B title"


def test_source_title_outlet_and_author_keep_no_control_character(writer):
    # A source's title is shown on its page and beside every claim citing it.
    source = services.source_create(user=writer, key="ledger-fares", title="A\x01 title\x1b",
                                    outlet="The\x7f Ledger", author="Ann\x0b Lee",
                                    description="On paper.")
    assert (source.title, source.outlet, source.author) == ("A title", "The Ledger", "Ann Lee")


def test_source_update_refuses_an_edit_that_lost_the_version_it_started_from(db, writer):
    source = SourceFactory(key="port-annual", outlet="Port")
    with pytest.raises(services.StaleSource, match="did not say which version"):
        services.source_update(source_id=source.pk, user=writer, base_version="",
                               outlet="Elsewhere")
    assert Source.objects.get(pk=source.pk).outlet == "Port"
    assert Event.objects.filter(action="source_update.denied").count() == 1


def test_source_update_with_the_version_read_saves(db, writer):
    source = SourceFactory(key="port-annual")
    services.source_update(source_id=source.pk, user=writer, base_version=source.version,
                           outlet="Port")
    assert Source.objects.get(pk=source.pk).outlet == "Port"


def test_source_update_refuses_a_forbidden_edit_as_forbidden_whatever_version_it_names(
        db, writer, other_writer):
    source = SourceFactory(key="port-annual")
    make_story(writer, body="The port grew [@port-annual].", sources=[source])
    with pytest.raises(PermissionDenied, match="only an editor"):
        services.source_update(source_id=source.pk, user=other_writer, base_version="",
                               url="https://evil.example/phish")
    assert list(Event.objects.filter(action="source_update.denied")
                .values_list("details__refused", flat=True)) == ["forbidden"]
