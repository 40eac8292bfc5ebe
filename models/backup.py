"""SQLite safety copies: integrity check at start-up, online backups, rotation, and restore.

Backups go to a ``backups`` folder beside the database file, one file per backup, named
``<database stem>-<UTC time>-<reason>.sqlite3``; only the newest ``KEEP_BACKUPS`` are kept.
They are made with SQLite's online backup API, so a backup taken while another TrialMatch is
writing is still a consistent snapshot. PostgreSQL servers are backed up with ``pg_dump``
(docs/data-safety.md), not here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from models.database import DatabaseError

KEEP_BACKUPS = 5
BACKUP_FOLDER_NAME = "backups"
RESTORE_HINT = "restore the last backup with `python main.py restore`"
_TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"
_NAME_PATTERN = re.compile(r"^(?P<stem>.+)-(?P<time>\d{8}T\d{12}Z)-(?P<reason>[a-z-]+)\.sqlite3$")


@dataclass(frozen=True, slots=True)
class BackupFile:
    """One backup: its file, when it was taken (UTC), why, and its size in bytes."""

    path: Path
    taken_at: dt.datetime
    reason: str
    size: int


def sqlite_file_of(url: str | sa.URL) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    parsed = sa.make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def backups_folder(database: Path) -> Path:
    return database.parent / BACKUP_FOLDER_NAME


@contextlib.contextmanager
def _connect(path: Path, *, mode: str) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection; ``mode`` is ``ro``, ``rw`` (must exist) or ``rwc``."""
    uri = f"{path.absolute().as_uri()}?mode={mode}"
    connection = sqlite3.connect(uri, uri=True, timeout=5.0)
    try:
        yield connection
    finally:
        connection.close()


def integrity_problem(path: Path) -> str | None:
    """None when ``PRAGMA quick_check`` passes on the file, else what SQLite reports."""
    try:
        # Read-write (not created), so a write-ahead log left by a crash is recovered first.
        with _connect(path, mode="rw") as connection:
            rows = connection.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as error:
        return str(error)
    results = [str(row[0]) for row in rows]
    if results == ["ok"]:
        return None
    return "; ".join(results[:3]) + (" …" if len(results) > 3 else "")


# Beside the database: the file as TrialMatch left it when it last closed it normally.
CLEAN_CLOSE_SUFFIX = ".closed-cleanly"
_CLEAN_CLOSE_FORMAT = 1


def _clean_close_record(path: Path) -> Path:
    return path.with_name(path.name + CLEAN_CLOSE_SUFFIX)


def _file_state(path: Path) -> list[list[int] | None]:
    """Size, modification time (ns) and inode of the file and of its write-ahead log."""
    state: list[list[int] | None] = []
    for part in (path, path.with_name(path.name + "-wal")):
        try:
            info = part.stat()
        except FileNotFoundError:
            state.append(None)
        else:
            state.append([info.st_size, info.st_mtime_ns, info.st_ino])
    return state


def closed_cleanly(path: Path) -> bool:
    """Whether TrialMatch last closed ``path`` normally and nothing has changed it since."""
    try:
        record = json.loads(_clean_close_record(path).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("format") == _CLEAN_CLOSE_FORMAT
        and record.get("state") == _file_state(path)
    )


def record_clean_close(path: Path) -> None:
    """Note the file as it is now, once its last connection was closed normally (best effort:
    without the note the next start simply runs the check)."""
    record = _clean_close_record(path)
    partial = record.with_name(record.name + ".partial")
    try:
        partial.write_text(
            json.dumps({"format": _CLEAN_CLOSE_FORMAT, "state": _file_state(path)}), "utf-8"
        )
        partial.replace(record)
    except OSError:
        return


def forget_clean_close(path: Path) -> None:
    """Drop the note while the file is in use: if this process dies, the next start checks."""
    with contextlib.suppress(OSError):
        _clean_close_record(path).unlink(missing_ok=True)


def check_database_file(path: Path) -> None:
    """Refuse a damaged database file at start-up, naming the file and the way back.

    The quick check reads the whole file: 2.5 s at 100,000 trials (2.6 GB) when the file is in
    the page cache, a minute when it is not. It is skipped when TrialMatch itself closed the
    file normally last time and neither the file nor its write-ahead log changed since (size,
    modification time and inode): damage comes from a write cut short (a crash, a power cut, a
    full disk) or from something else writing the file, and both change it.

    Raises:
        DatabaseError: SQLite's quick check failed or the file is not a database.
    """
    if not path.exists():
        return
    if closed_cleanly(path):
        return
    problem = integrity_problem(path)
    if problem is not None:
        raise DatabaseError(
            f"cannot open the database {path}: SQLite's check failed ({problem}), so the file "
            "is damaged or is not a database; nothing was changed. If it is your TrialMatch "
            f"database, {RESTORE_HINT}."
        )


