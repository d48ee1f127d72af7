"""Optimistic locking over HTTP, one way for every app: a version quoted as an entity tag, and
the tag a client sends back in If-Match (or If-None-Match) read out again."""

import hashlib
import json


def version_of(record, names) -> str:
    """A record's version for the fields people edit (`names`): SHA-256 of their values as
    stored (a foreign key's id). An edit that started from another version is stale; what
    the record keeps of its own (a link check's health) never changes it."""
    values = [str(record.serializable_value(name) or "") for name in names]
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()


def lost_version_message(what: str) -> str:
    """The refusal of an edit that names no version at all (a form that lost its hidden
    field), for a `what` ("source", "image") with no text of the user's own to copy."""
    return (f"This edit did not say which version of the {what} it started from, so it could "
            f"overwrite someone else's changes. Nothing was saved; check the {what} as it is "
            "now and save again.")


def entity_tag(version: str) -> str:
    """A version (a content hash) as HTTP quotes it in ETag and If-Match."""
    return f'"{version}"'


def unquoted(tag: str) -> str:
    """An entity tag's version: W/ and the quotes dropped."""
    tag = tag.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    return tag.strip('"')


def if_match(request) -> str | None:
    """The version the client read, from If-Match's first tag; "*" (overwrite whatever is
    there) as it is; None when the header is missing or empty."""
    value = request.headers.get("If-Match", "").strip()
    if not value:
        return None
    if value == "*":
        return "*"
    first = unquoted(value.split(",")[0])
    # "*" inside a list is no entity tag (RFC 9110): it names no version, so it overwrites
    # nothing; "" is refused like a lost version.
    return "" if first == "*" else first


def if_match_for(request, current: str) -> str | None:
    """The version an edit names as read, against the `current` one: If-Match lists tags and
    holds when any of them is current (RFC 9110), so `current` when it is listed, otherwise
    as if_match reads it (the first tag, "*", or None). Only a hint: the service compares the
    version again under its lock, so a save landing in between is still refused."""
    named = if_match(request)
    if named in (None, "*"):
        return named
    listed = {unquoted(tag) for tag in request.headers.get("If-Match", "").split(",")}
    return current if current and current in listed - {"*"} else named
