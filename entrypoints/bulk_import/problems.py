"""Every problem of an import record, in the programme's words.

msgspec stops at the first error and speaks its own language (``Expected `bool`, got `str```); a person
fixing a file wants every field that is wrong in one go, and words like "must be true or false". So
when a record does not convert, its fields are checked one by one against the same types.
"""

from __future__ import annotations

import re
import typing
from enum import Enum
from typing import Any

import msgspec

Problem = tuple[str | None, str]  # the field path (``children[0].dob``) and what is wrong with it


def problems_of(body_type: type[msgspec.Struct], item: Any, strict: bool) -> list[Problem]:
    """What is wrong with ``item`` as a ``body_type``: each field's problem, or msgspec's first one
    (translated) where the field-by-field check finds none (a rule across fields)."""
    try:
        msgspec.convert(item, body_type, strict=strict)
    except msgspec.ValidationError as exc:
        found = _check(body_type, item, "", strict)
        return found or [_from_error(str(exc), body_type)]
    return []


def _check(tp: Any, value: Any, path: str, strict: bool) -> list[Problem]:
    inner = _unannotated(tp)
    if isinstance(inner, type) and issubclass(inner, msgspec.Struct) and isinstance(value, dict):
        return _check_struct(inner, value, path, strict)
    if typing.get_origin(inner) is list and isinstance(value, list):
        try:
            msgspec.convert(value, tp, strict=strict)
        except msgspec.ValidationError as exc:
            message, _, where = str(exc).partition(" - at `$")
            if not where.startswith("["):  # the list itself (its length), not one of its items
                return [(path or None, translate(message, tp))]
            (item_type,) = typing.get_args(inner)
            return [p for i, v in enumerate(value) for p in _check(item_type, v, f"{path}[{i}]", strict)]
        return []
    try:
        msgspec.convert(value, tp, strict=strict)
    except msgspec.ValidationError as exc:
        message, _, _ = str(exc).partition(" - at `$")
        return [(path or None, translate(message, tp))]
    return []


def _check_struct(tp: type[msgspec.Struct], value: dict[str, Any], path: str, strict: bool) -> list[Problem]:
    fields = {f.encode_name: f for f in msgspec.structs.fields(tp)}
    prefix = f"{path}." if path else ""
    found: list[Problem] = [(f"{prefix}{key}", "not a known field") for key in value if key not in fields]
    for name, info in fields.items():
        if name not in value:
            if info.required:
                found.append((f"{prefix}{name}", "required"))
            continue
        found += _check(info.type, value[name], f"{prefix}{name}", strict)
    return found


def _unannotated(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _enum_in(tp: Any) -> type[Enum] | None:
    inner = _unannotated(tp)
    if isinstance(inner, type) and issubclass(inner, Enum):
        return inner
    for arg in typing.get_args(inner):
        found = _enum_in(arg)
        if found:
            return found
    return None


_WORDS: list[tuple[str, str]] = [
    (r"^Expected `bool`", "must be true or false"),
    (r"^Invalid RFC3339 encoded date", "must be a date YYYY-MM-DD"),
    (r"^Invalid RFC3339 encoded datetime", "must be a date and time (RFC 3339)"),
    (r"^Expected `int` >= (\d+)", "must be a whole number of at least {0}"),
    (r"^Expected `int` <= (\d+)", "must be a whole number of at most {0}"),
    (r"^Expected `int`", "must be a whole number"),
    (r"^Expected `(float|number)`", "must be a number"),
    (r"^Expected `str` of length <= (\d+)", "must be at most {0} characters"),
    (r"^Expected `str` of length >= 1", "must not be empty"),
    (r"^Expected `str` of length >= (\d+)", "must be at least {0} characters"),
    (r"^Expected `str` matching regex", "is not in the expected form"),
    (r"^Expected `array` of length <= (\d+)", "at most {0} allowed"),
    (r"^Expected `array` of length >= (\d+)", "at least {0} needed"),
    (r"^Expected `str`", "must be text"),
    (r"^Expected `object`", "must be an object"),
    (r"^Expected `array`", "must be a list"),
    (r"^Object missing required field", "required"),
    (r"^Object contains unknown field", "not a known field"),
]


def translate(message: str, tp: Any = None) -> str:
    """msgspec's message in the programme's words (unchanged when there is no better wording)."""
    if message.startswith("Invalid enum value"):
        enum = _enum_in(tp)
        if enum is not None:
            return f"must be one of {', '.join(str(member.value) for member in enum)}"
    plain = message.replace(" | null", "")  # an optional field: the same words
    for pattern, words in _WORDS:
        matched = re.match(pattern, plain)
        if matched:
            return words.format(*matched.groups())
    return message


def _from_error(error: str, tp: Any) -> Problem:
    message, _, where = error.partition(" - at `$")
    path = where.rstrip("`").lstrip(".")
    named = re.search(r"field `([^`]+)`", message)  # unknown / missing fields name themselves
    if named:
        path = f"{path}.{named[1]}" if path else named[1]
    return path or None, translate(message, tp if not path else None)
