"""The start-up check is skipped only for a file TrialMatch closed normally and nobody changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import models.backup
from models.backup import CLEAN_CLOSE_SUFFIX, closed_cleanly
from models.database import DatabaseError
from models.operations import OpenedDatabase, close_database, open_database


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "trialmatch.sqlite3"


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the start-up quick check runs on."""
    checked: list[Path] = []
    real = models.backup.integrity_problem

    def counting(path: Path) -> str | None:
        checked.append(path)
        return real(path)

    monkeypatch.setattr(models.backup, "integrity_problem", counting)
    return checked


def _open(database_file: Path) -> OpenedDatabase:
    return open_database(f"sqlite:///{database_file}", bundled_files=())


def test_a_file_closed_normally_and_untouched_is_not_checked_again(
    database_file: Path, checks: list[Path]
) -> None:
    close_database(_open(database_file))
    assert closed_cleanly(database_file)
    checks.clear()
    opened = _open(database_file)
    assert checks == []
    # While it is open the note is gone: if this process dies, the next start checks.
    assert not (database_file.parent / (database_file.name + CLEAN_CLOSE_SUFFIX)).exists()
    close_database(opened)
    assert closed_cleanly(database_file)


def test_a_file_changed_after_it_was_closed_is_checked(
    database_file: Path, checks: list[Path]
) -> None:
    close_database(_open(database_file))
    with sqlite3.connect(database_file) as connection:
        connection.execute("CREATE TABLE written_by_someone_else (x INTEGER)")
    connection.close()
    checks.clear()
    close_database(_open(database_file))
    assert checks == [database_file]


def test_a_file_never_closed_normally_is_checked(database_file: Path, checks: list[Path]) -> None:
    opened = _open(database_file)
    opened.engine.dispose()  # the process dies: no note is written
    checks.clear()
    close_database(_open(database_file))
    assert checks == [database_file]


def test_a_file_damaged_after_it_was_closed_normally_is_refused(database_file: Path) -> None:
    close_database(_open(database_file))
    data = bytearray(database_file.read_bytes())
    for offset in range(2 * 4096, len(data), 4096):
        data[offset : offset + 64] = b"\xff" * 64
    database_file.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match=r"python main\.py restore"):
        _open(database_file)


@pytest.mark.parametrize("note", ["", "{", '{"format": 1, "state": []}', '{"format": 2}'])
def test_an_unreadable_or_foreign_note_means_the_check_runs(
    database_file: Path, checks: list[Path], note: str
) -> None:
    close_database(_open(database_file))
    (database_file.parent / (database_file.name + CLEAN_CLOSE_SUFFIX)).write_text(note, "utf-8")
    checks.clear()
    close_database(_open(database_file))
    assert checks == [database_file]
