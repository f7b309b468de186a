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
