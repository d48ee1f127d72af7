"""Date and date-time inputs for every admin form (stories, sources, users): typed as
YYYY-MM-DD [HH:MM] whatever the browser's locale, a date-time naming the server's time zone
beside it, instead of Django's calendar widgets and their "N hours ahead of server time" note."""

import datetime
import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.utils import ErrorDict
from django.utils import timezone

from .dates import DATE_INVALID, DATETIME_PATTERN, typed_date
from .numbers import WHOLE_NUMBER
from .submissions import FIELD, submission_made


def time_zone_note() -> str:
    """'Times are Europe/London (UTC+01:00)': the active time zone and its offset now."""
    now = timezone.localtime()
    offset = now.strftime("%z") or "+0000"
    return f"Times are {timezone.get_current_timezone_name()} (UTC{offset[:3]}:{offset[3:]})."


class DateTimeText(forms.DateTimeInput):
    """A date-time typed as YYYY-MM-DD HH:MM, whatever the browser's locale, with the time
    zone beside it (a browser's datetime-local shows mm/dd/yyyy or dd/mm/yyyy by its own)."""

    template_name = "admin/widgets/datetime.html"

    def __init__(self, attrs=None):
        super().__init__(attrs={"placeholder": "YYYY-MM-DD HH:MM", "size": 16,
                                "autocomplete": "off", **(attrs or {})}, format="%Y-%m-%d %H:%M")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        note_id = f"{widget['attrs'].get('id') or name}-tz"
        widget["attrs"]["aria-describedby"] = note_id
        widget["tz_note"], widget["tz_note_id"] = time_zone_note(), note_id
        return context


class DateTimeTextField(forms.DateTimeField):
    """A date-time field for the admin: ISO-like input in the active time zone."""

    widget = DateTimeText

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.error_messages["invalid"] = "Enter a date and time as YYYY-MM-DD HH:MM."
        self.error_messages["overflow"] = ("That time is outside the calendar "
                                           "(0001-01-01 to 9999-12-31 in UTC).")

    def to_python(self, value):
        # Only what DATETIME_INPUT_FORMATS name, in ASCII digits: Django's parser would also
        # take other ISO 8601 forms (20301203T1405, week dates), other scripts' digits and a
        # trailing NUL, none of which the input asks for.
        if isinstance(value, str) and value.strip() and not re.fullmatch(
                DATETIME_PATTERN, value.strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        result = super().to_python(value)
        try:  # what the database stores and every comparison makes of it
            if result is not None:
                result.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["overflow"], code="overflow") from None
        return result


