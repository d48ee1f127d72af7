"""A refused user delete is refused before anything is deleted: the single delete page and
the bulk action answer 403 with the reason, audited once, never a 500; code is refused too."""

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from audit import keeping
from audit.models import Event
from audit.services import audit_record
from tests.factories import UserFactory


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="admin", first_name="Site",
                                   last_name="Administrator", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def named(writer):
    audit_record(action="approve.denied", actor=writer, details={"reason": "Own story."})
    return writer


def refusals():
    return list(Event.objects.filter(action="user_delete.denied").values_list("details",
                                                                              flat=True))


def test_confirming_the_delete_of_a_kept_user_answers_403_saying_why_audited_once(
        admin_client, named):
    response = admin_client.post(reverse("admin:auth_user_delete", args=[named.pk]),
                                 {"post": "yes"})
    assert response.status_code == 403
    assert "This user cannot be deleted; deactivate them instead." in response.text
    assert "They are named in 1 audit event," in response.text
    assert [d["user"] for d in refusals()] == ["writer"]


def test_opening_the_delete_page_of_a_kept_user_records_nothing(admin_client, named):
    page = admin_client.get(reverse("admin:auth_user_delete", args=[named.pk]))
    assert page.status_code == 200
    assert "cannot be deleted" in page.text
    assert refusals() == []


def test_bulk_delete_of_kept_users_answers_403_naming_each_audited_once(admin_client, named):
    someone = UserFactory(username="temp-account")
    response = admin_client.post(reverse("admin:auth_user_changelist"), {
        "action": "delete_selected", "_selected_action": [named.pk, someone.pk]})
    assert response.status_code == 403
    assert "writer: They are named in 1 audit event," in response.text
    assert "Are you sure" not in response.text
    assert [d["users"] for d in refusals()] == [["writer"]]
    assert type(someone).objects.filter(pk=someone.pk).exists()  # the batch is refused whole


def test_a_user_kept_between_the_check_and_the_delete_is_refused_not_a_500(
        admin_client, monkeypatch):
    someone = UserFactory(username="temp-account")
    checked = []
    real = keeping.reasons

    def kept_once_deleting(users):  # the page's check passes; the delete's finds a reason
        checked.append(1)
        return real(users) if len(checked) < 3 else {someone.pk: ["Just named."]}

    monkeypatch.setattr(keeping, "reasons", kept_once_deleting)
    response = admin_client.post(reverse("admin:auth_user_delete", args=[someone.pk]),
                                 {"post": "yes"})
    assert response.status_code == 403
    assert "Just named." in response.text
    assert "deleted successfully" not in response.text
    assert type(someone).objects.filter(pk=someone.pk).exists()
    assert len(refusals()) == 1


def test_the_bulk_delete_of_a_user_kept_meanwhile_is_refused_not_a_500(
        admin_client, monkeypatch):
    someone = UserFactory(username="temp-account")
    checked = []
    real = keeping.reasons

    def kept_once_deleting(users):
        checked.append(1)
        return real(users) if len(checked) < 3 else {someone.pk: ["Just named."]}

    monkeypatch.setattr(keeping, "reasons", kept_once_deleting)
    response = admin_client.post(reverse("admin:auth_user_changelist"), {
        "action": "delete_selected", "_selected_action": [someone.pk], "post": "yes"})
    assert response.status_code == 403
    assert "Just named." in response.text
    assert type(someone).objects.filter(pk=someone.pk).exists()
    assert len(refusals()) == 1


def test_deleting_a_kept_user_in_code_is_still_refused(named):
    with pytest.raises(ProtectedError):
        named.delete()
    assert type(named).objects.filter(pk=named.pk).exists()
