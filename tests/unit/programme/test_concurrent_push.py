"""The interleaving behind two concurrent pushes of one new external_id: this push read "no such record",
then another push stored it first. This push must update that record, not fail or duplicate it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from domain.programme.actors import Actor
from domain.programme.config import ProgrammeRules
from domain.programme.errors import ExternalIdTaken
from domain.programme.families import GuardianType
from domain.programme.providers import ProviderType
from domain.programme.use_cases.families import save_family
from domain.programme.use_cases.family_details import ChildDetails, FamilyDetails, GuardianDetails
from domain.programme.use_cases.providers import ProviderDetails, save_provider
from tests.fakes import FakeProgrammeUnitOfWork

ADMIN = Actor.admin()
GUARDIAN = GuardianDetails(GuardianType.PRIMARY, "Ana", "Diaz", email="ana@example.org")


def family(zip_code: str) -> FamilyDetails:
    child = ChildDetails("Sam", "Diaz", external_id="c-1")
    return FamilyDetails(guardians=(GUARDIAN,), children=(child,), zip_code=zip_code, external_id="f-1")


def first_read_misses(repository: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The push's first look by external_id happens before the other push commits."""
    read: Callable[[str], Awaitable[Any]] = repository.get_by_external_id
    calls = 0

    async def stale_then_current(external_id: str) -> Any:
        nonlocal calls
        calls += 1
        return None if calls == 1 else await read(external_id)

    monkeypatch.setattr(repository, "get_by_external_id", stale_then_current)


async def test_the_later_family_push_updates_the_family_the_earlier_one_stored(
    uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner = await save_family(uow, rules, ADMIN, family("80202"))
    first_read_misses(uow.families, monkeypatch)
    first_read_misses(uow.children, monkeypatch)

    loser = await save_family(uow, rules, ADMIN, family("80203"))

    assert (winner.created, loser.created) == (True, False)
    assert loser.family.id == winner.family.id
    assert loser.family.guardians[0].id == winner.family.guardians[0].id
    assert [c.id for c in loser.children] == [c.id for c in winner.children]
    assert (len(uow.state.families), len(uow.state.children)) == (1, 1)
    assert uow.state.families[winner.family.id].zip_code == "80203"


async def test_the_later_provider_push_updates_the_provider_the_earlier_one_stored(
    uow: FakeProgrammeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner = await save_provider(uow, ADMIN, ProviderDetails("Stars", ProviderType.CENTER, external_id="p-1"))
    first_read_misses(uow.providers, monkeypatch)

    loser = await save_provider(
        uow, ADMIN, ProviderDetails("Big Stars", ProviderType.CENTER, external_id="p-1")
    )

    assert (winner.created, loser.created) == (True, False)
    assert loser.provider.id == winner.provider.id
    assert [p.name for p in uow.state.providers.values()] == ["Big Stars"]


async def test_a_child_another_family_stored_meanwhile_is_refused(
    uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = FamilyDetails(guardians=(GUARDIAN,), children=family("1").children, external_id="f-2")
    await save_family(uow, rules, ADMIN, other)
    first_read_misses(uow.children, monkeypatch)

    with pytest.raises(ExternalIdTaken) as refused:
        await save_family(uow, rules, ADMIN, family("80202"))

    assert refused.value.details == {"field": "children[0].external_id"}
    assert len(uow.state.families) == 1  # the refused push left nothing behind
