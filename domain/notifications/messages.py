"""The messages the programme asks for, built from its records (the other capabilities add theirs).

Each names its cause, so asking again for the same thing (a repeated onboarding) finds the first record.
"""

from __future__ import annotations

from domain.notifications.model import About, Message, MessageKind, Recipient
from domain.programme.families import Family
from domain.programme.providers import Provider
from domain.programme.rates import PaymentRate

SIGN_IN_PATH = "/auth/sign-in"


def family_portal_invitation(family: Family) -> Message | None:
    """The sign-in invitation to the family's primary guardian, in the family's language (None: no email)."""
    guardian = family.primary_guardian
    if guardian is None or not guardian.email:
        return None
    return Message(
        kind=MessageKind.PORTAL_INVITATION,
        recipient=Recipient(guardian.email, family.language, guardian.first_name),
        cause=f"onboarding:family:{family.id}",
        about=About("family", family.id),
        data={"role": "family", "first_name": guardian.first_name, "sign_in_path": SIGN_IN_PATH},
    )


def provider_portal_invitation(provider: Provider) -> Message | None:
    if not provider.email:
        return None
    name = provider.first_name or provider.name
    return Message(
        kind=MessageKind.PORTAL_INVITATION,
        recipient=Recipient(provider.email, provider.preferred_language, name),
        cause=f"onboarding:provider:{provider.id}",
        about=About("provider", provider.id),
        data={"role": "provider", "first_name": name, "sign_in_path": SIGN_IN_PATH},
    )


def staff_family_onboarded(family: Family, clerk_user_id: str, allocations_created: int) -> Message:
    guardian = family.primary_guardian
    return Message(
        kind=MessageKind.STAFF_ONBOARDED,
        recipient=Recipient.staff(),
        cause=f"onboarding:family:{family.id}",
        about=About("family", family.id),
        data={
            "role": "family",
            "record_id": family.id,
            "name": f"{guardian.first_name} {guardian.last_name}" if guardian else family.id,
            "email": guardian.email if guardian else None,
            "clerk_user_id": clerk_user_id,
            "language": family.language.value,
            "allocations_created": allocations_created,
        },
    )


def staff_provider_onboarded(provider: Provider, clerk_user_id: str) -> Message:
    return Message(
        kind=MessageKind.STAFF_ONBOARDED,
        recipient=Recipient.staff(),
        cause=f"onboarding:provider:{provider.id}",
        about=About("provider", provider.id),
        data={
            "role": "provider",
            "record_id": provider.id,
            "name": provider.name,
            "email": provider.email,
            "clerk_user_id": clerk_user_id,
            "language": provider.preferred_language.value,
        },
    )


def staff_payment_rate_set(rate: PaymentRate, provider: Provider, child_name: str) -> Message:
    return Message(
        kind=MessageKind.STAFF_PAYMENT_RATE_SET,
        recipient=Recipient.staff(),
        cause=f"payment_rate:{rate.id}",
        about=About("payment_rate", str(rate.id)),
        data={
            "provider_id": provider.id,
            "provider_name": provider.name,
            "child_id": rate.child_id,
            "child_name": child_name,
            "half_day_rate_cents": rate.half_day_rate_cents,
            "full_day_rate_cents": rate.full_day_rate_cents,
        },
    )
