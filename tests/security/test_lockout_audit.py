"""A flood of attempts on a locked-out account adds a handful of audit rows, with the count."""

import pytest

from audit.models import Event
from audit.services import audit_verify


@pytest.fixture(autouse=True)
def _low_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


WRONG = "not-the-password"


def token_login(client, username):
    return client.post("/api/v1/auth/token/", {"username": username, "password": WRONG},
                       content_type="application/json")


def admin_login(client, username):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": WRONG})


def test_two_hundred_refusals_of_a_locked_out_account_write_three_rows_with_counts(
        client, writer):
    writer.is_staff = True
    writer.save()
    # The admin sign-in (the API's token endpoint is throttled long before 200 attempts).
    codes = [admin_login(client, "writer").status_code for _ in range(202)]
    assert codes[:2] == [200, 200] and set(codes[2:]) == {429}  # 200 refusals
    first = Event.objects.filter(action="login.locked_out")
    assert [e.details for e in first] == [{"username": "writer", "ip": "127.0.0.1"}]
    repeated = Event.objects.filter(action="login.locked_out.repeated").order_by("id")
    assert [e.details["count"] for e in repeated] == [10, 100]
    assert Event.objects.filter(action__startswith="login.").count() == 3
    assert audit_verify().intact


def test_each_account_and_address_is_counted_apart(client, writer, other_writer):
    for _ in range(3):
        token_login(client, "writer")
        token_login(client, "writer2")
    assert Event.objects.filter(action="login.locked_out").count() == 2
