"""Audit trail admin: read-only for all; users it or a byline names are deactivated, not
deleted (audit.keeping)."""

import hashlib
import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import SEARCH_VAR
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import router, transaction
from django.db.models import ProtectedError, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe

from audit.admin_mixins import (
    BoundedChangelist,
    BoundedIdChoices,
    FormGetsRequest,
    PageChangeList,
    ReadOnlyAdmin,
    RefusedFormAnswers400,
)

from . import keeping
from .details import readable_details
from .forms import DATE_FIELDS, StaleSaveMerge
from .models import Event, story_model
from .paging import distinct_values
from .preconditions import version_of
from .services import audit_record
from .signals import acting_as
from .stale import StaleEdit

# A user the record or a byline names (audit.keeping says which): deactivated, not deleted.
KEEP = "This user cannot be deleted; deactivate them instead."


def visible_events(user, events):
    """The events `user` may read, by the rule that settings.AUDIT_EVENT_VISIBILITY names.

    The rule belongs to the app that knows who may see a story; audit only applies it.
    """
    path = getattr(settings, "AUDIT_EVENT_VISIBILITY", "")
    if not path:
        raise ImproperlyConfigured("AUDIT_EVENT_VISIBILITY must name the callable that says "
                                   "which audit events a user may read.")
    return import_string(path)(user, events)


class ActionFilter(admin.SimpleListFilter):
    """The actions the trail holds, each found by one index lookup (the next action after the
    last one found: a skip scan), never by a DISTINCT over millions of events. The list names
    every action in the trail, whoever asks; the rows stay what the visibility rule allows."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        # A new kind of action appears in the list within ACTIONS_CACHED seconds; filtering by
        # it works at once, because the filter applies whatever the list holds. An empty list
        # is never cached: Django drops a filter with no choices, so `?action=` would be
        # ignored until it expired.
        actions = cache.get(ACTIONS_CACHE_KEY)
        if not actions:
            actions = self.actions()
            if actions:
                cache.set(ACTIONS_CACHE_KEY, actions, ACTIONS_CACHED)
        return actions

    @staticmethod
    def actions() -> list[tuple[str, str]]:
        return [(action, action) for action in
                distinct_values(Event.objects.all(), "action", limit=MAX_ACTIONS)]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


# Kinds of action a newsroom's code records (about forty, with the refusals); a bound, not a limit.
MAX_ACTIONS = 200
ACTIONS_CACHE_KEY, ACTIONS_CACHED = "audit:event-actions", 300
# A search's words, and the actors or stories (the most recently changed) each word may name.
SEARCH_WORDS = 10
SEARCH_MATCHES = 1_000


def action_search_hint(cl) -> str:
    """Why a search for an action's name found nothing, with links to the Action filter's
    choices it names ("" when no word of the search is the name of an action in the trail).

    The search looks at who acted and the story (get_search_results); actions are the
    filter's. Each candidate is one lookup of the action index, never a scan."""
    named = {}
    for word in cl.query.lower().split()[:SEARCH_WORDS]:
        candidates = [word] if "." in word else [word, f"{word}.denied"]
        found = [a for a in candidates if Event.objects.filter(action=a).exists()]
        if found:
            named[word] = found
    if not named:
        return ""
    words = ", ".join(f"“{word}”" for word in named)
    links = format_html_join(", ", '<a href="{}">{}</a>', (
        (cl.get_query_string({"action": action}, remove=[SEARCH_VAR]), action)
        for found in named.values() for action in found))
    # The filter by its heading as Django shows it ("By action"), not by a side: it is on the
    # right at a desktop and under the list on a phone.
    return format_html(
        "{} {} the name of an action: the search box looks for who acted and the story. To "
        "find the events of an action, use the filter “By {}”: {}.",
        words, "is" if len(named) == 1 else "are", ActionFilter.title, links)


