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
