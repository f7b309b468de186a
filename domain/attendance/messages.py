"""The messages attendance sends: the staff's notice when a side enters a week (upstream's internal email
listing weeks and counts), and the reminders (domain/attendance/reminders.py)."""

from __future__ import annotations

from collections.abc import Sequence

from domain.attendance.model import AttendanceRecord, DaysEntered
from domain.attendance.ports import Side
from domain.notifications.model import About, Message, MessageKind, Recipient


def entered_notice(
    side: Side,
    entered_by: str,
    records: Sequence[AttendanceRecord],
    entries: Sequence[DaysEntered],
    names: dict[str, str],
) -> Message:
    """``names``: child and provider ids → names, for the lines staff read."""
    by_id = {r.id: r for r in records}
    lines = []
    for entry in sorted(entries, key=lambda e: (by_id[e.record_id].week, e.record_id)):
        r = by_id[entry.record_id]
        lines.append(
            f"week of {r.week.isoformat()}: {names.get(r.child_id, r.child_id)} with "
            f"{names.get(r.provider_id, r.provider_id)}: {entry.full_days} full, {entry.half_days} half"
        )
    # Each record is entered once per side, so its first record names this submission for good.
    first = min(e.record_id for e in entries)
    return Message(
        MessageKind.STAFF_ATTENDANCE_ENTERED,
        Recipient.staff(),
        f"attendance-entered:{side.value}:{first}",
        About(side.value, entered_by),
        {"side": side.value, "entered_by": names.get(entered_by, entered_by), "record_count": len(lines),
         "weeks": "; ".join(lines)},
    )  # fmt: skip
