"""The console's answers to errors: a readable page (or the way to sign in), never JSON or a traceback.

A refused rule on an action is shown on the page it came from by the action itself (``pages``); what
reaches here is what no page can show: no sign-in, not staff, a missing record, a failed CSRF check, an
outage, or a bug (logged and reported like the API's, with a plain page for the person).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap

from domain import errors
from entrypoints.http.console.access import SignInNeeded
from entrypoints.http.errors import DEPENDENCY_DOWN, handle_unexpected, status_for
from entrypoints.http.services import services_of

AnyRequest = Request[Any, Any, Any]
DEV_SIGN_IN_PATH = "/console/dev-sign-in"

TITLES = {
    400: "That could not be done",
    403: "Not allowed",
    404: "Not found",
    413: "Too large",
    405: "Not allowed",
    503: "A service is unavailable",
}


def error_page(status: int, message: str, *, title: str | None = None) -> Template:
    return Template(
        "error.html",
        context={"title": title or TITLES.get(status, "Something went wrong"), "message": message},
        status_code=status,
    )


def sign_in_bounce(request: AnyRequest, _: SignInNeeded) -> Response[Any]:
    """To the development sign-in where this server has one, else through the frontend's sign-in page,
    which sends the person back here (``redirect_url``) once Clerk has set their ``__session`` cookie."""
    back = str(request.url)
    if request.app.state.get("console_dev_sign_in") is not None:
        return Redirect(f"{DEV_SIGN_IN_PATH}?{urlencode({'next': request.url.path})}", status_code=303)
    frontend = services_of(request).settings.frontend_url.rstrip("/")
    return Redirect(f"{frontend}/auth/sign-in?redirect_url={quote(back, safe='')}", status_code=303)


def domain_error_page(_: AnyRequest, exc: errors.DomainError) -> Template:
    status = status_for(exc)
    if isinstance(exc, errors.Forbidden):
        return error_page(403, f"{exc.message} The console is for programme staff (the admin role).")
    return error_page(status, exc.message)


def http_error_page(request: AnyRequest, exc: HTTPException) -> Response[Any]:
    if exc.status_code >= 500:
        return unexpected_error_page(request, exc)
    if exc.status_code == 403:  # Litestar's CSRF check
        return error_page(403, "The form had expired or did not come from the console. Reload and try again.")
    if exc.status_code == 413:  # the body is over the route's limit: a file far too large to import
        return error_page(413, "That upload is too large for the console; split the file and try again.")
    return error_page(exc.status_code, exc.detail or TITLES.get(exc.status_code, "That could not be done"))


def unexpected_error_page(request: AnyRequest, exc: Exception) -> Response[Any]:
    handle_unexpected(request, exc)  # logged and reported exactly like the API's
    if isinstance(exc, DEPENDENCY_DOWN):
        return error_page(503, "A service the console needs is unavailable; try again shortly.")
    return error_page(500, "Something went wrong on our side. It has been logged; try again shortly.")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    SignInNeeded: sign_in_bounce,
    errors.DomainError: domain_error_page,
    HTTPException: http_error_page,
    Exception: unexpected_error_page,
}
