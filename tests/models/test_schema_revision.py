"""The schema-version check at start-up: plain SQL against a known head, alembic only to migrate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from models.database import (
    HEAD_REVISION,
    DatabaseError,
    alembic_config,
    create_database_engine,
    current_revision,
    sqlite_url,
)
from models.operations import OpenedDatabase, open_database

REPOSITORY = Path(__file__).resolve().parents[2]


def test_head_revision_constant_is_the_newest_migration_script() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == [HEAD_REVISION]


def test_plain_sql_reads_the_same_revision_as_alembic(empty_database: OpenedDatabase) -> None:
    with empty_database.engine.connect() as connection:
        alembic_reading = MigrationContext.configure(connection).get_current_revision()
    assert alembic_reading == HEAD_REVISION
    assert current_revision(empty_database.engine) == alembic_reading


def test_a_database_without_a_version_table_has_no_revision(tmp_path: Path) -> None:
    engine = create_database_engine(sqlite_url(tmp_path / "blank.sqlite3"))
    try:
        assert current_revision(engine) is None
    finally:
        engine.dispose()


def test_several_recorded_revisions_are_refused(empty_database: OpenedDatabase) -> None:
    with empty_database.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES ('0000')"))
    with pytest.raises(DatabaseError, match="several schema versions"):
        current_revision(empty_database.engine)


def test_a_revision_from_a_newer_app_is_a_clear_error(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "newer.sqlite3")
    opened = open_database(url, bundled_files=())
    with opened.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    opened.engine.dispose()
    with pytest.raises(DatabaseError, match="written by a newer TrialMatch"):
        open_database(url, bundled_files=())


def _modules_loaded_after(code: str) -> set[str]:
    """Top-level package names imported by running ``code`` in a fresh interpreter."""
    report = "import sys\nprint(' '.join({name.split('.')[0] for name in sys.modules}))"
    probe = f"{code}\n{report}"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPOSITORY,
        timeout=120,
    )
    return set(result.stdout.split())


def test_opening_a_current_database_does_not_import_alembic(tmp_path: Path) -> None:
    database = tmp_path / "current.sqlite3"
    open_database(sqlite_url(database), bundled_files=()).engine.dispose()
    loaded = _modules_loaded_after(
        "from pathlib import Path\n"
        "from models.database import sqlite_url\n"
        "from models.operations import open_database\n"
        f"open_database(sqlite_url(Path({str(database)!r})), bundled_files=()).engine.dispose()"
    )
    assert "models" in loaded
    assert "alembic" not in loaded


def test_a_new_database_is_still_migrated_with_alembic(tmp_path: Path) -> None:
    database = tmp_path / "new.sqlite3"
    loaded = _modules_loaded_after(
        "from pathlib import Path\n"
        "from models.database import sqlite_url\n"
        "from models.operations import open_database\n"
        f"open_database(sqlite_url(Path({str(database)!r})), bundled_files=()).engine.dispose()"
    )
    assert "alembic" in loaded
    engine = create_database_engine(sqlite_url(database))
    try:
        assert current_revision(engine) == HEAD_REVISION
        assert "trials" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
