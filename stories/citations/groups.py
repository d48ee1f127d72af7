"""Citation groups: ``[@a; @b, p. 2]`` read into keys and locators, or what is wrong with it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sources.keys import KEY, is_key

MAX_GROUP = 2000  # characters from "[@" to "]"
KEY_RE = re.compile(KEY)
_SINGLE_KEY = re.compile(r"\[@" + KEY + r"\]\Z")


@dataclass
class Group:
    """A citation group's items, split from its raw text."""

    keys: list[tuple[str, str]]  # (key, locator)
    problems: list[tuple[str, str]]  # (code, detail)


def split_group(raw: str, closed: bool) -> Group:
    """Read ``[@a; @b, p. 2]`` into keys and locators, or say what is wrong with it."""
    if _SINGLE_KEY.match(raw):
        return Group([(raw[2:-1], "")], [])
    if not closed:
        return Group([], [("unterminated_group", "citation group is not closed with ]")])
    items = [item.strip() for item in raw[1:-1].split(";")]
    if all(item.lstrip("@").split(",", 1)[0].strip() == "" for item in items):
        return Group([], [("empty_group", "citation group names no source")])
    group = Group([], [])
    seen: set[str] = set()
    for item in items:
        head, _, locator = item.partition(",")
        head = head.strip()
        key = head[1:] if head.startswith("@") else None
        if key is None or not is_key(key):
            group.problems.append(("malformed_key", f'malformed source key "{head}"'))
        elif key in seen:
            group.problems.append(("duplicate_key", f'source key "{key}" cited twice'))
        else:
            seen.add(key)
            group.keys.append((key, " ".join(locator.split())))
    return group
