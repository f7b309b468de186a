"""Sentry, started at the top of each process when a DSN is configured."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sentry_sdk
from sentry_sdk.integrations import Integration
from sentry_sdk.integrations.litestar import LitestarIntegration
from sentry_sdk.integrations.logging import ignore_logger

IsExpected = Callable[[BaseException], bool]

# The edge logs each unhandled error under this name after reporting it (``report_unhandled``);
# Sentry must not turn that log line into a second event.
UNHANDLED_LOGGER = "cap_portal.unhandled"


def init_sentry(
    *,
    dsn: str | None,
    environment: str,
    release: str,
    traces_sample_rate: float,
    is_expected: IsExpected,
    integrations: Sequence[Integration] = (),
) -> bool:
    """Start Sentry; return False (and do nothing) without a DSN.

    ``is_expected`` tells which exceptions are business as usual (a refused rule, a missing
    record: the 4xx family). Those are dropped so Sentry only sees real faults.
    """
    if not dsn:
        return False
    ignore_logger(UNHANDLED_LOGGER)
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        traces_sample_rate=traces_sample_rate,
        integrations=list(integrations),
        send_default_pii=False,
        # Its Litestar integration parses every request's body before the route runs — before sign-in
        # and role checks, and outside our error handling: a malformed or 1,200-deep body became a 500
        # (RecursionError) whenever a DSN was set. The edge reports unhandled errors itself
        # (``report_unhandled``), after the guards, with the request's path.
        disabled_integrations=[LitestarIntegration],
        before_send=_drop_expected(is_expected),
    )
    return True


def _drop_expected(is_expected: IsExpected) -> Callable[[Any, Any], Any]:
    def before_send(event: Any, hint: Any) -> Any:
        exc_info = hint.get("exc_info") if hint else None
        if exc_info and exc_info[1] is not None and is_expected(exc_info[1]):
            return None
        return event

    return before_send


def report_unhandled(exc: BaseException, *, path: str) -> None:
    """One unhandled request error (a 500), tagged with its path; a no-op while Sentry is off."""
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("path", path)
        sentry_sdk.capture_exception(exc)


def report_job_failure(exc: BaseException, *, job_id: str, job_name: str, attempt: int, final: bool) -> None:
    """Send one failed job attempt to Sentry, tagged so the job can be found and retried."""
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("job_id", job_id)
        scope.set_tag("job_name", job_name)
        scope.set_tag("job_attempt", attempt)
        scope.set_tag("job_final_attempt", final)
        sentry_sdk.capture_exception(exc)


def report_drift(summary: str, records: Sequence[str]) -> None:
    """One captured message for a reconciliation that found drift, naming the records involved (the
    first hundred: an event has a size limit, and the command's own output lists them all)."""
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("check", "ledger")
        scope.set_context("drift", {"count": len(records), "records": list(records[:100])})
        sentry_sdk.capture_message(summary, level="error")
