"""A real-browser walk of every role's pages and buttons (issue 15): every page opens without
an error page or a script error and passes axe-core; every button ends on a page saying what
happened or why not."""

import io
import json
import re
import zipfile
from urllib.parse import urljoin, urlsplit

import pytest
from django.core import mail
from django.urls import Resolver404, resolve, reverse

from sources import services as source_services
from stories.models import Story, Subscriber
from stories.services import digest
from tests.browser.conftest import axe_available, axe_violations
from tests.browser.newsroom import BODY, canal_newsroom
from tests.conftest import need
from tests.factories import SourceFactory, UserFactory, make_story
from tests.sources.fixture_server import Page, fixture_server
from tests.sources.test_services import publish

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Never followed: they end the session, download a file, or leave for another service.
SKIP = re.compile(r"/logout/|\.wacz|\.json|\.csl|\.xml$|/feed/|/evidence/?$"
                  r"|/sources/snapshots/\d+/(warc|screenshot)|/admin/jsi18n/|/api/|/static/"
                  r"|/media/|[?&]_popup=")  # a popup is the same form, in a window of its own
# The crawl opens every distinct URL pattern (Django route) a role reaches, this many addresses
# of each (a story in review and a published one share a route, not a page), and no page
# counter: a route found late is opened like one found first.
SAMPLES = 2
# The admin pages this project owns (its apps, and the user admin in audit/admin.py) get
# axe-core; Django's and third-party apps' own screens (groups, tokens, lockouts) are opened
# and must not break, but their markup is theirs.
OURS = ("/admin/", "/admin/stories/", "/admin/sources/", "/admin/audit/", "/admin/auth/user/",
        "/admin/password_change/")


@pytest.fixture
def newsroom(writer, reviewer, second_reviewer, editor):
    admin = UserFactory(username="chief", first_name="Chief", last_name="Admin",
                        is_superuser=True)
    for user in (second_reviewer, admin):
        user.is_staff = True
        user.save()
    stories = canal_newsroom(writer, reviewer, editor)
    draft = make_story(writer, title="Moorings fees", body="Fees rise by 3% [@canal-trust].",
                       sources=["canal-trust"])
    return {**stories, "draft": draft, "admin": admin}


def page_problems(page, response) -> list[str]:
    """What a user would call broken: a 500, a bare error page, a script or CSP error."""
    problems = []
    if response is not None and response.status >= 500:
        problems.append(f"HTTP {response.status}")
    if response is not None and "html" not in response.headers.get("content-type", "html"):
        return problems
    chrome = page.locator("#header, .site-header, header").count()
    if not chrome:
        problems.append("a bare page (no site or admin header)")
    text = page.locator("body").inner_text() if page.locator("body").count() else ""
    if "Server Error" in text or "Traceback" in text:
        problems.append("an error page")
    problems += [p for p in page.problems if "favicon" not in p
                 and not (response is not None and response.status in (400, 403, 404)
                          and p.startswith("Failed to load resource"))]
    problems += page.evaluate("window.__csp || []")
    page.evaluate("window.__csp = []")
    page.problems.clear()
    return problems


def pattern(link: str) -> str:
    """What makes two addresses the same kind of page: the route Django resolves the path to
    (a changelist and its filtered or sorted views are one kind)."""
    path = urlsplit(link).path
    try:
        return resolve(path).route
    except Resolver404:
        return path


