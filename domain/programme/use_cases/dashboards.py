"""What a family's and a provider's home pages show, from the programme's records.

Parts that belong to capabilities not built yet (payments, attendance, invitations) are left to the
edge, which reports them as empty or false rather than inventing them.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.programme.actors import Actor
from domain.programme.config import ProgrammeRules
from domain.programme.errors import ChildNotFound, FamilyNotFound, ProviderNotFound
from domain.programme.families import Child
from domain.programme.ports import FamilyHomeReads, ProviderHomeReads
from domain.programme.providers import Provider
from domain.programme.rates import PaymentRate
from domain.programme.statuses import ApplicationStatus

# Statuses the frontend shows as "application pending" or "denied" (it has no word for the others).
PENDING_STATUSES = frozenset(
    {
        ApplicationStatus.PENDING,
        ApplicationStatus.UNDER_REVIEW,
        ApplicationStatus.NEED_MORE_INFO,
        ApplicationStatus.WAITLIST,
        ApplicationStatus.HOLD,
    }
)
DENIED_STATUSES = frozenset({ApplicationStatus.NOT_ELIGIBLE})


def application_notice(status: ApplicationStatus) -> str | None:
    if status in PENDING_STATUSES:
        return "application_pending"
    if status in DENIED_STATUSES:
        return "application_denied"
    return None


@dataclass(frozen=True, slots=True)
class FamilyDashboard:
    selected_child: Child
    children: tuple[Child, ...]
    providers: tuple[Provider, ...]  # those caring for the selected child


@dataclass(frozen=True, slots=True)
class ProviderChild:
    child: Child
    rate: PaymentRate | None


@dataclass(frozen=True, slots=True)
class ProviderDashboard:
    provider: Provider
    children: tuple[ProviderChild, ...]
    max_child_count: int


def _family_id(actor: Actor) -> str:
    if actor.family_id is None:
        raise FamilyNotFound()
    return actor.family_id


async def default_child_id(uow: FamilyHomeReads, actor: Actor) -> str:
    """The family's first child (the frontend opens it by default); 404 for a family with none."""
    family_id = _family_id(actor)
    async with uow:
        children = await uow.children.list_for_family(family_id)
    if not children:
        raise ChildNotFound("This family has no children")
    return children[0].id


async def family_dashboard(
    uow: FamilyHomeReads, actor: Actor, child_id: str | None = None
) -> FamilyDashboard:
    """The family's home for one of its children (the first when none is named); another family's
    child is reported as missing."""
    family_id = _family_id(actor)
    async with uow:
        children = await uow.children.list_for_family(family_id)
        selected = next((c for c in children if child_id is None or c.id == child_id), None)
        if selected is None:
            raise ChildNotFound()
        providers = await uow.providers.list_caring_for(selected.id)
    return FamilyDashboard(selected, tuple(children), tuple(providers))


async def provider_dashboard(
    uow: ProviderHomeReads, rules: ProgrammeRules, actor: Actor
) -> ProviderDashboard:
    if actor.provider_id is None:
        raise ProviderNotFound()
    async with uow:
        provider = await uow.providers.get(actor.provider_id)
        if provider is None:
            raise ProviderNotFound()
        # Two queries whatever the number of children: the linked children, then the provider's rates.
        cared_for = await uow.children.list_cared_for_by(provider.id)
        rates = {rate.child_id: rate for rate in await uow.rates.list_for_provider(provider.id)}
    children = tuple(ProviderChild(child, rates.get(child.id)) for child in cared_for)
    return ProviderDashboard(provider, children, rules.max_children_per_provider)
