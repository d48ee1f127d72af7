"""The one rule for a typed date, wherever it is typed (the admin's inputs, the API, the
editor's add-source dialog through the API): pure, no Django."""

import datetime
import re

# What every date input of the newsroom says of a date it cannot read: the admin's forms, the
# API's source dates and the editor's add-source dialog (which shows the API's answer).
DATE_INVALID = "Enter a date as YYYY-MM-DD."

# What they read as a date: ASCII digits, year-month-day ("2026-5-2" too, as strptime's %m and
# %d take). Not another ISO 8601 form (20261207, 2026-W49-1) nor other scripts' digits
# ("９９９９-01-01"), which Python's parsers take but nobody types as a day.
DATE_PATTERN = r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$"


def typed_date(text: str) -> datetime.date:
    """The day a date input holds (DATE_PATTERN, spaces around it ignored); ValueError
    naming DATE_INVALID for anything else, an impossible day (2026-02-30) included."""
    text = text.strip()
    if not re.fullmatch(DATE_PATTERN, text):
        raise ValueError(DATE_INVALID)
    year, month, day = (int(part) for part in text.split("-"))
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(DATE_INVALID) from None


# What a date-time input reads (newsroom/formats DATETIME_INPUT_FORMATS), in ASCII digits.
DATETIME_PATTERN = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[ T][0-9]{1,2}:[0-9]{1,2}(?::[0-9]{1,2})?)?"


# What the API reads as a date-time: the form DRF's own message names,
# YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z], in ASCII digits.
ISO_DATETIME_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}"
                        r"(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?$")