def crawl(page, base: str, start: list[str], *, inside: str, axe: bool):
    """Open the `start` addresses and, breadth first, every same-site link under `inside` of a
    URL pattern opened fewer than SAMPLES times; the problems found, the axe figures (one run per
    kind of page) and how many addresses each pattern had."""
    seen, queue, found, axed = set(), [(u, "start") for u in start], {}, {}
    opened: dict[str, int] = {}
    while queue:
        url, came_from = queue.pop(0)
        kind = pattern(url)
        if url in seen or (came_from != "start" and opened.get(kind, 0) >= SAMPLES):
            continue
        seen.add(url)
        opened[kind] = opened.get(kind, 0) + 1
        response = page.goto(base + url)
        problems = page_problems(page, response)
        if response is not None and response.status >= 400 and came_from != "start":
            problems.append(f"HTTP {response.status} from a link on {came_from}")
        html = response is not None and "html" in response.headers.get("content-type", "")
        ours = inside != "/admin/" or urlsplit(url).path == "/admin/" or url.startswith(OURS[1:])
        if axe and ours and html and kind not in axed and response.status < 400:
            # axe-core's own probes trip the CSP (inline styles): its console noise is not ours.
            axed[kind] = axe_violations(page)
            page.wait_for_timeout(150)  # its console messages arrive after it returns
            problems += [p for p in page.problems if p.startswith("Failed to load resource")]
            page.problems.clear()
            problems += [f"axe {v['impact']} {v['id']} at {v['nodes']}" for v in axed[kind]]
        if problems:
            found[url] = problems
        if not html:
            continue
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(urljoin(base + url, href))
            if parts.netloc != urlsplit(base).netloc:
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            if (link.startswith(inside) and not SKIP.search(link) and link not in seen
                    and opened.get(pattern(link), 0) < SAMPLES):
                queue.append((link, url))
    return seen, found, axed, opened


ROLES = ["writer", "reviewer", "editor", "admin"]


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_page_of_a_role_opens_cleanly(live_server, page_factory, newsroom, role,
                                                  request, capsys):
    need(axe_available(), "axe-core is not installed (npm ci --ignore-scripts)")
    user = newsroom["admin"] if role == "admin" else request.getfixturevalue(role)
    page = page_factory(user=user, live_server=live_server)
    stories = [newsroom[k] for k in ("published", "in_review", "draft")]
    start = [reverse("admin:index"), reverse("admin:stories_story_inbox")] + [
        reverse(f"admin:stories_story_{name}", args=[s.pk])
        for s in stories for name in ("change", "workflow", "review", "revisions")]
    start.append(reverse("admin:password_change"))
    seen, found, axed, opened = crawl(page, live_server.url, start, inside="/admin/", axe=True)
    with capsys.disabled():
        print(f"\n{role}: {len(seen)} admin pages of {len(opened)} URL patterns opened, axe-core "
              f"on {len(axed)} kinds of page, {sum(map(len, axed.values()))} critical or serious "
              "violations")
    assert found == {}, "\n".join(f"{url}: {'; '.join(p)}" for url, p in found.items())


def test_every_public_page_opens_cleanly_for_a_reader(live_server, page_factory, newsroom,
                                                      capsys):
    need(axe_available(), "axe-core is not installed (npm ci --ignore-scripts)")
    page = page_factory()
    story = newsroom["published"]
    start = ["/", story.get_absolute_url(), reverse("story-history", args=[story.slug]),
             reverse("corrections"), reverse("transparency"), reverse("search") + "?q=lock",
             reverse("digest"), reverse("story-report", args=[story.slug]) + "?claim=1"]
    seen, found, axed, opened = crawl(page, live_server.url, start, inside="/", axe=True)
    with capsys.disabled():
        print(f"\nreader: {len(seen)} public pages of {len(opened)} URL patterns opened, "
              f"axe-core on {len(axed)} kinds")
    assert {u for u in seen if u.startswith("/admin/")} <= {"/admin/"}
    assert found == {}, "\n".join(f"{url}: {'; '.join(p)}" for url, p in found.items())


# What a page says after an action: the admin's messages and form errors, the public pages'.
SAYS = (".messagelist li, .errornote, .errorlist li, [role=status], [role=alert], "
        ".form-errors, .field-errors")


# A button's label as the user reads it (a <button>'s text, an <input>'s value).
LABEL = "b => (b.tagName === 'BUTTON' ? b.textContent : b.value) || b.textContent"


