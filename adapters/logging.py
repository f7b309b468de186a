"""Structured (JSON lines) logging with a correlation id on every line.

The correlation id is a request id in the web process and a job id in the worker; it lives in
a context variable so it follows the request or job through every await.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is logged as a field.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
}


class JsonFormatter(logging.Formatter):
    def __init__(self, process_name: str) -> None:
        super().__init__()
        self._process_name = process_name

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "process": self._process_name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def stamp_request_ids() -> None:
    """Stamp the current correlation id on every log record when it is created.

    Stamping at creation (not at formatting) keeps the id right even when a record is
    formatted later or elsewhere.
    """
    current = logging.getLogRecordFactory()
    if getattr(current, "stamps_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        record.request_id = request_id_var.get()
        return record

    factory.stamps_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def configure_logging(process_name: str, level: str = "INFO") -> None:
    """Send every logger (ours, the server's, the libraries') through one JSON handler on stderr."""
    stamp_request_ids()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(process_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in (
        "uvicorn",
        "uvicorn.error",
        "uvicorn.access",
        "granian",
        "_granian",
        "dramatiq",
        "apscheduler",
    ):
        named = logging.getLogger(noisy)
        named.handlers[:] = []
        named.propagate = True
    # Access lines come from our own middleware (with the request id); the server's are duplicates.
    logging.getLogger("uvicorn.access").disabled = True
