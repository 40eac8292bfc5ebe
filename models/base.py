"""Declarative base with a naming convention, and the column types the tables share."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, mapped_column

# Constraint names are fixed from day one so Alembic can alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: dt.datetime | None, _dialect: sa.Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, _dialect: sa.Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Base of every ORM class."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


IntPk = Annotated[int, mapped_column(primary_key=True)]
ShortText = Annotated[str, mapped_column(sa.String(500))]
OptionalShortText = Annotated[str | None, mapped_column(sa.String(500))]
LongText = Annotated[str, mapped_column(sa.Text)]
OptionalLongText = Annotated[str | None, mapped_column(sa.Text)]
# Order of an item within its trial record, from 0, as the registry lists it.
Position = Annotated[int, mapped_column()]
UtcTimestamp = Annotated[dt.datetime, mapped_column(UtcDateTime())]
