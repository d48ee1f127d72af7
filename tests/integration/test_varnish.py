"""The edge cache as deployed: Debian's varnishd with deploy/varnish/default.vcl in front of the
app (pytest-django's live server), purged on commit by stories.frontend_cache."""

import http.client
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.cache import cache

from stories import services
from tests.conftest import need
from tests.factories import SourceFactory
from tests.public.helpers import publish_story, republish

# The live server needs a transactional database; restoring it serialised at teardown (without
# post_migrate recreating content types) keeps later serialized_rollback tests working.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VCL = Path(__file__).resolve().parents[2] / "deploy" / "varnish" / "default.vcl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def varnish(live_server, settings, tmp_path):
    binary = shutil.which("varnishd") or "/usr/sbin/varnishd"
    need(Path(binary).exists(), "varnishd is not installed (apt-get install varnish)")
    backend_port = live_server.url.rsplit(":", 1)[1]
    vcl = tmp_path / "default.vcl"
    vcl.write_text(VCL.read_text().replace('.port = "8000"', f'.port = "{backend_port}"'))
    port, purge_port = free_port(), free_port()
    log = open(tmp_path / "varnishd.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603 - a fixed binary and arguments
        [binary, "-F", "-j", "none", "-a", f"127.0.0.1:{port}",
         "-a", f"purge=127.0.0.1:{purge_port}", "-f", str(vcl),
         "-n", str(tmp_path / "varnish"), "-s", "malloc,32m"],
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, (tmp_path / "varnishd.log").read_text()
            try:
                urllib.request.urlopen(base + "/robots.txt", timeout=2).read()  # noqa: S310
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "varnishd did not start"
                time.sleep(0.2)
        settings.SECURE_SSL_REDIRECT = False
        settings.NEWSROOM_PAGE_CACHE_SECONDS = 300
        # An empty origin cache too: fragments another test in this process wrote behind the
        # application's back (tests/public/test_cache.py) are keyed like this test's pages.
        cache.clear()
        settings.NEWSROOM_FRONTEND_CACHE = {
            "BACKEND": "stories.frontend_cache.VarnishBackend",
            "LOCATION": f"http://127.0.0.1:{purge_port}"}
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.headers, response.read().decode()


def is_hit(headers) -> bool:
    # X-Varnish holds two ids (this request's and the cached object's) on a hit.
    return len(headers["X-Varnish"].split()) == 2


@pytest.fixture
def story(roles, writer, reviewer, editor, varnish):
    return publish_story(writer, reviewer, editor, title="Five cranes arrive",
                         body="Five cranes arrived [@c1].", sources=[SourceFactory(key="c1")])


def test_a_published_story_is_a_hit_on_the_second_request(varnish, story):
    url = varnish + story.get_absolute_url()
    first, page = get(url)
    assert not is_hit(first) and "Five cranes arrived" in page
    assert "s-maxage=300" in first["Cache-Control"]
    second, again = get(url)
    assert is_hit(second) and again == page
    assert int(second["Age"]) >= 0


def test_a_correction_is_visible_through_varnish_on_the_next_request(
        varnish, story, writer, reviewer, editor):
    url = varnish + story.get_absolute_url()
    get(url), get(varnish + "/")
    assert is_hit(get(url)[0])
    republish(story, writer, reviewer, editor, title="Three cranes arrive",
              body="Three cranes arrived [@c1].", note="Corrected the number of cranes.")
    headers, page = get(url)
    assert "Three cranes arrived" in page and "Corrected the number of cranes." in page
    assert not is_hit(headers)
    assert "Three cranes arrive" in get(varnish + "/")[1]
    assert "Three cranes arrived" in get(varnish + f"/api/v1/public/stories/{story.slug}/")[1]


def test_a_retraction_is_visible_through_varnish_on_the_next_request(varnish, story, editor):
    url = varnish + story.get_absolute_url()
    get(url)
    assert is_hit(get(url)[0])
    services.story_retract(story_id=story.pk, user=editor, reason="Forged source.")
    assert "Forged source." in get(url)[1]


def test_a_broken_link_found_later_is_visible_through_varnish(varnish, story):
    from sources.models import Source

    url = varnish + story.get_absolute_url()
    get(url)
    assert is_hit(get(url)[0])
    source = Source.objects.get(key="c1")
    source.health = "broken"
    source.save()
    assert "reported broken" in get(url)[1]


def test_an_author_rename_is_visible_through_varnish_on_the_next_request(varnish, story,
                                                                         writer):
    url = varnish + story.get_absolute_url()
    get(url)
    headers, _page = get(url)
    assert is_hit(headers) and "Surrogate-Key" not in headers  # kept by Varnish, not shown
    writer.first_name, writer.last_name = "Renamed", "Byline-Writer"
    writer.save()
    assert "Renamed Byline-Writer" in get(url)[1]


def test_signed_in_users_never_share_a_cached_page(varnish, story, editor, client):
    url = varnish + story.get_absolute_url()
    client.force_login(editor)
    session = f"sessionid={client.cookies['sessionid'].value}"
    get(url), get(url)  # an anonymous copy is cached
    for _ in range(2):
        headers, _page = get(url, cookie=session)
        assert not is_hit(headers)
        assert "private" in headers["Cache-Control"]
    # ...and what a signed-in user was sent is never kept for anyone else.
    home = varnish + "/?signed-in-first"
    get(home, cookie=session)
    headers, _page = get(home)
    assert not is_hit(headers) and "public" in headers["Cache-Control"]


def status_from(varnish: str, method: str, source: str, headers: dict) -> int:
    host, port = varnish.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5,
                                            source_address=(source, 0))
    try:
        connection.request(method, "/", headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize("method", ["PURGE", "BAN"])
def test_only_allowed_addresses_may_purge(varnish, settings, method):
    headers = {"X-Ban-Url": "^/$"}
    purge_port = settings.NEWSROOM_FRONTEND_CACHE["LOCATION"]
    assert status_from(purge_port, method, "127.0.0.1", headers) == 200  # in the purgers ACL
    assert status_from(purge_port, method, "127.0.0.2", headers) == 403  # not in it


@pytest.mark.parametrize("method", ["PURGE", "BAN"])
def test_a_reader_cannot_purge_through_the_proxy_on_the_same_host(varnish, story, method):
    # nginx on the same host connects from 127.0.0.1, which the purgers ACL allows: on the
    # readers' port that address says nothing about who sent the request.
    url = varnish + story.get_absolute_url()
    get(url)
    host, port = varnish.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5,
                                            source_address=("127.0.0.1", 0))
    try:
        connection.request(method, story.get_absolute_url(), headers={"X-Ban-Url": "."})
        assert connection.getresponse().status == 403
    finally:
        connection.close()
    assert is_hit(get(url)[0])