class EventChangeList(PageChangeList):
    """The event list reads what its columns show: not each story's text nor each event's
    details (a page of 100 events carried 100 story bodies, 22 ms at 100,000 stories)."""

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer(
            "details", "story__body", "story__dek")


@admin.register(Event)
class EventAdmin(BoundedChangelist, ReadOnlyAdmin, admin.ModelAdmin):
    """Events can be read and filtered, never added, changed or deleted, even by superusers;
    each person reads only the events the visibility rule allows (lists, search, filters,
    date drill-down and detail pages alike; another event answers as not found)."""

    list_display = ("at", "actor_name", "action", "story", "revision_short", "hash_short")
    list_filter = (ActionFilter, "at")
    # What the search box covers; get_search_results runs it without scanning the events.
    search_fields = ("actor__username", "actor__first_name", "actor__last_name",
                     "story__title", "story__slug")
    list_select_related = ("story",)
    # No date_hierarchy: its year links are a DISTINCT over every event. The "at" filter
    # (today, past 7 days, this month, this year) costs an index range scan.
    # The actor by name, not as a link to the user admin: only superusers may open that, and
    # everyone else who reads the trail got a 403 there.
    fields = ("at", "actor_username", "actor_name", "action", "story",
              "revision_hash", "details_readable", "prev_hash", "hash")
    readonly_fields = fields
    ordering = ("-id",)  # newest first; the "at" column sorts either way

    def get_changelist(self, request, **kwargs):
        return EventChangeList

    def get_queryset(self, request):
        return visible_events(request.user, super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        """Each word must name the event's actor (username, first or last name) or its story
        (title or slug). Both are looked up in their own, small and indexed, tables first:
        `icontains` over millions of events joined to their stories read every event."""
        if self.search_too_long(request, search_term):
            return queryset.none(), False
        stories = story_model()._default_manager
        for word in search_term.split()[:SEARCH_WORDS]:
            actors = list(User.objects.filter(
                Q(username__icontains=word) | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)).values_list("pk", flat=True)[:SEARCH_MATCHES])
            named = list(stories.filter(
                Q(title__icontains=word) | Q(slug__icontains=word))
                .order_by("-updated_at").values_list("pk", flat=True)[:SEARCH_MATCHES])
            queryset = queryset.filter(Q(actor__in=actors) | Q(story__in=named))
        return queryset, False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if cl is not None and cl.query and cl.result_count == 0:
            hint = action_search_hint(cl)
            if hint:
                messages.info(request, hint)
        return response

    @admin.display(description="details")
    def details_readable(self, event):
        return format_html_join(mark_safe("<br>"), "{}: {}", readable_details(event.details))  # noqa: S308  # nosec B308 B703 - a constant

    @admin.display(description="revision", ordering="revision_hash")
    def revision_short(self, event):
        return event.revision_hash[:12]

    @admin.display(description="hash", ordering="hash")
    def hash_short(self, event):
        return event.hash[:12]



User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


# What administrators edit on a user's change form, and what they may do (roles). The version
# covers both, computed from the row (no column of its own); not the sign-in times, which
# change whenever the person signs in, nor the password, changed on its own form.
USER_FIELDS = ("username", "first_name", "last_name", "email", "is_active", "is_staff",
               "is_superuser")
USER_ROLES = ("groups", "user_permissions")


def user_version(user) -> str:
    """SHA-256 of a user's edited fields as stored and the ids of their groups and permissions."""
    roles = [sorted(getattr(user, name).values_list("pk", flat=True)) for name in USER_ROLES]
    return hashlib.sha256(json.dumps([version_of(user, USER_FIELDS), roles]).encode()
                          ).hexdigest()


class StaleUser(StaleEdit):
    """The user was saved by another administrator since this one opened them (HTTP 412);
    names who and when, from the audit trail."""

    action = "user_update"

    def __init__(self, user, *, version: str, lost_version: bool = False):
        self.user = user
        username = user.get_username()
        super().__init__(user, what="user", label=username, version=version,
                         actions=("user_update", "role_change", "user_deactivate"),
                         about={"user": username}, lost_version=lost_version)


