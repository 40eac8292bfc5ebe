"""Trials shaped after the ClinicalTrials.gov API v2 record, and the queries that read them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NewType

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from models.base import (
    Base,
    IntPk,
    LongText,
    OptionalLongText,
    OptionalShortText,
    Position,
    ShortText,
    UtcTimestamp,
)

TrialId = NewType("TrialId", str)

_CHILD_CASCADE = "all, delete-orphan"


def _trial_fk() -> Mapped[str]:
    return mapped_column(
        sa.ForeignKey("trials.trial_id", ondelete="CASCADE"), index=True, nullable=False
    )


class Trial(Base):
    """One registered study: its identity, status, design, eligibility and where it came from."""

    __tablename__ = "trials"
    __table_args__ = (
        # Covers what the matcher reads of every trial, so it never pages through the long
        # texts stored in the same rows (docs/performance.md).
        sa.Index(
            "ix_trials_screening",
            "trial_id",
            "overall_status",
            "minimum_age",
            "maximum_age",
            "sex",
            "last_update",
            "record_version",
        ),
    )

    trial_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    nct_id: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    org_study_id: Mapped[OptionalShortText]
    # Nothing about a record is guaranteed: transcribed records may lack even a title.
    brief_title: Mapped[OptionalLongText]
    official_title: Mapped[OptionalLongText]
    acronym: Mapped[OptionalShortText]
    brief_summary: Mapped[OptionalLongText]
    detailed_description: Mapped[OptionalLongText]

    # Registry enums stay strings: the registry adds values, and an unknown one must survive.
    overall_status: Mapped[OptionalShortText]
    phases: Mapped[list[str]] = mapped_column(sa.JSON)
    study_type: Mapped[OptionalShortText]
    enrollment_count: Mapped[int | None]
    enrollment_type: Mapped[OptionalShortText]

    # Dates as the registry writes them: "2024-04" and "2024-04-09" both occur.
    start_date: Mapped[OptionalShortText]
    primary_completion_date: Mapped[OptionalShortText]
    completion_date: Mapped[OptionalShortText]
    first_posted: Mapped[OptionalShortText]
    last_update: Mapped[OptionalShortText]
    record_version: Mapped[OptionalShortText]

    lead_sponsor_name: Mapped[OptionalShortText]
    lead_sponsor_class: Mapped[OptionalShortText]

    # Eligibility: the working text has the registry's markdown escapes turned into characters;
    # the source text keeps them exactly as imported.
    eligibility_criteria: Mapped[OptionalLongText]
    eligibility_criteria_source: Mapped[OptionalLongText]
    minimum_age: Mapped[OptionalShortText]
    minimum_age_days: Mapped[int | None]
    maximum_age: Mapped[OptionalShortText]
    maximum_age_days: Mapped[int | None]
    sex: Mapped[OptionalShortText]
    healthy_volunteers: Mapped[bool | None]

    source_json: Mapped[LongText]
    source_file: Mapped[ShortText]
    # Indexed: the Matcher's change check reads max(imported_at) before every match.
    imported_at: Mapped[UtcTimestamp] = mapped_column(index=True)
    trialmatch_source: Mapped[OptionalLongText]

    collaborators: Mapped[list[Collaborator]] = relationship(
        back_populates="trial", cascade=_CHILD_CASCADE, order_by="Collaborator.position"
    )
    conditions: Mapped[list[TrialCondition]] = relationship(
        back_populates="trial", cascade=_CHILD_CASCADE, order_by="TrialCondition.position"
    )
    keywords: Mapped[list[TrialKeyword]] = relationship(
        back_populates="trial", cascade=_CHILD_CASCADE, order_by="TrialKeyword.position"
    )
    arms: Mapped[list[ArmGroup]] = relationship(
        back_populates="trial", cascade=_CHILD_CASCADE, order_by="ArmGroup.position"
    )
    interventions: Mapped[list[Intervention]] = relationship(
        back_populates="trial", cascade=_CHILD_CASCADE, order_by="Intervention.position"
    )
    officials: Mapped[list[OverallOfficial]] = relationship(
        back_populates="trial", cascade=_CHILD_CASCADE, order_by="OverallOfficial.position"
    )
    central_contacts: Mapped[list[CentralContact]] = relationship(
        back_populates="trial", cascade=_CHILD_CASCADE, order_by="CentralContact.position"
    )
    sites: Mapped[list[Site]] = relationship(
        back_populates="trial", cascade=_CHILD_CASCADE, order_by="Site.position"
    )

    @property
    def title(self) -> str | None:
        """The title a person reads first: the brief title, else the official one."""
        return self.brief_title or self.official_title


class TrialScreening(Base):
    """What the matcher reads of every trial it screens, in a narrow row of its own.

    A copy of the trial's status, registry limits, update dates and title, written with the
    trial by the importer (the only writer of trial rows) and in migration 0004 for trials
    stored before. Read from ``trials`` the same columns sit behind each record's long texts,
    one page or more per trial; here about forty rows share a page (docs/performance.md).
    """

    __tablename__ = "trial_screening"
    # No rowid in SQLite: the rows are stored in trial id order, as the matcher reads them.
    __table_args__ = ({"sqlite_with_rowid": False},)

    trial_id: Mapped[str] = mapped_column(
        sa.ForeignKey("trials.trial_id", ondelete="CASCADE"), primary_key=True
    )
    overall_status: Mapped[OptionalShortText]
    minimum_age: Mapped[OptionalShortText]
    maximum_age: Mapped[OptionalShortText]
    sex: Mapped[OptionalShortText]
    last_update: Mapped[OptionalShortText]
    record_version: Mapped[OptionalShortText]
    title: Mapped[OptionalLongText]


SCREENING_COLUMNS = (
    "overall_status",
    "minimum_age",
    "maximum_age",
    "sex",
    "last_update",
    "record_version",
)


class Collaborator(Base):
    """An organisation collaborating with the lead sponsor."""

    __tablename__ = "trial_collaborators"

    id: Mapped[IntPk]
    trial_id: Mapped[str] = _trial_fk()
    position: Mapped[Position]
    name: Mapped[OptionalShortText]
    sponsor_class: Mapped[OptionalShortText]
    trial: Mapped[Trial] = relationship(back_populates="collaborators")


class TrialCondition(Base):
    """A condition the trial studies, as the registry names it."""

    __tablename__ = "trial_conditions"

    id: Mapped[IntPk]
    trial_id: Mapped[str] = _trial_fk()
    position: Mapped[Position]
    name: Mapped[ShortText]
    trial: Mapped[Trial] = relationship(back_populates="conditions")


class TrialKeyword(Base):
    """A keyword the sponsor gave the trial."""

    __tablename__ = "trial_keywords"

    id: Mapped[IntPk]
    trial_id: Mapped[str] = _trial_fk()
    position: Mapped[Position]
    keyword: Mapped[ShortText]
    trial: Mapped[Trial] = relationship(back_populates="keywords")


class ArmGroup(Base):
    """An arm or cohort of the trial and the interventions it receives."""

    __tablename__ = "trial_arms"

    id: Mapped[IntPk]
    trial_id: Mapped[str] = _trial_fk()
    position: Mapped[Position]
    label: Mapped[OptionalShortText]
    arm_type: Mapped[OptionalShortText]
    description: Mapped[OptionalLongText]
    intervention_names: Mapped[list[str]] = mapped_column(sa.JSON)
    trial: Mapped[Trial] = relationship(back_populates="arms")


class Intervention(Base):
    """A drug, device, procedure or other intervention the trial tests."""

    __tablename__ = "trial_interventions"

    id: Mapped[IntPk]
    trial_id: Mapped[str] = _trial_fk()
    position: Mapped[Position]
    intervention_type: Mapped[OptionalShortText]
    name: Mapped[OptionalShortText]
    description: Mapped[OptionalLongText]
    arm_group_labels: Mapped[list[str]] = mapped_column(sa.JSON)
    other_names: Mapped[list[str]] = mapped_column(sa.JSON)
    trial: Mapped[Trial] = relationship(back_populates="interventions")


class OverallOfficial(Base):
    """A person responsible for the trial (principal investigator, study chair, ...)."""

    __tablename__ = "trial_officials"

    id: Mapped[IntPk]
    trial_id: Mapped[str] = _trial_fk()
    position: Mapped[Position]
    name: Mapped[OptionalShortText]
    role: Mapped[OptionalShortText]
    affiliation: Mapped[OptionalShortText]
    trial: Mapped[Trial] = relationship(back_populates="officials")


class CentralContact(Base):
    """A contact for the whole trial."""

    __tablename__ = "trial_central_contacts"

    id: Mapped[IntPk]
    trial_id: Mapped[str] = _trial_fk()
    position: Mapped[Position]
    name: Mapped[OptionalShortText]
    role: Mapped[OptionalShortText]
    phone: Mapped[OptionalShortText]
    phone_ext: Mapped[OptionalShortText]
    email: Mapped[OptionalShortText]
    trial: Mapped[Trial] = relationship(back_populates="central_contacts")


class Site(Base):
    """A place where the trial enrols, with its own contacts."""

    __tablename__ = "trial_sites"

    id: Mapped[IntPk]
    trial_id: Mapped[str] = _trial_fk()
    position: Mapped[Position]
    facility: Mapped[OptionalShortText]
    city: Mapped[OptionalShortText]
    state: Mapped[OptionalShortText]
    zip: Mapped[OptionalShortText]
    country: Mapped[OptionalShortText]
    status: Mapped[OptionalShortText]
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    trial: Mapped[Trial] = relationship(back_populates="sites")
    contacts: Mapped[list[SiteContact]] = relationship(
        back_populates="site", cascade=_CHILD_CASCADE, order_by="SiteContact.position"
    )


class SiteContact(Base):
    """A contact person at one site."""

    __tablename__ = "trial_site_contacts"

    id: Mapped[IntPk]
    site_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trial_sites.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[Position]
    name: Mapped[OptionalShortText]
    role: Mapped[OptionalShortText]
    phone: Mapped[OptionalShortText]
    phone_ext: Mapped[OptionalShortText]
    email: Mapped[OptionalShortText]
    site: Mapped[Site] = relationship(back_populates="contacts")


# Every child collection, loaded eagerly so nothing lazy-loads after the session closes.
TRIAL_CHILDREN = (
    selectinload(Trial.collaborators),
    selectinload(Trial.conditions),
    selectinload(Trial.keywords),
    selectinload(Trial.arms),
    selectinload(Trial.interventions),
    selectinload(Trial.officials),
    selectinload(Trial.central_contacts),
    selectinload(Trial.sites).selectinload(Site.contacts),
)


def find_trial(session: Session, trial_id: str) -> Trial | None:
    """The trial with this id, its children loaded, or None."""
    return session.scalars(
        sa.select(Trial).where(Trial.trial_id == trial_id).options(*TRIAL_CHILDREN)
    ).one_or_none()


def find_all_trials(session: Session) -> Sequence[Trial]:
    """Every trial, children loaded, ordered by trial id."""
    return session.scalars(sa.select(Trial).order_by(Trial.trial_id).options(*TRIAL_CHILDREN)).all()


def count_trials(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Trial)) or 0


def utc_now() -> dt.datetime:
    """The current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)