def test_an_archived_copy_a_correction_replaced_is_gone_through_varnish(
        varnish, roles, writer, reviewer, editor, settings):
    from django.utils import timezone

    from sources import services as source_services
    from sources.models import Snapshot
    from tests.sources.fixture_server import Page, fixture_server

    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    page = "<html><head><title>Crane count</title></head><body><p>Five cranes.</p></body></html>"
    with fixture_server({"/cranes": Page(page)}) as (base, _):
        source = SourceFactory(key="d1", url=f"{base}/cranes")
        first = source_services.source_capture(source_id=source.pk)
        Snapshot.objects.filter(pk=first.pk).update(
            fetched_at=timezone.now() - timezone.timedelta(days=1))
        story = publish_story(writer, reviewer, editor, body="Five cranes arrived [@d1].",
                              sources=[source])
        warc = varnish + f"/sources/snapshots/{first.pk}/capture.warc.gz"
        for _ in range(2):
            with urllib.request.urlopen(warc, timeout=10) as response:  # noqa: S310
                headers = response.headers
                response.read()
        assert is_hit(headers)
        source_services.source_capture(source_id=source.pk)  # a newer copy, pinned next
    republish(story, writer, reviewer, editor, body="Six cranes arrived [@d1].")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(warc, timeout=10)  # noqa: S310
    assert refused.value.code == 404


