"""Onboarding through an invitation's link (``link_id``): the invitation is accepted for the applicant and
the provider linked to the children, within capacity, in the onboarding's own transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.errors import Conflict
from domain.identity.model import Account, Role
from domain.invitations.model import Direction, Invitation
from domain.notifications.model import MessageKind
from domain.onboarding import Onboarded, onboard_family, onboard_provider
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from domain.programme.statuses import Language
from tests.fakes import FakeJobQueue, FakeProgrammeUnitOfWork, FixedClock
from tests.identity_fakes import FakeAccounts, FakeDirectory
from tests.unit.programme.builders import WEDNESDAY, add_child, add_family, add_provider

PROVIDERS_INVITE = "0b9f4f0e-0000-4000-8000-000000000001"
FAMILYS_INVITE = "0b9f4f0e-0000-4000-8000-000000000002"
MADE = datetime(2025, 1, 2, tzinfo=UTC)


@pytest.fixture
def uow() -> FakeProgrammeUnitOfWork:
    uow = FakeProgrammeUnitOfWork()
    uow.state.families["fam"] = replace(add_family(uow, "fam"), link_id=PROVIDERS_INVITE)
    add_child(uow, "kid-a", "fam")
    add_child(uow, "kid-b", "fam")
    add_provider(uow, "prov")
    uow.state.providers["new-prov"] = replace(add_provider(uow, "new-prov"), link_id=FAMILYS_INVITE)
    _invitation(uow, PROVIDERS_INVITE, Direction.PROVIDER_INVITES_FAMILY, provider_id="prov")
    _invitation(uow, FAMILYS_INVITE, Direction.FAMILY_INVITES_PROVIDER, family_id="fam", child_ids=("kid-b",))
    return uow


def _invitation(
    uow: FakeProgrammeUnitOfWork, token: str, direction: Direction, **fields: object
) -> Invitation:
    invitation = Invitation(uow.next_id(), token, direction, "x@example.org", None, Language.ENGLISH, MADE)
    invitation = replace(invitation, **fields)  # type: ignore[arg-type]
    uow.state.invitations[token] = invitation
    return invitation


def _calendar() -> BusinessCalendar:
    return BusinessCalendar(FixedClock(WEDNESDAY), "America/Denver")


async def _family(
    uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules | None = None, accounts: FakeAccounts | None = None
) -> Onboarded:
    return await onboard_family(
        uow, accounts or FakeAccounts(), FakeDirectory(), FakeJobQueue(), _calendar(),
        rules or ProgrammeRules(), clerk_user_id="user_fam", family_id="fam",
    )  # fmt: skip


async def _provider(uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules | None = None) -> Onboarded:
    return await onboard_provider(
        uow, FakeAccounts(), FakeDirectory(), FakeJobQueue(), _calendar(), rules or ProgrammeRules(),
        clerk_user_id="user_prov", provider_id="new-prov",
    )  # fmt: skip


def _accepted_notices(uow: FakeProgrammeUnitOfWork) -> list[dict[str, object]]:
    return [m.data for m in uow.notifier.sent() if m.kind is MessageKind.STAFF_INVITATION_ACCEPTED]


async def test_a_family_from_a_providers_invite_is_linked_to_it_and_the_invite_accepted(
    uow: FakeProgrammeUnitOfWork,
) -> None:
    done = await _family(uow)
    assert done.linked_child_ids == ("kid-a", "kid-b")
    assert {("prov", "kid-a"), ("prov", "kid-b")} <= uow.state.links
    invitation = uow.state.invitations[PROVIDERS_INVITE]
    assert invitation.accepted_at == WEDNESDAY
    assert (invitation.family_id, invitation.child_ids) == ("fam", ("kid-a", "kid-b"))
    assert _accepted_notices(uow)[0]["linked_children"] == "kid-a, kid-b"


async def test_the_family_link_stays_within_the_providers_capacity(uow: FakeProgrammeUnitOfWork) -> None:
    add_family(uow, "other")
    add_child(uow, "cared", "other")
    uow.state.links.add(("prov", "cared"))
    done = await _family(uow, ProgrammeRules(max_children_per_provider=2))
    assert done.linked_child_ids == ("kid-a",)
    assert ("prov", "kid-b") not in uow.state.links
    assert _accepted_notices(uow)[0]["not_linked_children"] == "kid-b"


async def test_a_child_already_cared_for_is_not_linked_twice(uow: FakeProgrammeUnitOfWork) -> None:
    uow.state.links.add(("prov", "kid-a"))
    done = await _family(uow)
    assert done.linked_child_ids == ("kid-b",)


async def test_a_provider_from_a_familys_invite_is_linked_to_the_children_it_named(
    uow: FakeProgrammeUnitOfWork,
) -> None:
    done = await _provider(uow)
    assert done.account.roles == {Role.PROVIDER}
    assert done.linked_child_ids == ("kid-b",)
    assert ("new-prov", "kid-b") in uow.state.links
    assert ("new-prov", "kid-a") not in uow.state.links
    invitation = uow.state.invitations[FAMILYS_INVITE]
    assert (invitation.provider_id, invitation.accepted_at) == ("new-prov", WEDNESDAY)


async def test_a_provider_already_full_is_linked_to_nothing_but_onboarded(
    uow: FakeProgrammeUnitOfWork,
) -> None:
    add_family(uow, "other")
    add_child(uow, "cared", "other")
    uow.state.links.add(("new-prov", "cared"))
    done = await _provider(uow, ProgrammeRules(max_children_per_provider=1))
    assert done.linked_child_ids == ()
    assert done.account.provider_id == "new-prov"
    assert _accepted_notices(uow)[0]["not_linked_children"] == "kid-b"


async def test_repeating_the_onboarding_links_nothing_more(uow: FakeProgrammeUnitOfWork) -> None:
    await _family(uow)
    links = set(uow.state.links)
    again = await _family(uow)
    assert again.linked_child_ids == ()
    assert uow.state.links == links
    assert len(_accepted_notices(uow)) == 1


async def test_an_invite_accepted_earlier_links_nothing(uow: FakeProgrammeUnitOfWork) -> None:
    invitation = uow.state.invitations[PROVIDERS_INVITE]
    uow.state.invitations[PROVIDERS_INVITE] = replace(invitation, accepted_at=MADE)
    done = await _family(uow)
    assert done.linked_child_ids == ()
    assert not any(p == "prov" for p, _ in uow.state.links)


@pytest.mark.parametrize(
    "link_id",
    [
        FAMILYS_INVITE,  # an invite for the other side: a family cannot accept a family's invite
        "0b9f4f0e-0000-4000-8000-00000000ffff",  # no such invitation
        "not a token",
        "",
    ],
)
async def test_a_link_id_that_names_no_usable_invite_onboards_without_linking(
    uow: FakeProgrammeUnitOfWork, link_id: str
) -> None:
    uow.state.families["fam"] = replace(uow.state.families["fam"], link_id=link_id)
    done = await _family(uow)
    assert done.account.family_id == "fam"
    assert done.linked_child_ids == ()
    assert not any(p == "prov" for p, _ in uow.state.links)
    assert uow.state.invitations[PROVIDERS_INVITE].accepted_at is None


async def test_a_refused_onboarding_keeps_no_link(uow: FakeProgrammeUnitOfWork) -> None:
    accounts = FakeAccounts()
    accounts.accounts["user_fam"] = Account("user_fam", None, frozenset({Role.FAMILY}), family_id="elsewhere")
    with pytest.raises(Conflict):
        await _family(uow, accounts=accounts)
    assert not any(p == "prov" for p, _ in uow.state.links)
    assert uow.state.invitations[PROVIDERS_INVITE].accepted_at is None
