"""The console's reads on plain asyncpg: the search, a family's and a provider's picture, the failed
payments, and the windows of a family's or provider's lists (payments, messages, attendance,
invitations, ledger entries).

Fixed statements, so a page costs the same number of round trips however big the family: the search
is one statement, a family six (the family, its guardians, children, allocations, care days and lump
sums), a provider two, the failed payments one, each window of a list one.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from typing import Any

import asyncpg

from adapters.postgres.raw_pool import RawPool
from domain.attendance.model import AttendanceRecord, SideEntry
from domain.invitations.model import Direction
from domain.money.wallets import Instrument, PaymentMethod, ProviderPaymentSettings
from domain.programme.providers import ProviderType
from domain.staff_reads import (
    AttendanceLine,
    CareDayLine,
    CaredChild,
    ChildLine,
    FailedPayment,
    FamilyPicture,
    GuardianLine,
    HitKind,
    InvitationLine,
    LedgerLine,
    LumpSumLine,
    MessageLine,
    MonthLine,
    Owner,
    PaymentLine,
    ProviderPicture,
    Search,
    SearchHit,
    Window,
)

_FIRST_GUARDIAN = (
    "JOIN LATERAL (SELECT first_name || ' ' || last_name AS name, email, phone_number FROM guardians"
    " WHERE family_id = {family} ORDER BY position LIMIT 1) pg ON true"
)
SEARCH = f"""
SELECT 'family' AS kind, f.id::text AS id, f.id::text AS family_id, pg.name,
       concat_ws(' · ', pg.email, pg.phone_number) AS detail, 0 AS rank
  FROM families f {_FIRST_GUARDIAN.format(family="f.id")}
 WHERE ($2::text IS NULL OR $2 = 'family') AND EXISTS (
       SELECT 1 FROM guardians g WHERE g.family_id = f.id AND (
              g.first_name || ' ' || g.last_name ILIKE $1 ESCAPE '\\' OR g.email ILIKE $1 ESCAPE '\\'
              OR ($3::text IS NOT NULL AND g.phone_number LIKE $3)))
UNION ALL
SELECT 'child', c.id::text, c.family_id::text, c.first_name || ' ' || c.last_name,
       'family of ' || pg.name, 1
  FROM children c {_FIRST_GUARDIAN.format(family="c.family_id")}
 WHERE ($2::text IS NULL OR $2 = 'child')
   AND (c.first_name || ' ' || c.last_name ILIKE $1 ESCAPE '\\' OR c.external_id = $4)
UNION ALL
SELECT 'provider', p.id::text, NULL, p.name, concat_ws(' · ', p.email, p.phone_number), 2
  FROM providers p
 WHERE ($2::text IS NULL OR $2 = 'provider')
   AND (p.name ILIKE $1 ESCAPE '\\' OR p.email ILIKE $1 ESCAPE '\\'
        OR ($3::text IS NOT NULL AND p.phone_number LIKE $3) OR p.external_id = $4)
ORDER BY rank, name, id
LIMIT $5 OFFSET $6
"""

FAMILY = "SELECT id::text, language, zip_code, external_id FROM families WHERE id = $1"
GUARDIANS = (
    "SELECT first_name || ' ' || last_name AS name, type, email, phone_number FROM guardians"
    " WHERE family_id = $1 ORDER BY position"
)
CHILDREN = (
    "SELECT id::text, first_name || ' ' || last_name AS name, status, payment_enabled,"
    " monthly_allocation_cents, prorated_allocation_cents FROM children WHERE family_id = $1"
    " ORDER BY first_name, last_name, id"
)
ALLOCATIONS = (
    "SELECT a.id, a.child_id::text, a.month, a.allocation_cents, a.paid_cents, a.lump_sum_cents,"
    " a.reclaimed_cents FROM month_allocations a JOIN children c ON c.id = a.child_id"
    " WHERE c.family_id = $1 ORDER BY a.month DESC"
)
CARE_DAYS = (
    "SELECT d.allocation_id, d.date, d.type, d.amount_cents, p.name AS provider_name,"
    " d.payment_id IS NOT NULL AS paid, d.deleted_at IS NOT NULL AS deleted"
    " FROM care_days d JOIN month_allocations a ON a.id = d.allocation_id"
    " JOIN children c ON c.id = a.child_id JOIN providers p ON p.id = d.provider_id"
    " WHERE c.family_id = $1 ORDER BY d.date, d.id"
)
LUMP_SUMS = (
    "SELECT l.allocation_id, l.amount_cents, p.name AS provider_name, l.days, l.half_days, l.created_at"
    " FROM lump_sums l JOIN month_allocations a ON a.id = l.allocation_id"
    " JOIN children c ON c.id = a.child_id JOIN providers p ON p.id = l.provider_id"
    " WHERE c.family_id = $1 ORDER BY l.created_at, l.id"
)
PAYMENTS = (
    "SELECT i.id::text AS intent_id, c.first_name || ' ' || c.last_name AS child_name,"
    " p.name AS provider_name, i.kind, i.amount_cents, i.status, i.attempts, i.last_error,"
    " i.created_at, i.paid_at, i.family_id::text, coalesce(pg.name, i.family_id::text) AS family_name,"
    " i.provider_id::text FROM payment_intents i JOIN children c ON c.id = i.child_id"
    " JOIN providers p ON p.id = i.provider_id"
    " LEFT " + _FIRST_GUARDIAN.format(family="i.family_id") + " WHERE i.{owner}_id = $1"
    " ORDER BY i.created_at DESC, i.id LIMIT $2 OFFSET $3"
)
FAILED = f"""
SELECT i.id::text AS intent_id, i.family_id::text, pg.name AS family_name,
       c.first_name || ' ' || c.last_name AS child_name, p.name AS provider_name, i.amount_cents,
       i.attempts, i.last_error_code, i.last_error, i.updated_at
  FROM payment_intents i JOIN children c ON c.id = i.child_id JOIN providers p ON p.id = i.provider_id
  {_FIRST_GUARDIAN.format(family="i.family_id")}
 WHERE i.status = 'failed' ORDER BY i.updated_at DESC, i.id LIMIT $1 OFFSET $2
