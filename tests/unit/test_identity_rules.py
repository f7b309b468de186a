"""The identity rules of the domain, with fakes for its ports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.errors import Forbidden, NotFound, RuleRefused
from domain.identity.access import Caller, admit, identify, linked_family_id, linked_provider_id
from domain.identity.administration import change_account, create_account
from domain.identity.directory_events import Outcome, UserEvent, apply_user_event
from domain.identity.directory_sync import SYNC_DIRECTORY_JOB
from domain.identity.model import (
    Account,
    PendingAccount,
    Role,
    SignedIn,
    activity_hour,
    parse_roles,
    public_metadata,
)
from tests.fakes import FakeJobQueue, FixedClock
from tests.identity_fakes import FakeAccounts, FakeDirectory, FakeLedger, FakeUnitOfWork

ALICE = SignedIn("user_alice", "sess_1")
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def _code(raised: pytest.ExceptionInfo[Exception]) -> str:
    return str(getattr(raised.value, "code", ""))


@pytest.mark.parametrize(
    ("account", "code"),
    [
        (None, "no_account"),
        (Account("user_alice", None, frozenset({Role.FAMILY})), "wrong_role"),
        (Account("user_alice", None, frozenset({Role.ADMIN}), deactivated=True), "account_deactivated"),
    ],
)
def test_admit_refuses_with_403_and_a_reason(account: Account | None, code: str) -> None:
    with pytest.raises(Forbidden) as raised:
        admit(Caller(ALICE, account), [Role.ADMIN])
    assert _code(raised) == code


def test_admit_accepts_any_of_the_allowed_roles() -> None:
    account = Account("user_alice", None, frozenset({Role.FAMILY, Role.PROVIDER}))
    assert admit(Caller(ALICE, account), [Role.PROVIDER]) is account


def test_a_family_account_needs_a_linked_family_record() -> None:
    unlinked = Account("user_alice", None, frozenset({Role.FAMILY}))
    with pytest.raises(Forbidden):
        linked_family_id(unlinked)
    with pytest.raises(Forbidden):
        linked_provider_id(Account("user_alice", None, frozenset({Role.FAMILY}), provider_id="p1"))
    assert linked_family_id(Account("user_alice", None, frozenset({Role.FAMILY}), family_id="f1")) == "f1"


def test_unknown_roles_are_refused_by_name() -> None:
    with pytest.raises(RuleRefused, match="'owner'"):
        parse_roles(["family", "owner"])


async def test_last_seen_is_written_at_most_every_five_minutes() -> None:
    accounts = FakeAccounts(Account("user_alice", None))
    clock = FixedClock(NOW)
    await identify(accounts, clock, ALICE)
    clock.current = NOW + timedelta(minutes=4)
    await identify(accounts, clock, ALICE)
    assert accounts.seen_writes == 1
    clock.current = NOW + timedelta(minutes=6)
    await identify(accounts, clock, ALICE)
    assert accounts.seen_writes == 2


async def test_activity_is_noted_for_the_utc_hour_of_each_request() -> None:
    accounts = FakeAccounts(Account("user_alice", None))
    clock = FixedClock(NOW + timedelta(minutes=59, seconds=59))
    await identify(accounts, clock, ALICE)
    clock.current = NOW + timedelta(hours=1, minutes=1)
    await identify(accounts, clock, ALICE)
    assert accounts.active_hours == {("user_alice", NOW), ("user_alice", NOW + timedelta(hours=1))}
    assert activity_hour(datetime(2026, 1, 1, 5, 30, tzinfo=timezone(timedelta(hours=-7)))) == datetime(
        2026, 1, 1, 12, tzinfo=UTC
    )


async def test_activity_that_cannot_be_noted_never_fails_the_sign_in() -> None:
    class Broken(FakeAccounts):
        async def record_activity(self, account: Account, hour: datetime) -> None:
            raise OSError("the database went away")

    caller = await identify(Broken(Account("user_alice", None)), FixedClock(NOW), ALICE)
    assert caller.account is not None
    assert await identify(FakeAccounts(), FixedClock(NOW), ALICE) == Caller(
        ALICE, None
    )  # no account, no note


def test_frontend_metadata_is_blank_for_a_deactivated_account() -> None:
    active = Account("user_a", None, frozenset({Role.FAMILY}), family_id="f1")
    assert public_metadata(active) == {"types": ["family"], "family_id": "f1", "provider_id": None}
    assert public_metadata(Account("user_a", None, frozenset({Role.FAMILY}), deactivated=True))["types"] == []


async def test_a_directory_outage_does_not_undo_the_change() -> None:
    accounts, directory, jobs = FakeAccounts(), FakeDirectory(down=True), FakeJobQueue()
    created = await create_account(
        FakeUnitOfWork(), accounts, directory, jobs, clerk_user_id="user_a", email="a@x.org", roles=["admin"]
    )
    assert created.directory_synced is False
    assert "user_a" in accounts.accounts
    unread = await create_account(
        FakeUnitOfWork(), accounts, directory, jobs, clerk_user_id="user_b", email=None, roles=["family"]
    )
    assert unread.account.email is None  # the email could not be read; the account exists anyway
    directory.down = False
    changed = await change_account(
        FakeUnitOfWork(), accounts, directory, jobs, "user_a", roles=["family"], deactivated=None
    )
    assert changed.directory_synced is True
    assert directory.metadata["user_a"]["types"] == ["family"]


async def test_every_account_change_asks_for_the_directory_sync_job() -> None:
    accounts, jobs = FakeAccounts(), FakeJobQueue()
    created = await create_account(
        FakeUnitOfWork(),
        accounts,
        FakeDirectory(down=True),
        jobs,
        clerk_user_id="user_a",
        email=None,
        roles=[],
    )
    changed = await change_account(
        FakeUnitOfWork(), accounts, FakeDirectory(), jobs, "user_a", roles=None, deactivated=True
    )
    assert jobs.enqueued == [(SYNC_DIRECTORY_JOB, ("user_a",), {}), (SYNC_DIRECTORY_JOB, ("user_a",), {})]
    assert (created.directory_sync_job_id, changed.directory_sync_job_id) == ("job-1", "job-2")


async def test_a_refused_change_asks_for_no_job() -> None:
    accounts, jobs = FakeAccounts(), FakeJobQueue()
    with pytest.raises(NotFound):
        await change_account(
            FakeUnitOfWork(), accounts, FakeDirectory(), jobs, "user_zz", roles=["family"], deactivated=None
        )
    assert jobs.enqueued == []


async def test_user_events_replays_unknown_types_and_linking() -> None:
    accounts, ledger, directory = FakeAccounts(), FakeLedger(), FakeDirectory()
    accounts.pending["p@x.org"] = PendingAccount("p@x.org", frozenset({Role.PROVIDER}))
    uow = FakeUnitOfWork()
    created = UserEvent("msg_1", "user.created", "user_p", "P@x.org")
    assert await apply_user_event(uow, accounts, ledger, directory, created) is Outcome.LINKED
    assert await apply_user_event(uow, accounts, ledger, directory, created) is Outcome.REPLAYED
    other = UserEvent("msg_2", "organization.created", None)
    assert await apply_user_event(uow, accounts, ledger, directory, other) is Outcome.IGNORED
    assert accounts.accounts["user_p"].roles == {Role.PROVIDER}
    assert directory.metadata["user_p"]["types"] == ["provider"]