class Walker:
    """One signed-in browser page; `press` clicks a button and checks where it ends."""

    def __init__(self, page, base: str, name: str):
        self.page, self.base, self.name, self.log = page, base, name, []

    def open(self, url: str):
        response = self.page.goto(self.base + url)
        problems = page_problems(self.page, response)
        assert problems == [], f"{self.name} opening {url}: {problems}"
        if self.page.locator("textarea[data-editor=story]").count():
            self.checked()
        return self

    def checked(self):
        # The editor checks the text when it opens and after each change; SQLite's in-memory
        # test database locks whole tables, so the walk lets that request finish first.
        self.page.wait_for_function(
            "() => (document.querySelector('.nr-status-check') || {}).textContent"
            "?.startsWith('Checked')")

    def press(self, button, *, says: str | None = None, shows: str | None = None) -> str:
        """Click `button` (a locator); the page it ends on has no problem and says something
        (containing `says`, when given), or, for a button that opens a page, `shows` it."""
        label = button.first.evaluate(LABEL).strip()
        with self.page.expect_navigation() as navigation:
            button.first.click()
        response = navigation.value
        problems = page_problems(self.page, response)
        where = f"{self.name} pressing “{label}” on {self.page.url}"
        assert problems == [], f"{where}: {problems}"
        if shows is not None:
            assert shows in self.page.locator("body").inner_text(), f"{where}: no {shows!r}"
            self.log.append(f"{self.name:8} {label[:34]:34} -> {shows}")
            return shows
        said = " | ".join(t.strip() for t in self.page.locator(SAYS).all_inner_texts()
                          if t.strip())
        assert said, f"{where}: nothing says what happened (status {response.status})"
        assert "Not checked" not in said, f"{where}: the editor's check failed: {said}"
        if says is not None:
            assert says in said, f"{where}: says {said!r}, not {says!r}"
        self.log.append(f"{self.name:8} {label[:34]:34} -> {said[:90]}")
        return said

    def press_empty(self, button) -> str:
        """Click a button whose form has an empty required field: the browser says so and
        nothing is sent."""
        message = button.first.evaluate(
            "b => { const bad = [...b.form.elements].find(e => !e.checkValidity());"
            " return bad ? bad.validationMessage : ''; }")
        assert message, f"{self.name}: the form of {button} has no empty required field"
        url = self.page.url
        button.first.click()
        assert self.page.url == url
        label = button.first.evaluate(LABEL).strip()
        self.log.append(f"{self.name:8} {label[:34]:34} -> (browser) {message}")
        return message

    def button(self, label: str, scope: str = "body"):
        return self.page.locator(scope).locator(
            f"input[type=submit][value='{label}'], button:text-is('{label}')")

    def set_body(self, text: str):
        self.page.wait_for_selector(".nr-editor .cm-content")
        self.page.evaluate(
            "text => { const v = document.querySelector('textarea[data-editor=story]')"
            ".newsroomEditor; document.querySelector('.nr-status-check').textContent = '';"
            " v.dispatch({changes: {from: 0, to: v.state.doc.length, insert: text}}); }", text)
        self.checked()


def admin_url(name: str, story) -> str:
    return reverse(f"admin:stories_story_{name}", args=[story.pk])


