"""The self-lockout rule of ``change_account``: staff cannot deactivate their own account or remove their
own admin role; someone else may, and an operator with the API key (no acting user) may too."""

from __future__ import annotations

import pytest

from domain.errors import RuleRefused
from domain.identity.administration import change_account
from domain.identity.model import Account, Role
from tests.fakes import FakeJobQueue
from tests.identity_fakes import FakeAccounts, FakeDirectory, FakeUnitOfWork

ADMIN = Account("user_ada", "ada@x.org", frozenset({Role.ADMIN, Role.PROVIDER}))
OTHER = Account("user_bo", "bo@x.org", frozenset({Role.ADMIN}))


@pytest.mark.parametrize(
    ("roles", "deactivated"),
    [(None, True), (["provider"], None), ([], None), (["admin"], True)],
)
async def test_staff_cannot_lock_themselves_out(roles: list[str] | None, deactivated: bool | None) -> None:
    accounts, jobs = FakeAccounts(ADMIN, OTHER), FakeJobQueue()
    with pytest.raises(RuleRefused) as refused:
        await change_account(
            FakeUnitOfWork(), accounts, FakeDirectory(), jobs, "user_ada",
            roles=roles, deactivated=deactivated, acting_user_id="user_ada",
        )  # fmt: skip
    assert refused.value.code == "self_lockout"
    assert accounts.accounts["user_ada"] == ADMIN  # nothing changed
    assert jobs.enqueued == []


async def test_staff_may_change_their_other_roles_and_others_may_lock_them_out() -> None:
    accounts, directory, jobs = FakeAccounts(ADMIN, OTHER), FakeDirectory(), FakeJobQueue()
    mine = await change_account(
        FakeUnitOfWork(), accounts, directory, jobs, "user_ada",
        roles=["admin"], deactivated=False, acting_user_id="user_ada",
    )  # fmt: skip
    assert mine.account.roles == {Role.ADMIN}
    theirs = await change_account(
        FakeUnitOfWork(), accounts, directory, jobs, "user_ada",
        roles=[], deactivated=True, acting_user_id="user_bo",
    )  # fmt: skip
    assert (theirs.account.roles, theirs.account.deactivated) == (frozenset(), True)
    # The API key's operator has no account of their own: the last admin can be demoted there too.
    by_key = await change_account(
        FakeUnitOfWork(), accounts, directory, jobs, "user_bo", roles=[], deactivated=None
    )
    assert by_key.account.roles == frozenset()
