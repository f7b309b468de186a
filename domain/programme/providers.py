"""Childcare providers and the children they care for."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from domain.programme.families import Address
from domain.programme.statuses import ApplicationStatus, Language


class ProviderType(enum.StrEnum):
    FAMILY_FRIEND_NEIGHBOUR = "ffn"
    LICENSED_HOME_BASED = "lhb"
    CENTER = "center"


@dataclass(frozen=True, slots=True)
class Provider:
    id: str
    name: str
    type: ProviderType
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone_number: str | None = None  # E.164
    status: ApplicationStatus = ApplicationStatus.PENDING
    payment_enabled: bool = False
    care_location: Address = field(default_factory=Address)
    preferred_language: Language = Language.ENGLISH
    # The invitation token the provider applied through; links it to the inviting family at onboarding.
    link_id: str | None = None
    external_id: str | None = None


def has_free_place(linked_children: int, max_children_per_provider: int) -> bool:
    return linked_children < max_children_per_provider
