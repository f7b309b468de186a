"""The job system's figures from one run: ``bench.jobs`` (throughput and idle latency beside RQ,
delayed jobs) and then ``bench.http`` on ``GET /jobs/queue-info`` beside the bare app.

    python3 -m uv run --frozen --all-extras python -m bench.jobs_report

Prints the date and the load average before, between and after the two parts (the machine may be
shared; compare ratios, which are measured side by side), then both Markdown tables. Arguments are
``bench.jobs``'s; the HTTP part runs as documented in docs/benchmarks.md (granian, 2 workers, INFO
access line, 3 rounds of wrk -t2 -c64 -d5s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import UTC, datetime

from bench import http, jobs


def _load(when: str) -> None:
    one, five, fifteen = os.getloadavg()
    print(f"\n[{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC] {when}: load average {one:.2f} {five:.2f} "
          f"{fifteen:.2f}, {os.cpu_count()} CPUs\n", flush=True)  # fmt: skip


def queue_info_arguments() -> argparse.Namespace:
    return argparse.Namespace(
        apps=["bare", "cap-portal"], servers=["granian"], workers=[2], log_levels=["INFO"],
        paths=["/jobs/queue-info"], connections=[64], threads=2, rounds=3, duration="5s", warmup="1s",
    )  # fmt: skip


def main() -> None:
    options = jobs.arguments().parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    _load("start, jobs beside RQ")
    jobs.run(options)
    _load("jobs done, GET /jobs/queue-info beside the bare app")
    print(http.table(http.run(queue_info_arguments())), flush=True)
    _load("end")


if __name__ == "__main__":
    main()
