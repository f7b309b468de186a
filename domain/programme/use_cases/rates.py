"""Providers set what they charge for each child they care for; families read it when scheduling."""

from __future__ import annotations

from dataclasses import replace

from domain.audit import AuditStamp, Snapshot
from domain.notifications.messages import staff_payment_rate_set
from domain.programme.actors import Actor
from domain.programme.business_time import BusinessCalendar
from domain.programme.errors import (
    ChildNotFound,
    PaymentRateAlreadySet,
    PaymentRateNotFound,
    ProviderNotFound,
)
from domain.programme.ports import ProgrammeUnitOfWork
from domain.programme.rates import PaymentRate, validated_rates
from domain.programme.records import UNSAVED_ID


async def set_payment_rate(
    uow: ProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    actor: Actor,
    *,
    provider_id: str,
    child_id: str,
    half_day_rate_cents: int,
    full_day_rate_cents: int,
    audit: AuditStamp | None = None,
) -> PaymentRate:
    """A provider sets its rates once; changing them afterwards is a staff decision. Staff hear of each
    new rate by email (sent after the commit). ``audit``: staff are setting it, written to the audit log
    (``payment_rate.created`` or ``payment_rate.changed``) in the same transaction."""
    if not (actor.is_admin or actor.is_provider(provider_id)):
        raise ProviderNotFound()
    half, full = validated_rates(half_day_rate_cents, full_day_rate_cents)
    async with uow:
        provider = await uow.providers.get_for_update(provider_id)
        if provider is None:
            raise ProviderNotFound()
        # Only children the provider cares for; anyone else's child is not theirs to know about.
        child = await uow.children.get(child_id)
        if child is None or not await uow.links.is_linked(provider_id, child_id):
            raise ChildNotFound()
        existing = await uow.rates.get(provider_id, child_id)
        now = calendar.now()
        if existing is None:
            rate = await uow.rates.add(
                PaymentRate(UNSAVED_ID, provider_id, child_id, half, full, created_at=now, updated_at=now)
            )
            child_name = f"{child.first_name} {child.last_name}"
            await uow.notifier.notify(staff_payment_rate_set(rate, provider, child_name))
        elif actor.is_admin:
            rate = replace(existing, half_day_rate_cents=half, full_day_rate_cents=full, updated_at=now)
            await uow.rates.save(rate)
        else:
            raise PaymentRateAlreadySet()
        if audit is not None:
            before = None if existing is None else rate_snapshot(existing)
            action = "payment_rate.created" if existing is None else "payment_rate.changed"
            await uow.audit.record(
                audit.entry(action, "payment_rate", str(rate.id), before, rate_snapshot(rate))
            )
        await uow.commit()
    return rate


def rate_snapshot(rate: PaymentRate) -> Snapshot:
    """What the audit log keeps of a payment rate: whose it is and what it charges."""
    return {
        "provider_id": rate.provider_id,
        "child_id": rate.child_id,
        "half_day_rate_cents": rate.half_day_rate_cents,
        "full_day_rate_cents": rate.full_day_rate_cents,
    }


async def get_payment_rate(
    uow: ProgrammeUnitOfWork, actor: Actor, *, provider_id: str, child_id: str
) -> PaymentRate:
    """For the child's family (about a provider caring for the child), the provider itself, or staff."""
    async with uow:
        child = await uow.children.get(child_id)
        family_reads = child is not None and actor.is_family(child.family_id)
        if child is None or not (actor.is_admin or family_reads or actor.is_provider(provider_id)):
            raise ChildNotFound()
        if not await uow.links.is_linked(provider_id, child_id):
            # A family asking about a provider who does not care for its child, or a provider about a
            # child it does not care for: neither may learn anything.
            raise ProviderNotFound() if family_reads else ChildNotFound()
        rate = await uow.rates.get(provider_id, child_id)
    if rate is None:
        raise PaymentRateNotFound()
    return rate
