"""Optimistic locking over HTTP, one way for every app: a version quoted as an entity tag, and
the tag a client sends back in If-Match (or If-None-Match) read out again."""


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
