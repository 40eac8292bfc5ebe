"""What each trial is about, derived from its conditions, and stored for the SQL prefilter.

A trial's *topics* are the vocabulary conditions its registry record names (conditions and
keywords, else its title), AREA_TOPIC when it names only the autoimmune / rheumatic area,
OTHER_TOPIC when it names conditions outside the vocabulary, nothing when it names none. The
matcher leaves out trials about none of the patient's conditions (``is_topic_candidate``).

The topics are written with each trial at import (``trial_topics``, one row per topic,
NO_TOPIC for a trial that names none), so a match can read only the trials about the
patient's conditions instead of every trial in the database (docs/performance.md). They are
derived data: ``TOPICS_VERSION`` fingerprints the vocabulary and the rules that derive them,
``refresh_topics`` (run when a database is opened) derives them again whenever it changed,
and the matcher reads stored topics only when their version is this one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.profile import PatientProfile
from engine.vocabulary import CONDITIONS, condition_covers, normalise_term
from models.base import Base
from models.database import SessionFactory
from models.trial import Trial, TrialCondition, TrialKeyword, TrialScreening

AREA_TOPIC = "*autoimmune"
OTHER_TOPIC = "*other"
# Stored for a trial whose record names no readable condition: it stays everyone's candidate.
NO_TOPIC = "*none"

# Bump when the rules below change meaning (the vocabulary's terms are fingerprinted anyway).
_TOPIC_RULES = "topics-1"


def _term_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    terms: dict[str, str] = {}
    for condition in CONDITIONS.values():
        for term in (condition.id.replace("_", " "), condition.label, *condition.synonyms):
            key = normalise_term(term)
            if key:
                terms.setdefault(key, condition.id)
    alternatives = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"), terms


_TERMS, _TERM_CONDITION = _term_pattern()
# Words naming the whole area the vocabulary belongs to (autoimmune and rheumatic disease):
# a trial named only by them ("Autoimmune Diseases") may take any vocabulary patient.
_UMBRELLA = re.compile(
    r"(?<!\w)(?:autoimmun\w*|auto immun\w*|immune mediated|immune system|immunological"
    r"|rheumat\w*|connective tissue|collagen|vasculit\w*|arthrit\w*|myosit\w*|myopath\w*"
    r"|lupus|scleroderma|sclerosis|sjogren\w*|sicca)(?!\w)"
)


def _topics_version() -> str:
    """A fingerprint of everything stored topics depend on: terms, area words, rules."""
    fingerprint = "\n".join(
        [
            _TOPIC_RULES,
            _UMBRELLA.pattern,
            *(f"{term}\t{condition}" for term, condition in sorted(_TERM_CONDITION.items())),
        ]
    )
    return hashlib.sha256(fingerprint.encode()).hexdigest()


TOPICS_VERSION = _topics_version()


def text_topics(text: str) -> frozenset[str]:
    """The vocabulary conditions a registry text names; AREA_TOPIC when it names only the area."""
    normalised = normalise_term(text)
    found = {_TERM_CONDITION[match.group(0)] for match in _TERMS.finditer(normalised)}
    if not found and _UMBRELLA.search(normalised):
        # Only when no condition is named: "Rheumatoid Arthritis" is about RA, not the area.
        found.add(AREA_TOPIC)
    return frozenset(found)


def topics_of(
    conditions: Sequence[str],
    keywords: Sequence[str],
    title: str | None,
    memo: dict[str, frozenset[str]] | None = None,
) -> frozenset[str]:
    """What a trial is about: from its conditions and keywords, else from its title.

    Empty means the record names no condition at all that can be read (no conditions or
    keywords listed, and a title naming none): such a trial stays a candidate for everyone.
    """
    memo = {} if memo is None else memo

    def topics(text: str) -> frozenset[str]:
        cached = memo.get(text)
        if cached is None:
            cached = memo[text] = text_topics(text)
        return cached

    found: set[str] = set()
    for text in (*conditions, *keywords):
        found |= topics(text)
    if not found and title:
        found |= topics(title)
    if not found and (conditions or keywords):
        # Named conditions outside the vocabulary and its area (oncology, cardiology ...).
        found.add(OTHER_TOPIC)
    return frozenset(found)


def patient_conditions(profile: PatientProfile) -> frozenset[str]:
    """The patient's conditions as vocabulary ids (lupus nephritis when biopsy classes exist)."""
    found: set[str] = set()
    for diagnosis in profile.diagnoses:
        found.add(diagnosis.condition)
        if diagnosis.lupus_nephritis is not None and diagnosis.lupus_nephritis.classes:
            found.add("lupus_nephritis")
    return frozenset(found)


def is_topic_candidate(topics: frozenset[str], conditions: frozenset[str]) -> bool:
    """Whether a trial about ``topics`` is evaluated for a patient with ``conditions``.

    Conservative: a patient without diagnoses gets every trial; a trial whose topic cannot be
    read, or that names the autoimmune / rheumatic area without a vocabulary condition, stays a
    candidate; otherwise one of its conditions must be the patient's, a broader form of it, or
    a narrower form (a lupus nephritis trial for an SLE patient: the biopsy may not be recorded).
    """
    if not conditions or not topics or AREA_TOPIC in topics:
        return True
    return any(
        condition_covers(topic, condition) or condition_covers(condition, topic)
        for topic in topics
        if topic in CONDITIONS
        for condition in conditions
    )


