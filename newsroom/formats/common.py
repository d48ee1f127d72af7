"""Formats shared by every locale module (FORMAT_MODULE_PATH); each locale imports them."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
# The first of each is what an input shows; the others are also accepted. The "T" forms are
# what a browser's datetime-local input and ISO 8601 clients send.
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
                          "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]
FIRST_DAY_OF_WEEK = 1  # Monday
