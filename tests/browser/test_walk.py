"""A real-browser walk of every role's pages and buttons (issue 15): every page opens without
an error page or a script error and passes axe-core; every button ends on a page saying what
happened or why not."""

import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse

from stories.models import Story
from tests.browser.conftest import axe_available, axe_violations
from tests.browser.newsroom import BODY, canal_newsroom
from tests.conftest import need
from tests.factories import UserFactory, make_story

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Never followed: they end the session, delete, download a file, or leave the site.
SKIP = re.compile(r"/logout/|/password/|/delete/|/history/$|\.wacz|\.json|\.csl|\.xml$|/feed/"
                  r"|/evidence|/sources/snapshots/\d+/(warc|screenshot)|/admin/jsi18n/"
                  r"|/api/|/static/|/media/|[?&](o|q|p|e|_changelist_filters|all|_popup)=")
PER_ROLE = 45
# The admin pages this project owns (its apps, and the user admin in audit/admin.py); Django's
# and third-party apps' own screens (groups, tokens, lockouts) are theirs.
OURS = ("/admin/", "/admin/stories/", "/admin/sources/", "/admin/audit/", "/admin/auth/user/")


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
                 and not (response is not None and response.status in (403, 404)
                          and p.startswith("Failed to load resource"))]
    problems += page.evaluate("window.__csp || []")
    page.evaluate("window.__csp = []")
    page.problems.clear()
    return problems


def crawl(page, base: str, start: list[str], *, inside: str, axe: bool, limit: int = PER_ROLE):
    """Open every same-site link under `inside` reachable from `start` (breadth first); the
    problems found and the axe figures, one axe run per kind of page."""
    seen, queue, found, axed = set(), [(u, "start") for u in start], {}, {}
    while queue and len(seen) < limit:
        url, came_from = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(base + url)
        problems = page_problems(page, response)
        if response is not None and response.status >= 400 and came_from != "start":
            problems.append(f"HTTP {response.status} from a link on {came_from}")
        kind = re.sub(r"\d+", "N", urlsplit(url).path)
        html = response is not None and "html" in response.headers.get("content-type", "")
        if axe and html and kind not in axed and response.status < 400:
            # axe-core's own probes trip the CSP (inline styles): its console noise is not ours.
            axed[kind] = axe_violations(page)
            page.wait_for_timeout(150)  # its console messages arrive after it returns
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
            ours = inside != "/admin/" or link == "/admin/" or link.startswith(OURS[1:])
            if link.startswith(inside) and ours and not SKIP.search(link) and link not in seen:
                queue.append((link, url))
    return seen, found, axed


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
    seen, found, axed = crawl(page, live_server.url, start, inside="/admin/", axe=True)
    with capsys.disabled():
        print(f"\n{role}: {len(seen)} admin pages opened, axe-core on {len(axed)} kinds of page, "
              f"{sum(map(len, axed.values()))} critical or serious violations")
    assert found == {}, "\n".join(f"{url}: {'; '.join(p)}" for url, p in found.items())


def test_every_public_page_opens_cleanly_for_a_reader(live_server, page_factory, newsroom,
                                                      capsys):
    need(axe_available(), "axe-core is not installed (npm ci --ignore-scripts)")
    page = page_factory()
    story = newsroom["published"]
    start = ["/", story.get_absolute_url(), reverse("story-history", args=[story.slug]),
             reverse("corrections"), reverse("transparency"), reverse("search") + "?q=lock",
             reverse("digest"), reverse("story-report", args=[story.slug]) + "?claim=1"]
    seen, found, axed = crawl(page, live_server.url, start, inside="/", axe=True)
    with capsys.disabled():
        print(f"\nreader: {len(seen)} public pages opened, axe-core on {len(axed)} kinds")
    assert {u for u in seen if u.startswith("/admin/")} <= {"/admin/"}
    assert found == {}, "\n".join(f"{url}: {'; '.join(p)}" for url, p in found.items())


# What a page says after an action: the admin's messages and form errors, the public pages'.
SAYS = (".messagelist li, .errornote, .errorlist li, [role=status], [role=alert], "
        ".form-errors, .field-errors")


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
        label = button.first.evaluate("b => b.value || b.textContent").strip()
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
        label = button.first.evaluate("b => b.value || b.textContent").strip()
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
    a = Walker(page_factory(user=newsroom["admin"], live_server=live_server), base, "admin")
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
    w.open(admin_url("workflow", story))
    w.press(w.button("Submit for review"), says="Submitted for review.")
    w.press(w.button("Withdraw to draft"), says="Withdrawn to draft.")
    w.press(w.button("Submit for review"), says="Submitted for review.")

    # Reviewer: a comment on a passage, a review refused without its comment, then sent back.
    r.open(admin_url("review", story))
    r.page.fill("#comment-quote", "Season tickets rise by 4%")
    r.page.fill("#comment-text", "4% of which fare?")
    r.press(r.button("Add comment"))
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
    for select in r.page.locator("select[name^=verdict-]").all():
        select.select_option("supported")
    r.page.check("input[name=decision][value=approve]")
    r.press(r.button("Submit review"), says="approved")
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

    # A reader reports an error and subscribes; the editor dismisses the report.
    reader.open(published.get_absolute_url())
    reader.page.locator("a.claim-report").first.click()
    reader.page.wait_for_selector("textarea[name=note]")
    reader.page.fill("textarea[name=note]", "The gates took fifteen weeks, the trust says.")
    reader.page.fill("input[name=email]", "boater@example.org")
    reader.press(reader.page.locator("button:text-is('Send the report')"))
    reader.open(reverse("digest"))
    reader.page.fill("input[name=email]", "reader@example.org")
    reader.press(reader.button("Subscribe"))
    e.open(reverse("admin:stories_errorreport_changelist"))
    report = e.page.locator("tr[class^=report-] a[href*='/errorreport/']").first
    e.open(urlsplit(urljoin(base, report.get_attribute("href"))).path)
    e.press_empty(e.button("Send reply"))
    e.page.locator(".desk-reply textarea").fill("Thank you: the story now says 15 weeks.")
    e.press(e.button("Send reply"))
    e.press_empty(e.button("Dismiss the report"))
    e.page.locator(".desk-dismiss textarea").fill("Fifteen weeks is what the story says now.")
    e.press(e.button("Dismiss the report"))

    with capsys.disabled():
        print(f"\nbutton walk: {len(sum((x.log for x in (w, r, e, a, reader)), []))} presses")
        for x in (w, r, e, a, reader):
            print("\n".join(x.log))
