"""Database engine (SQLite pragmas), session factory, where the database lives, and migrations."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    # Alembic takes a quarter of a second to import; start-up imports it only to migrate.
    from alembic.config import Config

APP_NAME = "TrialMatch"
DATABASE_FILE_NAME = "trialmatch.sqlite3"
DATABASE_URL_ENV = "TRIALMATCH_DB_URL"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest revision in models/migrations/versions (a test checks it against the scripts).
# Start-up compares the database's alembic_version with it and needs alembic only to migrate.
HEAD_REVISION = "0004"
ALEMBIC_VERSION_TABLE = "alembic_version"
# How long a connection waits for another writer before giving up ("database is locked").
SQLITE_BUSY_TIMEOUT_MS = 10000
# The same for PostgreSQL row and table locks (without it a writer would wait forever).
POSTGRES_LOCK_TIMEOUT_MS = 10000
BUSY_MESSAGE = "the database is busy: another TrialMatch is writing; try again"

SessionFactory = sessionmaker[Session]


class DatabaseError(Exception):
    """The database cannot be opened, created or migrated; the message says why."""


class UnknownSchemaError(Exception):
    """The database's schema revision is not one of this version's migrations (a newer app's)."""


def default_database_path() -> Path:
    """The user's database file in the per-user data folder (not roaming on Windows)."""
    return (
        platformdirs.user_data_path(APP_NAME, appauthor=False, roaming=False) / DATABASE_FILE_NAME
    )


def resolve_database_url(given: str | None, environ: Mapping[str, str]) -> str:
    """The database URL from ``--db``, else ``TRIALMATCH_DB_URL``, else the per-user file.

    A value without ``://`` is a path to a SQLite file.
    """
    value = given or environ.get(DATABASE_URL_ENV) or None
    if value is None:
        return sqlite_url(default_database_path())
    if "://" in value:
        return value
    return sqlite_url(Path(value).expanduser())


def sqlite_url(path: Path) -> str:
    return sa.URL.create("sqlite", database=str(path.absolute())).render_as_string()


def _set_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # WAL with synchronous=FULL: a committed transaction survives power loss.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def create_database_engine(url: str) -> sa.Engine:
    """An engine for ``url``; SQLite connections get foreign keys, WAL, FULL sync, busy timeout.

    Raises:
        DatabaseError: the URL is not usable, or a SQLite file's folder cannot be created.
    """
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as error:
        raise DatabaseError(f"not a database URL: {url!r}") from error
    if parsed.drivername == "postgresql":
        # SQLAlchemy 2.1 defaults to psycopg 3; the app ships psycopg2 (requirements.txt).
        parsed = parsed.set(drivername="postgresql+psycopg2")
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise DatabaseError(
                    f"cannot create the folder for the database {database}: {error.strerror}"
                ) from error
    connect_args: dict[str, object] = {}
    if parsed.get_backend_name() == "postgresql":
        # Keep any server options the URL gives (?options=-csearch_path%3Dclinic).
        given_options = parsed.query.get("options", "")
        if not isinstance(given_options, str):
            given_options = " ".join(given_options)
        connect_args["options"] = f"{given_options} -c lock_timeout={POSTGRES_LOCK_TIMEOUT_MS}"
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
        raise DatabaseError(f"cannot use the database {_safe(parsed)}: {error}") from error
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def _safe(url: sa.URL) -> str:
    """The URL with any password hidden, for messages."""
    return url.render_as_string(hide_password=True)


def is_busy_error(error: BaseException) -> bool:
    """Whether ``error`` is a lock wait that ran past the SQLite or PostgreSQL lock timeout."""
    reason = str(getattr(error, "orig", None) or error).lower()
    return any(
        sign in reason for sign in ("database is locked", "database is busy", "due to lock timeout")
    )


@contextlib.contextmanager
def write_errors_as_database_error() -> Iterator[None]:
    """Turn the database refusing a write into a ``DatabaseError`` whose message says why.

    Raises:
        DatabaseError: ``BUSY_MESSAGE`` when another process held the write lock past the
            timeout; otherwise "cannot write to the database: <reason>" (read-only file, full
            disk, lost server connection). The transaction was rolled back: nothing was saved.
    """
    try:
        yield
    except sa.exc.OperationalError as error:
        if is_busy_error(error):
            raise DatabaseError(BUSY_MESSAGE) from error
        reason = getattr(error, "orig", None) or error
        message = f"cannot write to the database ({reason}); nothing was saved"
        raise DatabaseError(message) from error


def make_session_factory(engine: sa.Engine) -> SessionFactory:
    """Sessions whose objects stay readable after commit (use cases return them as values)."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: sa.Engine | None = None) -> Config:
    """Alembic configuration for the migrations in models/migrations (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return config


def head_revision() -> str:
    """The schema revision this version of the app writes (``HEAD_REVISION``)."""
    return HEAD_REVISION


def current_revision(engine: sa.Engine) -> str | None:
    """The database's schema revision, read with plain SQL; None for a database without one.

    Raises:
        DatabaseError: the version table holds several revisions (branches this app never makes).
    """
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(ALEMBIC_VERSION_TABLE):
            return None
        versions = sa.table(ALEMBIC_VERSION_TABLE, sa.column("version_num", sa.String))
        revisions = connection.scalars(sa.select(versions.c.version_num)).all()
    if len(revisions) > 1:
        raise DatabaseError(f"the database records several schema versions: {sorted(revisions)}")
    return revisions[0] if revisions else None


def upgrade_to_head(engine: sa.Engine) -> None:
    """Apply every pending migration (``alembic upgrade head``) in one transaction.

    Raises:
        UnknownSchemaError: the database has a revision these migrations do not know.
    """
    from alembic import command
    from alembic.util import CommandError

    config = alembic_config(engine)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except CommandError as error:
        raise UnknownSchemaError(str(error)) from error


def downgrade_to(engine: sa.Engine, revision: str) -> None:
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def database_url_from_environment() -> str | None:
    return os.environ.get(DATABASE_URL_ENV) or None
