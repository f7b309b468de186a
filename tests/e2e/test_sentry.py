"""Sentry receives real faults and not expected 4xx errors; checked against a local fake Sentry."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import sentry_sdk
from litestar.testing import AsyncTestClient

from adapters.sentry import init_sentry
from entrypoints.http.app import create_app
from entrypoints.http.errors import is_expected
from entrypoints.settings import Settings
from tests.conftest import TEST_API_KEY
from tests.fake_sentry import FakeSentry, running_fake_sentry


@pytest.fixture
def fake_sentry() -> Iterator[FakeSentry]:
    with running_fake_sentry() as server:
        yield server
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # back to a disabled client for the rest of the run


def _wait_for(condition: Callable[[], object], seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.05)


async def test_a_fault_reaches_sentry_and_expected_errors_do_not(
    settings: Settings, fake_sentry: FakeSentry
) -> None:
    assert init_sentry(
        dsn=fake_sentry.dsn,
        environment="testing",
        release="test-1.0",
        traces_sample_rate=0.0,
        is_expected=is_expected,
    )
    app = create_app(settings, configure_process=False)
    async with AsyncTestClient(app) as client:
        assert (await client.get("/nope")).status_code == 404
        assert (await client.get("/sentry-test")).status_code == 401
        assert (await client.get("/sentry-test", headers={"X-API-Key": TEST_API_KEY})).status_code == 500
    sentry_sdk.flush(timeout=5)
    _wait_for(lambda: fake_sentry.exceptions)
    assert fake_sentry.exception_types() == ["SentryTestError"]
    assert fake_sentry.exceptions[0]["environment"] == "testing"
    assert fake_sentry.exceptions[0]["release"] == "test-1.0"


async def test_with_sentry_on_bad_bodies_are_still_4xx_and_never_read_before_sign_in(
    settings: Settings, fake_sentry: FakeSentry
) -> None:
    """Sentry's Litestar integration parsed every body before the route (and its guards) ran: with a DSN
    set, a malformed or deeply nested body was a 500. It is disabled; the edge reports 500s itself."""
    assert init_sentry(
        dsn=fake_sentry.dsn,
        environment="testing",
        release="test-1.0",
        traces_sample_rate=0.0,
        is_expected=is_expected,
    )
    app = create_app(settings, configure_process=False)
    json = {"content-type": "application/json"}
    async with AsyncTestClient(app) as client:
        for body in (b'{"a": ', b"\xff\xfe", b"[" * 1_200):
            anonymous = await client.post("/care-days", content=body, headers=json)
            assert anonymous.status_code == 401, anonymous.text  # sign-in first, body never read
            operator = await client.post(
                "/admin/families", content=body, headers={**json, "X-API-Key": TEST_API_KEY}
            )
            assert operator.status_code == 400, operator.text
    sentry_sdk.flush(timeout=5)
    assert fake_sentry.exception_types() == []


def test_without_a_dsn_sentry_stays_off() -> None:
    assert not init_sentry(
        dsn=None, environment="testing", release="x", traces_sample_rate=0.0, is_expected=is_expected
    )
