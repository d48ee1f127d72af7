"""Behaviour shared by the newsroom's admin pages."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.filters import AllValuesFieldListFilter, FieldListFilter
from django.contrib.admin.options import IS_POPUP_VAR, IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path, quote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .forms import ChoiceByIdField, ChoicesByIdField, is_row_id, keyed_by_id
from .paging import BoundedPaginator
from .services import display_name
from .submissions import replayed


def person(field: str, description: str):
    """A read-only admin field naming the user in `field` by display name. Django shows a
    read-only foreign key as a link to its change page, and only superusers may open a user's:
    everyone else who followed it got a 403."""

    @admin.display(description=description, ordering=field)
    def shown(self, obj):
        user = getattr(obj, field)
        return display_name(user) if user is not None else "—"

    return shown

_KEY_MARK = "8204613579"  # stands for a row's key in a URL reversed once for many rows


class KeyUrls:
    """reverse(name, args=[key]) for many rows of one page: each name is reversed once, then
    each row's key is put in its place (a reverse() costs about 0.1 ms; a page has 100 rows).
    One instance per request: the URL's prefix (SCRIPT_NAME) belongs to the request."""

    def __init__(self, current_app: str | None = None):
        self.current_app = current_app
        self._parts: dict[str, list[str]] = {}

    def __call__(self, name: str, key) -> str:
        parts = self._parts.get(name)
        if parts is None:
            url = reverse(name, args=(_KEY_MARK,), current_app=self.current_app)
            parts = self._parts[name] = url.rsplit(_KEY_MARK, 1)
        return str(quote(key)).join(parts)


class PageChangeList(ChangeList):
    """A changelist whose rows' change links are reversed once a page, not once a row, and
    whose address cannot make it fail."""

    def get_results(self, request):
        # A lookup from the address that fails only when the query runs (?at__year=-1; on
        # SQLite an id past its integers) is the admin's bad-filter notice (?e=1), like one
        # Django cannot build, not a 500.
        try:
            super().get_results(request)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def url_for_result(self, result):
        if not hasattr(self, "_key_urls"):
            self._key_urls = KeyUrls(current_app=self.model_admin.admin_site.name)
        return self._key_urls(f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                              getattr(result, self.pk_attname))


