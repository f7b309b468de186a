"""What the programme's repositories share: the session they work in and id conversions.

Reads use ``populate_existing`` so that a row read again after a lock (or after this transaction's own
UPDATE) shows the database's current values, never the session's stale copy. Writes are single SQL
statements (INSERT / UPDATE / DELETE), so nothing waits in the session for a flush and the repositories
never commit.

The unique constraints on the application site's external_ids are the one judge of who holds one: a
write that collides with another record's — committed before, or by a concurrent transaction that
commits first — is refused as the domain's ``ExternalIdTaken`` here, for every repository and use case,
rather than answered with a 500 or checked (racily) beforehand.
"""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from adapters.postgres.ids import parse_id as parse_id  # re-exported: the repositories import it from here
from domain.programme.errors import ExternalIdTaken

T = TypeVar("T")

# Named in migrations/versions/0004_programme.py.
EXTERNAL_ID_CONSTRAINTS = frozenset(
    {"uq_families_external_id", "uq_children_external_id", "uq_providers_external_id"}
)


def require_id(value: str) -> UUID:
    """For writes: the domain only stores ids it generated, so a malformed one is a bug."""
    return UUID(value)


def fresh(*entities: Any) -> Select[Any]:
    return select(*entities).execution_options(populate_existing=True)


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _write(self, statement: Executable) -> None:
        """Runs an INSERT or UPDATE; ExternalIdTaken when it would give a record another's external_id."""
        try:
            await self._session.execute(statement)
        except IntegrityError as error:
            if _violated_constraint(error) in EXTERNAL_ID_CONSTRAINTS:
                # The transaction is aborted now; the unit of work rolls it back, so nothing is kept.
                raise ExternalIdTaken(details={"field": "external_id"}) from error
            raise


def _violated_constraint(error: IntegrityError) -> str | None:
    # asyncpg's own exception (the cause of the DBAPI error SQLAlchemy wraps) names the constraint.
    return getattr(getattr(error.orig, "__cause__", None), "constraint_name", None)


async def insert_unless_external_id_taken(
    session: AsyncSession, row: Any, key: UUID, values: dict[str, Any]
) -> bool:
    """INSERT … ON CONFLICT (external_id) DO NOTHING; False when another row holds the external_id.

    Postgres waits for a concurrent transaction inserting the same external_id to end before deciding,
    and the caller's next statement (READ COMMITTED) sees the row that won, so it can update that one.
    A NULL external_id never conflicts.
    """
    statement = (
        pg_insert(row)
        .values(id=key, **values)
        .on_conflict_do_nothing(index_elements=["external_id"])
        .returning(row.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None
