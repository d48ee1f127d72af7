"""The third-party apps' admins (DRF's tokens, django-axes' logs), held to the rules the
project's own admins follow: a changelist action whose selection names no row (a tampered
form) selects nothing instead of failing, a changelist never counts a whole large table
(django-axes' logs grow with every sign-in), a filter by a column's values (the logs' paths)
offers those of the newest rows instead of a DISTINCT over all of them, and a search too long
for the database says so instead of failing: audit.admin_mixins.BoundedCount.

The project package is the last installed app, so every other app's admin is registered when
Django's autodiscovery imports this module; tests/test_admin_selection.py checks the registry.
"""

from django.contrib import admin

from audit.admin_mixins import BoundedCount


def hold_to_the_changelist_rules(site: admin.AdminSite) -> None:
    """Re-register each admin that lacks BoundedCount as a subclass that has it."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, BoundedCount):
            continue
        original = type(model_admin)
        bounded = type(original.__name__, (BoundedCount, original),
                       {"__module__": original.__module__, "__doc__": original.__doc__})
        site.unregister(model)
        site.register(model, bounded)


hold_to_the_changelist_rules(admin.site)
