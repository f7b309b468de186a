"""One external_id, one family, child or provider: the repositories refuse another record's as the domain's
ExternalIdTaken (the unique constraint's verdict), not as a database error, and keep nothing of the write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest

from adapters.postgres.programme.unit_of_work import SqlAlchemyProgrammeUnitOfWork
from domain.programme.errors import ExternalIdTaken
from tests.integration.programme.conftest import a_child, a_family, a_provider


async def test_another_records_external_id_is_refused_as_taken_and_nothing_is_kept(
    uow: SqlAlchemyProgrammeUnitOfWork,
) -> None:
    holder, other = a_family(external_id="site-1"), a_family(external_id="site-2")
    provider, rival = a_provider(external_id="site-1"), a_provider(name="Rival", external_id="site-2")
    async with uow:
        for family in (holder, other):
            await uow.families.add(family)
        child, sibling = a_child(holder.id, external_id="site-1"), a_child(holder.id, external_id="site-2")
        for record in (child, sibling):
            await uow.children.add(record)
        await uow.providers.add(provider)
        await uow.providers.add(rival)
        await uow.commit()

    writes: list[Callable[[], Awaitable[object]]] = [
        lambda: uow.families.save(replace(other, external_id="site-1", zip_code="99999")),
        lambda: uow.children.save(replace(sibling, external_id="site-1")),
        lambda: uow.providers.save(replace(rival, external_id="site-1")),
        lambda: uow.providers.add(a_provider(external_id="site-1")),
    ]
    for write in writes:
        async with uow:
            with pytest.raises(ExternalIdTaken) as refused:
                await write()
        assert refused.value.details == {"field": "external_id"}
    async with uow:
        assert await uow.families.get(other.id) == other
        assert await uow.children.get(sibling.id) == sibling
        assert await uow.providers.list_all() == [provider, rival]
