"""How long `cap-portal --help` and `cap-portal dev-token` take, warm and without cached bytecode.

    .venv/bin/python bench/cli_startup.py [--before PATH_TO_AN_OLDER_CHECKOUT]

"warm": bytecode cached (the usual case). "no bytecode": PYTHONDONTWRITEBYTECODE=1 and an empty
PYTHONPYCACHEPREFIX, so nothing is read from or written to a cache, as in a container or CI that never
compiled it (what UV_COMPILE_BYTECODE=1 at install time avoids). Median of 7 (3 without bytecode).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {"--help": ["--help"], "dev-token": ["dev-token", "--user-id", "user_bench"]}


def _median_seconds(argv: list[str], env: dict[str, str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(checkout: Path, data_dir: str) -> dict[str, tuple[float, float]]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "CAP_DATA_DIR": data_dir,
        "PYTHONPATH": str(checkout),
    }
    figures = {}
    for name, args in COMMANDS.items():
        argv = [sys.executable, "-m", "entrypoints.cli", *args]
        warm = _median_seconds(argv, env, checkout, 7)
        with tempfile.TemporaryDirectory() as empty_cache:
            cold_env = {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": empty_cache}
            cold = _median_seconds(argv, cold_env, checkout, 3)
        figures[name] = (warm, cold)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path, help="an older checkout to measure beside this one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        runs = [("this checkout", ROOT)] + ([("before", args.before)] if args.before else [])
        print(f"{'':15} {'command':10} {'warm':>7} {'no bytecode':>12}")
        for label, checkout in runs:
            for name, (warm, cold) in measure(checkout.resolve(), data_dir).items():
                print(f"{label:15} {name:10} {warm:6.2f}s {cold:11.2f}s")


if __name__ == "__main__":
    main()
