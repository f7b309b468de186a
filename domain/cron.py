"""Standard 5-field cron strings, read the way crontab(5) reads them.

Every field is expanded to an explicit list of values, so whatever runs the schedule never has
to agree with crontab on syntax. That matters for the day of week: in crontab 0 and 7 are
Sunday and 1 is Monday, while APScheduler 3's ``from_crontab`` counts 0 as Monday. Here days
come out as names (``sun``, ``mon``, ...), which mean the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import RuleRefused

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


class InvalidCron(RuleRefused):
    code = "invalid_cron"


@dataclass(frozen=True, slots=True)
class CronSpec:
    """Each field is ``"*"`` or an explicit comma list (days of week as names)."""

    minute: str
    hour: str
    day: str
    month: str
    day_of_week: str

    @property
    def day_or_weekday(self) -> bool:
        """crontab fires when *either* day field matches if both are restricted (not both)."""
        return self.day != "*" and self.day_of_week != "*"


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    name_base: int = 0


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, MONTH_NAMES, 1),
    _Field("day of week", 0, 7, DAY_NAMES, 0),
)


def parse_cron(text: str) -> CronSpec:
    parts = text.split()
    if len(parts) != 5:
        raise InvalidCron(
            f"cron {text!r} must have 5 fields (minute hour day-of-month month day-of-week)",
            details={"cron": text},
        )
    minute, hour, day, month, weekday = (
        _expand(part, field, text) for part, field in zip(parts, _FIELDS, strict=True)
    )
    if weekday != "*":
        days = sorted({int(value) % 7 for value in weekday.split(",")})  # 7 is Sunday too
        weekday = "*" if len(days) == 7 else ",".join(DAY_NAMES[d] for d in days)
    return CronSpec(minute, hour, day, month, weekday)


def _expand(part: str, field: _Field, text: str) -> str:
    if part == "*":
        return "*"
    values: set[int] = set()
    for item in part.split(","):
        values |= _expand_item(item.lower(), field, text)
    return ",".join(str(v) for v in sorted(values))


def _expand_item(item: str, field: _Field, text: str) -> set[int]:
    span, _, step_text = item.partition("/")
    step = _number(step_text, field, text) if step_text else 1
    if step < 1:
        raise _invalid(text, field, f"step {step_text!r} must be at least 1")
    if span == "*":
        low, high = field.low, field.high if field.name != "day of week" else 6
    elif "-" in span:
        first, _, last = span.partition("-")
        low, high = _value(first, field, text), _value(last, field, text)
    else:
        low = _value(span, field, text)
        high = (field.high if field.name != "day of week" else 6) if step_text else low
    if low > high:
        raise _invalid(text, field, f"range {span!r} runs backwards")
    return set(range(low, high + 1, step))


def _value(token: str, field: _Field, text: str) -> int:
    if token in field.names:
        return field.names.index(token) + field.name_base
    value = _number(token, field, text)
    if not field.low <= value <= field.high:
        raise _invalid(text, field, f"{value} is outside {field.low}-{field.high}")
    return value


def _number(token: str, field: _Field, text: str) -> int:
    if not token.isdigit():
        raise _invalid(text, field, f"{token!r} is not a number")
    return int(token)


def _invalid(text: str, field: _Field, reason: str) -> InvalidCron:
    return InvalidCron(f"cron {text!r}: {field.name}: {reason}", details={"cron": text, "field": field.name})
