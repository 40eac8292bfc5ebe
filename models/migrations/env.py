"""Alembic environment: runs the migrations on the connection the app hands over, or on a URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from models import schema
from models.database import create_database_engine, resolve_database_url

target_metadata = schema.Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters tables by copying them: batch mode does that there, and is plain elsewhere.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given: Connection | None = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    url = context.config.get_main_option("sqlalchemy.url") or resolve_database_url(None, os.environ)
    engine = create_database_engine(url)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run them on a database")
run_migrations_online()
