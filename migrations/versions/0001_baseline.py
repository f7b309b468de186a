"""Baseline: the schema every later migration builds on.

The service foundation needs no tables of its own; it fixes the conventions (UTC timestamps,
advanced-alchemy's constraint naming) and gives later capabilities a common root revision.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0001_baseline"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Business dates are computed in code from an injected clock; the session zone stays UTC so
    # that stored timestamps never depend on the server's configuration.
    op.execute("SELECT 1")


def downgrade() -> None:
    pass
