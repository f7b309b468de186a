"""`cap-portal --help` and `dev-token` start fast: no subcommand's heavy imports before it runs."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from entrypoints.cli import SUBCOMMANDS, LazyGroup, cli

HEAVY = ("litestar", "advanced_alchemy", "alembic", "dramatiq", "sqlalchemy", "apscheduler", "asyncpg")


def _imported_after(argv: list[str]) -> list[str]:
    probe = (
        "import sys\n"
        "from entrypoints.cli import cli\n"
        f"try:\n    cli.main({argv!r}, standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.split("\n")[-2].split()


@pytest.mark.parametrize("argv", [["--help"], ["dev-token", "--help"], ["db", "--help"]])
def test_help_imports_none_of_the_heavy_libraries(argv: list[str]) -> None:
    heavy = _imported_after(argv)
    if argv[0] == "db":
        heavy = [m for m in heavy if m not in ("alembic", "sqlalchemy")]  # db's own module needs them
    assert heavy == []


def test_the_listed_help_lines_are_the_commands_own() -> None:
    assert isinstance(cli, LazyGroup)
    context = click.Context(cli)
    for name, (_, _, help_line) in SUBCOMMANDS.items():
        command = cli.get_command(context, name)
        assert command is not None
        assert command.name == name
        assert command.get_short_help_str(limit=200) == help_line, name
