"""Composition, not globals: importing the job system builds nothing, and every process root hands it
what it needs (issue 10). Each check runs in a fresh interpreter, so what this test process has
already imported or installed cannot hide an import-time side effect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> dict[str, object]:
    # Settings that would fail to load (and hosts that do not exist), so anything reading the
    # environment or connecting at import time makes the child fail.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": "not a database url",
        "REDIS_URL": "redis://unreachable.invalid:1/0",
        "APP_ENV": "no-such-environment",
    }
    child = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 0, child.stderr
    result: dict[str, object] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_job_roots_builds_nothing_and_entrypoints_jobs_loads_no_job_module() -> None:
    found = _run(
        "import json, sys, threading, dramatiq.broker\n"
        "from entrypoints.jobs import job_manager\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('entrypoints.jobs.'))\n"
        "alone = (len(job_manager.definitions), loaded)\n"
        "import entrypoints.jobs.worker_boot, entrypoints.jobs.context, entrypoints.jobs.scheduler_main\n"
        "print(json.dumps({'alone': alone, 'broker_set': dramatiq.broker.global_broker is not None,\n"
        "  'threads': threading.active_count()}))"
    )
    assert found["alone"] == [0, []]  # no cycle: the package imports none of its job modules
    # Neither the worker's root (it works in boot()) nor the scheduler's sets a broker, connects or
    # starts a thread on import.
    assert found["broker_set"] is False
    assert found["threads"] == 1


def test_the_catalogue_is_the_one_list_of_job_modules_and_nothing_runs_without_a_root() -> None:
    found = _run(
        "import json\n"
        "from entrypoints.jobs import catalogue, job_manager\n"
        "from entrypoints.jobs.example import example_job\n"
        "from entrypoints.jobs.context import job_context\n"
        "listed = sorted(m.__name__ for m in catalogue.JOB_MODULES)\n"
        "defining = sorted({d.fn.__module__ for d in job_manager.definitions})\n"
        "errors = []\n"
        "for call in (lambda: example_job.delay(0, False), job_context):\n"
        "    try:\n"
        "        call()\n"
        "    except RuntimeError as error:\n"
        "        errors.append(str(error))\n"
        "print(json.dumps({'listed': listed, 'defining': defining, 'errors': errors}))"
    )
    assert found["listed"] == found["defining"], "a job module missing from catalogue.JOB_MODULES"
    assert "entrypoints.jobs.money" in str(found["listed"])
    # No queue and no context built from the environment behind the caller's back.
    errors = found["errors"]
    assert isinstance(errors, list)
    assert len(errors) == 2
    assert all("composition root" in error for error in errors)
