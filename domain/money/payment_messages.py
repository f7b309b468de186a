"""The messages a payment sends, once per payment (their cause is the intent): the provider hears that the
money reached their card or bank (upstream's provider payment notification), in the provider's language;
the staff get "care days payment processed" or "lump sum payment processed" (upstream's internal emails)."""

from __future__ import annotations

from domain.money.payments import PaymentIntent, PaymentKind
from domain.money.wallets import PaymentMethod
from domain.notifications.model import About, Message, MessageKind, Recipient
from domain.programme.families import Child, Family
from domain.programme.providers import Provider

PAYMENTS_PATH = "/provider/payments"


def _family_name(family: Family | None) -> str:
    guardian = family.primary_guardian if family is not None else None
    return f"{guardian.first_name} {guardian.last_name}" if guardian is not None else "A family"


def payment_received(
    intent: PaymentIntent,
    method: PaymentMethod,
    provider: Provider,
    child: Child,
    family: Family | None,
    month_label: str,
) -> Message | None:
    """None when the provider has no email to tell. ``month_label`` is the allocation's month, YYYY-MM."""
    if not provider.email:
        return None
    family_name = _family_name(family)
    return Message(
        kind=MessageKind.PAYMENT_RECEIVED,
        recipient=Recipient(
            provider.email, provider.preferred_language, provider.first_name or provider.name
        ),
        cause=f"payment:{intent.id}",
        about=About("payment_intent", intent.id),
        data={
            "first_name": provider.first_name or provider.name,
            "family_name": family_name,
            "child_name": child.first_name,
            "amount_cents": intent.amount_cents,
            "month": month_label,
            "kind": intent.kind.value,
            "days": len(intent.care_day_ids),
            "method": method.value,
            "path": PAYMENTS_PATH,
        },
    )


def staff_payment_processed(
    intent: PaymentIntent,
    method: PaymentMethod,
    provider: Provider,
    child: Child,
    family: Family | None,
    month_label: str,
) -> Message:
    return Message(
        kind=MessageKind.STAFF_PAYMENT_PROCESSED,
        recipient=Recipient.staff(),
        cause=f"payment:{intent.id}",
        about=About("payment_intent", intent.id),
        data={
            "kind": intent.kind.value,
            "what": "Lump sum" if intent.kind is PaymentKind.LUMP_SUM else "Care days",
            "amount_cents": intent.amount_cents,
            "family_name": _family_name(family),
            "family_id": intent.family_id,
            "child_name": f"{child.first_name} {child.last_name}",
            "child_id": intent.child_id,
            "provider_name": provider.name,
            "provider_id": intent.provider_id,
            "month": month_label,
            "care_days": len(intent.care_day_ids),
            "method": method.value,
            "intent_id": intent.id,
        },
    )
