"""Field checks for reference data; each refusal names the field so the caller can point at it."""

from __future__ import annotations

import re

from domain.programme.errors import InvalidField

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME_LENGTH = 200


def required_text(field: str, value: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidField(field, "must not be empty")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidField(field, f"must be at most {MAX_NAME_LENGTH} characters")
    return cleaned


def optional_text(field: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return required_text(field, value)


def optional_email(field: str, value: str | None) -> str | None:
    cleaned = optional_text(field, value)
    if cleaned is not None and not EMAIL.match(cleaned):
        raise InvalidField(field, "must be an email address")
    return cleaned


def optional_phone(field: str, value: str | None) -> str | None:
    cleaned = optional_text(field, value)
    if cleaned is not None and not E164.match(cleaned):
        raise InvalidField(field, "must be a phone number in E.164 form, e.g. +13035550100")
    return cleaned


def cents_between(field: str, value: int, low: int, high: int) -> int:
    # bool is an int in Python; a JSON true must not pass as one cent.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidField(field, "must be a whole number of cents")
    if not low <= value <= high:
        raise InvalidField(field, f"must be between {low} and {high} cents")
    return value


def optional_cents_between(field: str, value: int | None, low: int, high: int) -> int | None:
    return None if value is None else cents_between(field, value, low, high)
