"""Structured (JSON lines) logging with a correlation id on every line.

The correlation id is a request id in the web process and a job id in the worker; it lives in
a context variable so it follows the request or job through every await.
"""

from __future__ import annotations

import logging
import sys
import time
from contextvars import ContextVar
from typing import Any

import msgspec

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is logged as a field.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line. It formats every access line, so it is kept cheap (msgspec)."""

    def __init__(self, process_name: str) -> None:
        super().__init__()
        self._process_name = process_name
        self._encoder = msgspec.json.Encoder(enc_hook=str)  # str() whatever JSON cannot hold
        self._second = -1
        self._second_text = ""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "process": self._process_name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self._encoder.encode(entry).decode()

    def _time(self, created: float) -> str:
        """ISO 8601 in UTC with milliseconds, e.g. ``2026-01-31T12:00:00.123+00:00``."""
        second = int(created)
        if second != self._second:  # strftime once a second, not once a line
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{int((created - second) * 1000):03d}+00:00"


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
