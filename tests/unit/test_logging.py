from __future__ import annotations

import json
import logging
import sys

from adapters.logging import ConsoleFormatter, JsonFormatter, request_id_var, stamp_request_ids


def test_log_lines_are_json_with_the_request_id_and_extra_fields() -> None:
    stamp_request_ids()
    token = request_id_var.set("req-123")
    try:
        record = logging.getLogger("t").makeRecord(
            "t", logging.INFO, __file__, 1, "hello %s", ("x",), None, extra={"job_id": "j1"}
        )
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter("web").format(record))
    assert line["message"] == "hello x"
    assert line["request_id"] == "req-123"
    assert line["job_id"] == "j1"
    assert line["process"] == "web"
    assert line["level"] == "info"


def test_time_is_iso_utc_with_milliseconds_and_odd_values_are_strings() -> None:
    from datetime import UTC, datetime

    formatter = JsonFormatter("web")
    for created in (1_700_000_000.0, 1_700_000_000.9996, 1_700_000_001.25):
        record = logging.getLogger("t").makeRecord("t", logging.INFO, __file__, 1, "m", (), None)
        record.created = created
        record.thing = object()
        line = json.loads(formatter.format(record))
        assert line["time"] == datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
        assert line["thing"].startswith("<object object")


def test_console_lines_are_one_readable_line_with_the_key_fields() -> None:
    stamp_request_ids()
    token = request_id_var.set("req-9")
    try:
        record = logging.getLogger("cap_portal.access").makeRecord(
            "cap_portal.access", logging.WARNING, __file__, 1, "request", (), None,
            extra={"method": "GET", "path": "/health", "note": "two words"},
        )  # fmt: skip
    finally:
        request_id_var.reset(token)
    line = ConsoleFormatter("web").format(record)
    assert "\n" not in line
    assert line.split(" ", 1)[1] == (
        "WARNING cap_portal.access: request  method=GET path=/health note='two words' request_id=req-9"
    )
    assert not line.startswith("{")


def test_console_lines_put_a_traceback_below() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    first, *rest = ConsoleFormatter("worker").format(record).splitlines()
    assert first.endswith("ERROR   t: failed")
    assert rest[-1] == "ValueError: boom"
