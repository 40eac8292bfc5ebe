"""Fixtures for the persistence tests: a fresh migrated SQLite file per test, and a content hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from models.database import SessionFactory
from models.operations import OpenedDatabase, open_database
from models.schema import Base

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[OpenedDatabase]:
    """A migrated database without trials (no bundled trials imported)."""
    database = open_database(f"sqlite:///{tmp_path / 'test.sqlite3'}", bundled_files=())
    yield database
    database.engine.dispose()


@pytest.fixture
def session_factory(empty_database: OpenedDatabase) -> SessionFactory:
    return empty_database.session_factory


def _table_rows(connection: sa.Connection, table: sa.Table) -> list[list[object]]:
    rows = connection.execute(sa.select(table)).all()
    return sorted(([str(value) for value in row] for row in rows), key=json.dumps)


@pytest.fixture
def database_fingerprint() -> Callable[[sa.Engine], tuple[dict[str, int], str]]:
    """Row counts per table and a SHA-256 over every row of every table."""

    def fingerprint(engine: sa.Engine) -> tuple[dict[str, int], str]:
        counts: dict[str, int] = {}
        digest = hashlib.sha256()
        with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                rows = _table_rows(connection, table)
                counts[table.name] = len(rows)
                digest.update(json.dumps([table.name, rows], ensure_ascii=False).encode())
        return counts, digest.hexdigest()

    return fingerprint
