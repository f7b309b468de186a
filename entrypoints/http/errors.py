"""The one exception → HTTP response table.

Every error leaves as JSON ``{"error": ..., "code": ..., "details": ...}``; never HTML, never a
traceback. Expected errors (the 4xx family) are not logged as faults nor sent to Sentry.
"""

from __future__ import annotations

import logging
from typing import Any

import redis.exceptions
import sqlalchemy.exc
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from adapters.sentry import UNHANDLED_LOGGER, report_unhandled
from domain import errors

logger = logging.getLogger(UNHANDLED_LOGGER)

DOMAIN_STATUS: dict[type[errors.DomainError], int] = {
    errors.RuleRefused: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.DependencyUnavailable: 503,
}

HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "dependency_unavailable",
}

# Infrastructure failures that mean "a dependency is down", whichever adapter hit them.
DEPENDENCY_DOWN: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def error_response(status: int, message: str, code: str, details: Any = None) -> Response[dict[str, Any]]:
    return Response({"error": message, "code": code, "details": details}, status_code=status)


def status_for(exc: BaseException) -> int:
    if isinstance(exc, errors.DomainError):
        return next((s for kind, s in DOMAIN_STATUS.items() if isinstance(exc, kind)), 400)
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, DEPENDENCY_DOWN):
        return 503
    return HTTP_500_INTERNAL_SERVER_ERROR


def is_expected(exc: BaseException) -> bool:
    """True for errors that are the caller's doing or a known outage, not a bug of ours."""
    return status_for(exc) < 500


def handle_domain_error(_: Request[Any, Any, Any], exc: errors.DomainError) -> Response[dict[str, Any]]:
    return error_response(status_for(exc), exc.message, exc.code, exc.details)


def handle_http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    if status >= 500:
        return handle_unexpected(_, exc)
    code = "validation_error" if isinstance(exc, ValidationException) else HTTP_CODES.get(status, "error")
    response = error_response(status, _message(exc), code, exc.extra or None)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, DEPENDENCY_DOWN):
        logger.warning("dependency unavailable", extra={"path": request.url.path, "reason": repr(exc)})
        return error_response(
            503, "A service this request needs is unavailable; try again shortly.", "dependency_unavailable"
        )
    report_unhandled(exc, path=request.url.path)
    logger.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
    return error_response(500, "Internal server error", "internal_error")


def _message(exc: HTTPException) -> str:
    detail = exc.detail or ""
    if isinstance(exc, ValidationException) and detail.startswith("Validation failed for"):
        return "The request is not valid; see details."
    return detail


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    errors.DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
