"""Messages on real Postgres and a real local SMTP server: the programme's fixtures, the fake SMTP
server, and a job context whose email goes to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.jobs.outbox import OutboxJobQueue
from entrypoints.jobs.context import JobContext, build_job_context, use_job_context
from entrypoints.settings import Settings
from tests.fake_smtp import FakeSmtp, running_fake_smtp
from tests.fakes import FixedClock
from tests.integration.programme import conftest as programme

calendar, clock, engine, rules, uow = (
    programme.calendar,
    programme.clock,
    programme.engine,
    programme.rules,
    programme.uow,
)
job_queue, new_uow, session_factory = programme.job_queue, programme.new_uow, programme.session_factory

FRONTEND = "https://portal.example.org"


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[FakeSmtp]:
    with running_fake_smtp() as fake:
        yield fake


@pytest.fixture
def smtp(_smtp_server: FakeSmtp) -> Iterator[FakeSmtp]:
    _smtp_server.reset()
    yield _smtp_server
    _smtp_server.reset()


def mail_settings(database_url: str, redis_url: str, smtp_port: int, **fields: object) -> Settings:
    values: dict[str, object] = {
        "app_env": "testing",
        "database_url": database_url,
        "redis_url": redis_url,
        "frontend_url": FRONTEND,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_timeout_seconds": 5,
        "from_email_external": "portal@example.org",
        "from_email_internal": "internal@example.org",
        "reply_to_email": "help@example.org",
        "internal_email_recipients": ("staff@example.org",),
    }
    values.update(fields)
    return Settings(**values)  # type: ignore[arg-type]  # the fields' own types are checked by Settings at run time


@pytest.fixture
async def context(
    database_url: str, redis_url: str, job_queue: OutboxJobQueue, clock: FixedClock, smtp: FakeSmtp
) -> AsyncIterator[JobContext]:
    """What the message job runs with, installed for this test (email to the local SMTP server)."""
    context = build_job_context(mail_settings(database_url, redis_url, smtp.port), job_queue, clock=clock)
    use_job_context(context)
    yield context
    use_job_context(None)
    await context.close()
