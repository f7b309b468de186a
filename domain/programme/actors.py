"""Who is calling a use case. The edge builds it from a verified token or API key; the domain decides
what that caller may see and touch.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.programme.errors import AdminRequired


@dataclass(frozen=True, slots=True)
class Actor:
    # Staff signed in with the admin role, or a machine caller with an API key (the application site,
    # operators' scripts, scheduled jobs).
    is_admin: bool = False
    # A person may be a guardian and a provider at once, so both ids can be set.
    family_id: str | None = None
    provider_id: str | None = None

    @classmethod
    def admin(cls) -> Actor:
        return cls(is_admin=True)

    @classmethod
    def family(cls, family_id: str) -> Actor:
        return cls(family_id=family_id)

    @classmethod
    def provider(cls, provider_id: str) -> Actor:
        return cls(provider_id=provider_id)

    def is_family(self, family_id: str) -> bool:
        return self.family_id is not None and self.family_id == family_id

    def is_provider(self, provider_id: str) -> bool:
        return self.provider_id is not None and self.provider_id == provider_id


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise AdminRequired()
