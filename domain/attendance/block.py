"""The payment block (upstream §2.5, ``filter_by_overdue_attendance``): a family cannot pay a provider for a
child — care days submitted or a lump sum — while that pair's attendance is overdue
(domain/attendance/rules.py says when). The refusal is a 400 naming the weeks, so the frontend's payment
error shows and the family knows what to enter. The same rule feeds the dashboards' flags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from domain.attendance.ports import OpenAttendanceReads
from domain.attendance.rules import due_from_provider, overdue_weeks
from domain.errors import RuleRefused


class AttendanceOverdue(RuleRefused):
    code = "attendance_overdue"
    default_message = "Attendance is overdue: enter it before paying this provider."


async def check_attendance_entered(
    reads: OpenAttendanceReads, today: date, child_id: str, provider_id: str
) -> None:
    records = await reads.open_for_children([child_id])
    weeks = overdue_weeks(records, today).get((child_id, provider_id))
    if weeks:
        listed = ", ".join(w.isoformat() for w in weeks)
        raise AttendanceOverdue(
            f"Attendance is overdue for the week(s) of {listed}: enter it before paying this provider.",
            details={
                "weeks": [w.isoformat() for w in weeks],
                "child_id": child_id,
                "provider_id": provider_id,
            },
        )


@dataclass(frozen=True, slots=True)
class FamilyAttendanceFlags:
    attendance_due: bool  # some family-side record of the family's children is due
    overdue_provider_ids: frozenset[str]  # providers the selected child cannot be paid for yet


async def family_attendance_flags(
    reads: OpenAttendanceReads, today: date, child_ids: Sequence[str], selected_child_id: str
) -> FamilyAttendanceFlags:
    records = await reads.open_for_children(child_ids)
    overdue = overdue_weeks(records, today)
    return FamilyAttendanceFlags(
        attendance_due=any(r.family.due for r in records),
        overdue_provider_ids=frozenset(p for (c, p) in overdue if c == selected_child_id),
    )


async def provider_attendance_due(
    reads: OpenAttendanceReads, today: date, provider_id: str, child_ids: Sequence[str]
) -> bool:
    """Some record of a child the provider still cares for is due from it (a center's once its month is
    over): the provider's "attendance" notification."""
    linked = set(child_ids)
    records = await reads.due_from_provider(provider_id)
    return any(r.child_id in linked and due_from_provider(r, today) for r in records)
