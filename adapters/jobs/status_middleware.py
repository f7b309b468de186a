"""The job status middleware: Dramatiq's lifecycle hooks written onto the ``jobs`` records.

Installed only in workers, just before Dramatiq's ``Retries``: ``after_*`` hooks run in reverse
order, so ours sees the message after ``Retries`` has decided whether another attempt follows.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from dramatiq import Middleware
from dramatiq.broker import Broker, MessageProxy
from dramatiq.middleware import SkipMessage

from adapters.jobs.status_recorder import JobStatusRecorder
from adapters.logging import request_id_var
from adapters.sentry import report_job_failure

logger = logging.getLogger("cap_portal.jobs")

Run = Callable[[Coroutine[Any, Any, Any]], Any]
MAX_RESULT_CHARS = 65_536
MAX_ERROR_CHARS = 16_384


class JobStatusMiddleware(Middleware):
    def __init__(self, recorder: JobStatusRecorder, run: Run) -> None:
        self._recorder = recorder
        self._run = run  # hands a coroutine to the process's background loop and waits

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        started = self._run(self._recorder.start(message.message_id))
        if started is None:
            logger.info("job skipped: finished or canceled", extra={"job_id": message.message_id})
            raise SkipMessage()
        message.options["cap_attempt"] = started.attempt
        request_id_var.set(message.message_id)
        logger.info(
            "job started",
            extra={"job_id": message.message_id, "job_name": started.name, "attempt": started.attempt},
        )

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        job_id = message.message_id
        try:
            if exception is None:
                self._run(self._recorder.finish(job_id, json_result(result)))
                logger.info("job finished", extra={"job_id": job_id, "job_name": message.actor_name})
                return
            final = bool(message.failed)
            attempt = int(message.options.get("cap_attempt", 0))
            report_job_failure(
                exception, job_id=job_id, job_name=message.actor_name, attempt=attempt, final=final
            )
            self._run(self._recorder.fail(job_id, error_text(exception), final=final))
            logger.warning(
                "job failed" if final else "job attempt failed; retrying",
                extra={"job_id": job_id, "job_name": message.actor_name, "attempt": attempt},
            )
        finally:
            request_id_var.set(None)

    def after_enqueue(self, broker: Broker, message: Any, delay: int | None) -> None:
        # Only retries are enqueued inside a worker; first sends are recorded by the sender.
        if not message.options.get("retries"):
            return
        eta = message.options.get("eta")
        when = datetime.fromtimestamp(eta / 1000, UTC) if eta else None
        redis_id = message.options["redis_message_id"]
        self._run(self._recorder.retry_enqueued(message.message_id, redis_id, when))

    def after_nack(self, broker: Broker, message: MessageProxy) -> None:
        redis_id = message.options["redis_message_id"]
        self._run(self._recorder.dead_lettered(message.message_id, redis_id))


def json_result(result: Any) -> Any:
    """The return value as JSON; something JSON cannot hold is kept as its repr."""
    try:
        text = json.dumps(result, allow_nan=False)
    except (TypeError, ValueError):
        return {"repr": repr(result)[:MAX_RESULT_CHARS]}
    if len(text) > MAX_RESULT_CHARS:
        return {"truncated": True, "repr": text[:MAX_RESULT_CHARS]}
    return result


def error_text(exception: BaseException) -> str:
    kind = type(exception)
    head = f"{kind.__module__}.{kind.__qualname__}: {exception}"
    trace = "".join(traceback.format_exception(exception))
    return f"{head}\n\n{trace}"[:MAX_ERROR_CHARS]
