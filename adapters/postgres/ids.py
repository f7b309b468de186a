"""Ids as the database stores them."""

from __future__ import annotations

from uuid import UUID


def parse_id(value: str) -> UUID | None:
    """A UUID id as the database stores it; None for text that cannot be one, which names nothing: the
    caller answers "not found" without spending a query (and Postgres never sees a malformed UUID)."""
    try:
        return UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None