class DateText(forms.DateInput):
    """A date typed as YYYY-MM-DD; a day has no time zone, so none is named."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"placeholder": "YYYY-MM-DD", "size": 10, "autocomplete": "off",
                                **(attrs or {})}, format="%Y-%m-%d")


class DateTextField(forms.DateField):
    """A date field for the admin: YYYY-MM-DD."""

    widget = DateText

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.error_messages["invalid"] = DATE_INVALID

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value.date() if isinstance(value, datetime.datetime) else value
        try:
            return typed_date(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


# ModelAdmin.formfield_overrides for an admin whose model has dates or date-times.
DATE_FIELDS = {
    models.DateTimeField: {"form_class": DateTimeTextField, "widget": DateTimeText},
    models.DateField: {"form_class": DateTextField, "widget": DateText},
}


def keyed_by_id(field: models.Field) -> bool:
    """Whether rows are named by an integer id through `field` (a primary key, or the field a
    foreign key points at): then a posted value is one of theirs only if `is_row_id`."""
    return isinstance(field, models.IntegerField)


def is_row_id(value) -> bool:
    """Whether a posted value can be a row's id at all: digits int() reads, 1 to LARGEST_ID.
    Anything else matches no row; looked up, SQLite cannot even bind a number past its
    integers, and a non-number fails the query (each a 500, not the form's error)."""
    from .api import LARGEST_ID

    text = str(value)
    # No more digits than the largest id has (leading zeros aside), before int() reads them:
    # it refuses text past 4,300 digits with a ValueError.
    return (text.isdecimal() and text.isascii()
            and len(text.lstrip("0")) <= len(str(LARGEST_ID)) and 0 < int(text) <= LARGEST_ID)


class WholeNumberField(forms.IntegerField):
    """Django's whole-number field, reading ASCII digits only (audit.numbers): "٣" or "3.0"
    is "Enter a whole number.", not 3."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not WHOLE_NUMBER.fullmatch(
                value.strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class ChoiceByIdField(forms.ModelChoiceField):
    """Django's foreign-key choice; a value no row's id can be is an invalid choice."""

    def to_python(self, value):
        if value not in self.empty_values and not is_row_id(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"],
                                        code="invalid_choice", params={"value": value})
        return super().to_python(value)


class ChoicesByIdField(forms.ModelMultipleChoiceField):
    """Django's many-to-many choice; a value no row's id can be is an unknown value."""

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple) else []:
            if str(pk) not in self.empty_values and not is_row_id(pk):
                raise forms.ValidationError(self.error_messages["invalid_pk_value"],
                                            code="invalid_pk_value", params={"pk": pk})
        return super()._check_values(value)


class StaleSaveMerge:
    """A change form that carries the version it was opened on (a hidden `version` field) and,
    beside each of `merged_fields`, its value as opened (`initial-<name>`), so that a save
    someone else overtook (a stale one) can be refused without losing anything: a field only
    the other person changed takes their value, a field both changed keeps this person's with
    theirs shown beside it, and the form then carries the current version, so saving again
    keeps both people's changes. Mix into a ModelForm that declares `version`."""

    merged_fields: tuple[str, ...] = ()

    def track_version(self, version: str) -> None:
        """Open the form on `version`, each merged field's opened value posted back with it."""
        self.fields["version"].initial = version
        for name in self.merged_fields:
            if name in self.fields:
                self.fields[name].show_hidden_initial = True

    def refuse_as_stale(self, current, message: str, typed: dict, *,
                        version: str | None = None) -> None:
        """Refuse this save (`message` as the form's error) and bring the form up to
        `current`, the record as it is now (its `version`, else `current.version`), keeping
        what was typed (`typed`). A many-to-many field (a user's groups) merges as one value."""
        data = self.data.copy()
        mine = set(self.changed_data)  # against the values posted back as opened
        taken = []
        for name in typed:
            field = self.fields[name]
            initial_name = self.add_initial_prefix(name)
            many = isinstance(field, forms.ModelMultipleChoiceField)
            value = (sorted(getattr(current, name).values_list("pk", flat=True)) if many
                     else getattr(current, name))
            opened = field.hidden_widget().value_from_datadict(data, self.files, initial_name)
            theirs = field.has_changed(value, opened)
            now = ([str(pk) for pk in value] if many
                   else self._as_posted(current.serializable_value(name)))
            same = ({row.pk for row in typed[name] or ()} == set(value) if many
                    else (typed[name] or "") == (value or ""))
            if theirs and name not in mine:
                self._post(data, self.add_prefix(name), now)
                taken.append(str(field.label))
            elif theirs and not same:
                display = getattr(current, f"get_{name}_display", None)
                shown = (", ".join(str(row) for row in getattr(current, name).all()) if many
                         else display() if display
                         else str(value) if isinstance(value, models.Model) else now)
                self.add_error(name, f"Saved meanwhile as: “{shown or '(empty)'}”. Saving again "
                               "replaces it with what is typed here.")
            self._post(data, initial_name, now)
        data[self.add_prefix("version")] = current.version if version is None else version
        self.data = data
        self.add_error(None, message + (
            f" Their version is in the form where only they changed a field "
            f"({', '.join(taken)})." if taken else ""))

    @staticmethod
    def _post(data, name: str, value) -> None:
        if isinstance(value, list):
            data.setlist(name, value)
        else:
            data[name] = value

    @staticmethod
    def _as_posted(value) -> str:
        """A model value as the form's input holds it (a date as YYYY-MM-DD, a row as its id)."""
        if value is None:
            return ""
        return value.isoformat() if hasattr(value, "isoformat") else str(value)


class SubmissionField(forms.CharField):
    """The hidden submission token of an add form (audit.submissions): fresh each time the
    empty form is shown, kept as posted when the form comes back with errors."""

    def __init__(self, **kwargs):
        super().__init__(required=False, widget=forms.HiddenInput,
                         initial=lambda: str(uuid.uuid4()), **kwargs)


class SubmittedOnce:
    """An add form sent twice (a double click, a resent page) makes one row. It declares
    `submission = SubmissionField()` and passes `self.submission` to its service, which claims
    the token; a repeat skips the form's own checks (they would refuse the key or URL the first
    send just took) and `saved` is what the first made, marked replayed (the admin then opens
    it, SavedByServiceAdmin). Mix into a ModelForm whose `request` the admin sets."""

    submission_action = ""  # the service's name for the token's use (audit.submissions)

    @property
    def submission(self) -> str | None:
        """The posted token of an add form; None on a change form or when none was sent."""
        if self.instance.pk or not self.is_bound:
            return None
        return self.data.get(self.add_prefix(FIELD)) or None

    def full_clean(self):
        made = submission_made(self.submission, action=self.submission_action,
                               actor=self.request.user, model=self._meta.model)
        if made is None:
            return super().full_clean()
        self._errors, self.cleaned_data, self.saved = ErrorDict(), {}, made
