"""The bulk import links a provider and a child named by the application site's external_ids."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.programme.actors import Actor
from domain.programme.config import ProgrammeRules
from domain.programme.errors import AdminRequired, ChildNotFound, ProviderNotFound
from domain.programme.use_cases.providers import link_by_external_ids
from tests.fakes import FakeProgrammeUnitOfWork
from tests.unit.programme.builders import CHILD, FAMILY, PROVIDER, add_child, add_family, add_provider

ADMIN = Actor.admin()


@pytest.fixture
def named(uow: FakeProgrammeUnitOfWork) -> FakeProgrammeUnitOfWork:
    add_family(uow, FAMILY)
    add_child(uow, CHILD, FAMILY, external_id="kid-1")
    provider = add_provider(uow, PROVIDER)
    uow.state.providers[PROVIDER] = replace(provider, external_id="prov-1")
    return uow


async def test_links_by_external_ids_once(named: FakeProgrammeUnitOfWork, rules: ProgrammeRules) -> None:
    assert await link_by_external_ids(named, rules, ADMIN, "prov-1", "kid-1") is True
    assert await link_by_external_ids(named, rules, ADMIN, "prov-1", "kid-1") is False
    assert named.state.links == {(PROVIDER, CHILD)}


@pytest.mark.parametrize(
    ("provider", "child", "error", "field"),
    [
        ("nobody", "kid-1", ProviderNotFound, "provider_external_id"),
        ("prov-1", "nobody", ChildNotFound, "child_external_id"),
    ],
)
async def test_an_unknown_external_id_is_named(
    named: FakeProgrammeUnitOfWork,
    rules: ProgrammeRules,
    provider: str,
    child: str,
    error: type[Exception],
    field: str,
) -> None:
    with pytest.raises(error) as refused:
        await link_by_external_ids(named, rules, ADMIN, provider, child)
    assert getattr(refused.value, "details", None) == {"field": field}
    assert named.state.links == set()


async def test_only_staff_may_link(named: FakeProgrammeUnitOfWork, rules: ProgrammeRules) -> None:
    with pytest.raises(AdminRequired):
        await link_by_external_ids(named, rules, Actor.family(FAMILY), "prov-1", "kid-1")