"""


PROVIDER = (
    "SELECT p.id::text, p.name, p.type, p.email, p.phone_number, p.status, p.payment_enabled,"
    " p.preferred_language, p.external_id FROM providers p WHERE p.id = $1"
)
PAYMENT_SETTINGS = (
    "SELECT provider_id::text, gateway_user_id, payment_method, payment_method_updated_at, card_id,"
    " card_status, ach_id, ach_status, wallet_balance_cents, last_synced_at, last_error"
    " FROM provider_payment_settings WHERE provider_id = $1"
)
CARED_CHILDREN = (
    "SELECT c.id::text AS child_id, c.family_id::text, c.first_name || ' ' || c.last_name AS name,"
    " r.half_day_rate_cents, r.full_day_rate_cents FROM provider_child_links l"
    " JOIN children c ON c.id = l.child_id"
    " LEFT JOIN payment_rates r ON r.provider_id = l.provider_id AND r.child_id = l.child_id"
    " WHERE l.provider_id = $1 ORDER BY c.first_name, c.last_name, c.id"
)

OWNER_NAME = {
    Owner.FAMILY: f"SELECT coalesce(pg.name, f.id::text) FROM families f"
    f" LEFT {_FIRST_GUARDIAN.format(family='f.id')} WHERE f.id = $1",
    Owner.PROVIDER: "SELECT name FROM providers WHERE id = $1",
}

# The owner's guardians' (or the provider's) addresses: what a message or an invitation was sent to.
_ADDRESSES = {
    Owner.FAMILY: (
        "SELECT lower(email) FROM guardians WHERE family_id = $1 AND email IS NOT NULL"
        " UNION SELECT phone_number FROM guardians WHERE family_id = $1 AND phone_number IS NOT NULL"
    ),
    Owner.PROVIDER: (
        "SELECT lower(email) FROM providers WHERE id = $1 AND email IS NOT NULL"
        " UNION SELECT phone_number FROM providers WHERE id = $1 AND phone_number IS NOT NULL"
    ),
}
MESSAGES = {
    owner: "SELECT id, created_at, channel, kind, recipient, subject, status, attempts, last_error, sent_at"
    f" FROM messages WHERE (about_type = '{owner.value}' AND about_id = $1::uuid::text)"
    f" OR lower(recipient) IN ({addresses.replace('$1', '$1::uuid')})"
    " ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
    for owner, addresses in _ADDRESSES.items()
}

ATTENDANCE = (
    "SELECT a.id::text, a.week, a.child_id::text, a.provider_id::text, p.type AS provider_type,"
    " a.family_full_days, a.family_half_days, a.family_entered_at, a.family_opened_at,"
    " a.provider_full_days, a.provider_half_days, a.provider_entered_at, a.provider_opened_at,"
    " c.first_name || ' ' || c.last_name AS child_name, p.name AS provider_name"
    " FROM attendance a JOIN children c ON c.id = a.child_id JOIN providers p ON p.id = a.provider_id"
    " WHERE {owner} = $1 ORDER BY a.week DESC, child_name, provider_name, a.id LIMIT $2 OFFSET $3"
)
ATTENDANCE_BY = {Owner.FAMILY: ATTENDANCE.format(owner="c.family_id"),
                 Owner.PROVIDER: ATTENDANCE.format(owner="a.provider_id")}  # fmt: skip

# Sent: the owner is the inviter. Received: the invite went to one of the owner's addresses, or the
# owner accepted it.
_RECEIVED = "OR (i.direction = '{}' AND lower(i.email) IN ({{}}))"
_INVITED = {
    Owner.FAMILY: "i.family_id = $1 " + _RECEIVED.format(Direction.PROVIDER_INVITES_FAMILY.value),
    Owner.PROVIDER: "i.provider_id = $1 " + _RECEIVED.format(Direction.FAMILY_INVITES_PROVIDER.value),
}
INVITATIONS = {
    owner: "SELECT i.id, i.direction, i.email, i.cell, i.created_at, i.opened_at, i.accepted_at,"
    " fg.name AS family_name, p.name AS provider_name,"
    " coalesce((SELECT string_agg(c.first_name || ' ' || c.last_name, ', ' ORDER BY c.first_name, c.id)"
    "   FROM invitation_children ic JOIN children c ON c.id = ic.child_id"
    "   WHERE ic.invitation_id = i.id), '') AS children"
    " FROM invitations i LEFT JOIN providers p ON p.id = i.provider_id"
    " LEFT JOIN LATERAL (SELECT first_name || ' ' || last_name AS name FROM guardians"
    "   WHERE family_id = i.family_id ORDER BY position LIMIT 1) fg ON true"
    f" WHERE {where.format(_ADDRESSES[owner].replace('$1', '$1::uuid'))}"
    " ORDER BY i.created_at DESC, i.id DESC LIMIT $2 OFFSET $3"
    for owner, where in _INVITED.items()
}

_OWNED_ACCOUNTS = {
    Owner.FAMILY: "('family_wallet')",
    Owner.PROVIDER: "('provider_wallet', 'provider_payout')",
}
LEDGER = {
    owner: "SELECT e.id AS entry_id, t.created_at AS at, a.kind AS account, e.amount_cents,"
    " e.balance_after_cents, t.kind, t.description, t.record_type, t.record_id,"
    " coalesce((SELECT string_agg(oa.kind || coalesce(': ' || coalesce(op.name, og.name), ''), ', '"
    "     ORDER BY o.id)"
    "   FROM ledger_entries o JOIN ledger_accounts oa ON oa.id = o.account_id"
    "   LEFT JOIN providers op ON oa.kind <> 'family_wallet' AND op.id = oa.owner_id"
    "   LEFT JOIN LATERAL (SELECT first_name || ' ' || last_name AS name FROM guardians"
    "     WHERE oa.kind = 'family_wallet' AND family_id = oa.owner_id ORDER BY position LIMIT 1) og ON true"
    "   WHERE o.transaction_id = e.transaction_id AND o.id <> e.id), '') AS counter_accounts"
    " FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id"
    " JOIN ledger_transactions t ON t.id = e.transaction_id"
    f" WHERE a.owner_id = $1 AND a.kind IN {kinds} ORDER BY e.id DESC LIMIT $2 OFFSET $3"
    for owner, kinds in _OWNED_ACCOUNTS.items()
}


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's own characters taken literally."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def phone_pattern(text: str) -> str | None:
    """Phones are stored as +1 and ten digits: three digits or more of the search match inside them."""
    digits = re.sub(r"\D", "", text)
    return f"%{digits}%" if len(digits) >= 3 else None


class RawStaffReads:
    """Satisfies ``domain.staff_reads.StaffReads``."""

    def __init__(self, pool: RawPool) -> None:
        self._pool = pool

    async def search(self, search: Search) -> list[SearchHit]:
        text = search.text.strip()
        kind = search.kind.value if search.kind is not None else None
        rows = await self._pool.fetch(
            SEARCH, like_pattern(text), kind, phone_pattern(text), text, search.limit, search.offset
        )
        return [
            SearchHit(HitKind(r["kind"]), r["id"], r["name"], r["detail"] or "", r["family_id"]) for r in rows
        ]

    async def family(self, family_id: str) -> FamilyPicture | None:
        try:
            key = uuid.UUID(family_id)
        except ValueError:
            return None
        connection = await self._pool.acquire()
        try:
            found = await connection.fetch(FAMILY, key)
            if not found:
                return None
            results = [await connection.fetch(q, key) for q in (GUARDIANS, CHILDREN, ALLOCATIONS)]
            results += [await connection.fetch(q, key) for q in (CARE_DAYS, LUMP_SUMS)]
        finally:
            await self._pool.release(connection)
        return _picture(found[0], *results)

    async def provider(self, provider_id: str) -> ProviderPicture | None:
        try:
            key = uuid.UUID(provider_id)
        except ValueError:
            return None
        connection = await self._pool.acquire()
        try:
            found = await connection.fetch(PROVIDER, key)
            if not found:
                return None
            children = await connection.fetch(CARED_CHILDREN, key)
            settings = await connection.fetch(PAYMENT_SETTINGS, key)
        finally:
            await self._pool.release(connection)
        return ProviderPicture(
            **dict(found[0]),
            children=[CaredChild(**dict(row)) for row in children],
            payment_settings=_settings(settings[0]) if settings else None,
        )

    async def failed_payments(self, *, limit: int, offset: int) -> list[FailedPayment]:
        rows = await self._pool.fetch(FAILED, limit, offset)
        return [FailedPayment(**dict(row)) for row in rows]

    async def owner_name(self, owner: Owner, owner_id: str) -> str | None:
        key = _uuid(owner_id)
        if key is None:
            return None
        rows = await self._pool.fetch(OWNER_NAME[owner], key)
        return str(rows[0][0]) if rows else None

    async def payments(self, window: Window) -> list[PaymentLine]:
        rows = await self._window(PAYMENTS.format(owner=window.owner.value), window)
        return [PaymentLine(**dict(row)) for row in rows]

    async def messages(self, window: Window) -> list[MessageLine]:
        return [MessageLine(**dict(row)) for row in await self._window(MESSAGES[window.owner], window)]

    async def attendance(self, window: Window) -> list[AttendanceLine]:
        return [_attendance(row) for row in await self._window(ATTENDANCE_BY[window.owner], window)]

    async def invitations(self, window: Window) -> list[InvitationLine]:
        rows = await self._window(INVITATIONS[window.owner], window)
        return [InvitationLine(**{**dict(row), "direction": Direction(row["direction"])}) for row in rows]

    async def ledger(self, window: Window) -> list[LedgerLine]:
        return [LedgerLine(**dict(row)) for row in await self._window(LEDGER[window.owner], window)]

    async def _window(self, query: str, window: Window) -> list[asyncpg.Record]:
        key = _uuid(window.owner_id)
        if key is None:
            return []
        return await self._pool.fetch(query, key, window.limit, window.offset)


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _settings(row: asyncpg.Record) -> ProviderPaymentSettings:
    def instrument(id_: str | None, status: str | None) -> Instrument | None:
        return Instrument(id_, status or "") if id_ is not None else None

    method = row["payment_method"]
    return ProviderPaymentSettings(
        provider_id=row["provider_id"],
        gateway_user_id=row["gateway_user_id"],
        payment_method=PaymentMethod(method) if method is not None else None,
        payment_method_updated_at=row["payment_method_updated_at"],
        card=instrument(row["card_id"], row["card_status"]),
        ach=instrument(row["ach_id"], row["ach_status"]),
        wallet_balance_cents=row["wallet_balance_cents"],
        last_synced_at=row["last_synced_at"],
        last_error=row["last_error"],
    )


def _attendance(row: asyncpg.Record) -> AttendanceLine:
    def side(name: str) -> SideEntry:
        return SideEntry(
            *(row[f"{name}_{part}"] for part in ("full_days", "half_days", "entered_at", "opened_at"))
        )

    record = AttendanceRecord(
        id=row["id"],
        week=row["week"],
        child_id=row["child_id"],
        provider_id=row["provider_id"],
        provider_type=ProviderType(row["provider_type"]),
        family=side("family"),
        provider=side("provider"),
    )
    return AttendanceLine(record, row["child_name"], row["provider_name"])


def _picture(
    family: asyncpg.Record,
    guardians: list[asyncpg.Record],
    children: list[asyncpg.Record],
    allocations: list[asyncpg.Record],
    care_days: list[asyncpg.Record],
    lump_sums: list[asyncpg.Record],
) -> FamilyPicture:
    days: dict[int, list[CareDayLine]] = defaultdict(list)
    for row in care_days:
        days[row["allocation_id"]].append(CareDayLine(**_without(row, "allocation_id")))
    sums: dict[int, list[LumpSumLine]] = defaultdict(list)
    for row in lump_sums:
        sums[row["allocation_id"]].append(LumpSumLine(**_without(row, "allocation_id")))
    months: dict[str, list[MonthLine]] = defaultdict(list)
    for row in allocations:
        line = MonthLine(
            allocation_id=row["id"],
            **_without(row, "id", "child_id"),
            care_days=days[row["id"]],
            lump_sums=sums[row["id"]],
        )
        months[row["child_id"]].append(line)
    return FamilyPicture(
        id=family["id"],
        language=family["language"],
        zip_code=family["zip_code"],
        external_id=family["external_id"],
        guardians=[GuardianLine(**dict(row)) for row in guardians],
        children=[ChildLine(**dict(row), months=months[row["id"]]) for row in children],
    )


def _without(row: asyncpg.Record, *names: str) -> dict[str, Any]:
    return {key: value for key, value in dict(row).items() if key not in names}