class RowVersionForm(StaleSaveMerge):
    """A change form for a model with no version of its own (Django's users and groups): the
    version is computed from the row (`row_version`), and a save that started from another
    is refused (`stale`, a StaleEdit), checked with the row locked until the admin's
    transaction saves it, so no save slips in between; the refusal is audited once. Mix into
    a ModelForm that declares `version` (a hidden field)."""

    request = None  # set per request by the admin's get_form (FormGetsRequest)

    @staticmethod
    def row_version(row) -> str:
        raise NotImplementedError

    @staticmethod
    def stale(row, *, version: str, lost_version: bool) -> StaleEdit:
        raise NotImplementedError

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.track_version(self.row_version(self.instance))

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and not self.errors:
            current = type(self.instance)._default_manager.select_for_update().get(
                pk=self.instance.pk)
            opened, now = cleaned.get("version") or "", self.row_version(current)
            if opened != now:
                refusal = self.stale(current, version=now, lost_version=not opened)
                self.refuse_as_stale(current, str(refusal), {
                    name: cleaned.get(name) for name in self.merged_fields
                    if name in self.fields}, version=now)
                audit_record(action=f"{refusal.action}.denied", actor=self.request.user,
                             details={"reason": str(refusal), "refused": "stale"})
        return cleaned


class NewsroomUserChangeForm(RowVersionForm, UserChangeForm):
    """Django's user change form, carrying the version it was opened on: a save another
    administrator overtook is refused, naming who and when, what was typed kept and their
    changes taken in (StaleSaveMerge), instead of the later save silently undoing theirs."""

    version = forms.CharField(required=False, widget=forms.HiddenInput)
    merged_fields = USER_FIELDS + USER_ROLES
    row_version = staticmethod(user_version)
    stale = StaleUser


def group_version(group) -> str:
    """SHA-256 of a group's name and the ids of its permissions."""
    permissions = sorted(group.permissions.values_list("pk", flat=True))
    return hashlib.sha256(json.dumps([group.name, permissions]).encode()).hexdigest()


class StaleGroup(StaleEdit):
    """The group was saved by another administrator since this one opened it (HTTP 412)."""

    action = "group_update"

    def __init__(self, group, *, version: str, lost_version: bool = False):
        self.group = group
        super().__init__(group, what="group", label=group.name, version=version,
                         actions=("group_update",), about={"group": group.name},
                         lost_version=lost_version)


class NewsroomGroupForm(RowVersionForm, forms.ModelForm):
    """A group (a role) and its permissions; a stale save is refused as the user form's is."""

    version = forms.CharField(required=False, widget=forms.HiddenInput)
    merged_fields = ("name", "permissions")
    row_version = staticmethod(group_version)
    stale = StaleGroup

    class Meta:
        model = Group
        fields = ("name", "permissions")


