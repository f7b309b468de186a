"""The names of money's jobs, so use cases ask for them through ``uow.jobs`` without importing them."""

from __future__ import annotations

OPEN_FAMILY_WALLET = "money.open_family_wallet"
OPEN_PROVIDER_WALLET = "money.open_provider_wallet"
SYNC_PROVIDER_WALLET = "money.sync_provider_wallet"
SYNC_FAMILY_WALLET = "money.sync_family_wallet"
REFRESH_WALLETS = "money.refresh_wallets"
REFRESH_PENDING = "money.refresh_pending_instruments"
FUND_ALLOCATION = "money.fund_allocation"
CHECK_BOOKS = "money.check_books"
RECLAIM_UNPAID = "money.reclaim_unpaid_allocations"
SEND_PAYMENT_REMINDERS = "money.send_payment_reminders"
PAY_INTENT = "money.pay_intent"
RETRY_PAYMENT_INTENTS = "money.retry_payment_intents"
