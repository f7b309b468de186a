"""The batched JSON log handler and the access line's fast path (adapters/logging.py)."""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
from pathlib import Path

import pytest

from adapters.logging import (
    BatchedStreamHandler,
    JsonFormatter,
    info_fields,
    request_id_var,
    stamp_request_ids,
)

ROOT = Path(__file__).resolve().parents[2]


def _handler(stream: io.StringIO, *, max_delay: float, max_lines: int = 512) -> BatchedStreamHandler:
    handler = BatchedStreamHandler(stream, max_delay=max_delay, max_lines=max_lines)
    handler.setFormatter(JsonFormatter("web"))
    return handler


def _record(level: int, message: str) -> logging.LogRecord:
    return logging.getLogger("t").makeRecord("t", level, __file__, 1, message, (), None)


def _messages(text: str) -> list[str]:
    return [json.loads(line)["message"] for line in text.splitlines()]


def test_info_lines_wait_for_the_batch_and_a_warning_writes_them_first_in_order() -> None:
    stream = io.StringIO()
    handler = _handler(stream, max_delay=60)
    handler.emit(_record(logging.INFO, "one"))
    handler.emit(_record(logging.INFO, "two"))
    assert stream.getvalue() == ""
    handler.emit(_record(logging.WARNING, "trouble"))
    assert _messages(stream.getvalue()) == ["one", "two", "trouble"]
    handler.close()


def test_a_full_batch_is_written_without_waiting() -> None:
    stream = io.StringIO()
    handler = _handler(stream, max_delay=60, max_lines=3)
    for n in range(3):
        handler.emit(_record(logging.INFO, f"line {n}"))
    assert _messages(stream.getvalue()) == ["line 0", "line 1", "line 2"]
    handler.close()


def test_a_quiet_process_still_writes_its_lines_within_the_delay() -> None:
    stream = io.StringIO()
    handler = _handler(stream, max_delay=0.05)
    handler.emit(_record(logging.INFO, "lonely"))
    deadline = time.monotonic() + 5
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _messages(stream.getvalue()) == ["lonely"]
    handler.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_repeat_the_parents_buffered_lines(tmp_path: Path) -> None:
    out = tmp_path / "log"
    with out.open("w") as stream:
        handler = BatchedStreamHandler(stream, max_delay=60)
        handler.setFormatter(JsonFormatter("web"))
        handler.emit(_record(logging.INFO, "parent"))
        pid = os.fork()
        if pid == 0:  # the child: write its own line and leave without running the parent's exit
            handler.emit(_record(logging.INFO, "child"))
            handler.flush()
            os._exit(0)
        os.waitpid(pid, 0)
        handler.close()
    assert sorted(_messages(out.read_text())) == ["child", "parent"]


def test_the_fast_access_line_is_the_line_the_logging_module_would_write() -> None:
    stamp_request_ids()
    stream = io.StringIO()
    handler = _handler(stream, max_delay=60)
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    token = request_id_var.set("req-7")
    try:
        logger = logging.getLogger("cap_portal.access_test")
        fields = {"method": "GET", "path": "/", "status": 200, "duration_ms": 0.5}
        info_fields(logger, "request", fields)
        logger.info("request", extra=fields)
        handler.close()
    finally:
        request_id_var.reset(token)
        root.handlers[:], root.level = saved_handlers, saved_level
    fast, slow = (json.loads(line) for line in stream.getvalue().splitlines())
    assert fast.pop("time")[:16] == slow.pop("time")[:16]
    assert fast == slow
    assert fast["request_id"] == "req-7"


def test_the_access_line_goes_through_logging_when_something_else_listens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="cap_portal.access_test"):
        info_fields(logging.getLogger("cap_portal.access_test"), "request", {"status": 204})
    assert [(r.getMessage(), getattr(r, "status", None)) for r in caplog.records] == [("request", 204)]


class _StuckStream(io.StringIO):
    """A stream whose first write blocks until released: a slow disk under the flushing thread."""

    def __init__(self) -> None:
        super().__init__()
        self.writing = threading.Event()
        self.release = threading.Event()

    def write(self, text: str) -> int:
        self.writing.set()
        assert self.release.wait(timeout=30)
        return super().write(text)


def test_a_request_never_waits_for_a_write_in_progress() -> None:
    stream = _StuckStream()
    handler = _handler(stream, max_delay=3600)
    handler.write_line('{"message": "first"}')
    flusher = threading.Thread(target=handler.flush)
    flusher.start()
    assert stream.writing.wait(timeout=30)  # the flushing thread is inside write(), holding the I/O lock

    appended = threading.Thread(target=handler.write_line, args=('{"message": "second"}',))
    appended.start()
    appended.join(timeout=10)  # appending is microseconds; a blocked one would wait for release
    finished_while_stuck = not appended.is_alive()

    stream.release.set()
    flusher.join(timeout=30)
    handler.flush()
    assert finished_while_stuck  # buffering waited for nothing but the list
    assert _messages(stream.getvalue()) == ["first", "second"]  # and order held
