"""The directory-write job's use case: the account's current metadata, final outcomes, and an outage
left to the job's retries."""

from __future__ import annotations

import pytest

from domain.errors import DependencyUnavailable, NotFound
from domain.identity.directory_sync import DirectorySync, sync_directory
from domain.identity.model import Account, Role
from tests.identity_fakes import FakeAccounts, FakeDirectory, FakeUnitOfWork

USER = "user_ana"


class DirectoryWithoutUsers(FakeDirectory):
    async def write_public_metadata(self, user_id: str, metadata: dict[str, object]) -> None:
        raise NotFound("Clerk has no such user.", code="directory_user_not_found")


async def test_the_account_as_it_is_now_is_written() -> None:
    accounts = FakeAccounts(Account(USER, None, frozenset({Role.FAMILY}), family_id="fam"))
    directory = FakeDirectory()
    # Changed after the job was asked for: the job writes the newer state, never an older one.
    accounts.accounts[USER] = Account(USER, None, frozenset({Role.FAMILY, Role.PROVIDER}), "fam", "prov")
    done = await sync_directory(FakeUnitOfWork(), accounts, directory, USER)
    expected: dict[str, object] = {"types": ["family", "provider"], "family_id": "fam", "provider_id": "prov"}
    assert done == DirectorySync(USER, written=True, metadata=expected)
    assert directory.metadata[USER] == expected


async def test_an_outage_is_raised_so_the_job_is_retried() -> None:
    accounts = FakeAccounts(Account(USER, None, frozenset({Role.FAMILY}), family_id="fam"))
    with pytest.raises(DependencyUnavailable):
        await sync_directory(FakeUnitOfWork(), accounts, FakeDirectory(down=True), USER)


async def test_a_missing_account_or_directory_user_ends_the_job_without_retries() -> None:
    assert await sync_directory(FakeUnitOfWork(), FakeAccounts(), FakeDirectory(), USER) == DirectorySync(
        USER, written=False, reason="account_not_found"
    )
    accounts = FakeAccounts(Account(USER, None, frozenset({Role.FAMILY}), family_id="fam"))
    done = await sync_directory(FakeUnitOfWork(), accounts, DirectoryWithoutUsers(), USER)
    assert done == DirectorySync(USER, written=False, reason="directory_user_not_found")
