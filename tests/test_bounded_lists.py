"""No list a user or client can open is unbounded (issue 16): every API route that lists, and
every admin changelist of the newsroom's models, pages with a bounded count. Public listings
are checked through the client in tests/public/test_flat_costs.py."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from audit.api import NewsroomPagination
from audit.paging import BoundedPaginator


def _patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_api_route_that_lists_pages_with_a_bounded_count():
    listing = []
    for route, callback in _patterns():
        actions = getattr(callback, "actions", None) or {}
        view = getattr(callback, "cls", None)
        if view is None or actions.get("get") != "list":
            continue
        listing.append(route)
        paginator = view.pagination_class
        assert paginator is not None and issubclass(paginator, NewsroomPagination), route
        assert issubclass(paginator.django_paginator_class, BoundedPaginator), route
        assert paginator.max_page_size <= 200, route
    assert len(listing) >= 3  # stories, public stories, sources


def test_every_admin_changelist_counts_at_most_its_limit():
    # Third-party ones too (django-axes' logs grow with every sign-in): newsroom/admin.py.
    for model, model_admin in admin.site._registry.items():
        if model._meta.model_name == "group":
            continue
        assert issubclass(model_admin.paginator, BoundedPaginator), model
        assert model_admin.show_full_result_count is False, model
        assert not model_admin.date_hierarchy, model  # a DISTINCT over the whole table


def test_the_sign_in_log_counts_no_further_than_the_limit(client, db, monkeypatch):
    from axes.models import AccessLog
    from django.utils import timezone

    from tests.factories import UserFactory

    monkeypatch.setattr(BoundedPaginator, "limit", 3)
    AccessLog.objects.bulk_create([AccessLog(username=f"u{n}", ip_address="192.0.2.1",
                                             user_agent="t", path_info="/admin/login/",
                                             attempt_time=timezone.now()) for n in range(5)])
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get("/admin/axes/accesslog/", {"path_info": "/admin/login/"}).text

    assert "3 access logs" in page and "5 access logs" not in page
    assert "5 total" not in page  # no full count of the unfiltered log either


def test_the_sign_in_logs_path_filter_offers_recent_paths_without_reading_every_row(
        client, db, monkeypatch):
    from axes.models import AccessLog
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from audit.admin_mixins import RecentValuesFilter
    from tests.factories import UserFactory

    monkeypatch.setattr(RecentValuesFilter, "recent", 3)
    AccessLog.objects.bulk_create([AccessLog(username="u", ip_address="192.0.2.1",
                                             user_agent="t", path_info=f"/path-{n}/",
                                             attempt_time=timezone.now()) for n in range(5)])
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/admin/axes/accesslog/").text

    # The newest 3 rows: the sign-in just now (axes logs it too) and paths 4 and 3.
    assert all(f"?path_info=%2Fpath-{n}%2F" in page for n in (3, 4))
    assert not any(f"?path_info=%2Fpath-{n}%2F" in page for n in (0, 1, 2))
    assert not [q["sql"] for q in queries
                if "DISTINCT" in q["sql"].upper() and "axes_accesslog" in q["sql"]]
    # A path outside the choices still filters (typed, or followed from a link).
    older = client.get("/admin/axes/accesslog/", {"path_info": "/path-0/"}).text
    assert "1 access log" in older


def test_every_admin_filter_by_a_plain_column_reads_a_bounded_number_of_rows(rf):
    from django.contrib.admin.filters import AllValuesFieldListFilter

    from tests.factories import UserFactory

    request = rf.get("/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True)
    for model, model_admin in admin.site._registry.items():
        for entry in model_admin.get_list_filter(request):
            chosen = entry[1] if isinstance(entry, tuple) else None
            assert chosen is not AllValuesFieldListFilter, (model, entry)
            if isinstance(entry, str):
                from django.contrib.admin.filters import FieldListFilter
                from django.contrib.admin.utils import get_fields_from_path

                field = get_fields_from_path(model, entry)[-1]
                made = next(cls for test, cls in FieldListFilter._field_list_filters
                            if test(field))
                assert made is not AllValuesFieldListFilter, (model, entry)