def test_every_button_of_every_role_ends_saying_what_happened(
        live_server, page_factory, newsroom, writer, reviewer, second_reviewer, editor,
        capsys):
    base = live_server.url
    w = Walker(page_factory(user=writer, live_server=live_server), base, "writer")
    r = Walker(page_factory(user=reviewer, live_server=live_server), base, "reviewer")
    e = Walker(page_factory(user=editor, live_server=live_server), base, "editor")
    # The admin's browser is nine hours ahead of the server: Django's own date widgets said so
    # in a note of their own; every date input now names the server's zone the same way.
    a = Walker(page_factory(user=newsroom["admin"], live_server=live_server,
                            timezone_id="Asia/Tokyo"), base, "admin")
    reader = Walker(page_factory(), base, "reader")

    # Writer: a new story with a citation error, refused at submit; fixed, submitted,
    # withdrawn, submitted again.
    w.open(reverse("admin:stories_story_add"))
    w.page.fill("#id_title", "Ferry fares rise in spring")
    w.set_body("Season tickets rise by 4% in April [@no-such-source].")
    w.press(w.button("Save and continue editing"), says="was added")
    story = Story.objects.get(title="Ferry fares rise in spring")
    w.open(admin_url("workflow", story))
    w.press(w.button("Submit for review"), says="no-such-source")
    w.open(admin_url("change", story))
    w.set_body("Season tickets rise by 4% in April [@canal-trust].\n\n"
               "The night crossing is withdrawn [@lock-counts].")
    w.press(w.button("Save and continue editing"), says="was changed")
    # Cited in another order than the list's: the form offers to renumber.
    w.set_body("The night crossing is withdrawn [@lock-counts].\n\n"
               "Season tickets rise by 4% in April [@canal-trust].")
    w.press(w.button("Save and continue editing"), says="Readers meet the sources numbered 2, 1")
    w.press(w.button("Save and renumber by first citation"),
            says="numbered in the order readers first meet them")
    assert list(story.source_entries.order_by("position").values_list("source__key", flat=True)) \
        == ["lock-counts", "canal-trust"]
    w.open(admin_url("workflow", story))
    w.press(w.button("Submit for review"), says="Submitted for review.")
    w.press(w.button("Withdraw to draft"), says="Withdrawn to draft.")
    w.press(w.button("Submit for review"), says="Submitted for review.")

    # Reviewer: a comment on a passage, a review refused without its comment, then sent back.
    r.open(admin_url("review", story))
    r.page.fill("#comment-quote", "Season tickets rise by 4%")
    r.page.fill("#comment-text", "4% of which fare?")
    r.press(r.button("Add comment"), says="Comment added")
    r.page.select_option("#comment-claim", index=2)
    r.page.fill("#comment-text", "Which crossing?")
    r.press(r.button("Add comment"), says="Comment added")
    assert any(t.startswith("Claim 2") for t in r.page.locator(".thread-anchor").all_inner_texts())
    r.page.check("input[name=decision][value=request_changes]")
    r.press(r.button("Submit review"), says="Say what needs to change.")
    r.page.check("input[name=decision][value=request_changes]")
    r.page.fill("#id_comment", "Name the fare.")
    r.press(r.button("Submit review"), says="Your review is recorded")

    # Writer: replies, resolves, edits and submits again.
    w.open(admin_url("change", story))
    w.page.locator(".comment-reply textarea").first.fill("The adult season ticket.")
    w.press(w.button("Reply"))
    w.press(w.button("Resolve"))
    w.set_body("Adult season tickets rise by 4% in April [@canal-trust].\n\n"
               "The night crossing is withdrawn [@lock-counts].")
    w.press(w.button("Save and continue editing"), says="was changed")
    w.open(admin_url("workflow", story))
    w.press(w.button("Submit for review"), says="Submitted for review.")

    # Reviewer: a comment review, then approval with every claim supported.
    r.open(admin_url("review", story))
    r.page.check("input[name=decision][value=comment]")
    r.page.fill("#id_comment", "Reading the sources now.")
    r.press(r.button("Submit review"), says="Your review is recorded")
    for select in r.page.locator("select[name^=verdict-]").all():
        select.select_option("supported")
    r.page.check("input[name=decision][value=approve]")
    r.press(r.button("Submit review"), says="approved")

    # Editor: assign, preview link and revoke, schedule, publish now, retract.
    e.open(admin_url("workflow", story))
    e.page.select_option("#id_assign-reviewer", label="Second Reviewer")
    e.press(e.button("Assign"), says="is asked to review")
    e.press_empty(e.button("Create preview link"))
    e.page.fill("#id_preview-expires_at", "2099-01-01 12:00")
    e.press(e.button("Create preview link"), says="Preview link created")
    e.press(e.button("Revoke"), says="revoked")
    e.page.fill("#id_publish-publish_at", "2099-01-01 09:00")
    e.press(e.button("Publish or schedule"), says="Scheduled for")
    e.press(e.button("Publish or schedule"), says="Published.")
    e.press_empty(e.button("Retract"))
    e.page.fill("#id_retract-reason", "The fares were not confirmed.")
    e.press(e.button("Retract"), says="Retracted")

    # A correction of a published story, published by the admin; compare and restore.
    published = newsroom["published"]
    w.open(admin_url("change", published))
    w.set_body(BODY.replace("14 weeks", "15 weeks"))
    w.press(w.button("Save and continue editing"), says="was changed")
    w.open(admin_url("workflow", published))
    w.press(w.button("Submit for review"), says="Submitted for review.")
    r.open(admin_url("review", published))
    # The unchanged claim was checked supported on the live revision: accepted in one tick;
    # the changed one is checked again.
    assert r.page.locator("li.claim-row p.carried").count() == 1
    r.page.check("input[name=accept_carried]")
    for select in r.page.locator("li.claim-row:not(:has(p.carried)) select[name^=verdict-]").all():
        select.select_option("supported")
    r.page.check("input[name=decision][value=approve]")
    r.press(r.button("Submit review"), says="approved")
    assert Story.objects.get(pk=published.pk).state == "approved"
    a.open(admin_url("workflow", published))
    a.press(a.button("Publish or schedule"), says="add a correction or update note")
    a.page.fill("#id_publish-note", "The works took 15 weeks, not 14.")
    a.press(a.button("Publish or schedule"), says="Published.")
    a.open(admin_url("revisions", published))
    a.press(a.button("Compare selected revisions"), shows="Changes from revision")
    a.open(admin_url("revisions", published))
    a.press(a.button("Restore this revision"), says="restored as revision")

    # Inbox and preview of a draft.
    w.open(reverse("admin:stories_story_inbox"))
    w.press(w.button("Mark all read"))
    w.open(admin_url("change", newsroom["draft"]))
    view_on_site = w.page.locator("a.viewsitelink, .object-tools a[href*=preview]").first
    w.open(urlsplit(urljoin(base, view_on_site.get_attribute("href"))).path)
    assert "Preview" in w.page.locator("body").inner_text()

    # A reader reports an error with a link and subscribes; the editor replies, adds the link
    # to the library and opens a correction; a second report is dismissed.
    for note, link in [("The gates took fifteen weeks, the trust says.",
                        "https://trust.example.org/millbrook-report"),
                       ("Boat traffic fell by a quarter, not a fifth.", "")]:
        reader.open(published.get_absolute_url())
        reader.page.locator("a.claim-report").first.click()
        reader.page.wait_for_selector("textarea[name=note]")
        reader.page.fill("textarea[name=note]", note)
        reader.page.fill("input[name=email]", "boater@example.org")
        reader.page.fill("input[name=suggested_url]", link)
        reader.press(reader.page.locator("button:text-is('Send the report')"))
    mail.outbox.clear()
    reader.open(reverse("digest"))
    reader.page.fill("input[name=email]", "reader@example.org")
    reader.press(reader.button("Subscribe"))
    confirm = re.search(r"/digest/confirm/[^/\s]+/", mail.outbox[-1].body).group()
    reader.open(confirm)
    reader.press(reader.button("Yes, send me the daily digest"), says="The first digest arrives")
    subscriber = Subscriber.objects.get(status="confirmed")
    reader.open(reverse("digest-unsubscribe", args=[digest.unsubscribe_token(subscriber)]))
    reader.press(reader.button("Unsubscribe"), says="We deleted your address")
    assert not Subscriber.objects.filter(email="reader@example.org").exists()

    e.open(reverse("admin:stories_errorreport_changelist"))
    reports = e.page.locator("tr[class^=report-] a[href*='/errorreport/']")
    first, second = (urlsplit(urljoin(base, a.get_attribute("href"))).path
                     for a in reports.all()[:2])
    e.open(first)
    if not e.page.locator(".desk-add-source").count():
        first, second = second, first
        e.open(first)
    e.press_empty(e.button("Send reply"))
    e.page.locator(".desk-reply textarea").fill("Thank you: the story now says 15 weeks.")
    e.press(e.button("Send reply"), says="Reply sent")
    e.page.locator(".desk-add-source input[name=add_source-title]").fill("Millbrook report")
    e.press(e.button("Add as a source"), says="is in the library as")
    e.press(e.button("Open a correction"), says="Correction opened")
    assert "/change/" in e.page.url  # the correction starts as an edit of the story
    e.open(second)
    e.press_empty(e.button("Dismiss the report"))
    e.page.locator(".desk-dismiss textarea").fill("A fifth is what the counts say.")
    e.press(e.button("Dismiss the report"), says="Report dismissed")

    # The library and the users: add and change a source (editor), a user (admin).
    e.open(reverse("admin:sources_source_add"))
    e.page.fill("#id_key", "towpath-survey")
    e.page.fill("#id_title", "Towpath condition survey")
    e.page.fill("#id_outlet", "Canal and River Trust")
    e.page.fill("#id_published_on", "2026-02-30")
    e.press(e.button("Save"), says="Enter a date as YYYY-MM-DD.")
    e.page.fill("#id_published_on", "2026-02-28")
    e.page.fill("#id_description", "A printed survey, no link.")
    e.press(e.button("Save and continue editing"), says="was added successfully")
    e.page.fill("#id_title", "Towpath condition survey 2026")
    e.press(e.button("Save"), says="was changed successfully")
    a.open(reverse("admin:auth_user_add"))
    a.page.fill("#id_username", "deskhand")
    a.page.fill("#id_password1", "Tow-path-2026-deskhand")
    a.page.fill("#id_password2", "Tow-path-2026-deskhand")
    a.press(a.button("Save"), says="was added successfully")
    assert a.page.locator(".timezonewarning").count() == 0  # ours: the zone beside the input
    assert "Times are UTC (UTC+00:00)." in a.page.locator(".field-date_joined").inner_text()
    a.page.fill("#id_first_name", "Desk")
    a.page.fill("#id_date_joined", "02/12/2026 09:00")
    a.press(a.button("Save and continue editing"), says="Enter a date and time as YYYY-MM-DD")
    a.page.fill("#id_date_joined", "2026-12-01 09:00")
    a.page.check("#id_is_staff")
    a.press(a.button("Save"), says="was changed successfully")
    assert UserFactory._meta.model.objects.get(username="deskhand").first_name == "Desk"

    with capsys.disabled():
        print(f"\nbutton walk: {len(sum((x.log for x in (w, r, e, a, reader)), []))} presses")
        for x in (w, r, e, a, reader):
            print("\n".join(x.log))