@admin.register(User)
class NewsroomUserAdmin(BoundedChangelist, BoundedIdChoices, RefusedFormAnswers400,
                        FormGetsRequest, UserAdmin):
    """Django's user admin, except that people the audit trail or a byline names are
    deactivated, not deleted (audit.keeping), a stale save is refused (NewsroomUserChangeForm),
    and every change to a user is audited once: a new user as user_create, roles (groups) by
    audit.signals, everything else on the form (their own permissions too) as user_update,
    naming what changed."""

    form = NewsroomUserChangeForm
    actions = ["deactivate_users"]
    # Last login and date joined as every other date-time of the admin: YYYY-MM-DD HH:MM with
    # the server's time zone named, not Django's calendar and "N hours ahead" note.
    formfield_overrides = DATE_FIELDS
    # Plain multiple selects for groups and permissions: Django's two-pane filter widget puts
    # aria-labels on bare spans, which screen readers ignore (axe-core: aria-prohibited-attr).
    filter_horizontal = ()

    @admin.action(description="Deactivate selected users", permissions=["change"])
    def deactivate_users(self, request, queryset):
        count = 0
        for user in queryset.filter(is_active=True):
            self._deactivate(request, user)
            count += 1
        self.message_user(request, f"Deactivated {count} user(s).", messages.SUCCESS)

    def _deactivate(self, request, user) -> None:
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_record(action="user_deactivate", actor=request.user,
                     details={"user": user.get_username()})

    # A delete is refused before Django's delete starts (its page, its transaction): the
    # keepers are asked first, the refusal is a 403 page saying why, audited once. Deleting
    # in code is refused by audit.keeping.refuse_deletion; if someone becomes kept between the
    # check and the delete, that refusal rolls the delete back and gets the same page.

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions["delete_selected"] = (type(self)._delete_selected, name, description)
        return actions

    def _delete_selected(self, request, queryset):
        kept = keeping.reasons(queryset)
        if not kept:
            try:
                # Its own transaction, as the single delete page's: a refusal met while
                # deleting undoes the whole batch, whatever transaction the caller is in.
                with transaction.atomic(using=router.db_for_write(self.model)):
                    return delete_selected(self, request, queryset)
            except ProtectedError as exc:
                kept = self._kept_by(exc, queryset)
        names = dict(queryset.filter(pk__in=list(kept)).values_list(
            "pk", self.model.USERNAME_FIELD))
        listed = [f"{names.get(pk, pk)}: {' '.join(reasons)}"
                  for pk, reasons in sorted(kept.items())]
        self._refuse_delete(request, {"users": sorted(map(str, names.values())),
                                      "reason": " ".join(listed)})
        return self._refused_page(request, None, "Cannot delete these users", listed)

    def delete_view(self, request, object_id, extra_context=None):
        user = self.get_object(request, unquote(object_id))
        kept = keeping.reasons_for(user) if user else []
        if user is not None and kept and self.has_delete_permission(request, user):
            return self._refuse_one(request, user, kept)
        try:
            return super().delete_view(request, object_id, extra_context)
        except ProtectedError as exc:  # kept meanwhile: the delete was rolled back
            if user is None:
                raise
            users = self.model._default_manager.filter(pk=user.pk)
            return self._refuse_one(request, user, self._kept_by(exc, users)[user.pk])

    @staticmethod
    def _kept_by(exc: ProtectedError, users) -> dict[int, list[str]]:
        """Why a delete the keepers first allowed was refused: their reasons now, else the
        refusal's own words."""
        return keeping.reasons(users) or {pk: [str(exc.args[0])]
                                          for pk in users.values_list("pk", flat=True)}

    def _refuse_one(self, request, user, kept: list[str]):
        can_change = self.has_change_permission(request, user)
        if request.method == "POST" and "deactivate" in request.POST and can_change:
            if user.is_active:
                self._deactivate(request, user)
            self.message_user(request, f"{user.get_username()} is deactivated and can no longer "
                              "sign in; the records naming them are kept.", messages.SUCCESS)
            return HttpResponseRedirect(
                reverse("admin:auth_user_change", args=[user.pk], current_app=self.admin_site.name)
            )
        if request.method == "POST":  # an attempt (opening the page is only a question)
            self._refuse_delete(request, {"user": user.get_username(), "reason": " ".join(kept)})
        return self._refused_page(request, user, "Cannot delete this user", kept,
                                  can_change=can_change)

    @staticmethod
    def _refuse_delete(request, details: dict) -> None:
        audit_record(action="user_delete.denied", actor=request.user,
                     details={**details, "refused": "forbidden"})

    def _refused_page(self, request, user, title: str, reasons: list[str], *,
                      can_change: bool = False):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": user,
            "object": user,
            "title": title,
            "message": KEEP,
            "reasons": reasons,
            "can_change": can_change,
        }
        return TemplateResponse(request, "admin/auth/user/delete_refused.html", context,
                                status=403 if request.method == "POST" else 200)

    def get_deleted_objects(self, objs, request):
        # Kept users are refused before this page (delete_view, _delete_selected); should one
        # become kept meanwhile, the page lists them as Django lists protected objects.
        to_delete, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        users = self.model._default_manager.filter(pk__in=[obj.pk for obj in objs])
        names = dict(users.values_list("pk", self.model.USERNAME_FIELD))
        kept = [f"{names[pk]}: {' '.join(reasons)}"
                for pk, reasons in sorted(keeping.reasons(users).items())]
        return to_delete, counts, perms_needed, [*protected, *kept]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": (*options["fields"], "version")}), *rest]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The fields' changes, written with the permissions' once those are saved
        # (save_related): one user_update per save. Kept on the form: the admin serves every
        # request.
        form.audit_changed = {name: [form.initial.get(name), form.cleaned_data[name]]
                              for name in USER_FIELDS if change and name in form.changed_data}

    def save_related(self, request, form, formsets, change):
        # Group changes made here are audited with the admin user as the actor.
        with acting_as(request.user):
            super().save_related(request, form, formsets, change)
        user = form.instance
        if not change:
            # Who created whom, with the roles and flags they start with; never the password.
            audit_record(action="user_create", actor=request.user, details={
                "user": user.get_username(),
                "groups": sorted(user.groups.values_list("name", flat=True)),
                "user_permissions": _permission_names(user.user_permissions.all()),
                **{flag: getattr(user, flag) for flag in ("is_active", "is_staff",
                                                           "is_superuser")}})
            return
        changed = dict(getattr(form, "audit_changed", {}))
        if "user_permissions" in form.cleaned_data:
            before = _permission_names(form.initial.get("user_permissions") or [])
            after = _permission_names(form.cleaned_data["user_permissions"])
            if before != after:
                changed["user_permissions"] = [before, after]
        if changed:
            audit_record(action="user_update", actor=request.user,
                         details={"user": user.get_username(), "changed": changed})


