"""Request bodies of the admin API for reference data, and their translation into domain details.

Field names follow the application site's records (upstream-domain.md §1.3) with money in cents.
Type and range errors are refused by msgspec naming the field (``$.children[0].dob``); the domain
names the field for everything else (``guardians[0].phone_number: must be … E.164``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec

from domain.programme.families import Address, GuardianType
from domain.programme.providers import ProviderType
from domain.programme.records import UNSET as DOMAIN_UNSET
from domain.programme.statuses import ApplicationStatus, Language
from domain.programme.use_cases.family_details import ChildDetails, FamilyDetails, GuardianDetails
from domain.programme.use_cases.providers import ProviderDetails

Text = Annotated[str, msgspec.Meta(max_length=200)]
Cents = Annotated[int, msgspec.Meta(ge=0)]


def kept(value: Any) -> Any:
    """msgspec's "field left out" becomes the domain's "leave it alone"."""
    return DOMAIN_UNSET if value is msgspec.UNSET else value


class GuardianIn(msgspec.Struct, forbid_unknown_fields=True):
    first_name: Text
    last_name: Text
    type: GuardianType = GuardianType.PRIMARY
    email: Text | None = None
    phone_number: Text | None = None
    address_1: Text | None = None
    address_2: Text | None = None
    city: Text | None = None
    state: Text | None = None
    zip: Text | None = None
    external_id: Text | None = None

    def details(self) -> GuardianDetails:
        address = Address(self.address_1, self.address_2, self.city, self.state, self.zip)
        return GuardianDetails(
            type=self.type,
            first_name=self.first_name,
            last_name=self.last_name,
            email=self.email,
            phone_number=self.phone_number,
            address=address,
            external_id=self.external_id,
        )


class ChildIn(msgspec.Struct, forbid_unknown_fields=True):
    first_name: Text
    last_name: Text
    middle_name: Text | None = None
    dob: date | None = None
    status: ApplicationStatus = ApplicationStatus.PENDING
    payment_enabled: bool = False
    monthly_allocation_cents: Cents | None = None
    prorated_allocation_cents: Cents | None = None
    external_id: Text | None = None

    def details(self) -> ChildDetails:
        return ChildDetails(
            first_name=self.first_name,
            last_name=self.last_name,
            middle_name=self.middle_name,
            date_of_birth=self.dob,
            status=self.status,
            payment_enabled=self.payment_enabled,
            monthly_allocation_cents=self.monthly_allocation_cents,
            prorated_allocation_cents=self.prorated_allocation_cents,
            external_id=self.external_id,
        )


class FamilyIn(msgspec.Struct, forbid_unknown_fields=True):
    guardians: Annotated[list[GuardianIn], msgspec.Meta(min_length=1, max_length=10)]
    children: Annotated[list[ChildIn], msgspec.Meta(max_length=20)] = []
    language: Language = Language.ENGLISH
    zip: Text | None = None
    size: Annotated[int, msgspec.Meta(ge=1, le=50)] | None = None
    yearly_income_cents: Cents | None = None
    link_id: Text | None = None
    external_id: Text | None = None

    def details(self) -> FamilyDetails:
        return FamilyDetails(
            guardians=tuple(g.details() for g in self.guardians),
            children=tuple(c.details() for c in self.children),
            language=self.language,
            zip_code=self.zip,
            household_size=self.size,
            yearly_income_cents=self.yearly_income_cents,
            link_id=self.link_id,
            external_id=self.external_id,
        )


class FamilyPatch(msgspec.Struct, forbid_unknown_fields=True):
    guardians: Annotated[list[GuardianIn], msgspec.Meta(min_length=1, max_length=10)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    language: Language | msgspec.UnsetType = msgspec.UNSET
    zip: Text | msgspec.UnsetType | None = msgspec.UNSET
    link_id: Text | msgspec.UnsetType | None = msgspec.UNSET
    external_id: Text | msgspec.UnsetType | None = msgspec.UNSET


class ChildPatch(msgspec.Struct, forbid_unknown_fields=True):
    first_name: Text | msgspec.UnsetType = msgspec.UNSET
    last_name: Text | msgspec.UnsetType = msgspec.UNSET
    status: ApplicationStatus | msgspec.UnsetType = msgspec.UNSET
    payment_enabled: bool | msgspec.UnsetType = msgspec.UNSET
    monthly_allocation_cents: Cents | msgspec.UnsetType | None = msgspec.UNSET
    prorated_allocation_cents: Cents | msgspec.UnsetType | None = msgspec.UNSET
    external_id: Text | msgspec.UnsetType | None = msgspec.UNSET


class ProviderIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Text
    type: ProviderType
    first_name: Text | None = None
    last_name: Text | None = None
    email: Text | None = None
    phone_number: Text | None = None
    status: ApplicationStatus = ApplicationStatus.PENDING
    payment_enabled: bool = False
    care_location_address_1: Text | None = None
    care_location_address_2: Text | None = None
    care_location_city: Text | None = None
    care_location_state: Text | None = None
    care_location_zip: Text | None = None
    preferred_language: Language = Language.ENGLISH
    link_id: Text | None = None
    external_id: Text | None = None

    def details(self) -> ProviderDetails:
        location = Address(
            self.care_location_address_1,
            self.care_location_address_2,
            self.care_location_city,
            self.care_location_state,
            self.care_location_zip,
        )
        return ProviderDetails(
            name=self.name,
            type=self.type,
            first_name=self.first_name,
            last_name=self.last_name,
            email=self.email,
            phone_number=self.phone_number,
            status=self.status,
            payment_enabled=self.payment_enabled,
            care_location=location,
            preferred_language=self.preferred_language,
            link_id=self.link_id,
            external_id=self.external_id,
        )


class ProviderPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Text | msgspec.UnsetType = msgspec.UNSET
    type: ProviderType | msgspec.UnsetType = msgspec.UNSET
    email: Text | msgspec.UnsetType | None = msgspec.UNSET
    phone_number: Text | msgspec.UnsetType | None = msgspec.UNSET
    status: ApplicationStatus | msgspec.UnsetType = msgspec.UNSET
    payment_enabled: bool | msgspec.UnsetType = msgspec.UNSET
    preferred_language: Language | msgspec.UnsetType = msgspec.UNSET
    external_id: Text | msgspec.UnsetType | None = msgspec.UNSET
