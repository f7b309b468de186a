"""Clicks and hourly activity on Postgres: their rows and the fixed statements that write them.

Both are written on the plain asyncpg pool: a click is one upsert, and hourly activity is noted from
the sign-in path of every request (``RawSignInAccounts.record_activity``), where the ORM would cost more
than the statement. ``migrations/versions/0011_clicks_and_activity.py`` creates exactly these rows.
"""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adapters.postgres.raw_pool import RawPool
from domain.engagement.clicks import MAX_TRACKING_ID, MAX_URL, Clicker


def _account() -> ForeignKey:
    return ForeignKey("accounts.clerk_user_id", ondelete="CASCADE")


class ClickRow(DefaultBase):
    __tablename__ = "clicks"
    __table_args__ = (
        # The one judge of "this person clicked this before": the count is incremented in place.
        UniqueConstraint("clerk_user_id", "tracking_id", name="uq_clicks_person_tracking_id"),
        CheckConstraint("click_count > 0", name="click_count_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    clerk_user_id: Mapped[str] = mapped_column(String(100), _account())
    tracking_id: Mapped[str] = mapped_column(String(MAX_TRACKING_ID))
    url: Mapped[str | None] = mapped_column(String(MAX_URL), nullable=True)
    family_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    click_count: Mapped[int] = mapped_column(Integer, server_default="1")
    first_clicked_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    last_clicked_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class HourlyActivityRow(DefaultBase):
    """One row per person and UTC hour in which they made a signed-in request."""

    __tablename__ = "hourly_activity"

    clerk_user_id: Mapped[str] = mapped_column(String(100), _account(), primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), primary_key=True, index=True)
    family_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(100), nullable=True)


# xmax is 0 for a row this statement inserted, and the updating transaction's id for one it updated.
COUNT_CLICK_STATEMENT = (
    "INSERT INTO clicks (clerk_user_id, tracking_id, url, family_id, provider_id, click_count,"
    " first_clicked_at, last_clicked_at) VALUES ($1, $2, $3, $4, $5, 1, now(), now())"
    " ON CONFLICT (clerk_user_id, tracking_id) DO UPDATE SET click_count = clicks.click_count + 1,"
    " last_clicked_at = now(), url = coalesce(EXCLUDED.url, clicks.url)"
    " RETURNING (xmax = 0) AS first"
)
HAS_CLICKED_STATEMENT = "SELECT EXISTS (SELECT 1 FROM clicks WHERE clerk_user_id = $1 AND tracking_id = $2)"
NOTE_ACTIVITY_STATEMENT = (
    "INSERT INTO hourly_activity (clerk_user_id, hour, family_id, provider_id) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT DO NOTHING"
)


class RawClickCounter:
    """Satisfies ``domain.engagement.clicks.ClickCounter``."""

    def __init__(self, pool: RawPool) -> None:
        self._pool = pool

    async def count(self, clicker: Clicker, tracking_id: str, url: str | None) -> bool:
        rows = await self._pool.fetch(
            COUNT_CLICK_STATEMENT,
            clicker.clerk_user_id,
            tracking_id,
            url,
            clicker.family_id,
            clicker.provider_id,
        )
        return bool(rows[0]["first"])

    async def has_clicked(self, clerk_user_id: str, tracking_id: str) -> bool:
        rows = await self._pool.fetch(HAS_CLICKED_STATEMENT, clerk_user_id, tracking_id)
        return bool(rows[0][0])
