"""The referral log: which letters were exported or printed, for whom and to which trials."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, IntPk, OptionalShortText, ShortText, UtcTimestamp


class ReferralKind(enum.Enum):
    """How the letter left the app."""

    EXPORT = "export"
    PRINT = "print"


class Referral(Base):
    """One referral letter produced."""

    __tablename__ = "referrals"
    __table_args__ = (sa.CheckConstraint("kind IN ('export', 'print')", name="kind"),)

    id: Mapped[IntPk]
    created_at: Mapped[UtcTimestamp] = mapped_column(index=True)
    # A list of trial ids, not foreign keys: the log must outlive a trial removed from the database.
    trial_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    patient_identifier: Mapped[ShortText]
    physician: Mapped[ShortText]
    kind: Mapped[str] = mapped_column(sa.String(20))
    file_name: Mapped[OptionalShortText]


def add_referral(
    session: Session,
    *,
    created_at: dt.datetime,
    trial_ids: Sequence[str],
    patient_identifier: str,
    physician: str,
    kind: ReferralKind,
    file_name: str | None,
) -> Referral:
    row = Referral(
        created_at=created_at,
        trial_ids=list(trial_ids),
        patient_identifier=patient_identifier,
        physician=physician,
        kind=kind.value,
        file_name=file_name,
    )
    session.add(row)
    session.flush()
    return row


def find_referrals(session: Session) -> Sequence[Referral]:
    """Every logged referral, newest first."""
    return session.scalars(
        sa.select(Referral).order_by(Referral.created_at.desc(), Referral.id.desc())
    ).all()
