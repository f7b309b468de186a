"""The reference for the payment history: a bare Litestar + asyncpg + PyJWT app answering
``GET /family/payments`` with our JSON.

It does what our route must do and nothing else: verify the session token (``bench.bare_programme``'s
PyJWT check), look the account up with our sign-in's statement, then send our history's two statements
(imported as text from ``adapters.postgres.money.history``, so both sides always send the same reads)
and build the answer with the same domain and view functions. The difference between the two apps is
the framework around the work: guards, middleware, error handling, the sign-in and money layers.
Served through ``entrypoints.cli.processes.serve`` on the settings of ``cap-portal run``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Litestar, Request, get

from adapters.postgres.money.history import CARE_DAYS_STATEMENT, FAMILY_STATEMENT, _lines
from bench.bare_programme import _account, _lifespan, _resources, health
from domain.money.history import History
from domain.money.use_cases.history import HISTORY_LIMIT
from entrypoints.http.money.history import FamilyPaymentsJson, family_json


@get("/family/payments")
async def family_payments(request: Request[Any, Any, Any]) -> FamilyPaymentsJson:
    pool: asyncpg.Pool = _resources["pool"]
    account = await _account(request, "family")
    intents = await pool.fetch(FAMILY_STATEMENT, UUID(account.family_id), HISTORY_LIMIT)
    days = await pool.fetch(CARE_DAYS_STATEMENT, [row["id"] for row in intents]) if intents else []
    return family_json(History(tuple(_lines(intents, days))))


def create_app() -> Litestar:
    return Litestar(route_handlers=[family_payments, health], lifespan=[_lifespan])


def main() -> None:
    """``python -m bench.bare_payments PORT WORKERS SERVER``."""
    import sys

    from entrypoints.cli.processes import serve

    port, workers, server = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    serve("bench.bare_payments:create_app", host="127.0.0.1", port=port, workers=workers, server=server)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