def test_a_reader_who_reported_an_error_still_shares_the_cached_pages(varnish, story):
    import http.cookiejar
    import urllib.parse

    from stories.models import ErrorReport

    jar = http.cookiejar.CookieJar()
    reader = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form_url = varnish + f"/stories/{story.slug}/report/?claim=1"
    with reader.open(form_url, timeout=10) as response:  # noqa: S310 - the local varnishd
        form = response.read().decode()
    assert "csrftoken" in {cookie.name for cookie in jar}
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|revision)" value="([^"]*)"', form))
    data = urllib.parse.urlencode({**fields, "claim": "1", "email": "", "website": "",
                                   "suggested_url": "",
                                   "note": "Four cranes arrived, not five: see the port log."})
    request = urllib.request.Request(form_url, data=data.encode(),  # noqa: S310
                                     headers={"Referer": form_url})
    with reader.open(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200 and "/report/sent/" in response.url
    assert ErrorReport.objects.filter(story=story).count() == 1
    url = varnish + story.get_absolute_url()
    get(url)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    headers, page = get(url, cookie=cookie)
    assert is_hit(headers) and "Five cranes arrived" in page


def test_a_reviewer_rename_is_visible_on_the_story_page_through_varnish(varnish, story,
                                                                       reviewer):
    url = varnish + story.get_absolute_url()
    history = varnish + f"/stories/{story.slug}/history/"
    api = varnish + f"/api/v1/public/stories/{story.slug}/"
    for address in (url, history, api):
        get(address)
        assert is_hit(get(address)[0])
    reviewer.first_name, reviewer.last_name = "Renamed", "Sign-Off"
    reviewer.save()
    for address in (url, history, api):
        assert "Renamed Sign-Off" in get(address)[1], address


def test_a_rename_reaches_the_teasers_on_author_and_source_pages_through_varnish(
        varnish, roles, writer, other_writer, reviewer, editor):
    publish_story(writer, reviewer, editor, title="Five cranes arrive",
                  body="Five cranes arrived [@c1].", sources=[SourceFactory(key="c1")],
                  authors=[other_writer])
    pages = [varnish + f"/authors/{writer.username}/", varnish + "/sources/c1/"]
    for address in pages:
        get(address)
        assert is_hit(get(address)[0]) and "Five cranes arrive" in get(address)[1]
    other_writer.first_name, other_writer.last_name = "Renamed", "Co-Author"
    other_writer.save()
    reviewer.first_name, reviewer.last_name = "Renamed", "Sign-Off"
    reviewer.save()
    for address in pages:
        page = get(address)[1]
        assert "Renamed Co-Author" in page and "Renamed Sign-Off" in page, address


def test_an_author_taken_off_the_byline_loses_the_story_from_their_page_through_varnish(
        varnish, roles, writer, other_writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor, title="Five cranes arrive",
                          body="Five cranes arrived [@c1].", sources=[SourceFactory(key="c1")],
                          authors=[other_writer])
    url = varnish + f"/authors/{other_writer.username}/"
    get(url)
    assert is_hit(get(url)[0])
    services.story_update(story_id=story.pk, user=writer, authors=[writer])
    with pytest.raises(urllib.error.HTTPError) as gone:
        get(url)
    assert gone.value.code == 404


def test_a_source_a_correction_dropped_no_longer_lists_the_story_through_varnish(
        varnish, roles, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor, title="Five cranes arrive",
                          body="Five cranes arrived [@c1]. The port agrees [@c2].",
                          sources=[SourceFactory(key="c1"), SourceFactory(key="c2")])
    url = varnish + "/sources/c2/"
    get(url)
    assert is_hit(get(url)[0])
    republish(story, writer, reviewer, editor, body="Five cranes arrived [@c1].",
              source_keys=["c1"])
    with pytest.raises(urllib.error.HTTPError) as gone:
        get(url)
    assert gone.value.code == 404


def test_a_correction_of_a_top_story_reaches_the_other_story_pages_through_varnish(
        varnish, story, writer, second_reviewer, editor):
    from stories.services.digest import page_view_record

    other = publish_story(writer, second_reviewer, editor, title="Harbour reopens",
                          body="The harbour reopened [@c1].", sources=["c1"])
    page_view_record(story_id=other.pk)
    url = varnish + story.get_absolute_url()
    get(url)
    headers, page = get(url)
    assert is_hit(headers) and "Harbour reopens" in page  # in today's top stories
    republish(other, writer, second_reviewer, editor, title="Harbour stays shut",
              body="The harbour stayed shut [@c1].")
    page = get(url)[1]
    assert "Harbour stays shut" in page and "Harbour reopens" not in page
    get(url)
    assert is_hit(get(url)[0])
    second_reviewer.first_name, second_reviewer.last_name = "Renamed", "Sign-Off"
    second_reviewer.save()  # named in that top story's teaser only
    assert "Renamed Sign-Off" in get(url)[1]


def test_a_page_varnish_was_fetching_while_a_correction_committed_is_purged_again(
        varnish, story, writer, reviewer, editor, monkeypatch):
    import threading

    from stories import pages, tasks

    # The first reader's page is read from the database before the correction commits, and
    # reaches Varnish only after the purge: a ban drops the copies it finds, not later ones.
    reading, release = threading.Event(), threading.Event()
    page_context = pages.page_context

    def slow_page_context(page, **kwargs):
        context = page_context(page, **kwargs)
        if not reading.is_set():
            reading.set()
            release.wait(20)
        return context

    monkeypatch.setattr(pages, "page_context", slow_page_context)
    later = []  # the purges queued with a delay, run below once it has passed
    monkeypatch.setattr(tasks.purge_again, "apply_async",
                        lambda args, countdown: later.append((args, countdown)))
    url = varnish + story.get_absolute_url()
    first = []
    reader = threading.Thread(target=lambda: first.append(get(url)[1]))
    reader.start()
    assert reading.wait(20)
    republish(story, writer, reviewer, editor, title="Three cranes arrive",
              body="Three cranes arrived [@c1].", note="Corrected the number of cranes.")
    release.set()
    reader.join(20)
    assert "Five cranes arrived" in first[0]
    assert later and all(countdown == 10 for _args, countdown in later)
    for args, _countdown in later:
        tasks.purge_again(*args)
    assert "Three cranes arrived" in get(url)[1]


def test_a_scheduled_story_s_cached_404_gives_way_when_the_task_publishes_it(
        varnish, roles, writer, reviewer, editor):
    from django.utils import timezone

    from stories import tasks
    from stories.models import Story
    from tests.factories import approved_hash, make_story
    from tests.public.helpers import approve

    story = make_story(writer, title="Cranes at dawn", body="Five cranes arrived [@c1].",
                       sources=[SourceFactory(key="c1")])
    services.story_submit(story_id=story.pk, user=writer)
    approve(story, reviewer)
    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor,
                           publish_at=timezone.now() + timezone.timedelta(hours=1))
    urls = [varnish + f"/stories/{story.slug}/", varnish + "/authors/writer/",
            varnish + "/sources/c1/"]
    for url in urls:
        for _ in range(2):
            with pytest.raises(urllib.error.HTTPError) as missing:
                get(url)
            assert missing.value.code == 404
        assert is_hit(missing.value.headers), url  # the 404 is cached
    Story.objects.filter(pk=story.pk).update(publish_at=timezone.now())
    assert tasks.publish_due() == [story.pk]
    for url in urls:
        assert "Cranes at dawn" in get(url)[1], url


def test_a_failing_refresh_does_not_replace_the_cached_page_with_an_error(
        varnish, story, settings, monkeypatch):
    from stories import views

    settings.NEWSROOM_PAGE_CACHE_SECONDS = 1
    url = varnish + story.get_absolute_url()
    get(url)
    time.sleep(1.5)  # past s-maxage, within stale-while-revalidate

    def broken(request, slug):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views, "live_story", broken)
    statuses = []
    for _ in range(3):
        try:
            statuses.append(get(url)[1].count("Five cranes arrived") and 200)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
        time.sleep(0.3)
    assert statuses == [200, 200, 200]  # the stale copy, while the origin fails


def test_a_reader_s_earlier_form_still_submits_after_opening_another_through_varnish(
        varnish, story):
    import http.cookiejar
    import urllib.parse

    from stories.models import ErrorReport

    jar = http.cookiejar.CookieJar()
    reader = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def form(url):
        with reader.open(url, timeout=10) as response:  # noqa: S310 - the local varnishd
            return dict(re.findall(r'name="(csrfmiddlewaretoken|revision)" value="([^"]*)"',
                                   response.read().decode()))

    first_url = varnish + f"/stories/{story.slug}/report/?claim=1"
    first = form(first_url)  # one tab
    form(varnish + "/digest/")  # another tab, opened later
    data = urllib.parse.urlencode({**first, "claim": "1", "email": "", "website": "",
                                   "suggested_url": "",
                                   "note": "Four cranes arrived, not five: see the port log."})
    request = urllib.request.Request(first_url, data=data.encode(),  # noqa: S310
                                     headers={"Referer": first_url})
    with reader.open(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200 and "/report/sent/" in response.url
    assert ErrorReport.objects.filter(story=story).count() == 1


def test_a_screenshot_taken_after_publication_shows_through_varnish(
        varnish, roles, writer, reviewer, editor, settings):
    from django.core.files.base import ContentFile

    from sources import services as source_services
    from sources.models import Snapshot
    from tests.sources.fixture_server import Page, fixture_server

    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    page = "<html><head><title>Crane count</title></head><body><p>Five cranes.</p></body></html>"
    with fixture_server({"/cranes": Page(page)}) as (base, _):
        source = SourceFactory(key="d1", url=f"{base}/cranes")
        snapshot = source_services.source_capture(source_id=source.pk)
    publish_story(writer, reviewer, editor, body="Five cranes arrived [@d1].", sources=[source])
    detail = varnish + f"/sources/snapshots/{snapshot.pk}/"
    get(detail)
    headers, shown = get(detail)
    assert is_hit(headers) and "Download the WARC file" in shown and "Screenshot" not in shown
    # The screenshot worker, once Chromium is done (sources.services.snapshot_screenshot).
    snapshot = Snapshot.objects.get(pk=snapshot.pk)
    snapshot.screenshot.save("crane-count.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=False)
    snapshot.save(update_fields=["screenshot", "screenshot_note"])
    assert "Screenshot" in get(detail)[1]



def test_an_https_reader_never_gets_the_answer_made_for_plain_http(varnish, story):
    # nginx says which scheme the reader used (X-Forwarded-Proto); the app's answer depends on
    # it: absolute links (canonical, JSON-LD, share links), and with DJANGO_SECURE_SSL_REDIRECT
    # a redirect to HTTPS, which served to an HTTPS reader would loop.
    url = varnish + story.get_absolute_url()
    host = varnish.removeprefix("http://")

    def canonical(proto):
        request = urllib.request.Request(url, headers={"X-Forwarded-Proto": proto})  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return re.search(r'<link rel="canonical" href="([^"]+)"', response.read().decode())[1]

    assert canonical("http") == f"http://{host}{story.get_absolute_url()}"
    assert canonical("https") == f"https://{host}{story.get_absolute_url()}"
    assert canonical("http") == f"http://{host}{story.get_absolute_url()}"


def test_an_archived_copy_of_a_source_no_story_cites_any_more_is_gone_through_varnish(
        varnish, story, writer, reviewer, editor):
    from sources.models import Snapshot, Source

    # Taken after the publish: readers may open it (its source is cited), no revision pins it.
    later = Snapshot.objects.create(source=Source.objects.get(key="c1"),
                                    requested_url="https://example.org/", status_code=200)
    url = varnish + f"/sources/snapshots/{later.pk}/"
    get(url)
    assert is_hit(get(url)[0])
    republish(story, writer, reviewer, editor, body="Five cranes arrived [@c2].",
              source_keys=[SourceFactory(key="c2").key])
    with pytest.raises(urllib.error.HTTPError) as gone:
        get(url)
    assert gone.value.code == 404


def test_a_reviewer_rename_reaches_the_search_results_through_varnish(varnish, story,
                                                                      reviewer):
    url = varnish + "/search/?q=cranes"
    get(url)
    headers, page = get(url)
    assert is_hit(headers) and "Five cranes arrive" in page
    reviewer.first_name, reviewer.last_name = "Renamed", "Sign-Off"
    reviewer.save()
    assert "Renamed Sign-Off" in get(url)[1]