def candidate_topics(conditions: frozenset[str]) -> frozenset[str]:
    """The stored topics that make a trial a candidate for a patient with ``conditions``
    (one is enough), NO_TOPIC included; only for a patient with at least one condition.

    ``is_topic_candidate`` holds for a trial's topics exactly when one of them is in this set
    (or it has none): it asks whether any one topic qualifies.
    """
    assert conditions, "a patient without conditions is a candidate for every trial"
    every = (*CONDITIONS, AREA_TOPIC, OTHER_TOPIC)
    qualifying = {topic for topic in every if is_topic_candidate(frozenset({topic}), conditions)}
    return frozenset({*qualifying, NO_TOPIC})


def stored_topics(topics: frozenset[str]) -> list[str]:
    """The rows stored for a trial with ``topics`` (NO_TOPIC for none), in a fixed order."""
    return sorted(topics) or [NO_TOPIC]


def read_topics(stored: Iterable[str]) -> frozenset[str]:
    """A trial's topics from its stored rows."""
    return frozenset(topic for topic in stored if topic != NO_TOPIC)


# ---------------------------------------------------------------------------------------------
# Storage


class TrialTopic(Base):
    """One topic of a trial (models/topics.py), written with the trial for the prefilter."""

    __tablename__ = "trial_topics"
    __table_args__ = (
        # The prefilter's lookup: the trials having any of a patient's candidate topics.
        sa.Index("ix_trial_topics_topic_trial_id", "topic", "trial_id"),
    )

    trial_id: Mapped[str] = mapped_column(
        sa.ForeignKey("trials.trial_id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(sa.String(40), primary_key=True)


class DerivedVersion(Base):
    """The version of the rules a kind of derived data in the database was written with."""

    __tablename__ = "derived_versions"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(64))


TOPICS = "trial_topics"
TRIAL_TOPICS_TABLE = TrialTopic.__table__
_IN_CHUNK = 500


def topic_rows(trial_id: str, topics: frozenset[str]) -> list[dict[str, object]]:
    """The trial_topics rows to insert for one trial."""
    return [{"trial_id": trial_id, "topic": topic} for topic in stored_topics(topics)]


def stored_topics_version(session: Session) -> str | None:
    """The version the stored topics were derived with, None when never derived."""
    return session.scalar(sa.select(DerivedVersion.version).where(DerivedVersion.name == TOPICS))


def derive_all_topics(session: Session) -> int:
    """Derive and store every trial's topics in ``session``'s transaction; returns the number
    of trials. Replaces whatever was stored and records TOPICS_VERSION."""
    conditions: dict[str, list[str]] = {}
    for trial_id, name in session.execute(
        sa.select(TrialCondition.trial_id, TrialCondition.name).order_by(
            TrialCondition.trial_id, TrialCondition.position
        )
    ):
        conditions.setdefault(trial_id, []).append(name)
    keywords: dict[str, list[str]] = {}
    for trial_id, keyword in session.execute(
        sa.select(TrialKeyword.trial_id, TrialKeyword.keyword).order_by(
            TrialKeyword.trial_id, TrialKeyword.position
        )
    ):
        keywords.setdefault(trial_id, []).append(keyword)
    memo: dict[str, frozenset[str]] = {}
    rows: list[dict[str, object]] = []
    count = 0
    for trial_id, brief, official in session.execute(
        sa.select(Trial.trial_id, Trial.brief_title, Trial.official_title)
    ):
        topics = topics_of(
            conditions.get(trial_id, ()), keywords.get(trial_id, ()), brief or official, memo
        )
        rows.extend(topic_rows(trial_id, topics))
        count += 1
    session.execute(sa.delete(TrialTopic))
    if rows:
        session.execute(sa.insert(TrialTopic), rows)
    session.execute(sa.delete(DerivedVersion).where(DerivedVersion.name == TOPICS))
    session.execute(sa.insert(DerivedVersion).values(name=TOPICS, version=TOPICS_VERSION))
    return count


def refresh_topics(session_factory: SessionFactory) -> int | None:
    """Derive every trial's topics again when they were derived with other rules (or never);
    returns how many trials were derived, None when the stored topics are current.

    One transaction: a failure leaves the old topics, which the matcher then does not use.
    """
    with session_factory() as session:
        if stored_topics_version(session) == TOPICS_VERSION:
            return None
    with session_factory.begin() as session:
        if stored_topics_version(session) == TOPICS_VERSION:
            return None  # another TrialMatch derived them meanwhile
        return derive_all_topics(session)


def stored_screening_usable(session: Session) -> bool:
    """Whether the stored topics and screening rows can stand in for every trial's own
    columns and names: topics of this version, and every trial has its topic rows and its
    screening row (the importer writes both; a trial written another way would not)."""
    if stored_topics_version(session) != TOPICS_VERSION:
        return False
    trials = session.scalar(sa.select(sa.func.count()).select_from(Trial)) or 0
    # Rows refer to existing trials (foreign keys), so equal counts mean none is missing.
    # Counted over a DISTINCT subquery: SQLite then walks the primary key's index in order
    # instead of sorting every row into a temporary tree (25 against 39 ms at 100,000).
    distinct_trials = sa.select(TrialTopic.trial_id).distinct().subquery()
    topical = session.scalar(sa.select(sa.func.count()).select_from(distinct_trials)) or 0
    screened = session.scalar(sa.select(sa.func.count()).select_from(TrialScreening)) or 0
    return topical == trials == screened


def topic_trials(wanted: frozenset[str]) -> sa.Select[str]:
    """The ids of the trials having one of the ``wanted`` topics, as a subquery."""
    return sa.select(TrialTopic.trial_id).where(TrialTopic.topic.in_(sorted(wanted)))
