"""The one rule for a whole number typed or posted (a form's number box, an id in a form or a
query string, an API field sent as text): ASCII digits, perhaps a minus sign, spaces around it
ignored. Python's int() also reads other scripts' digits ("٣" is 3, "３" is 3) and "3.0" reads
as 3 in Django's and DRF's fields, none of which anyone types as a number here: pure, no
Django."""

import re

WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def typed_whole_number(value) -> int:
    """The number `value` holds (an int as it is, text by WHOLE_NUMBER); ValueError else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not WHOLE_NUMBER.fullmatch(text):
        raise ValueError(f"{text[:40]!r} is not a whole number")
    return int(text)
