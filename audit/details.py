"""Audit event details as people read them: labelled values, not Python reprs (pure)."""

from __future__ import annotations

from collections.abc import Mapping


def _text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return "; ".join(f"{_label(k)}: {_text(v)}" for k, v in value.items()
                         if not _empty(v))
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value if not _empty(v))
    return str(value)


def _label(key: str) -> str:
    return str(key).replace("_", " ")


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def readable_details(details) -> list[tuple[str, str]]:
    """(label, text) per detail with a value: `restored_from: None` says nothing, so it goes;
    booleans read yes/no, lists and nested details are joined."""
    if not isinstance(details, Mapping):
        return [] if _empty(details) else [("details", _text(details))]
    return [(_label(key), _text(value)) for key, value in details.items() if not _empty(value)]
