"""Two administrators editing one user never overwrite each other unseen: the user form
carries the version it opened, a save started from an older one is refused naming who saved
meanwhile, and changes to what a user may do are audited once with who changed what."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from audit.models import Event
from tests.factories import UserFactory


class _Posted(HTMLParser):
    """What a browser posts from the page's form: every value of every field, as shown."""

    def __init__(self):
        super().__init__()
        self.pairs, self._select = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        kind = attrs.get("type")
        if tag == "input" and name and kind not in ("submit", "checkbox"):
            self.pairs.append((name, attrs.get("value") or ""))
        elif tag == "input" and name and kind == "checkbox" and "checked" in attrs:
            self.pairs.append((name, attrs.get("value") or "on"))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.pairs.append((self._select, attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def posted(page: str) -> dict:
    parser = _Posted()
    parser.feed(page.split('id="user_form"')[1].split("</form>")[0])
    form: dict = {}
    for name, value in parser.pairs:
        form.setdefault(name, []).append(value)
    form.pop("csrfmiddlewaretoken", None)
    return form


def change_url(user):
    return reverse("admin:auth_user_change", args=[user.pk])


@pytest.fixture
def admins(db):
    first = UserFactory(username="admin", first_name="Site", last_name="Administrator",
                        is_staff=True, is_superuser=True)
    second = UserFactory(username="admin2", first_name="Night", last_name="Administrator",
                         is_staff=True, is_superuser=True)
    one, two = Client(), Client()
    one.force_login(first)
    two.force_login(second)
    return one, two


def opened(client, user) -> dict:
    return posted(client.get(change_url(user)).content.decode())


def test_a_later_stale_user_save_is_refused_and_keeps_both_changes(admins, writer):
    mine, theirs = admins
    my_form, their_form = opened(mine, writer), opened(theirs, writer)
    editors = str(Group.objects.get(name="Editors").pk)
    assert theirs.post(change_url(writer), {**their_form, "groups": [editors]}).status_code == 302

    response = mine.post(change_url(writer), {**my_form, "email": "staff.writer@example.org"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Night Administrator saved this user (writer) at " in page
    assert ", after you opened it. Nothing was saved" in page
    writer.refresh_from_db()
    assert list(writer.groups.values_list("name", flat=True)) == ["Editors"]
    assert writer.email != "staff.writer@example.org"
    form = posted(page)
    assert form["groups"] == [editors] and form["email"] == ["staff.writer@example.org"]

    again = mine.post(change_url(writer), form)
    assert again.status_code == 302, again.context["adminform"].form.errors
    writer.refresh_from_db()
    assert list(writer.groups.values_list("name", flat=True)) == ["Editors"]
    assert writer.email == "staff.writer@example.org"


def test_a_user_form_that_lost_its_version_is_refused(admins, writer):
    mine, _ = admins
    response = mine.post(change_url(writer), {**opened(mine, writer), "version": [""],
                                              "first_name": ["Changed"]})
    assert response.status_code == 400
    assert "did not say which version of the user" in response.content.decode()
    writer.refresh_from_db()
    assert writer.first_name == "Staff"


def test_a_stale_user_save_is_audited_once(admins, writer):
    mine, theirs = admins
    my_form, their_form = opened(mine, writer), opened(theirs, writer)
    theirs.post(change_url(writer), {**their_form, "last_name": ["Reporter"]})
    mine.post(change_url(writer), {**my_form, "first_name": ["Senior"]})
    denied = Event.objects.filter(action="user_update.denied")
    assert [(e.actor.username, e.details["refused"]) for e in denied] == [("admin", "stale")]


def test_making_a_user_staff_and_superuser_is_audited_once_with_who_and_what(admins, writer):
    mine, _ = admins
    form = opened(mine, writer)
    roles_before = Event.objects.filter(action="role_change").count()
    assert mine.post(change_url(writer), {**form, "is_staff": ["on"],
                                          "is_superuser": ["on"]}).status_code == 302
    events = Event.objects.filter(action="user_update")
    assert [(e.actor.username, e.details) for e in events] == [("admin", {
        "user": "writer", "changed": {"is_staff": [False, True], "is_superuser": [False, True]}})]
    assert Event.objects.filter(action="role_change").count() == roles_before  # groups kept


def test_a_user_saved_unchanged_writes_no_event(admins, writer):
    mine, _ = admins
    before = Event.objects.count()
    response = mine.post(change_url(writer), opened(mine, writer))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Event.objects.count() == before


def test_a_later_stale_group_save_is_refused_naming_who_saved_meanwhile(admins):
    from django.contrib.auth.models import Permission

    mine, theirs = admins
    desk = Group.objects.create(name="Desk")
    url = reverse("admin:auth_group_change", args=[desk.pk])
    page = mine.get(url).content.decode()
    my_form = posted(page.replace('id="group_form"', 'id="user_form"'))
    their_form = posted(theirs.get(url).content.decode().replace('id="group_form"',
                                                                  'id="user_form"'))
    publish = str(Permission.objects.get(codename="view_story").pk)
    assert theirs.post(url, {**their_form, "permissions": [publish]}).status_code == 302
    event = Event.objects.get(action="group_update")
    assert (event.actor.username, event.details) == ("admin2", {
        "group": "Desk", "changed": {}, "added": ["view_story"], "removed": []})

    response = mine.post(url, {**my_form, "name": ["Night desk"]})

    assert response.status_code == 400
    assert "Night Administrator saved this group (Desk) at " in response.content.decode()
    desk.refresh_from_db()
    assert desk.name == "Desk" and list(desk.permissions.values_list("pk", flat=True)) == [
        int(publish)]


def test_deleting_a_group_records_the_role_each_member_loses(writer):
    group = Group.objects.get(name="Writers")
    group.delete()
    event = Event.objects.filter(action="role_change").latest("id")
    assert event.details == {"user": "writer", "added": [], "removed": ["Writers"]}


def test_creating_a_user_is_audited_once_with_who_and_their_roles_never_the_password(admins):
    import json

    mine, _ = admins
    response = mine.post(reverse("admin:auth_user_add"), {
        "username": "newreporter", "usable_password": "true",
        "password1": "Harbour-cranes-2026!", "password2": "Harbour-cranes-2026!"})
    assert response.status_code == 302
    events = Event.objects.filter(action="user_create")
    assert [(e.actor.username, e.details) for e in events] == [("admin", {
        "user": "newreporter", "groups": [], "user_permissions": [], "is_active": True,
        "is_staff": False, "is_superuser": False})]
    logged = json.dumps([e.details for e in Event.objects.all()])
    assert "Harbour-cranes-2026!" not in logged and "pbkdf2" not in logged
    assert not Event.objects.filter(action__in=["user_update", "role_change"]).exists()


def test_a_user_add_form_refused_audits_nothing(admins):
    mine, _ = admins
    response = mine.post(reverse("admin:auth_user_add"), {
        "username": "newreporter", "usable_password": "true",
        "password1": "Harbour-cranes-2026!", "password2": "something else"})
    assert response.status_code == 400
    assert not Event.objects.filter(action="user_create").exists()


def test_changing_a_users_own_permissions_is_audited_once_with_old_and_new(admins, writer):
    from django.contrib.auth.models import Permission

    mine, _ = admins
    view = Permission.objects.get(codename="view_story")
    writer.user_permissions.add(view)
    publish = Permission.objects.get(codename="change_story")
    form = opened(mine, writer)
    roles_before = Event.objects.filter(action="role_change").count()
    response = mine.post(change_url(writer), {**form, "user_permissions": [str(publish.pk)],
                                              "first_name": ["Senior"]})
    assert response.status_code == 302, response.context["adminform"].form.errors
    events = Event.objects.filter(action="user_update")
    assert [(e.actor.username, e.details) for e in events] == [("admin", {
        "user": "writer", "changed": {
            "first_name": ["Staff", "Senior"],
            "user_permissions": [["stories.view_story"], ["stories.change_story"]]}})]
    assert Event.objects.filter(action="role_change").count() == roles_before


def test_a_user_saved_with_the_same_permissions_writes_no_event(admins, writer):
    from django.contrib.auth.models import Permission

    mine, _ = admins
    writer.user_permissions.add(Permission.objects.get(codename="view_story"))
    before = Event.objects.count()
    assert mine.post(change_url(writer), opened(mine, writer)).status_code == 302
    assert Event.objects.count() == before


def test_creating_a_group_is_audited_once_with_its_permissions(admins):
    from django.contrib.auth.models import Permission

    mine, _ = admins
    view = Permission.objects.get(codename="view_story")
    response = mine.post(reverse("admin:auth_group_add"), {"name": "Night desk",
                                                           "permissions": [str(view.pk)]})
    assert response.status_code == 302
    events = Event.objects.filter(action__startswith="group_")
    assert [(e.action, e.actor.username, e.details) for e in events] == [("group_create", "admin", {
        "group": "Night desk", "permissions": ["view_story"]})]
