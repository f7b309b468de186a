"""Who may use the console: staff (the ``admin`` role), signed in with the ``__session`` cookie.

The cookie is verified by our own verifier exactly as a Bearer token is (``entrypoints/http/auth.py``:
the console's routes opt in with ``session_cookie``), and the role comes from our accounts table. Nobody
signed in (or a token that is not good) is bounced to a sign-in page with the way back; signed in but
not staff is refused with a page saying so. The guard runs before any form is read.
"""

from __future__ import annotations

from litestar.handlers import BaseRouteHandler

from domain.errors import Unauthenticated
from domain.identity.access import admit
from domain.identity.model import Role
from entrypoints.http.auth import Connection, current_caller, required_caller

SIGNED_IN_STAFF = "console_staff"


class SignInNeeded(Exception):
    """No usable sign-in: the console answers with the way to the sign-in page (see ``errors``)."""


async def staff_only(connection: Connection, _: BaseRouteHandler) -> None:
    """Guard of every console page and action."""
    try:
        caller = await current_caller(connection)
    except Unauthenticated:
        caller = None  # an expired or garbled cookie: sign in again
    if caller is None:
        raise SignInNeeded()
    admit(caller, (Role.ADMIN,))
    connection.state[SIGNED_IN_STAFF] = caller.user_id


async def staff_user_id(connection: Connection) -> str:
    """The signed-in staff member's Clerk user id (the guard admitted them)."""
    found = connection.state.get(SIGNED_IN_STAFF)
    return str(found) if found is not None else (await required_caller(connection)).user_id
