"""Money's refusals, in the programme's words (the edge maps each family to its HTTP status)."""

from __future__ import annotations

from domain.errors import Conflict, DependencyUnavailable, NotFound, RuleRefused


class UnbalancedTransaction(RuleRefused):
    code = "unbalanced_transaction"
    default_message = "A ledger transaction needs two or more entries that sum to zero"


class WalletOverdrawn(RuleRefused):
    code = "wallet_overdrawn"
    default_message = "The wallet does not hold enough money for this move"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = "This idempotency key already recorded a different transaction"


class ProviderPaymentsNotEnabled(RuleRefused):
    code = "provider_payments_not_enabled"
    default_message = "Payments are not enabled for this provider"


class InvalidPaymentMethod(RuleRefused):
    code = "invalid_payment_method"
    default_message = "payment_method must be card or ach"


class PaymentInstrumentMissing(RuleRefused):
    code = "payment_instrument_missing"
    default_message = "This payment method has not been set up yet"


class PaymentSettingsNotFound(NotFound):
    code = "payment_settings_not_found"
    default_message = "Payment settings not found"


class WalletDetailsInvalid(RuleRefused):
    """What the gateway needs to open a wallet (email, phone, state) is missing or malformed."""

    code = "wallet_details_invalid"


class GatewayDeclined(RuleRefused):
    """The gateway refused the move (insufficient funds, a closed account): retrying will not help."""

    code = "gateway_declined"
    default_message = "The payment gateway declined the transfer"


class GatewayUnavailable(DependencyUnavailable):
    """The gateway did not answer, or answered with an error: the outcome is unknown, retry with the same
    idempotency key (the gateway then moves the money at most once)."""

    code = "gateway_unavailable"
    default_message = "The payment gateway is unavailable"


class FamilyWalletMissing(DependencyUnavailable):
    """The allocation cannot be funded yet: the family's wallet has not been opened at the gateway (its
    job has not run, or is waiting on the gateway). Retried like an outage."""

    code = "family_wallet_missing"
    default_message = "The family has no wallet at the payment gateway yet"


class SandboxNotInUse(Conflict):
    code = "sandbox_not_in_use"
    default_message = "The sandbox controls need PAYMENT_GATEWAY=sandbox"


# --- Paying providers: the pre-checks refuse with 400 (the frontend reads only 400 as "this failed") ----


class NothingToPay(RuleRefused):
    code = "nothing_to_pay"
    default_message = "There are no unpaid care days to submit"


class PaymentAboveMaximum(RuleRefused):
    code = "payment_above_maximum"
    default_message = "The payment is above the largest amount one payment may move"


class PaymentExceedsRemainder(RuleRefused):
    code = "payment_exceeds_remainder"
    default_message = "The payment is more than what remains unpaid of the month's allocation"


class FamilyWalletShort(RuleRefused):
    code = "family_wallet_short"
    default_message = "The family's wallet does not hold enough for this payment"


class FamilyCannotPay(RuleRefused):
    code = "family_cannot_pay"
    default_message = "The family's wallet is not open yet"


class ProviderNotPayable(RuleRefused):
    code = "provider_not_payable"
    default_message = "The provider cannot receive payments yet"


class ItemsAlreadyClaimed(RuleRefused):
    """A care day or lump sum already belongs to another payment intent (the database said so)."""

    code = "items_already_claimed"
    default_message = "These care days are already being paid"


class ItemsNotInAllocation(RuleRefused):
    code = "items_not_in_allocation"
    default_message = "Every paid item must belong to the allocation and provider being paid"


class PaymentIntentNotFound(NotFound):
    code = "payment_intent_not_found"
    default_message = "Payment intent not found"


class PaymentIntentNotRetryable(Conflict):
    code = "payment_intent_not_retryable"
    default_message = "This payment intent is paid already"


class PaymentIntentNotCancellable(Conflict):
    """Only a failed intent that moved no money can be cancelled (its claims released); the message says
    why this one cannot."""

    code = "payment_intent_not_cancellable"
    default_message = "Only a failed payment intent can be cancelled"
