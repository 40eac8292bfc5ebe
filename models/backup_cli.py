"""The ``backups`` and ``restore`` subcommands: list the SQLite safety copies, and restore one."""

from __future__ import annotations

import argparse
from pathlib import Path

from models.backup import (
    KEEP_BACKUPS,
    backups_folder,
    describe_size,
    list_backups,
    restore_backup,
    sqlite_file_of,
)
from models.cli import EXIT_OK, CliError, register_file_subcommand


def _sqlite_file(url: str) -> Path:
    path = sqlite_file_of(url)
    if path is None:
        raise CliError(
            "backups and restore work on a SQLite database file; a PostgreSQL server is backed "
            "up and restored with pg_dump and pg_restore (see docs/data-safety.md)"
        )
    return path


def _add_backups_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no arguments besides --db


@register_file_subcommand(
    "backups",
    f"list the safety copies of the database (the newest {KEEP_BACKUPS}, taken before every "
    "import and migration)",
    _add_backups_arguments,
)
def run_backups(_args: argparse.Namespace, url: str) -> int:
    database = _sqlite_file(url)
    backups = list_backups(database)
    if not backups:
        print(f"No backups of {database} yet (they go to {backups_folder(database)}).")
        return EXIT_OK
    print(f"Backups of {database}, newest first:")
    for backup in backups:
        taken = backup.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        print(f"  {taken}  {backup.reason:<17} {describe_size(backup.size):>10}  {backup.path}")
    return EXIT_OK


def _add_restore_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        metavar="FILE",
        help="the backup to restore (default: the newest, as listed by `backups`)",
    )


@register_file_subcommand(
    "restore",
    "replace the database with a backup (the newest, or FILE); the current file is backed up "
    "first. Close every TrialMatch using the database before restoring",
    _add_restore_arguments,
)
def run_restore(args: argparse.Namespace, url: str) -> int:
    database = _sqlite_file(url)
    result = restore_backup(database, args.file)
    taken = result.restored_from.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    print(f"Restored {database} from {result.restored_from.path} (taken {taken}).")
    if isinstance(result.previous, Path):
        print(f"The damaged file it replaced was moved to {result.previous}.")
    elif result.previous is not None:
        print(f"The file it replaced was backed up as {result.previous.path}.")
    return EXIT_OK
