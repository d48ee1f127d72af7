"""Logins: repeated failures lock the account out on the admin and the token endpoint, the
lockout is audited, and weak passwords are refused by the validators."""

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token

from audit.models import Event
from audit.services import audit_verify

WRONG = "not-the-password"
RIGHT = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _low_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def admin_login(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username,
                                                      "password": password})


def token_login(client, username, password):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password},
                       content_type="application/json")


def test_admin_login_works_before_any_failure(client, writer):
    writer.is_staff = True
    writer.save()
    assert admin_login(client, "writer", RIGHT).status_code == 302


def test_admin_login_locks_out_after_repeated_failures(client, writer):
    writer.is_staff = True
    writer.save()
    codes = [admin_login(client, "writer", WRONG).status_code for _ in range(3)]
    assert codes[:2] == [200, 200]
    assert codes[2] == 429
    locked = admin_login(client, "writer", RIGHT)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_lockout_is_audited_with_username_and_address(client, writer):
    for _ in range(3):
        admin_login(client, "writer", WRONG)
    events = Event.objects.filter(action="login.locked_out")
    assert events.count() >= 1
    assert events.first().details == {"username": "writer", "ip": "127.0.0.1"}
    assert audit_verify().intact


def test_token_endpoint_locks_out_and_audits(client, writer):
    assert [token_login(client, "writer", WRONG).status_code for _ in range(3)] == [400, 400,
                                                                                     429]
    locked = token_login(client, "writer", RIGHT)
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.json()["detail"]
    assert not Token.objects.filter(user=writer).exists()
    event = Event.objects.filter(action="login.locked_out").first()
    assert event.details == {"username": "writer", "ip": "127.0.0.1"}


def test_lockout_is_per_username_and_address(client, writer, other_writer):
    for _ in range(3):
        token_login(client, "writer", WRONG)
    assert token_login(client, "writer2", RIGHT).status_code == 200
    response = client.post("/api/v1/auth/token/", {"username": "writer", "password": RIGHT},
                           content_type="application/json", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200


def test_unknown_usernames_are_locked_out_too(client, db):
    codes = [token_login(client, "nobody-here", WRONG).status_code for _ in range(4)]
    assert codes[-1] == 429
    assert Event.objects.filter(action="login.locked_out",
                                details__username="nobody-here").exists()


@pytest.mark.parametrize("password", ["password", "12345678", "qwertyuiop", "writer2026",
                                      "short"])
def test_weak_passwords_are_refused_by_the_validators(writer, password):
    with pytest.raises(ValidationError):
        password_validation.validate_password(password, user=writer)


def test_a_strong_password_passes_the_validators(writer):
    password_validation.validate_password("harbour-crane-ledger-57", user=writer)


def test_admin_refuses_to_set_a_weak_password(client, admin_user, writer):
    client.force_login(admin_user)
    response = client.post(f"/admin/auth/user/{writer.pk}/password/",
                           {"password1": "password", "password2": "password"})
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    writer.refresh_from_db()
    assert writer.check_password(RIGHT)


def test_an_admin_login_with_a_username_longer_than_any_account_says_so(client, db):
    # Django's sign-in form does not check the length it advertises; django-axes then stored
    # the whole name in a 255-character column (on PostgreSQL a 500).
    response = admin_login(client, "a" * 10_000, WRONG)
    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
