"""The message a payment sends: the provider hears that the money reached their card or bank (upstream's
provider payment notification), in the provider's language, once per payment (its cause is the intent)."""

from __future__ import annotations

from domain.money.payments import PaymentIntent
from domain.money.wallets import PaymentMethod
from domain.notifications.model import About, Message, MessageKind, Recipient
from domain.programme.families import Child, Family
from domain.programme.providers import Provider

PAYMENTS_PATH = "/provider/payments"


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
    guardian = family.primary_guardian if family is not None else None
    family_name = f"{guardian.first_name} {guardian.last_name}" if guardian is not None else "A family"
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
