"""Every job module, in one explicit list: importing this registers every job on ``job_manager``.

A new job module goes here (and nowhere else); ``build_job_runtime`` imports this module, so web,
worker, scheduler and the CLI all know every job. ``entrypoints.jobs`` itself imports none of them,
so there is no import cycle between it and its modules.
"""

from __future__ import annotations

from entrypoints.jobs import (
    attendance,
    books,
    bulk_imports,
    example,
    identity,
    invitations,
    money,
    notifications,
    programme,
)

JOB_MODULES = (
    attendance,
    books,
    bulk_imports,
    example,
    identity,
    invitations,
    money,
    notifications,
    programme,
)
