"""The schema's metadata: every ORM row class registers here through advanced-alchemy's bases.

Alembic compares this metadata with the database when generating migrations, so each row
module must be imported below. It lives beside the adapter packages, not in one of them, because
it gathers the rows of several (``postgres`` and ``jobs``), which must not import each other.
"""

from __future__ import annotations

from advanced_alchemy.base import metadata_registry
from sqlalchemy import MetaData

metadata: MetaData = metadata_registry.get()

# Row modules: importing them registers their tables on ``metadata``.
from adapters.jobs import rows as _job_rows  # noqa: E402, F401
from adapters.postgres import accounts as _accounts  # noqa: E402, F401
from adapters.postgres import attendance as _attendance  # noqa: E402, F401
from adapters.postgres import audit as _audit  # noqa: E402, F401
from adapters.postgres import bulk_imports as _bulk_imports  # noqa: E402, F401
from adapters.postgres import engagement as _engagement  # noqa: E402, F401
from adapters.postgres import invitations as _invitations  # noqa: E402, F401
from adapters.postgres.money import lump_sum_rows as _lump_sum_rows  # noqa: E402, F401
from adapters.postgres.money import reclamation_rows as _reclamation_rows  # noqa: E402, F401
from adapters.postgres.money import rows as _money_rows  # noqa: E402, F401
from adapters.postgres.notifications import rows as _notification_rows  # noqa: E402, F401
from adapters.postgres.programme import rows as _programme_rows  # noqa: E402, F401