class PostedIdAutocomplete(AutocompleteSelect):
    """An autocomplete select that shows a posted value no row's id can be (a tampered form)
    as no choice: Django's own looks it up to label it and fails (a 500 instead of the form
    with its error)."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if is_row_id(v)], attr)


class BoundedIdChoices:
    """Choices of related rows by id (foreign keys, their autocompletes, many-to-many) take a
    posted value no row's id can be as an invalid choice, shown on the form."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if keyed_by_id(db_field.target_field):
            kwargs.setdefault("form_class", ChoiceByIdField)
            if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
                kwargs["widget"] = PostedIdAutocomplete(db_field, self.admin_site,
                                                        using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if keyed_by_id(db_field.target_field):
            kwargs.setdefault("form_class", ChoicesByIdField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


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


class FormGetsRequest:
    """Hands the admin's form its request (`form.request`), for a form that calls a service or
    audits a refusal in the name of the user who sent it."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        form_class.request = request
        return form_class


class SavedByServiceAdmin(FormGetsRequest):
    """The form saves through the workflow service while it validates (so refusals land on the
    form with every input kept); the admin itself writes nothing afterwards."""

    def save_form(self, request, form, change):
        return form.saved

    def save_model(self, request, obj, form, change):
        """Already saved by the service during validation."""

    def save_related(self, request, form, formsets, change):
        """The service wrote any related rows (source list, authors)."""

    # An add form sent twice (SubmittedOnce): the repeat made nothing, so it logs nothing and
    # opens what the first send made, saying so.
    def log_addition(self, request, obj, message):
        if not replayed(obj):
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if not replayed(obj) or IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        opts = self.opts
        messages.info(request, format_html(
            "The {} “{}” was already added: this form was sent twice, and only the first was "
            "saved.", opts.verbose_name, obj))
        return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change",
                                args=[quote(obj.pk)], current_app=self.admin_site.name))


class BoundedSelection:
    """A changelist action's selection box posted with a value no row's id can be (a tampered
    form) selects nothing: Django filters the rows by it as it stands, and the query fails (a
    500). Every registered admin has it, third-party ones too (newsroom/admin.py)."""

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if keyed_by_id(self.model._meta.pk) and any(not is_row_id(v) for v in selected):
            request.POST = request.POST.copy()
            request.POST.setlist(helpers.ACTION_CHECKBOX_NAME,
                                 [value for value in selected if is_row_id(value)])
        return super().response_action(request, queryset)


# The longest changelist search (characters): far past any name, title or address typed into a
# search box, and far short of what the database refuses (SQLite: a LIKE pattern of 50,000
# bytes) or what makes one query of thousands of LIKE clauses.
SEARCH_MAX_LENGTH = 500


class BoundedSearch:
    """A changelist search longer than SEARCH_MAX_LENGTH searches nothing and says why, instead
    of reaching the database (on SQLite, a 503)."""

    def get_search_results(self, request, queryset, search_term):
        if self.search_too_long(request, search_term):
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def search_too_long(self, request, search_term: str) -> bool:
        """Whether the search is refused (and the page says why): for an admin that searches
        in its own way."""
        if len(search_term) <= SEARCH_MAX_LENGTH:
            return False
        messages.error(request, f"A search holds at most {SEARCH_MAX_LENGTH} characters; "
                                f"this one has {len(search_term):,}. Nothing was searched: "
                                "search for a shorter part of it.")
        return True


class RecentValuesFilter(AllValuesFieldListFilter):
    """Django's filter by a column's values, offering those of the newest `recent` rows (read
    through the primary key) instead of a DISTINCT over every row (an access log's paths); any
    other value still filters when the address names it, and the search box finds it."""

    recent = 1_000

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        newest = (model_admin.get_queryset(request).order_by("-pk")
                  .values_list(field_path, flat=True)[:self.recent])
        values = set(newest)
        self.lookup_choices = [None] * (None in values) + sorted(values - {None})


def bounded_filter(model, entry):
    """A list_filter entry as given, or with RecentValuesFilter where Django would offer
    every distinct value of the column (AllValuesFieldListFilter)."""
    if isinstance(entry, tuple):
        name, chosen = entry
        return (name, RecentValuesFilter) if chosen is AllValuesFieldListFilter else entry
    if not isinstance(entry, str):
        return entry
    field = get_fields_from_path(model, entry)[-1]
    made = next((cls for test, cls in FieldListFilter._field_list_filters if test(field)), None)
    return (entry, RecentValuesFilter) if made is AllValuesFieldListFilter else entry


class BoundedCount(BoundedSearch, BoundedSelection):
    """A changelist that never counts a whole large table: counts stop at audit.paging.LIMIT
    (the page count shows that many), the unfiltered total is not counted at all, there is
    no date drill-down (its links are a DISTINCT over every row) and a filter by a column's
    values offers only recent ones (RecentValuesFilter); its search is bounded too
    (BoundedSearch). Third-party admins get it too (newsroom/admin.py)."""

    paginator = BoundedPaginator
    show_full_result_count = False
    date_hierarchy = None

    def get_list_filter(self, request):
        # A filter by a plain column's values offers the recent ones (RecentValuesFilter).
        return [bounded_filter(self.model, entry) for entry in super().get_list_filter(request)]


class BoundedChangelist(BoundedCount):
    """BoundedCount, with each row's change link reversed once a page and its selection box
    written directly, not rendered through a widget template."""

    def get_changelist(self, request, **kwargs):
        return PageChangeList

    def action_checkbox(self, obj):
        # The same HTML as Django's CheckboxInput render, which costs a template render a row
        # (a third of a 100-row page's time).
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" '
                           'aria-label="{}">', helpers.ACTION_CHECKBOX_NAME, str(obj.pk), label)
