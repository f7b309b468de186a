"""``/console/dev-sign-in`` and ``/console/sign-out``: the development sign-in (see ``dev_sign_in``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from entrypoints.http.auth import SESSION_COOKIE
from entrypoints.http.console.dev_sign_in import SESSION_MINUTES, DevSignIn
from entrypoints.http.console.errors import AnyRequest
from entrypoints.http.console.forms import Form, safe_next
from entrypoints.http.services import services_of

NOT_HERE = "There is no development sign-in on this server: sign in through the portal."


@dataclass
class SignInForm:
    user_id: str
    next: str = "/console"


def _dev_sign_in(request: AnyRequest) -> DevSignIn:
    found: DevSignIn | None = request.app.state.get("console_dev_sign_in")
    if found is None:
        raise NotFoundException(NOT_HERE)
    return found


@get("/dev-sign-in", name="console_dev_sign_in_form")
async def dev_sign_in_form(
    request: AnyRequest, next: Annotated[str, QueryParameter(max_length=500)] = "/console"
) -> Template:
    _dev_sign_in(request)
    return Template("dev_sign_in.html", context={"next": safe_next(next), "error": None})


@post("/dev-sign-in", name="console_dev_sign_in")
async def dev_sign_in(request: AnyRequest, data: Form[SignInForm]) -> Redirect | Template:
    signer = _dev_sign_in(request)
    user_id = data.user_id.strip()
    if not user_id.startswith("user_") or len(user_id) > 100:
        error = "A user id looks like user_… (the Clerk user id of an account with the admin role)."
        context = {"next": safe_next(data.next), "error": error}
        return Template("dev_sign_in.html", context=context, status_code=400)
    cookie = Cookie(
        key=SESSION_COOKIE,
        value=signer.token(user_id),
        path="/console",
        httponly=True,
        samesite="lax",
        max_age=SESSION_MINUTES * 60,
    )
    return Redirect(safe_next(data.next), status_code=303, cookies=[cookie])


@post("/sign-out", name="console_sign_out")
async def sign_out(request: AnyRequest) -> Redirect:
    """Forgets the console's cookie; with Clerk, the person signs out of the portal too."""
    if request.app.state.get("console_dev_sign_in") is not None:
        target = "/console/dev-sign-in"
    else:
        target = f"{services_of(request).settings.frontend_url.rstrip('/')}/auth/sign-in"
    response = Redirect(target, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


ROUTES = [dev_sign_in_form, dev_sign_in, sign_out]
