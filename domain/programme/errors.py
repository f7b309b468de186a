"""The programme's refusals. Each base class fixes the HTTP family at the edge; the code tells them apart.

Status choices follow the CAP frontend: a refused rule is 400 (it treats only 400 as "this failed"),
"Allocation not found" is 400 because month navigation relies on it, locked or submitted care days are
403, and a missing payment rate is 404 with the exact text the frontend compares.
"""

from __future__ import annotations

from typing import Any

from domain.errors import Conflict, Forbidden, NotFound, RuleRefused


class InvalidField(RuleRefused):
    code = "invalid_field"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", details={"field": field})
        self.field = field


class AdminRequired(Forbidden):
    code = "admin_required"
    default_message = "Only programme staff may do this"


class FamilyNotFound(NotFound):
    code = "family_not_found"
    default_message = "Family not found"


class ChildNotFound(NotFound):
    code = "child_not_found"
    default_message = "Child not found"


class ProviderNotFound(NotFound):
    code = "provider_not_found"
    default_message = "Provider not found"


class CareDayNotFound(NotFound):
    code = "care_day_not_found"
    default_message = "Care day not found"


class PaymentRateNotFound(NotFound):
    code = "payment_rate_not_found"
    default_message = "Payment rate not found"


class AllocationNotFound(RuleRefused):
    code = "allocation_not_found"
    default_message = "Allocation not found"


class ExternalIdTaken(Conflict):
    code = "external_id_taken"
    default_message = "This external_id already belongs to another record"


class ProviderAtCapacity(Conflict):
    code = "provider_at_capacity"
    default_message = "The provider already cares for the maximum number of children"


class ProviderNotLinked(RuleRefused):
    code = "provider_not_linked"
    default_message = "The provider does not care for this child"


class PaymentRateAlreadySet(RuleRefused):
    code = "payment_rate_exists"
    default_message = "Payment rate already exists for this child"


class PaymentRateNotSet(RuleRefused):
    code = "payment_rate_not_set"
    default_message = "The provider has not set rates for this child"


class ChildNotPaymentEnabled(RuleRefused):
    code = "child_not_payment_enabled"
    default_message = "Payments are not enabled for this child"


class AllocationMonthNotAllowed(RuleRefused):
    code = "allocation_month_not_allowed"
    default_message = "Allocations are created only for the current or the next month"


class ProgramEnded(RuleRefused):
    code = "program_ended"
    default_message = "The programme has ended; no allocations for this month"


class AllocationAmountMissing(RuleRefused):
    code = "allocation_amount_missing"
    default_message = "The child has no monthly or prorated allocation amount"


class AllocationAboveMaximum(RuleRefused):
    code = "allocation_above_maximum"

    def __init__(self, amount_cents: int, maximum_cents: int) -> None:
        details: dict[str, Any] = {"amount_cents": amount_cents, "maximum_cents": maximum_cents}
        message = f"Allocation of {amount_cents} cents exceeds the maximum of {maximum_cents}"
        super().__init__(message, details=details)


class AllocationExceeded(RuleRefused):
    code = "allocation_exceeded"
    default_message = "Adding this care day would exceed monthly allocation"


class CareDayExists(RuleRefused):
    code = "care_day_exists"
    default_message = "Care day already exists for this date"


class CareDayOutsideAllocationMonth(RuleRefused):
    code = "care_day_outside_allocation_month"
    default_message = "The care day must be in the allocation's month"


class CareDayInPast(RuleRefused):
    code = "care_day_in_past"
    default_message = "Cannot create a care day in the past"


class InvalidDateRange(RuleRefused):
    code = "invalid_date_range"
    default_message = "startDate must not be after endDate"


class CareDayLocked(Forbidden):
    code = "care_day_locked"
    default_message = "This care day is locked"


class CareDaySubmitted(Forbidden):
    code = "care_day_submitted"
    default_message = "This care day has already been submitted for payment"
