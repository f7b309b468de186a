"""Onboarding with fakes: account created or linked, allocations for payment-enabled children, the
directory written after the commit (and its outage reported, not fatal), repeats harmless."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from domain.errors import Conflict, RuleRefused
from domain.identity.model import Account, Role
from domain.notifications.model import About, MessageKind, Recipient
from domain.onboarding import AccountLinkedElsewhere, Onboarded, onboard_family, onboard_provider
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from domain.programme.errors import FamilyNotFound, ProviderNotFound
from domain.programme.statuses import Language
from tests.fakes import FakeJobQueue, FakeProgrammeUnitOfWork, FixedClock
from tests.identity_fakes import FakeAccounts, FakeDirectory
from tests.unit.programme.builders import WEDNESDAY, add_child, add_family, add_provider

USER = "user_ana"


@pytest.fixture
def uow() -> FakeProgrammeUnitOfWork:
    uow = FakeProgrammeUnitOfWork()
    add_family(uow, "fam")
    add_child(uow, "kid", "fam")
    add_child(uow, "kid-off", "fam", payment_enabled=False)
    add_provider(uow, "prov")
    return uow


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar(FixedClock(WEDNESDAY), "America/Denver")


async def _family(
    uow: FakeProgrammeUnitOfWork,
    accounts: FakeAccounts,
    directory: FakeDirectory,
    calendar: BusinessCalendar,
    rules: ProgrammeRules | None = None,
    family_id: str = "fam",
    user: str = USER,
    jobs: FakeJobQueue | None = None,
) -> Onboarded:
    return await onboard_family(
        uow,
        accounts,
        directory,
        jobs or FakeJobQueue(),
        calendar,
        rules or ProgrammeRules(),
        clerk_user_id=user,
        family_id=family_id,
    )


async def _provider(
    uow: FakeProgrammeUnitOfWork,
    accounts: FakeAccounts,
    directory: FakeDirectory,
    jobs: FakeJobQueue,
    provider_id: str = "prov",
    rules: ProgrammeRules | None = None,
) -> Onboarded:
    calendar = BusinessCalendar(FixedClock(WEDNESDAY), "America/Denver")
    return await onboard_provider(
        uow, accounts, directory, jobs, calendar, rules or ProgrammeRules(),
        clerk_user_id=USER, provider_id=provider_id,
    )  # fmt: skip


async def test_a_family_account_is_created_linked_and_mirrored(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    accounts, directory = FakeAccounts(), FakeDirectory()
    done = await _family(uow, accounts, directory, calendar)
    assert done.account.roles == {Role.FAMILY}
    assert done.account.family_id == "fam"
    assert accounts.accounts[USER].family_id == "fam"
    assert directory.metadata[USER] == {"types": ["family"], "family_id": "fam", "provider_id": None}
    assert done.directory_synced is True
    # Current and next month for the payment-enabled child only; the first one prorated.
    months = sorted((a.month, a.allocation_cents) for a in uow.state.allocations.values())
    assert months == [(date(2025, 1, 1), 50_000), (date(2025, 2, 1), 100_000)]
    assert {a.child_id for a in uow.state.allocations.values()} == {"kid"}
    assert done.allocations_created == 2
    assert uow.commits == 1


async def test_onboarding_twice_changes_nothing(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    accounts, directory = FakeAccounts(), FakeDirectory()
    await _family(uow, accounts, directory, calendar)
    again = await _family(uow, accounts, directory, calendar)
    assert again.allocations_created == 0
    assert len(uow.state.allocations) == 2
    assert again.account.family_id == "fam"


async def test_an_existing_account_gains_the_role_and_keeps_its_others(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    accounts = FakeAccounts(Account(USER, "ana@x.org", frozenset({Role.PROVIDER}), provider_id="prov"))
    done = await _family(uow, accounts, FakeDirectory(), calendar)
    assert done.account.roles == {Role.FAMILY, Role.PROVIDER}
    assert (done.account.family_id, done.account.provider_id) == ("fam", "prov")


async def test_an_account_linked_to_another_family_is_refused(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    add_family(uow, "other")
    accounts = FakeAccounts(Account(USER, None, frozenset({Role.FAMILY}), family_id="other"))
    jobs = FakeJobQueue()
    with pytest.raises(AccountLinkedElsewhere):
        await _family(uow, accounts, FakeDirectory(), calendar, jobs=jobs)
    assert uow.state.allocations == {}  # rolled back with the refusal
    assert jobs.enqueued == []  # no directory write for a link that was refused


async def test_a_directory_outage_is_reported_and_onboarding_still_holds(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    accounts, jobs = FakeAccounts(), FakeJobQueue()
    done = await _family(uow, accounts, FakeDirectory(down=True), calendar, jobs=jobs)
    assert done.directory_synced is False
    assert accounts.accounts[USER].family_id == "fam"
    assert len(uow.state.allocations) == 2
    # The job that writes the metadata once the directory answers was asked for with the onboarding.
    assert jobs.enqueued == [("identity.sync_directory", (USER,), {})]
    assert done.directory_sync_job_id == "job-1"


async def test_the_directory_job_is_asked_for_even_when_the_immediate_write_worked(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    jobs = FakeJobQueue()
    done = await _family(uow, FakeAccounts(), FakeDirectory(), calendar, jobs=jobs)
    assert done.directory_synced is True
    assert jobs.enqueued == [("identity.sync_directory", (USER,), {})]
    provider_jobs = FakeJobQueue()
    await _provider(uow, FakeAccounts(), FakeDirectory(), provider_jobs, provider_id="prov")
    assert provider_jobs.enqueued == [("identity.sync_directory", (USER,), {})]


async def test_after_the_program_end_no_allocation_is_made(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    rules = ProgrammeRules(program_end_date=date(2025, 2, 1))
    done = await _family(uow, FakeAccounts(), FakeDirectory(), calendar, rules)
    assert [a.month for a in uow.state.allocations.values()] == [date(2025, 1, 1)]
    assert done.allocations_created == 1


async def test_unknown_records_and_malformed_user_ids_are_refused(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    with pytest.raises(FamilyNotFound):
        await _family(uow, FakeAccounts(), FakeDirectory(), calendar, family_id="nope")
    with pytest.raises(RuleRefused):
        await _family(uow, FakeAccounts(), FakeDirectory(), calendar, user="not-a-clerk-id")
    with pytest.raises(ProviderNotFound):
        await _provider(uow, FakeAccounts(), FakeDirectory(), FakeJobQueue(), provider_id="nope")


async def test_a_provider_is_linked_without_allocations(uow: FakeProgrammeUnitOfWork) -> None:
    accounts, directory = FakeAccounts(), FakeDirectory()
    done = await _provider(uow, accounts, directory, FakeJobQueue(), provider_id="prov")
    assert (done.account.roles, done.account.provider_id) == (frozenset({Role.PROVIDER}), "prov")
    assert directory.metadata[USER]["types"] == ["provider"]
    assert uow.state.allocations == {}


class RacingAccounts(FakeAccounts):
    """Another onboarding of the same person commits its account between our read and our insert."""

    def __init__(self, winner: Account) -> None:
        super().__init__()
        self.winner = winner

    async def add(self, account: Account) -> None:
        self.accounts[self.winner.clerk_user_id] = self.winner
        raise Conflict("duplicate", code="duplicate_account")


async def test_a_racing_onboarding_of_the_same_person_leaves_one_account(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    accounts = RacingAccounts(Account(USER, "ana@x.org", frozenset({Role.FAMILY}), family_id="fam"))
    done = await _family(uow, accounts, FakeDirectory(), calendar)
    assert list(accounts.accounts) == [USER]
    assert done.account.family_id == "fam"


async def test_onboarding_asks_for_the_wallet_in_its_own_transaction(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    await _family(uow, FakeAccounts(), FakeDirectory(), calendar)
    await _provider(uow, FakeAccounts(), FakeDirectory(), FakeJobQueue(), provider_id="prov")
    wallet_jobs = [(name, args) for kind, name, _, args, _ in uow.state.jobs if name.startswith("money.")]
    assert wallet_jobs == [("money.open_family_wallet", ("fam",)), ("money.open_provider_wallet", ("prov",))]


async def test_a_refused_onboarding_asks_for_no_wallet(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    add_family(uow, "other")
    accounts = FakeAccounts(Account(USER, None, frozenset({Role.FAMILY}), family_id="other"))
    with pytest.raises(AccountLinkedElsewhere):
        await _family(uow, accounts, FakeDirectory(), calendar)
    assert [job for job in uow.state.jobs if job[1].startswith("money.")] == []


def _with_guardian_email(
    uow: FakeProgrammeUnitOfWork, family_id: str, email: str | None, language: Language
) -> None:
    family = uow.state.families[family_id]
    guardian = replace(family.guardians[0], email=email)
    uow.state.families[family_id] = replace(family, guardians=(guardian,), language=language)


async def test_onboarding_records_the_portal_invitation_in_the_family_s_language_and_tells_staff(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    _with_guardian_email(uow, "fam", "ana@example.org", Language.SPANISH)
    done = await _family(uow, FakeAccounts(), FakeDirectory(), calendar)
    by_kind = {message.kind: message for message in uow.notifier.sent()}
    invitation = by_kind[MessageKind.PORTAL_INVITATION]
    assert invitation.recipient == Recipient("ana@example.org", Language.SPANISH, "Ana")
    assert invitation.data["sign_in_path"] == "/auth/sign-in"
    assert invitation.about == About("family", "fam")
    assert done.portal_invitation_message_id == uow.state.messages[invitation.idempotency_key][0]
    staff = by_kind[MessageKind.STAFF_ONBOARDED]
    assert staff.recipient.is_staff
    assert staff.data["allocations_created"] == 2


async def test_onboarding_again_invites_nobody_twice(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    _with_guardian_email(uow, "fam", "ana@example.org", Language.ENGLISH)
    first = await _family(uow, FakeAccounts(), FakeDirectory(), calendar)
    accounts = FakeAccounts()
    again = await _family(uow, accounts, FakeDirectory(), calendar)
    assert again.portal_invitation_message_id == first.portal_invitation_message_id
    assert len(uow.state.messages) == 2  # the invitation and the staff email, once each


async def test_a_family_without_an_email_is_onboarded_without_an_invitation(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    done = await _family(uow, FakeAccounts(), FakeDirectory(), calendar)
    assert done.portal_invitation_message_id is None
    assert [m.kind for m in uow.notifier.sent()] == [MessageKind.STAFF_ONBOARDED]


async def test_a_refused_onboarding_sends_nothing(
    uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    _with_guardian_email(uow, "fam", "ana@example.org", Language.ENGLISH)
    add_family(uow, "other")
    accounts = FakeAccounts(Account(USER, None, frozenset({Role.FAMILY}), family_id="other"))
    with pytest.raises(AccountLinkedElsewhere):
        await _family(uow, accounts, FakeDirectory(), calendar)
    assert uow.state.messages == {}


async def test_a_provider_is_invited_in_its_preferred_language(uow: FakeProgrammeUnitOfWork) -> None:
    provider = uow.state.providers["prov"]
    uow.state.providers["prov"] = replace(
        provider, email="care@example.org", first_name="Rosa", preferred_language=Language.ARABIC
    )
    done = await _provider(uow, FakeAccounts(), FakeDirectory(), FakeJobQueue(), provider_id="prov")
    invitation = next(m for m in uow.notifier.sent() if m.kind is MessageKind.PORTAL_INVITATION)
    assert invitation.recipient == Recipient("care@example.org", Language.ARABIC, "Rosa")
    assert invitation.data["role"] == "provider"
    assert done.portal_invitation_message_id is not None
