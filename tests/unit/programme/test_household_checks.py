"""Whole-body rules of a family push: dates of birth in range, no external_id twice."""

from __future__ import annotations

from datetime import date

import pytest

from domain.programme.errors import InvalidField
from domain.programme.families import GuardianType
from domain.programme.use_cases.family_details import (
    ChildDetails,
    FamilyDetails,
    GuardianDetails,
    check_household,
)

TODAY = date(2025, 1, 1)


def _family(*children: ChildDetails, guardians: tuple[GuardianDetails, ...] | None = None) -> FamilyDetails:
    return FamilyDetails(
        guardians=guardians or (GuardianDetails(type=GuardianType.PRIMARY, first_name="A", last_name="B"),),
        children=children,
    )


@pytest.mark.parametrize("born", [date(9999, 12, 31), date(2025, 1, 2), date(1999, 12, 31), date(1, 1, 1)])
def test_a_date_of_birth_out_of_range_is_refused_naming_the_child(born: date) -> None:
    with pytest.raises(InvalidField) as refused:
        check_household(_family(ChildDetails("K", "D"), ChildDetails("L", "D", date_of_birth=born)), TODAY)
    assert refused.value.field == "children[1].dob"


@pytest.mark.parametrize("born", [TODAY, date(2000, 1, 1), date(2021, 5, 4)])
def test_a_date_of_birth_in_range_passes(born: date) -> None:
    check_household(_family(ChildDetails("K", "D", date_of_birth=born)), TODAY)


def test_without_today_only_the_far_bounds_apply() -> None:
    check_household(_family(ChildDetails("K", "D", date_of_birth=date(1950, 1, 1))))
    with pytest.raises(InvalidField):
        check_household(_family(ChildDetails("K", "D", date_of_birth=date(9999, 12, 31))))


def test_two_children_with_one_external_id_are_refused() -> None:
    twins = (ChildDetails("K", "D", external_id="kid-1"), ChildDetails("L", "D", external_id=" kid-1 "))
    with pytest.raises(InvalidField) as refused:
        check_household(_family(*twins), TODAY)
    assert refused.value.field == "children[1].external_id"
    assert "children[0].external_id" in refused.value.message


def test_children_without_external_ids_are_not_repeats() -> None:
    check_household(_family(ChildDetails("K", "D"), ChildDetails("L", "D")), TODAY)
