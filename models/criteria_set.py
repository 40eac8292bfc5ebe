"""Criteria sets per trial (curated or parsed automatically), stored as criteria-file JSON."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, IntPk, LongText, UtcDateTime, UtcTimestamp


class CriteriaSource(enum.Enum):
    """Where a criteria set comes from (docs/architecture.md, criteria file format)."""

    CURATED = "curated"
    AUTOMATIC = "automatic"


class CriteriaSet(Base):
    """The criteria of one trial from one source, in the ``trialmatch-criteria/1`` JSON format."""

    __tablename__ = "criteria_sets"
    __table_args__ = (
        sa.UniqueConstraint("trial_id", "source", name="uq_criteria_sets_trial_id_source"),
        sa.CheckConstraint("source IN ('curated', 'automatic')", name="source"),
    )

    id: Mapped[IntPk]
    trial_id: Mapped[str] = mapped_column(
        sa.ForeignKey("trials.trial_id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(sa.String(20))
    criteria_json: Mapped[LongText]
    verified: Mapped[bool]
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # Indexed: the Matcher's change check reads max(updated_at) before every match.
    updated_at: Mapped[UtcTimestamp] = mapped_column(index=True)


class CriteriaProgram(Base):
    """A stored set compiled to shared rule atoms (models/compiled_store.py), written with it.

    Its own narrow table: a match reads these for every candidate, and reading a column of
    criteria_sets would page through each set's long JSON. No row when the set was stored
    before migration 0003 (until compiled) or does not load.
    """

    __tablename__ = "criteria_programs"

    set_id: Mapped[int] = mapped_column(
        sa.ForeignKey("criteria_sets.id", ondelete="CASCADE"), primary_key=True
    )
    trial_id: Mapped[str] = mapped_column(sa.String(40), index=True)
    source: Mapped[str] = mapped_column(sa.String(20))
    verified: Mapped[bool]
    program: Mapped[LongText]


class CriteriaAtom(Base):
    """One distinct rule atom (engine.compiled): a criterion's kind and rules without wording.

    Shared by every stored set that has the same criterion, so a match evaluates it once.
    """

    __tablename__ = "criteria_atoms"

    id: Mapped[IntPk]
    # SHA-256 of ``body``: unique on every backend whatever the body's length.
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    body: Mapped[LongText]


def save_criteria_set(
    session: Session,
    trial_id: str,
    source: CriteriaSource,
    criteria_json: str,
    *,
    verified: bool,
    reviewed_at: dt.datetime | None,
    now: dt.datetime,
    compiled: str | None = None,
) -> CriteriaSet:
    """Store the trial's criteria from ``source``, replacing any earlier set from that source."""
    existing = find_criteria_set(session, trial_id, source)
    row = existing if existing is not None else CriteriaSet(trial_id=trial_id, source=source.value)
    row.criteria_json = criteria_json
    row.verified = verified
    row.reviewed_at = reviewed_at
    row.updated_at = now
    if existing is None:
        session.add(row)
    session.flush()
    session.execute(sa.delete(CriteriaProgram).where(CriteriaProgram.set_id == row.id))
    if compiled is not None:
        session.execute(
            sa.insert(CriteriaProgram).values(
                set_id=row.id,
                trial_id=trial_id,
                source=source.value,
                verified=verified,
                program=compiled,
            )
        )
    return row


def find_criteria_set(
    session: Session, trial_id: str, source: CriteriaSource
) -> CriteriaSet | None:
    return session.scalars(
        sa.select(CriteriaSet).where(
            CriteriaSet.trial_id == trial_id, CriteriaSet.source == source.value
        )
    ).one_or_none()


def find_criteria_sets(session: Session, trial_id: str) -> Sequence[CriteriaSet]:
    """The trial's criteria sets, curated first."""
    curated_first = sa.case((CriteriaSet.source == CriteriaSource.CURATED.value, 0), else_=1)
    return session.scalars(
        sa.select(CriteriaSet).where(CriteriaSet.trial_id == trial_id).order_by(curated_first)
    ).all()