def _permission_names(permissions) -> list[str]:
    """Permissions (rows or ids) as "app_label.codename", sorted: how Django names them."""
    ids = [getattr(row, "pk", row) for row in permissions]
    return sorted(f"{app}.{codename}" for app, codename in Permission.objects.filter(
        pk__in=ids).values_list("content_type__app_label", "codename"))


if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class NewsroomGroupAdmin(BoundedChangelist, BoundedIdChoices, RefusedFormAnswers400,
                         FormGetsRequest, GroupAdmin):
    """Django's group admin; a posted id no row can have is refused like an unknown one, a
    stale save is refused (NewsroomGroupForm), a new group is audited once as group_create with
    its permissions, and a change of a group's name or permissions once as group_update (who
    is in it: role_change, audit.signals)."""

    form = NewsroomGroupForm
    # Plain multiple selects, as on the user form (the two-pane widget fails axe-core).
    filter_horizontal = ()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            audit_record(action="group_create", actor=request.user, details={
                "group": form.instance.name,
                "permissions": sorted(form.instance.permissions.values_list("codename",
                                                                            flat=True))})
            return
        before = {getattr(row, "pk", row) for row in form.initial.get("permissions") or []}
        after = {row.pk for row in form.cleaned_data.get("permissions", [])}
        names = dict(Permission.objects.filter(pk__in=before ^ after).values_list(
            "pk", "codename"))
        changed = {}
        if "name" in form.changed_data:
            changed["name"] = [form.initial.get("name"), form.cleaned_data["name"]]
        details = {"group": form.instance.name, "changed": changed,
                   "added": sorted(names[pk] for pk in after - before),
                   "removed": sorted(names[pk] for pk in before - after)}
        if changed or details["added"] or details["removed"]:
            audit_record(action="group_update", actor=request.user, details=details)