def list_backups(database: Path) -> tuple[BackupFile, ...]:
    """The backups of ``database``, newest first."""
    folder = backups_folder(database)
    if not folder.is_dir():
        return ()
    found: list[BackupFile] = []
    for entry in folder.iterdir():
        match = _NAME_PATTERN.match(entry.name)
        if match is None or match["stem"] != database.stem or not entry.is_file():
            continue
        taken_at = dt.datetime.strptime(match["time"], _TIME_FORMAT).replace(tzinfo=dt.UTC)
        found.append(BackupFile(entry, taken_at, match["reason"], entry.stat().st_size))
    return tuple(sorted(found, key=lambda backup: backup.taken_at, reverse=True))


def _copy(source: Path, target: Path, *, standalone: bool) -> None:
    """Copy a database with the online backup API into ``target`` (created or overwritten).

    A ``standalone`` copy (a backup) is switched out of WAL mode, so it is one self-contained
    file that can be moved or mailed; the live database gets WAL back when next opened.
    """
    with _connect(source, mode="ro") as reader, _connect(target, mode="rwc") as writer:
        reader.backup(writer)
        if standalone:
            writer.execute("PRAGMA journal_mode=DELETE")


def create_backup(
    database: Path, reason: str, *, now: dt.datetime | None = None, prune: bool = True
) -> BackupFile | None:
    """Copy ``database`` into its backups folder; None when there is no file to back up yet.

    The copy is written under a temporary name and renamed, so a crash leaves no half backup
    in the list.

    Raises:
        DatabaseError: the copy could not be made (full disk, read-only folder, ...).
    """
    if not database.exists():
        return None
    taken_at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    folder = backups_folder(database)
    target = folder / f"{database.stem}-{taken_at.strftime(_TIME_FORMAT)}-{reason}.sqlite3"
    partial = target.with_name(f".{target.name}.partial")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        _copy(database, partial, standalone=True)
        partial.replace(target)
    except (OSError, sqlite3.Error) as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise DatabaseError(
            f"cannot back up the database {database} into {folder} ({error}); nothing was changed"
        ) from error
    if prune:
        prune_backups(database)
    return BackupFile(target, taken_at, reason, target.stat().st_size)


def prune_backups(database: Path, keep: int = KEEP_BACKUPS) -> None:
    """Delete all but the newest ``keep`` backups."""
    for old in list_backups(database)[keep:]:
        with contextlib.suppress(OSError):
            old.path.unlink()


def backup_if_sqlite(engine: sa.Engine, reason: str) -> BackupFile | None:
    """Back up the engine's database when it is a SQLite file that already holds trials data."""
    path = sqlite_file_of(engine.url)
    if path is None or not path.exists():
        return None
    return create_backup(path, reason)


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """What a restore did: the backup it used and the copy of the file it replaced."""

    restored_from: BackupFile
    previous: BackupFile | Path | None


def restore_backup(database: Path, chosen: Path | None = None) -> RestoreResult:
    """Replace ``database`` with a backup (the newest, or ``chosen``) via the online backup API.

    The current file is backed up first (reason ``before-restore``); a damaged current file,
    which the backup API cannot read, is moved aside as ``<name>.damaged-<time>`` instead.

    Raises:
        DatabaseError: no backup, the backup is itself damaged, or the copy failed.
    """
    if chosen is None:
        backups = list_backups(database)
        if not backups:
            raise DatabaseError(f"there is no backup of {database} in {backups_folder(database)}")
        source = backups[0]
    else:
        if not chosen.is_file():
            raise DatabaseError(f"no such backup file: {chosen}")
        source = BackupFile(
            chosen,
            dt.datetime.fromtimestamp(chosen.stat().st_mtime, dt.UTC),
            "chosen",
            chosen.stat().st_size,
        )
    problem = integrity_problem(source.path)
    if problem is not None:
        raise DatabaseError(f"the backup {source.path} is damaged ({problem}); nothing was changed")
    previous: BackupFile | Path | None = None
    if database.exists():
        if integrity_problem(database) is None:
            previous = create_backup(database, "before-restore", prune=False)
        else:
            previous = _move_aside(database)
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        _copy(source.path, database, standalone=False)
    except (OSError, sqlite3.Error) as error:
        raise DatabaseError(
            f"cannot restore {database} from {source.path} ({error}); "
            f"the file before the restore is kept as {previous}"
        ) from error
    prune_backups(database)
    return RestoreResult(source, previous)


def _move_aside(database: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime(_TIME_FORMAT)
    aside = database.with_name(f"{database.name}.damaged-{stamp}")
    try:
        database.replace(aside)
        # The write-ahead log and shared-memory index belong to the damaged file.
        for suffix in ("-wal", "-shm"):
            companion = database.with_name(database.name + suffix)
            if companion.exists():
                companion.replace(aside.with_name(aside.name + suffix))
    except OSError as error:
        raise DatabaseError(
            f"cannot move the damaged database {database} aside ({error.strerror}); "
            "nothing was changed"
        ) from error
    return aside


def describe_size(size: int) -> str:
    """``12.3 MB`` style sizes for listings."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
