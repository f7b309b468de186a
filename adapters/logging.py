"""Structured (JSON lines) logging with a correlation id on every line; readable lines in a terminal.

The correlation id is a request id in the web process and a job id in the worker; it lives in
a context variable so it follows the request or job through every await.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
import weakref
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

    def format_fields(self, logger_name: str, message: str, fields: dict[str, Any]) -> str:
        """The INFO line :meth:`format` would make for ``fields``, without building a LogRecord."""
        entry: dict[str, Any] = {
            "time": self._time(time.time()),
            "level": "info",
            "logger": logger_name,
            "process": self._process_name,
            "message": message,
            "request_id": request_id_var.get(),
            **fields,
        }
        return self._encoder.encode(entry).decode()

    def _time(self, created: float) -> str:
        """ISO 8601 in UTC with milliseconds, e.g. ``2026-01-31T12:00:00.123+00:00``."""
        second = int(created)
        if second != self._second:  # strftime once a second, not once a line
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{int((created - second) * 1000):03d}+00:00"


class ConsoleFormatter(JsonFormatter):
    """One readable line per record for a terminal (``LOG_FORMAT=console``, what `cap-portal dev` uses):
    ``12:00:00.123 INFO  cap_portal.access: request  method=GET path=/health status=200``.

    The process is not repeated: `dev` prefixes every line with it. A traceback follows on its own
    lines. It is a JsonFormatter so the access log's fast path (:func:`info_fields`) applies as well.
    """

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}
        line = self._line(record.created, record.levelname, record.name, record.getMessage(), fields)
        request_id = getattr(record, "request_id", None)
        if request_id:
            line += f" request_id={request_id}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line

    def format_fields(self, logger_name: str, message: str, fields: dict[str, Any]) -> str:
        line = self._line(time.time(), "INFO", logger_name, message, fields)
        request_id = request_id_var.get()
        return f"{line} request_id={request_id}" if request_id else line

    def _line(
        self, created: float, level: str, logger_name: str, message: str, fields: dict[str, Any]
    ) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(created)) + f".{int((created % 1) * 1000):03d}"
        extras = "".join(f" {key}={_console_value(value)}" for key, value in fields.items())
        return f"{clock} {level:<7} {logger_name}: {message}{'  ' if extras else ''}{extras.lstrip()}"


def _console_value(value: Any) -> str:
    text = str(value)
    return repr(text) if not text or any(c.isspace() for c in text) else text


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


class BatchedStreamHandler(logging.Handler):
    """Writes lines to a stream in batches: one ``write`` per batch, not one per line.

    Why: every write is a system call that releases and re-takes the GIL, and under load the web
    server's threads queued behind it; one access line per request through a plain StreamHandler
    halved the requests per second (docs/benchmarks.md, HTTP). Here a line waits at most
    ``max_delay`` seconds (a timer thread flushes) or until ``max_lines`` are waiting. A WARNING or
    worse is written at once together with everything before it, so a problem is never late and
    lines keep their order; ``logging.shutdown`` (at exit) flushes the rest. The price: a process
    killed with SIGKILL loses at most ``max_delay`` seconds of INFO lines.
    """

    def __init__(self, stream: Any, *, max_delay: float = 0.2, max_lines: int = 512) -> None:
        super().__init__()
        self.stream = stream
        self._max_delay = max_delay
        self._max_lines = max_lines
        self._lines: list[str] = []
        # Two locks, so a request never waits on the disk: ``_buffer_lock`` guards the list and is held
        # only to append or to take it; ``_io_lock`` orders the writes (batches reach the stream in
        # the order they were taken) and is held during the system call, by the flushing thread.
        self._buffer_lock = threading.Lock()
        self._io_lock = threading.Lock()
        self._pid = os.getpid()  # os.getpid() is a system call; it changes only at a fork
        self._timer_pid: int | None = None  # the timer thread does not survive a fork
        self._closed = False
        # Lines the parent buffered before a fork are the parent's to write; the child drops its copy.
        me = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _after_fork_in_child(me))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # noqa: BLE001 - logging must never raise into the caller
            self.handleError(record)
            return
        with self._buffer_lock:
            self._lines.append(line)
            urgent = record.levelno >= logging.WARNING or len(self._lines) >= self._max_lines
        if urgent:
            self.flush()
        elif self._timer_pid != self._pid:
            self._start_timer()

    def write_line(self, line: str) -> None:
        """Buffer one already formatted INFO line (the access log's fast path)."""
        with self._buffer_lock:
            self._lines.append(line)
            full = len(self._lines) >= self._max_lines
        if full:
            self.flush()
        if self._timer_pid != self._pid:
            self._start_timer()

    def flush(self) -> None:
        with self._io_lock:
            with self._buffer_lock:
                if not self._lines:
                    return
                lines, self._lines = self._lines, []
            # A closed stream (ValueError) or a full disk (OSError) must not break the app.
            with contextlib.suppress(OSError, ValueError):
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()

    def close(self) -> None:
        self.flush()
        self._closed = True
        super().close()

    def _start_timer(self) -> None:
        with self._buffer_lock:
            if self._timer_pid == self._pid:
                return
            self._timer_pid = self._pid
        threading.Thread(target=self._flush_periodically, name="log-flush", daemon=True).start()

    def _flush_periodically(self) -> None:
        pid = self._pid
        while not self._closed and self._timer_pid == pid:
            time.sleep(self._max_delay)
            self.flush()


def _after_fork_in_child(handler: weakref.ref[BatchedStreamHandler]) -> None:
    alive = handler()
    if alive is not None:  # the handler's own fork hook
        alive._lines = []
        alive._pid = os.getpid()
        # A lock the parent's flushing thread held at the fork would stay held in the child forever.
        alive._buffer_lock = threading.Lock()
        alive._io_lock = threading.Lock()


def _skip_unused_record_fields() -> None:
    """Stop the logging module from computing what our lines never show, on every record.

    These are the switches the logging HOWTO names under "Optimization": the caller's file and line
    (a stack walk), thread, process and multiprocessing names. The access line is written for every
    request, and these made up a third of its cost.
    """
    logging._srcfile = None  # documented in the logging HOWTO
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def configure_logging(process_name: str, level: str = "INFO", log_format: str = "json") -> None:
    """Send every logger (ours, the server's, the libraries') through one handler on stderr:
    JSON lines (production), or readable lines for a terminal (``log_format="console"``)."""
    stamp_request_ids()
    _skip_unused_record_fields()
    handler = BatchedStreamHandler(sys.stderr)
    formatter = ConsoleFormatter if log_format == "console" else JsonFormatter
    handler.setFormatter(formatter(process_name))
    root = logging.getLogger()
    for replaced in root.handlers:
        if isinstance(replaced, BatchedStreamHandler):
            replaced.close()  # writes what it holds and stops its timer
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


def info_fields(logger: logging.Logger, message: str, fields: dict[str, Any]) -> None:
    """``logger.info(message, extra=fields)``, at a fraction of the cost when it goes to our handler.

    The access line is written for every request; through the logging module (a LogRecord, the
    record factory, handler dispatch) it cost more than the request itself. When the line would
    only reach our JSON handler anyway, the same JSON is built directly; with any other set-up
    (a test capturing records, an extra handler) it goes through the logging module as usual.
    """
    if not logger.isEnabledFor(logging.INFO):
        return
    root_handlers = logging.root.handlers
    handler = root_handlers[0] if len(root_handlers) == 1 else None
    if (
        isinstance(handler, BatchedStreamHandler)
        and isinstance(handler.formatter, JsonFormatter)
        and not handler.filters
        and not logging.root.filters
        and _passes_straight_to_root(logger)
    ):
        handler.write_line(handler.formatter.format_fields(logger.name, message, fields))
    else:
        logger.info(message, extra=fields)


def _passes_straight_to_root(logger: logging.Logger) -> bool:
    current: logging.Logger | None = logger
    while current is not None and current is not logging.root:
        if current.handlers or current.filters or not current.propagate or current.disabled:
            return False
        current = current.parent
    return current is logging.root
