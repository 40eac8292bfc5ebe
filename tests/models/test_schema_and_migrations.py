"""Schema: constraints, cascades, pragmas, and Alembic migrations without drift."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from models.criteria_set import CriteriaSet, CriteriaSource
from models.database import (
    DATABASE_URL_ENV,
    create_database_engine,
    current_revision,
    downgrade_to,
    head_revision,
    resolve_database_url,
    upgrade_to_head,
)
from models.operations import OpenedDatabase, import_files, store_criteria_set
from models.schema import Base, Site, SiteContact, Trial

Fingerprint = Callable[[sa.Engine], tuple[dict[str, int], str]]
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def _trial(trial_id: str, nct_id: str | None) -> Trial:
    return Trial(
        trial_id=trial_id,
        nct_id=nct_id,
        brief_title="T",
        phases=[],
        source_json="{}",
        source_file="x.json",
        imported_at=NOW,
    )


def test_sqlite_connections_get_the_pragmas(empty_database: OpenedDatabase) -> None:
    with empty_database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_nct_id_is_unique(empty_database: OpenedDatabase) -> None:
    factory = empty_database.session_factory
    with factory.begin() as session:
        session.add(_trial("NCT00000001", "NCT00000001"))
    with pytest.raises(sa.exc.IntegrityError), factory.begin() as session:
        session.add(_trial("LOCAL-0000000001", "NCT00000001"))


def test_deleting_a_trial_cascades_in_the_database(empty_database: OpenedDatabase) -> None:
    factory = empty_database.session_factory
    with factory.begin() as session:
        trial = _trial("NCT00000001", "NCT00000001")
        trial.sites = [Site(position=0, contacts=[SiteContact(position=0, name="A")])]
        session.add(trial)
    store_criteria_set(factory, "NCT00000001", CriteriaSource.CURATED, "{}", verified=True)

    # A plain SQL delete: the foreign keys' ON DELETE CASCADE must do the work, not the ORM.
    with empty_database.engine.begin() as connection:
        connection.execute(sa.delete(Trial.__table__))
    with factory() as session:
        for model in (Site, SiteContact, CriteriaSet):
            assert session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_foreign_keys_are_enforced(empty_database: OpenedDatabase) -> None:
    with pytest.raises(sa.exc.IntegrityError), empty_database.session_factory.begin() as session:
        session.add(
            CriteriaSet(
                trial_id="NCT99999999",
                source="curated",
                criteria_json="{}",
                verified=False,
                updated_at=NOW,
            )
        )


def test_criteria_source_is_checked(empty_database: OpenedDatabase) -> None:
    with empty_database.session_factory.begin() as session:
        session.add(_trial("NCT00000001", "NCT00000001"))
    with pytest.raises(sa.exc.IntegrityError), empty_database.session_factory.begin() as session:
        session.add(
            CriteriaSet(
                trial_id="NCT00000001",
                source="guessed",
                criteria_json="{}",
                verified=False,
                updated_at=NOW,
            )
        )


def test_orm_and_migrations_do_not_drift(empty_database: OpenedDatabase) -> None:
    with empty_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrations_downgrade_and_upgrade_with_data(
    empty_database: OpenedDatabase, fixtures_dir: Path, database_fingerprint: Fingerprint
) -> None:
    engine = empty_database.engine
    import_files(empty_database.session_factory, [fixtures_dir / "quirks_page.json"])
    counts, _ = database_fingerprint(engine)
    assert counts["trials"] == 2
    assert current_revision(engine) == head_revision()

    downgrade_to(engine, "base")
    assert current_revision(engine) is None
    assert sa.inspect(engine).get_table_names() == ["alembic_version"]

    upgrade_to_head(engine)
    assert current_revision(engine) == head_revision()
    assert database_fingerprint(engine)[0] == dict.fromkeys(counts, 0)
    # Data written after a re-upgrade works as before.
    report = import_files(empty_database.session_factory, [fixtures_dir / "quirks_page.json"])
    assert len(report.added) == 2


def test_database_url_resolution(tmp_path: Path) -> None:
    file_path = tmp_path / "my.db"
    assert resolve_database_url(str(file_path), {}) == f"sqlite:///{file_path}"
    assert resolve_database_url(None, {DATABASE_URL_ENV: "sqlite:///x.db"}) == "sqlite:///x.db"
    assert resolve_database_url("sqlite:///y.db", {DATABASE_URL_ENV: "sqlite:///x.db"}) == (
        "sqlite:///y.db"
    )
    assert resolve_database_url(None, {}).endswith("trialmatch.sqlite3")


def test_postgresql_url_uses_the_shipped_driver() -> None:
    engine = create_database_engine("postgresql://user:secret@localhost/trialmatch")
    assert engine.dialect.driver == "psycopg2"
    engine.dispose()
