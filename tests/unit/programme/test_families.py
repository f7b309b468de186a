from __future__ import annotations

import pytest

from domain.errors import Conflict
from domain.programme.actors import Actor
from domain.programme.config import ProgrammeRules
from domain.programme.errors import (
    AdminRequired,
    ChildNotFound,
    ExternalIdTaken,
    FamilyNotFound,
    InvalidField,
)
from domain.programme.families import GuardianType
from domain.programme.statuses import ApplicationStatus, Language
from domain.programme.use_cases.families import (
    ChildChanges,
    FamilyChanges,
    save_family,
    update_child,
    update_family,
)
from domain.programme.use_cases.family_details import ChildDetails, FamilyDetails, GuardianDetails
from tests.fakes import FakeProgrammeUnitOfWork

ADMIN = Actor.admin()
PRIMARY = GuardianDetails(
    GuardianType.PRIMARY,
    "Ana",
    "Diaz",
    email="ana@example.org",
    phone_number="+13035550100",
    external_id="g-1",
)
SECOND = GuardianDetails(GuardianType.SECONDARY, "Luis", "Diaz", email="luis@example.org")
CHILD = ChildDetails(
    "Sam",
    "Diaz",
    status=ApplicationStatus.APPROVED,
    payment_enabled=True,
    monthly_allocation_cents=120_000,
    prorated_allocation_cents=60_000,
    external_id="c-1",
)


def details(
    *,
    guardians: tuple[GuardianDetails, ...] = (SECOND, PRIMARY),
    children: tuple[ChildDetails, ...] = (CHILD,),
    language: Language = Language.SPANISH,
    external_id: str | None = "f-1",
    household_size: int | None = None,
) -> FamilyDetails:
    return FamilyDetails(
        guardians=guardians,
        children=children,
        language=language,
        external_id=external_id,
        household_size=household_size,
    )


async def test_a_family_arrives_with_guardians_and_children(
    uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules
) -> None:
    saved = await save_family(uow, rules, ADMIN, details())

    assert saved.created
    family = uow.state.families[saved.family.id]
    assert family == saved.family
    assert [g.first_name for g in family.guardians] == ["Ana", "Luis"]  # primary first
    assert family.primary_guardian == family.guardians[0]
    assert family.guardians[0].email == "ana@example.org"
    assert family.language is Language.SPANISH
    (child,) = saved.children
    assert uow.state.children[child.id] == child
    assert (child.family_id, child.monthly_allocation_cents, child.payment_enabled) == (
        family.id,
        120_000,
        True,
    )
    assert all(isinstance(i, str) for i in (family.id, child.id, family.guardians[0].id))
    assert uow.commits == 1


async def test_a_repeated_push_updates_instead_of_duplicating(
    uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules
) -> None:
    first = await save_family(uow, rules, ADMIN, details())
    changed_child = ChildDetails(
        "Sam", "Diaz", payment_enabled=False, monthly_allocation_cents=90_000, external_id="c-1"
    )
    second = await save_family(
        uow, rules, ADMIN, details(children=(changed_child,), language=Language.ARABIC)
    )

    assert not second.created
    assert second.family.id == first.family.id
    assert [g.id for g in second.family.guardians] == [g.id for g in first.family.guardians]
    assert second.children[0].id == first.children[0].id
    assert len(uow.state.families) == 1
    assert len(uow.state.children) == 1
    assert uow.state.children[first.children[0].id].monthly_allocation_cents == 90_000


async def test_without_external_id_every_push_is_new(
    uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules
) -> None:
    await save_family(uow, rules, ADMIN, details(external_id=None, children=()))
    await save_family(uow, rules, ADMIN, details(external_id=None, children=()))
    assert len(uow.state.families) == 2