def downloaded(page, link) -> tuple[str, bytes]:
    """Click a download link: the file's content type (as the server sent it) and bytes."""
    href = urljoin(page.url, link.get_attribute("href"))
    with page.expect_download() as download:
        link.click()
    data = open(download.value.path(), "rb").read()  # noqa: SIM115, PTH123
    content_type = page.context.request.get(href).headers["content-type"]
    return content_type, data


def test_the_csl_and_evidence_downloads_give_their_files(live_server, page_factory, writer,
                                                         reviewer, editor, settings, capsys):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    page_html = ("<html><head><title>Dredging plan</title></head><body><article><h1>Dredging"
                 " plan</h1><p>The council approved 1.8 million euros for dredging the harbour,"
                 " officials said on Tuesday.</p></article></body></html>")
    with fixture_server({"/plan": Page(page_html)}) as (origin, _):
        source = SourceFactory(key="dredging-plan", title="Dredging plan", url=f"{origin}/plan")
        source_services.source_capture(source_id=source.pk)
        story = publish(source, writer, reviewer, editor,
                        body="The council approved 1.8 million euros [@{key}].")
    editor.is_staff = True
    editor.save()
    e = Walker(page_factory(user=editor, live_server=live_server), live_server.url, "editor")
    e.open(admin_url("change", story))
    kind, data = downloaded(e.page, e.page.locator("a:text-is('Sources (CSL-JSON)')"))
    assert kind == "application/json"
    assert [item["title"] for item in json.loads(data)] == ["Dredging plan"]
    e.open(admin_url("change", story))
    kind, data = downloaded(e.page, e.page.locator("a:text-is('Evidence (WACZ)')"))
    assert kind == "application/wacz" and data[:4] == b"PK\x03\x04"
    assert "datapackage.json" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    reader = Walker(page_factory(), live_server.url, "reader")
    reader.open(story.get_absolute_url())
    kind, data = downloaded(reader.page, reader.page.locator("a:text-is('Download the evidence')"))
    assert kind == "application/wacz" and data[:4] == b"PK\x03\x04"
    # A story whose sources were never archived: the button says why instead of a file.
    SourceFactory(key="no-copy", title="No copy")
    bare = make_story(writer, title="Unarchived", body="Fees rise by 3% [@no-copy].",
                      sources=["no-copy"])
    e.open(admin_url("change", bare))
    e.press(e.page.locator("a:text-is('Evidence (WACZ)')"), says="No evidence package")
    with capsys.disabled():
        print("\n" + "\n".join(e.log + [
            "editor   Sources (CSL-JSON)                 -> application/json, 1 source",
            "editor   Evidence (WACZ)                    -> application/wacz, PK zip",
            "reader   Download the evidence              -> application/wacz, PK zip"]))


def test_a_nul_in_the_address_is_refused_on_a_clean_page_of_the_site(live_server, page_factory):
    page = page_factory()
    response = page.goto(live_server.url + "/search/?q=locks%00")
    assert response.status == 400
    assert page_problems(page, response) == []
    assert "NUL character (%00)" in page.locator("[role=alert]").inner_text()
