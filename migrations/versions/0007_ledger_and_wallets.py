"""Money: the double-entry ledger, allocation fundings, payment settings and the sandbox gateway's books.

The ledger's rules live in the schema too (see adapters/postgres/money/rows.py): entries keep their
account's balance through a trigger (which also stamps ``balance_after_cents``), a deferred constraint
trigger refuses, at commit, a transaction whose entries do not sum to zero or that has fewer than two, and
transactions and entries refuse UPDATE and DELETE (append-only: a correction is a new transaction).

Revision ID: 0007_ledger_and_wallets
Revises: 0005_drop_programme_events
Create Date: 2026-12-03 07:05:42.688870
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_ledger_and_wallets"
down_revision: str | None = "0005_drop_programme_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEDGER_RULES = (
    """
    CREATE FUNCTION ledger_entry_keeps_balance() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE ledger_accounts SET balance_cents = balance_cents + NEW.amount_cents
        WHERE id = NEW.account_id
        RETURNING balance_cents INTO NEW.balance_after_cents;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER ledger_entries_keep_balance BEFORE INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_keeps_balance()
    """,
    """
    CREATE FUNCTION ledger_transaction_balances() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        entry_count integer;
        total bigint;
    BEGIN
        SELECT count(*), coalesce(sum(amount_cents), 0) INTO entry_count, total
        FROM ledger_entries WHERE transaction_id = NEW.transaction_id;
        IF entry_count < 2 OR total <> 0 THEN
            RAISE EXCEPTION 'ledger transaction % is unbalanced (% entries, sum %)',
                NEW.transaction_id, entry_count, total USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_entries_balance AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balances()
    """,
    """
    CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: record a correction instead', TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END $$
    """,
    """
    CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only()
    """,
    """
    CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only()
    """,
)
DROP_LEDGER_RULES = (
    "DROP TRIGGER ledger_entries_append_only ON ledger_entries",
    "DROP TRIGGER ledger_transactions_append_only ON ledger_transactions",
    "DROP TRIGGER ledger_entries_balance ON ledger_entries",
    "DROP TRIGGER ledger_entries_keep_balance ON ledger_entries",
    "DROP FUNCTION ledger_is_append_only()",
    "DROP FUNCTION ledger_transaction_balances()",
    "DROP FUNCTION ledger_entry_keeps_balance()",
)


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("owner_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("balance_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(owner_id IS NULL) = (kind IN ('programme', 'reclaimed'))",
            name=op.f("ck_ledger_accounts_owner_matches_kind"),
        ),
        sa.CheckConstraint(
            "kind IN ('programme', 'family_wallet', 'provider_wallet', 'provider_payout', 'reclaimed')",
            name=op.f("ck_ledger_accounts_kind"),
        ),
        sa.CheckConstraint(
            "kind NOT IN ('family_wallet', 'provider_wallet') OR balance_cents >= 0",
            name=op.f("ck_ledger_accounts_wallet_not_negative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint(
            "kind", "owner_id", name="uq_ledger_accounts_kind_owner_id", postgresql_nulls_not_distinct=True
        ),
    )
    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("record_type", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('allocation_funding', 'family_to_provider', 'payout', 'reclamation', 'correction')",
            name=op.f("ck_ledger_transactions_kind"),
        ),
        sa.CheckConstraint(
            "record_type IN ('allocation', 'payment', 'reclamation', 'correction')",
            name=op.f("ck_ledger_transactions_record_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint("idempotency_key", name="uq_ledger_transactions_idempotency_key"),
    )
    op.create_index(
        "ix_ledger_transactions_record", "ledger_transactions", ["record_type", "record_id"], unique=False
    )
    op.create_table(
        "sandbox_faults",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("fault", sa.String(length=20), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("remaining > 0", name=op.f("ck_sandbox_faults_remaining")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_faults")),
    )
    op.create_table(
        "sandbox_transfers",
        sa.Column("transfer_id", sa.String(length=100), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("from_user_id", sa.String(length=100), nullable=False),
        sa.Column("to_user_id", sa.String(length=100), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_sandbox_transfers_amount_cents")),
        sa.PrimaryKeyConstraint("transfer_id", name=op.f("pk_sandbox_transfers")),
        sa.UniqueConstraint("idempotency_key", name="uq_sandbox_transfers_idempotency_key"),
    )
    op.create_table(
        "sandbox_wallets",
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("first_name", sa.String(length=24), nullable=False),
        sa.Column("last_name", sa.String(length=24), nullable=False),
        sa.Column("balance_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("card_id", sa.String(length=100), nullable=True),
        sa.Column("card_status", sa.String(length=40), nullable=True),
        sa.Column("ach_id", sa.String(length=100), nullable=True),
        sa.Column("ach_status", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("balance_cents >= 0", name=op.f("ck_sandbox_wallets_balance_cents")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_sandbox_wallets")),
        sa.UniqueConstraint("email", name="uq_sandbox_wallets_email"),
    )
    op.create_table(
        "family_payment_settings",
        sa.Column("family_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("gateway_user_id", sa.String(length=100), nullable=True),
        sa.Column("wallet_balance_cents", sa.BigInteger(), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_family_payment_settings_family_id_families"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("family_id", name=op.f("pk_family_payment_settings")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_cents <> 0", name=op.f("ck_ledger_entries_amount_cents")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_entries_account_id_ledger_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_entries_transaction_id_ledger_transactions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index("ix_ledger_entries_account_id", "ledger_entries", ["account_id", "id"], unique=False)
    op.create_index("ix_ledger_entries_transaction_id", "ledger_entries", ["transaction_id"], unique=False)
    op.create_table(
        "provider_payment_settings",
        sa.Column("provider_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("gateway_user_id", sa.String(length=100), nullable=True),
        sa.Column("payment_method", sa.String(length=8), nullable=True),
        sa.Column("payment_method_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("card_id", sa.String(length=100), nullable=True),
        sa.Column("card_status", sa.String(length=40), nullable=True),
        sa.Column("ach_id", sa.String(length=100), nullable=True),
        sa.Column("ach_status", sa.String(length=40), nullable=True),
        sa.Column("wallet_balance_cents", sa.BigInteger(), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "payment_method IS NULL OR payment_method IN ('card', 'ach')",
            name=op.f("ck_provider_payment_settings_payment_method"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_provider_payment_settings_provider_id_providers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("provider_id", name=op.f("pk_provider_payment_settings")),
    )
    op.create_table(
        "allocation_fundings",
        sa.Column("allocation_id", sa.BigInteger(), nullable=False),
        sa.Column("family_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gateway_transfer_id", sa.String(length=100), nullable=True),
        sa.Column("ledger_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("funded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status = 'funded') = (gateway_transfer_id IS NOT NULL AND ledger_transaction_id IS NOT NULL)",
            name=op.f("ck_allocation_fundings_funded_has_transfer"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'funded', 'nothing_to_fund')", name=op.f("ck_allocation_fundings_status")
        ),
        sa.CheckConstraint("amount_cents >= 0", name=op.f("ck_allocation_fundings_amount_cents")),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["month_allocations.id"],
            name=op.f("fk_allocation_fundings_allocation_id_month_allocations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_allocation_fundings_family_id_families"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ledger_transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_allocation_fundings_ledger_transaction_id_ledger_transactions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("allocation_id", name=op.f("pk_allocation_fundings")),
    )
    op.create_index(
        "ix_allocation_fundings_pending",
        "allocation_fundings",
        ["allocation_id"],
        unique=False,
        postgresql_where="status = 'pending'",
    )
    for statement in LEDGER_RULES:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_LEDGER_RULES:
        op.execute(statement)
    op.drop_index(
        "ix_allocation_fundings_pending",
        table_name="allocation_fundings",
        postgresql_where="status = 'pending'",
    )
    op.drop_table("allocation_fundings")
    op.drop_table("provider_payment_settings")
    op.drop_index("ix_ledger_entries_transaction_id", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_account_id", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_table("family_payment_settings")
    op.drop_table("sandbox_wallets")
    op.drop_table("sandbox_transfers")
    op.drop_table("sandbox_faults")
    op.drop_index("ix_ledger_transactions_record", table_name="ledger_transactions")
    op.drop_table("ledger_transactions")
    op.drop_table("ledger_accounts")