@pytest.mark.parametrize(
    ("family", "field"),
    [
        (details(guardians=(SECOND,)), "guardians"),
        (details(guardians=(PRIMARY, PRIMARY)), "guardians"),
        (
            details(guardians=(GuardianDetails(GuardianType.PRIMARY, "Ana", "D", phone_number="303-555"),)),
            "guardians[0].phone_number",
        ),
        (
            details(guardians=(PRIMARY, GuardianDetails(GuardianType.SECONDARY, "L", "D", email="nope"))),
            "guardians[1].email",
        ),
        (details(guardians=(GuardianDetails(GuardianType.PRIMARY, " ", "D"),)), "guardians[0].first_name"),
        (
            details(children=(CHILD, ChildDetails("Kim", "Diaz", monthly_allocation_cents=140_001))),
            "children[1].monthly_allocation_cents",
        ),
        (
            details(children=(ChildDetails("Kim", "Diaz", prorated_allocation_cents=-1),)),
            "children[0].prorated_allocation_cents",
        ),
        (details(household_size=0), "household_size"),
    ],
)
async def test_invalid_details_name_the_field(
    uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules, family: FamilyDetails, field: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        await save_family(uow, rules, ADMIN, family)
    assert refused.value.details == {"field": field}
    assert uow.state.families == {}
    assert uow.commits == 0


async def test_a_childs_external_id_cannot_move_to_another_family(
    uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules
) -> None:
    await save_family(uow, rules, ADMIN, details())
    with pytest.raises(ExternalIdTaken) as refused:
        await save_family(uow, rules, ADMIN, details(external_id="f-2"))
    assert isinstance(refused.value, Conflict)
    assert refused.value.details == {"field": "children[0].external_id"}
    assert len(uow.state.families) == 1


@pytest.mark.parametrize("actor", [Actor.family("f"), Actor.provider("p"), Actor()])
async def test_only_staff_and_machines_write_families(
    uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules, actor: Actor
) -> None:
    with pytest.raises(AdminRequired):
        await save_family(uow, rules, actor, details())
    with pytest.raises(AdminRequired):
        await update_child(uow, rules, actor, "c", ChildChanges(payment_enabled=True))


async def test_updating_a_family_changes_only_what_is_sent(
    uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules
) -> None:
    saved = await save_family(uow, rules, ADMIN, details())
    family = await update_family(
        uow, ADMIN, saved.family.id, FamilyChanges(language=Language.RUSSIAN, zip_code="80202")
    )
    assert (family.language, family.zip_code, family.external_id) == (Language.RUSSIAN, "80202", "f-1")
    assert family.guardians == saved.family.guardians
    assert uow.state.families[family.id] == family


async def test_updating_guardians_replaces_the_list(
    uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules
) -> None:
    saved = await save_family(uow, rules, ADMIN, details())
    family = await update_family(uow, ADMIN, saved.family.id, FamilyChanges(guardians=(PRIMARY,)))
    assert [g.id for g in family.guardians] == [saved.family.guardians[0].id]


async def test_updating_refuses_an_external_id_in_use_and_unknown_families(
    uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules
) -> None:
    await save_family(uow, rules, ADMIN, details())
    other = await save_family(uow, rules, ADMIN, details(external_id="f-2", children=()))
    with pytest.raises(ExternalIdTaken):
        await update_family(uow, ADMIN, other.family.id, FamilyChanges(external_id="f-1"))
    with pytest.raises(FamilyNotFound):
        await update_family(uow, ADMIN, "nobody", FamilyChanges(language=Language.ENGLISH))


async def test_updating_a_child(uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules) -> None:
    saved = await save_family(uow, rules, ADMIN, details())
    child_id = saved.children[0].id
    child = await update_child(
        uow, rules, ADMIN, child_id, ChildChanges(payment_enabled=False, prorated_allocation_cents=None)
    )
    assert (child.payment_enabled, child.prorated_allocation_cents, child.monthly_allocation_cents) == (
        False,
        None,
        120_000,
    )
    assert uow.state.children[child_id] == child


async def test_a_childs_external_id_changes_unless_another_child_holds_it(
    uow: FakeProgrammeUnitOfWork, rules: ProgrammeRules
) -> None:
    saved = await save_family(uow, rules, ADMIN, details(children=(CHILD, ChildDetails("Kim", "Diaz"))))
    first, second = saved.children
    moved = await update_child(uow, rules, ADMIN, second.id, ChildChanges(external_id=" c-2 "))
    assert moved.external_id == "c-2"
    with pytest.raises(ExternalIdTaken) as refused:
        await update_child(uow, rules, ADMIN, second.id, ChildChanges(external_id=first.external_id))
    assert refused.value.details == {"field": "external_id"}
    assert uow.state.children[second.id] == moved


async def test_updating_a_child_validates_and_finds_it(uow: FakeProgrammeUnitOfWork) -> None:
    rules = ProgrammeRules(max_allocation_cents=50_000)
    saved = await save_family(uow, rules, ADMIN, details(children=(ChildDetails("Kim", "Diaz"),)))
    with pytest.raises(InvalidField) as refused:
        await update_child(
            uow, rules, ADMIN, saved.children[0].id, ChildChanges(monthly_allocation_cents=50_001)
        )
    assert refused.value.details == {"field": "child.monthly_allocation_cents"}
    with pytest.raises(ChildNotFound):
        await update_child(uow, rules, ADMIN, "nobody", ChildChanges(first_name="X"))
