"""Behaviour shared by the newsroom's admin pages."""

from django.contrib import admin

from .paging import BoundedPaginator
from .services import display_name


def person(field: str, description: str):
    """A read-only admin field naming the user in `field` by display name. Django shows a
    read-only foreign key as a link to its change page, and only superusers may open a user's:
    everyone else who followed it got a 403."""

    @admin.display(description=description, ordering=field)
    def shown(self, obj):
        user = getattr(obj, field)
        return display_name(user) if user is not None else "—"

    return shown


class RefusedFormAnswers400:
    """A refused form comes back with its errors and every input kept, answering 400, not 200."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        context = getattr(response, "context_data", None) or {}
        if request.method == "POST" and context.get("errors"):
            response.status_code = 400
        return response


class ReadOnlyAdmin:
    """Records nobody may add, change or delete through the admin (immutable history)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SavedByServiceAdmin:
    """The form saves through the workflow service while it validates (so refusals land on the
    form with every input kept); the admin itself writes nothing afterwards."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        form_class.request = request
        return form_class

    def save_form(self, request, form, change):
        return form.saved

    def save_model(self, request, obj, form, change):
        """Already saved by the service during validation."""

    def save_related(self, request, form, formsets, change):
        """The service wrote any related rows (source list, authors)."""


class BoundedChangelist:
    """A changelist that never counts a whole large table: counts stop at audit.paging.LIMIT
    (the page count shows that many) and the unfiltered total is not counted at all."""

    paginator = BoundedPaginator
    show_full_result_count = False
