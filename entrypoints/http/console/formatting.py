"""How the console writes money and times: dollars with cents, UTC times to the minute."""

from __future__ import annotations

import re
from datetime import date, datetime

from litestar.plugins.jinja import JinjaTemplateEngine

from domain.errors import RuleRefused

_DOLLARS = re.compile(r"\$?\s*([0-9]{1,7})(?:\.([0-9]{1,2}))?")


def dollars(cents: int | None) -> str:
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def cents_from_dollars(text: str) -> int:
    """What staff type ("1200", "1,200.50", "$950") in cents; a readable refusal otherwise."""
    found = _DOLLARS.fullmatch(text.strip().replace(",", ""))
    if found is None:
        raise RuleRefused("Write the amount in dollars, like 1200 or 1200.50.", code="invalid_amount")
    whole, part = found.group(1), (found.group(2) or "0").ljust(2, "0")
    return int(whole) * 100 + int(part)


def when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def month_name(value: date) -> str:
    return value.strftime("%B %Y")


def add_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters.update(dollars=dollars, when=when, month_name=month_name)
