"""Entering attendance (frontend-contract §2.4, §2.15): the due list, and each side's full and half days.

Opening the list stamps the side's first opening (once: a later one is kept out, upstream overwrote it)
and fills 0/0 for a record whose child and provider are no longer linked — nobody can confirm care that
the pair no longer gives. Entering: every id must be a record due from the caller (another family's or
provider's, a center's before its month is over, or no such record: 404); a side enters once (400 for a
second entry, even two submissions at once: the record's row lock decides). Staff get one notice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.attendance.messages import entered_notice
from domain.attendance.model import (
    AttendanceAlreadyEntered,
    AttendanceNotFound,
    AttendanceRecord,
    DaysEntered,
    entered,
)
from domain.attendance.ports import AttendanceUnitOfWork, Side
from domain.attendance.rules import due_from_provider
from domain.programme.actors import Actor
from domain.programme.business_time import BusinessCalendar
from domain.programme.errors import FamilyNotFound, ProviderNotFound
from domain.programme.families import Child
from domain.programme.providers import Provider

MAX_ENTRIES = 200


@dataclass(frozen=True, slots=True)
class DueList:
    records: list[AttendanceRecord]
    children: list[Child]
    providers: list[Provider]


def _family_id(actor: Actor) -> str:
    if actor.family_id is None:
        raise FamilyNotFound()
    return actor.family_id


def _provider_id(actor: Actor) -> str:
    if actor.provider_id is None:
        raise ProviderNotFound()
    return actor.provider_id


async def family_due_list(uow: AttendanceUnitOfWork, calendar: BusinessCalendar, actor: Actor) -> DueList:
    family_id = _family_id(actor)
    now = calendar.now()
    async with uow:
        children = await uow.children.list_for_family(family_id)
        providers: dict[str, Provider] = {}
        for child in children:
            providers.update((p.id, p) for p in await uow.providers.list_caring_for(child.id))
        linked = {(c.id, p) for c in children for p in await uow.links.providers_of(c.id)}
        records = await uow.attendance.due_from_family(family_id)
        due = [r for r in records if r.pair in linked]
        for stale in (r for r in records if r.pair not in linked):
            await uow.attendance.save_entry(stale.id, Side.FAMILY, entered(stale.family, 0, 0, now))
        await uow.attendance.stamp_opened(Side.FAMILY, [r.id for r in due], now)
        await uow.commit()
    return DueList(due, children, sorted(providers.values(), key=lambda p: p.name))


async def provider_due_list(uow: AttendanceUnitOfWork, calendar: BusinessCalendar, actor: Actor) -> DueList:
    provider_id = _provider_id(actor)
    now, today = calendar.now(), calendar.today()
    async with uow:
        provider = await uow.providers.get(provider_id)
        if provider is None:
            raise ProviderNotFound()
        children = await uow.children.list_cared_for_by(provider_id)
        linked = {c.id for c in children}
        records = [
            r for r in await uow.attendance.due_from_provider(provider_id) if due_from_provider(r, today)
        ]
        due = [r for r in records if r.child_id in linked]
        for stale in (r for r in records if r.child_id not in linked):
            await uow.attendance.save_entry(stale.id, Side.PROVIDER, entered(stale.provider, 0, 0, now))
        await uow.attendance.stamp_opened(Side.PROVIDER, [r.id for r in due], now)
        await uow.commit()
    return DueList(due, children, [provider])


async def enter_family_attendance(
    uow: AttendanceUnitOfWork, calendar: BusinessCalendar, actor: Actor, entries: Sequence[DaysEntered]
) -> list[AttendanceRecord]:
    family_id = _family_id(actor)
    async with uow:
        own = {c.id: c for c in await uow.children.list_for_family(family_id)}
        records = await _locked(uow, entries, lambda r: r.child_id in own)
        saved = await _save(uow, calendar, Side.FAMILY, records, entries)
        names = {c.id: f"{c.first_name} {c.last_name}" for c in own.values()}
        names |= await _provider_names(uow, records)
        family = await uow.families.get(family_id)
        guardian = family.primary_guardian if family else None
        names[family_id] = f"{guardian.first_name} {guardian.last_name}" if guardian else family_id
        await uow.notifier.notify(entered_notice(Side.FAMILY, family_id, records, entries, names))
        await uow.commit()
    return saved


async def enter_provider_attendance(
    uow: AttendanceUnitOfWork, calendar: BusinessCalendar, actor: Actor, entries: Sequence[DaysEntered]
) -> list[AttendanceRecord]:
    provider_id = _provider_id(actor)
    today = calendar.today()
    async with uow:

        def mine(record: AttendanceRecord) -> bool:
            # A center's week is not asked for before its month is over: not due from it yet (404).
            asked = due_from_provider(record, today) or not record.provider.due
            return record.provider_id == provider_id and asked

        records = await _locked(uow, entries, mine)
        saved = await _save(uow, calendar, Side.PROVIDER, records, entries)
        names = await _provider_names(uow, records)
        for child_id in {r.child_id for r in records}:
            child = await uow.children.get(child_id)
            if child is not None:
                names[child_id] = f"{child.first_name} {child.last_name}"
        await uow.notifier.notify(entered_notice(Side.PROVIDER, provider_id, records, entries, names))
        await uow.commit()
    return saved


async def _locked(
    uow: AttendanceUnitOfWork, entries: Sequence[DaysEntered], mine: Callable[[AttendanceRecord], bool]
) -> list[AttendanceRecord]:
    """The records, locked in id order (two submissions never deadlock); 404 for one that is not the
    caller's; 400 for an id given twice."""
    ids = [e.record_id for e in entries]
    if len(set(ids)) != len(ids):
        raise AttendanceAlreadyEntered("The same week was sent twice.")
    records = []
    for record_id in sorted(ids):
        record = await uow.attendance.get_for_update(record_id)
        if record is None or not mine(record):
            raise AttendanceNotFound()
        records.append(record)
    return records


async def _save(
    uow: AttendanceUnitOfWork,
    calendar: BusinessCalendar,
    side: Side,
    records: Sequence[AttendanceRecord],
    entries: Sequence[DaysEntered],
) -> list[AttendanceRecord]:
    now = calendar.now()
    by_id = {r.id: r for r in records}
    saved = []
    for entry in entries:
        record = by_id[entry.record_id]
        current = record.family if side is Side.FAMILY else record.provider
        if not current.due:
            raise AttendanceAlreadyEntered()
        updated = entered(current, entry.full_days, entry.half_days, now)
        await uow.attendance.save_entry(record.id, side, updated)
        saved.append(record)
    return saved


async def _provider_names(uow: AttendanceUnitOfWork, records: Sequence[AttendanceRecord]) -> dict[str, str]:
    names = {}
    for provider_id in {r.provider_id for r in records}:
        provider = await uow.providers.get(provider_id)
        if provider is not None:
            names[provider_id] = provider.name
    return names
