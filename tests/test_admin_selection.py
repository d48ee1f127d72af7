"""Every changelist registered in the admin, the project's own and the third-party apps' alike,
takes a selection no row's key can be (a tampered form) as selecting nothing: never a 500.
Iterating the registry means an admin registered later cannot slip through."""

import pytest
from django.contrib import admin
from django.urls import reverse

from audit.admin_mixins import BoundedSelection

# "9" * 5000: more digits than Python's int() reads from text (4,300).
NOT_A_ROW = ["abc", "99999999999999999999", "9" * 5000, "-1", "\u00b2", ""]


def _changelists():
    return [(model._meta.app_label, model._meta.model_name)
            for model in admin.site._registry]


@pytest.mark.parametrize(("app_label", "model_name"), _changelists())
@pytest.mark.parametrize("confirmed", [False, True])
def test_a_delete_of_a_selection_no_row_can_be_is_no_server_error(
        client, signed_in_superuser, app_label, model_name, confirmed):
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    data = {"action": "delete_selected", "_selected_action": NOT_A_ROW, "index": "0"}
    if confirmed:
        data["post"] = "yes"

    response = client.post(url, data, follow=True)

    assert response.status_code < 500, (app_label, model_name)


def test_every_registered_admin_holds_to_the_selection_rule():
    unbounded = [model._meta.label for model, model_admin in admin.site._registry.items()
                 if not isinstance(model_admin, BoundedSelection)]
    assert unbounded == []


def test_a_third_party_action_still_acts_on_the_real_rows_selected(client, signed_in_superuser):
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(username="mallory", ip_address="127.0.0.1",
                                           failures_since_start=3)

    response = client.post(reverse("admin:axes_accessattempt_changelist"), {
        "action": "delete_selected", "_selected_action": ["abc", str(attempt.pk)],
        "post": "yes"}, follow=True)

    assert response.status_code == 200
    assert "Successfully deleted 1 access attempt" in response.text
    assert not AccessAttempt.objects.exists()
