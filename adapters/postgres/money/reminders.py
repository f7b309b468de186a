"""Who gets Friday's payment reminder, in one statement (satisfies ``ReminderReads``; the rules are in
domain/money/reminders.py). Unselected budget is the allocation less what was reclaimed, the care days
not removed and the lump sums; a paid care day is one with a payment."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.money.reminders import FamilyToRemind, ReminderWeek
from domain.programme.statuses import Language

FAMILIES_TO_REMIND = text(
    """
    SELECT f.id, f.language, g.email, g.first_name,
           array_agg(DISTINCT c.first_name ORDER BY c.first_name) AS children,
           array_agg(DISTINCT p.name ORDER BY p.name) AS providers
    FROM families f
    JOIN guardians g ON g.family_id = f.id AND g.type = 'primary' AND g.email IS NOT NULL AND g.email <> ''
    JOIN children c ON c.family_id = f.id AND c.status = 'Approved' AND c.payment_enabled
    JOIN month_allocations a ON a.child_id = c.id AND a.month = :month
    JOIN provider_child_links l ON l.child_id = c.id
    JOIN providers p ON p.id = l.provider_id
         AND p.status = 'Approved' AND p.payment_enabled AND p.type <> 'center'
    WHERE a.allocation_cents - a.reclaimed_cents - a.lump_sum_cents - coalesce((
              SELECT sum(d.amount_cents) FROM care_days d
              WHERE d.allocation_id = a.id AND d.deleted_at IS NULL
          ), 0) > 0
      AND NOT EXISTS (
          SELECT 1 FROM care_days d
          JOIN month_allocations da ON da.id = d.allocation_id
          JOIN children dc ON dc.id = da.child_id
          WHERE dc.family_id = f.id AND d.date BETWEEN :monday AND :sunday
            AND d.deleted_at IS NULL AND (d.payment_id IS NOT NULL OR d.last_submitted_at IS NOT NULL)
      )
    GROUP BY f.id, f.language, g.email, g.first_name
    ORDER BY f.id
    """
)


class PostgresReminderReads:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def families_to_remind(self, week: ReminderWeek) -> list[FamilyToRemind]:
        rows = await self._session.execute(
            FAMILIES_TO_REMIND, {"month": week.month, "monday": week.monday, "sunday": week.sunday}
        )
        return [
            FamilyToRemind(
                family_id=str(r.id),
                email=r.email,
                first_name=r.first_name,
                language=Language(r.language),
                children=tuple(r.children),
                providers=tuple(r.providers),
            )
            for r in rows
        ]
