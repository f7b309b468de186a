from __future__ import annotations

import pytest

from domain.errors import Conflict
from domain.programme.actors import Actor
from domain.programme.config import ProgrammeRules
from domain.programme.errors import (
    AdminRequired,
    ChildNotFound,
    ExternalIdTaken,
    InvalidField,
    ProviderAtCapacity,
    ProviderNotFound,
)
from domain.programme.providers import ProviderType
from domain.programme.statuses import ApplicationStatus
from domain.programme.use_cases.providers import (
    ProviderChanges,
    ProviderDetails,
    link_provider_to_child,
    save_provider,
    unlink_provider_from_child,
    update_provider,
)
from tests.fakes import FakeProgrammeUnitOfWork
from tests.unit.programme.builders import FAMILY, add_child, add_family, add_provider

ADMIN = Actor.admin()
DETAILS = ProviderDetails(
    "Little Stars",
    ProviderType.LICENSED_HOME_BASED,
    email="stars@example.org",
    phone_number="+17205550123",
    external_id="p-1",
)


async def test_a_provider_is_created_then_updated_by_external_id(uow: FakeProgrammeUnitOfWork) -> None:
    first = await save_provider(uow, ADMIN, DETAILS)
    second = await save_provider(
        uow, ADMIN, ProviderDetails("Little Stars LLC", ProviderType.CENTER, external_id="p-1")
    )

    assert first.created
    assert not second.created
    assert second.provider.id == first.provider.id
    stored = uow.state.providers[first.provider.id]
    assert (stored.name, stored.type, stored.status, stored.payment_enabled) == (
        "Little Stars LLC",
        ProviderType.CENTER,
        ApplicationStatus.PENDING,
        False,
    )
    assert len(uow.state.providers) == 1


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (ProviderDetails("", ProviderType.CENTER), "name"),
        (ProviderDetails("X", ProviderType.CENTER, email="not-an-email"), "email"),
        (ProviderDetails("X", ProviderType.CENTER, phone_number="7205550123"), "phone_number"),
    ],
)
async def test_invalid_provider_details_name_the_field(
    uow: FakeProgrammeUnitOfWork, details: ProviderDetails, field: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        await save_provider(uow, ADMIN, details)
    assert refused.value.details == {"field": field}


async def test_updating_a_provider_changes_only_what_is_sent(uow: FakeProgrammeUnitOfWork) -> None:
    saved = await save_provider(uow, ADMIN, DETAILS)
    provider = await update_provider(
        uow,
        ADMIN,
        saved.provider.id,
        ProviderChanges(status=ApplicationStatus.APPROVED, payment_enabled=True),
    )
    assert (provider.status, provider.payment_enabled, provider.email) == (
        ApplicationStatus.APPROVED,
        True,
        "stars@example.org",
    )
    assert uow.state.providers[provider.id] == provider


async def test_updating_refuses_unknown_providers_and_taken_external_ids(
    uow: FakeProgrammeUnitOfWork,
) -> None:
    await save_provider(uow, ADMIN, DETAILS)
    other = await save_provider(uow, ADMIN, ProviderDetails("Other", ProviderType.FAMILY_FRIEND_NEIGHBOUR))
    with pytest.raises(ExternalIdTaken):
        await update_provider(uow, ADMIN, other.provider.id, ProviderChanges(external_id="p-1"))
    with pytest.raises(ProviderNotFound):
        await update_provider(uow, ADMIN, "nobody", ProviderChanges(name="X"))


@pytest.fixture
def three_children(uow: FakeProgrammeUnitOfWork) -> None:
    add_family(uow, FAMILY)
    for child_id in ("a", "b", "c"):
        add_child(uow, child_id, FAMILY)
    add_provider(uow, "p")


async def test_a_provider_cares_for_at_most_two_children(
    three_children: None, uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules
) -> None:
    assert await link_provider_to_child(uow, rules, ADMIN, "p", "a")
    assert await link_provider_to_child(uow, rules, ADMIN, "p", "b")
    with pytest.raises(ProviderAtCapacity) as full:
        await link_provider_to_child(uow, rules, ADMIN, "p", "c")
    assert isinstance(full.value, Conflict)  # 409
    assert uow.state.links == {("p", "a"), ("p", "b")}
    # The provider's row is locked so concurrent links count the same places.
    assert uow.providers.locked == ["p", "p", "p"]


async def test_linking_again_is_a_no_op_even_when_full(
    three_children: None, uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules
) -> None:
    await link_provider_to_child(uow, rules, ADMIN, "p", "a")
    await link_provider_to_child(uow, rules, ADMIN, "p", "b")
    assert not await link_provider_to_child(uow, rules, ADMIN, "p", "a")
    assert uow.commits == 2


async def test_capacity_comes_from_the_rules(three_children: None, uow: FakeProgrammeUnitOfWork) -> None:
    rules = ProgrammeRules(max_children_per_provider=3)
    for child_id in ("a", "b", "c"):
        await link_provider_to_child(uow, rules, ADMIN, "p", child_id)
    assert len(uow.state.links) == 3


async def test_unlinking_frees_a_place(
    three_children: None, uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules
) -> None:
    await link_provider_to_child(uow, rules, ADMIN, "p", "a")
    await link_provider_to_child(uow, rules, ADMIN, "p", "b")
    assert await unlink_provider_from_child(uow, ADMIN, "p", "a")
    assert not await unlink_provider_from_child(uow, ADMIN, "p", "a")
    assert await link_provider_to_child(uow, rules, ADMIN, "p", "c")
    assert uow.state.links == {("p", "b"), ("p", "c")}


async def test_linking_unknown_records(
    three_children: None, uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules
) -> None:
    with pytest.raises(ProviderNotFound):
        await link_provider_to_child(uow, rules, ADMIN, "nobody", "a")
    with pytest.raises(ChildNotFound):
        await link_provider_to_child(uow, rules, ADMIN, "p", "nobody")
    with pytest.raises(ChildNotFound):
        await unlink_provider_from_child(uow, ADMIN, "p", "nobody")


@pytest.mark.parametrize("actor", [Actor.family(FAMILY), Actor.provider("p"), Actor()])
async def test_only_staff_and_machines_manage_providers(
    three_children: None, uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules, actor: Actor
) -> None:
    with pytest.raises(AdminRequired):
        await save_provider(uow, actor, DETAILS)
    with pytest.raises(AdminRequired):
        await link_provider_to_child(uow, rules, actor, "p", "a")
    with pytest.raises(AdminRequired):
        await unlink_provider_from_child(uow, actor, "p", "a")
    assert uow.state.links == set()
