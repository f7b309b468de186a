"""The job API's shapes and refusals, without a worker: records and Redis are read directly."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from entrypoints.jobs.example import example_job
from tests import jobs_for_tests as test_jobs
from tests.conftest import TEST_API_KEY

HEADERS = {"X-API-Key": TEST_API_KEY}
pytestmark = pytest.mark.usefixtures("redis")  # each test starts with empty queues


async def test_the_job_api_needs_an_api_key(client: AsyncTestClient[Litestar]) -> None:
    for path in ("/jobs", "/jobs/queue-info", f"/jobs/{uuid.uuid4()}/status", "/schedules"):
        response = await client.get(path)
        assert response.status_code == 401, path
        assert response.json()["code"] == "unauthenticated"


async def test_status_of_a_queued_job_and_404_for_unknown_ids(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post("/example-job", json={"sleep_time": 0}, headers=HEADERS)
    assert response.status_code == 202
    job_id = response.json()["job_id"]
    assert response.json()["message"]

    status = await client.get(f"/jobs/{job_id}/status", headers=HEADERS)
    assert status.status_code == 200
    body = status.json()
    assert {"id", "status", "result", "created_at", "started_at", "ended_at", "func_name", "args", "kwargs",
            "attempts", "error", "scheduled_for"} <= set(body)  # fmt: skip
    assert (body["id"], body["status"], body["func_name"], body["args"]) == (
        job_id,
        "queued",
        "example_job",
        [0, False],
    )
    assert body["created_at"].endswith("Z")

    for unknown in (str(uuid.uuid4()), "not-a-uuid"):
        missing = await client.get(f"/jobs/{unknown}/status", headers=HEADERS)
        assert missing.status_code == 404
        assert missing.json()["code"] == "job_not_found"


async def test_example_job_refuses_non_json_and_wrong_types(client: AsyncTestClient[Litestar]) -> None:
    bad_bodies = [
        {"content": b"not json", "headers": {**HEADERS, "Content-Type": "application/json"}},
        {"json": {"delay_seconds": "soon"}, "headers": HEADERS},
        {"json": {"fail": "yes"}, "headers": HEADERS},
        {"json": {"sleep_time": -1}, "headers": HEADERS},
    ]
    for kwargs in bad_bodies:
        response = await client.post("/example-job", **kwargs)  # type: ignore[arg-type]  # content= or json=, each with headers
        assert response.status_code == 400, kwargs
        assert set(response.json()) == {"error", "code", "details"}


async def test_delayed_example_job_is_scheduled(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post("/example-job", json={"delay_seconds": 60}, headers=HEADERS)
    body = (await client.get(f"/jobs/{response.json()['job_id']}/status", headers=HEADERS)).json()
    assert body["status"] == "scheduled"
    assert body["scheduled_for"] is not None


async def test_retry_and_cancel_refuse_jobs_in_the_wrong_state(client: AsyncTestClient[Litestar]) -> None:
    job_id = example_job.delay_in(timedelta(hours=1))
    retry = await client.post(f"/jobs/{job_id}/retry", headers=HEADERS)
    assert retry.status_code == 409
    assert retry.json()["status"] == "error"
    assert retry.json()["error"]
    assert retry.json()["code"] == "job_not_failed"
    assert (await client.post(f"/jobs/{job_id}/cancel", headers=HEADERS)).status_code == 200
    again = await client.post(f"/jobs/{job_id}/cancel", headers=HEADERS)
    assert (again.status_code, again.json()["code"]) == (409, "job_not_cancelable")
    assert (await client.post(f"/jobs/{uuid.uuid4()}/retry", headers=HEADERS)).status_code == 404


async def test_queue_info_caps_the_job_list_and_counts_everything(
    client: AsyncTestClient[Litestar], redis: Redis
) -> None:
    ids = [test_jobs.add.delay(i, i) for i in range(30)]
    test_jobs.add.delay_in(timedelta(hours=1), 1, 2)
    response = await client.get("/jobs/queue-info", params={"limit": 5}, headers=HEADERS)
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["length"], len(body["jobs"])) == ("default", 30, 5)
    assert [job["id"] for job in body["jobs"]] == ids[:5]  # next to run first
    assert set(body["jobs"][0]) >= {"id", "func_name", "created_at", "status"}
    assert body["jobs"][0]["status"] == "queued"
    default = next(queue for queue in body["queues"] if queue["name"] == "default")
    assert (default["scheduled"], default["delayed"], default["dead_lettered"]) == (1, 0, 0)
    page = await client.get("/jobs/queue-info", params={"limit": 5, "offset": 5}, headers=HEADERS)
    assert [job["id"] for job in page.json()["jobs"]] == ids[5:10]
    assert (await client.get("/jobs/queue-info", params={"limit": 5000}, headers=HEADERS)).status_code == 400


async def test_recent_jobs_filter_by_status_and_name_and_paginate(client: AsyncTestClient[Litestar]) -> None:
    for i in range(3):
        test_jobs.add.delay(i, 1)
    canceled = test_jobs.count_run.delay("x")
    await client.post(f"/jobs/{canceled}/cancel", headers=HEADERS)
    by_status = (await client.get("/jobs", params={"status": "canceled"}, headers=HEADERS)).json()
    assert [job["id"] for job in by_status["jobs"]] == [canceled]
    by_name = (await client.get("/jobs", params={"name": "tests.add", "limit": 2}, headers=HEADERS)).json()
    assert (len(by_name["jobs"]), by_name["next_offset"]) == (2, 2)
    assert (await client.get("/jobs", params={"status": "lost"}, headers=HEADERS)).status_code == 400


async def test_schedules_are_listed_and_run_time_ones_deleted(client: AsyncTestClient[Litestar]) -> None:
    schedule_id = test_jobs.count_run.schedule_cron("0 0 * * 0", "weekly")
    listed = (await client.get("/schedules", headers=HEADERS)).json()["schedules"]
    assert [(s["id"], s["cron"], s["func_name"], s["args"], s["system"]) for s in listed] == [
        (schedule_id, "0 0 * * 0", "tests.count_run", ["weekly"], False)
    ]
    deleted = await client.delete(f"/schedules/{schedule_id}", headers=HEADERS)
    assert (deleted.status_code, deleted.json()) == (200, {"status": "deleted", "schedule_id": schedule_id})
    assert (await client.get("/schedules", headers=HEADERS)).json()["schedules"] == []
    assert (await client.delete(f"/schedules/{schedule_id}", headers=HEADERS)).status_code == 404
