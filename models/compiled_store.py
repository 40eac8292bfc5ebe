"""Stored compiled criteria: each set's program of shared rule atoms, written with the set.

A stored set's ``compiled`` text is ``c1|<source>|<atom ids, comma-separated>|<shape JSON or
empty>``; the atoms' canonical JSON lives once in ``criteria_atoms``. The matcher reads these
two narrow columns instead of every set's criteria JSON (docs/performance.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from engine.compiled import CompiledSet, Shape, compile_criteria_data
from engine.errors import CriteriaError
from models.criteria_set import CriteriaAtom, CriteriaProgram, CriteriaSet
from models.database import SessionFactory
from models.topics import TrialTopic, read_topics, stored_screening_usable, topic_trials
from models.trial import Site, Trial, TrialCondition, TrialKeyword, TrialScreening

# Bump when the compiled text or the atom body changes meaning: older texts are then ignored
# (and compiled again from the criteria JSON) rather than misread.
COMPILED_FORMAT = "c1"
_IN_CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoredProgram:
    """A stored set's program: its source and atom ids (database ids), and its shape."""

    source: str
    atoms: tuple[int, ...]
    shape: Shape | None


def encode_program(source: str, atom_ids: Sequence[int], shape: Shape | None) -> str:
    shape_text = "" if shape is None else json.dumps(shape.to_data(), separators=(",", ":"))
    return f"{COMPILED_FORMAT}|{source}|{','.join(map(str, atom_ids))}|{shape_text}"


def decode_program(text: str | None) -> StoredProgram | None:
    """The program in ``text``; None when there is none or it is in an older format."""
    if not text:
        return None
    parts = text.split("|", 3)
    if len(parts) != 4 or parts[0] != COMPILED_FORMAT:
        return None
    _, source, ids, shape_text = parts
    atoms = tuple(map(int, ids.split(","))) if ids else ()
    shape = Shape.from_data(json.loads(shape_text)) if shape_text else None
    return StoredProgram(source, atoms, shape)


def digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def atom_ids(
    session: Session, bodies: Sequence[str], known: dict[str, int] | None = None
) -> list[int]:
    """The database id of each atom body, inserting the ones not stored yet.

    ``known`` (digest → id) spares the lookups when many sets are compiled in one run.
    """
    known = {} if known is None else known
    digests = [digest(body) for body in bodies]
    wanted = sorted({d for d in digests if d not in known})
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        known.update(
            session.execute(
                sa.select(CriteriaAtom.digest, CriteriaAtom.id).where(
                    CriteriaAtom.digest.in_(chunk)
                )
            ).all()
        )
    new = {d: body for d, body in zip(digests, bodies, strict=True) if d not in known}
    if new:
        session.execute(
            sa.insert(CriteriaAtom), [{"digest": d, "body": body} for d, body in new.items()]
        )
        known.update(
            session.execute(
                sa.select(CriteriaAtom.digest, CriteriaAtom.id).where(
                    CriteriaAtom.digest.in_(list(new))
                )
            ).all()
        )
    return [known[d] for d in digests]


def compile_set_json(criteria_json: str) -> CompiledSet | None:
    """The set compiled, or None when it is not JSON or does not load (the matcher then
    reports the problem from the JSON itself, as before)."""
    try:
        return compile_criteria_data(json.loads(criteria_json))
    except (json.JSONDecodeError, CriteriaError):
        return None


def compiled_text(
    session: Session, criteria_json: str, known: dict[str, int] | None = None
) -> str | None:
    """The ``compiled`` column for a set about to be stored in ``session``'s transaction."""
    compiled = compile_set_json(criteria_json)
    if compiled is None:
        return None
    ids = atom_ids(session, compiled.atoms, known)
    return encode_program(compiled.source, ids, compiled.shape)


def compile_stored_sets(session_factory: SessionFactory, batch: int = 500) -> int:
    """Compile every stored set that has no current program (stored before migration 0003,
    or before COMPILED_FORMAT changed); returns how many were compiled.

    ``updated_at`` is left as it is: the sets did not change, so matchers keep what they hold.
    """
    done = 0
    known: dict[str, int] = {}
    last_id = 0
    current = CriteriaProgram.program.startswith(f"{COMPILED_FORMAT}|")
    while True:
        with session_factory.begin() as session:
            rows = session.execute(
                sa.select(
                    CriteriaSet.id,
                    CriteriaSet.trial_id,
                    CriteriaSet.source,
                    CriteriaSet.verified,
                    CriteriaSet.criteria_json,
                )
                .outerjoin(CriteriaProgram, CriteriaProgram.set_id == CriteriaSet.id)
                .where(
                    CriteriaSet.id > last_id,
                    sa.or_(CriteriaProgram.set_id.is_(None), sa.not_(current)),
                )
                .order_by(CriteriaSet.id)
                .limit(batch)
            ).all()
            if not rows:
                return done
            last_id = rows[-1][0]
            session.execute(
                sa.delete(CriteriaProgram).where(CriteriaProgram.set_id.in_([r[0] for r in rows]))
            )
            programs = []
            for set_id, trial_id, source, verified, criteria_json in rows:
                text = compiled_text(session, criteria_json, known)
                if text is not None:
                    programs.append(
                        {
                            "set_id": set_id,
                            "trial_id": trial_id,
                            "source": source,
                            "verified": verified,
                            "program": text,
                        }
                    )
            if programs:
                session.execute(sa.insert(CriteriaProgram), programs)
                done += len(programs)


class StoredSetRow(NamedTuple):
    """What the matcher reads of a stored set: its source and program, never its JSON
    (``program`` None: the set has no current program and is read the slow way; its
    ``verified`` is then None too)."""

    trial_id: str
    source: str
    verified: bool | None
    program: str | None


def read_stored_sets(
    session_factory: SessionFactory,
    trial_ids: Sequence[str] | None,
    topics: frozenset[str] | None = None,
) -> list[StoredSetRow]:
    """The given trials' (None: every trial's, or with ``topics`` every trial's having one of
    those stored topics) stored sets with their programs (through indexes only)."""
    query = sa.select(
        CriteriaSet.trial_id,
        CriteriaSet.source,
        CriteriaProgram.verified,
        CriteriaProgram.program,
    ).outerjoin(CriteriaProgram, CriteriaProgram.set_id == CriteriaSet.id)
    found: list[StoredSetRow] = []
    # Core rows through the session's connection: the ORM's row processing is the cost here.
    with session_factory() as session:
        connection = session.connection()
        if trial_ids is None:
            if topics is not None:
                query = query.where(CriteriaSet.trial_id.in_(topic_trials(topics)))
            queries = [query]
        else:
            queries = [
                query.where(CriteriaSet.trial_id.in_(trial_ids[start : start + _IN_CHUNK]))
                for start in range(0, len(trial_ids), _IN_CHUNK)
            ]
        for chunk_query in queries:
            # One of tens of thousands of rows per match: made straight from the result rows.
            found.extend(map(StoredSetRow._make, connection.execute(chunk_query)))
    return found


def read_atoms(session_factory: SessionFactory, ids: Iterable[int]) -> dict[int, str]:
    """The bodies of the given atoms, by id."""
    wanted = sorted(set(ids))
    found: dict[int, str] = {}
    with session_factory() as session:
        connection = session.connection()
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            found.update(
                connection.execute(
                    sa.select(CriteriaAtom.id, CriteriaAtom.body).where(CriteriaAtom.id.in_(chunk))
                ).all()
            )
    return found


SiteColumns = tuple[int, str | None, float | None, float | None]


def read_sites(
    session_factory: SessionFactory, trial_ids: Sequence[str]
) -> dict[str, list[SiteColumns]]:
    """Each given trial's sites as (site id, status, latitude, longitude), in the record's
    order (the order of ``TrialSummary.sites``)."""
    sites: dict[str, list[SiteColumns]] = {}
    with session_factory() as session:
        connection = session.connection()
        for start in range(0, len(trial_ids), _IN_CHUNK):
            chunk = trial_ids[start : start + _IN_CHUNK]
            for trial_id, site_id, status, latitude, longitude in connection.execute(
                sa.select(Site.trial_id, Site.id, Site.status, Site.latitude, Site.longitude)
                .where(Site.trial_id.in_(chunk))
                .order_by(Site.trial_id, Site.position)
            ).all():
                sites.setdefault(trial_id, []).append((site_id, status, latitude, longitude))
    return sites


class ScreeningColumns(NamedTuple):
    """A trial's columns the matcher reads for every trial (through ix_trials_screening)."""

    trial_id: str
    overall_status: str | None
    minimum_age: str | None
    maximum_age: str | None
    sex: str | None
    last_update: str | None
    record_version: str | None


# What the matcher reads of every trial, in ScreeningColumns order.
_SCREENING = sa.select(
    Trial.trial_id,
    Trial.overall_status,
    Trial.minimum_age,
    Trial.maximum_age,
    Trial.sex,
    Trial.last_update,
    Trial.record_version,
)

# The same columns from the narrow copy written with each trial (models.trial.TrialScreening).
_STORED_SCREENING = sa.select(
    TrialScreening.trial_id,
    TrialScreening.overall_status,
    TrialScreening.minimum_age,
    TrialScreening.maximum_age,
    TrialScreening.sex,
    TrialScreening.last_update,
    TrialScreening.record_version,
)

# Joins a trial's condition names (or keywords) in one aggregated column; never in a name.
NAME_SEPARATOR = "\x1f"


def _all_screening(connection: sa.Connection) -> list[ScreeningColumns]:
    return [
        ScreeningColumns(*row)
        for row in connection.execute(_SCREENING.order_by(Trial.trial_id)).all()
    ]


def _all_titles(connection: sa.Connection) -> dict[str, str | None]:
    """Every trial's title: brief, else official."""
    return {
        trial_id: brief or official
        for trial_id, brief, official in connection.execute(
            sa.select(Trial.trial_id, Trial.brief_title, Trial.official_title)
        ).all()
    }


def read_screening(
    session_factory: SessionFactory,
) -> tuple[list[ScreeningColumns], dict[str, str], dict[str, str], dict[str, str | None]]:
    """Every trial's screening columns, its condition names and keywords (each joined by
    NAME_SEPARATOR, by trial id) and its title (brief, else official)."""
    with session_factory() as session:
        connection = session.connection()
        rows = _all_screening(connection)
        joined: list[dict[str, str]] = []
        for column, key in (
            (TrialCondition.name, TrialCondition.trial_id),
            (TrialKeyword.keyword, TrialKeyword.trial_id),
        ):
            aggregated = sa.select(key, sa.func.aggregate_strings(column, NAME_SEPARATOR))
            joined.append({row[0]: row[1] for row in connection.execute(aggregated.group_by(key))})
        titles = _all_titles(connection)
    return rows, joined[0], joined[1], titles


def plain_rows(
    connection: sa.Connection, query: sa.Select[*tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """The rows of ``query`` as the database driver returns them, as plain tuples.

    For the tens of thousands of rows of a first match's read: SQLAlchemy's result rows cost
    a third again as much as the read itself. Only for queries whose columns need no result
    processing beyond what the caller does (SQLite returns booleans as 0 and 1).
    """
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    parameters: Any = compiled.params
    if compiled.positiontup is not None:
        parameters = tuple(compiled.params[name] for name in compiled.positiontup)
    driver_connection = connection.connection.dbapi_connection
    assert driver_connection is not None, "an open connection has its driver's connection"
    cursor = driver_connection.cursor()
    try:
        cursor.execute(str(compiled), parameters)
        return list(cursor.fetchall())
    finally:
        cursor.close()


class StoredSets(NamedTuple):
    """Stored sets (as ``read_stored_sets`` reads them) by trial id, one mapping per source."""

    curated: dict[str, StoredSetRow]
    automatic: dict[str, StoredSetRow]


def sets_by_source(records: Iterable[StoredSetRow]) -> StoredSets:
    found = StoredSets({}, {})
    for record in records:
        if record.source == "curated":
            found.curated[record.trial_id] = record
        elif record.source == "automatic":
            found.automatic[record.trial_id] = record
    return found


class TopicScreening(NamedTuple):
    """The trials about a patient's conditions, read through the stored topics."""

    rows: list[ScreeningColumns]
    titles: dict[str, str | None]
    # How many trials the database holds in all (the others are about other conditions).
    total: int
    # The same trials' stored sets, read in the same query.
    sets: StoredSets


def _flag(value: object) -> bool | None:
    return None if value is None else bool(value)


def _joined_set(source: str) -> tuple[type[CriteriaSet], type[CriteriaProgram]]:
    return (
        aliased(CriteriaSet, name=f"{source}_set"),
        aliased(CriteriaProgram, name=f"{source}_program"),
    )


def read_topic_screening(
    session_factory: SessionFactory, wanted: frozenset[str]
) -> TopicScreening | None:
    """The screening columns, titles and stored sets of the trials having one of the
    ``wanted`` topics (models.topics.candidate_topics), in trial id order; None when the stored
    topics cannot be used (the caller then reads every trial with ``read_screening``)."""
    curated, curated_program = _joined_set("curated")
    automatic, automatic_program = _joined_set("automatic")
    # One row per trial with both its sets: a first match needs them all, and one query
    # spares a second pass over the topics and a second row per trial.
    query = (
        _STORED_SCREENING.add_columns(
            TrialScreening.title,
            curated.id,
            curated_program.verified,
            curated_program.program,
            automatic.id,
            automatic_program.verified,
            automatic_program.program,
        )
        .outerjoin(
            curated,
            sa.and_(curated.trial_id == TrialScreening.trial_id, curated.source == "curated"),
        )
        .outerjoin(curated_program, curated_program.set_id == curated.id)
        .outerjoin(
            automatic,
            sa.and_(automatic.trial_id == TrialScreening.trial_id, automatic.source == "automatic"),
        )
        .outerjoin(automatic_program, automatic_program.set_id == automatic.id)
        .where(TrialScreening.trial_id.in_(topic_trials(wanted)))
        .order_by(TrialScreening.trial_id)
    )
    with session_factory() as session:
        if not stored_screening_usable(session):
            return None
        total = session.scalar(sa.select(sa.func.count()).select_from(Trial)) or 0
        found = plain_rows(session.connection(), query)
    rows: list[ScreeningColumns] = []
    titles: dict[str, str | None] = {}
    sets = StoredSets({}, {})
    for (
        trial_id,
        status,
        minimum_age,
        maximum_age,
        sex,
        last_update,
        record_version,
        title,
        curated_id,
        curated_verified,
        curated_text,
        automatic_id,
        automatic_verified,
        automatic_text,
    ) in found:
        rows.append(
            ScreeningColumns(
                trial_id, status, minimum_age, maximum_age, sex, last_update, record_version
            )
        )
        titles[trial_id] = title
        if curated_id is not None:
            sets.curated[trial_id] = StoredSetRow(
                trial_id, "curated", _flag(curated_verified), curated_text
            )
        if automatic_id is not None:
            sets.automatic[trial_id] = StoredSetRow(
                trial_id, "automatic", _flag(automatic_verified), automatic_text
            )
    return TopicScreening(rows, titles, total, sets)


def read_screening_with_topics(
    session_factory: SessionFactory,
) -> tuple[list[ScreeningColumns], dict[str, frozenset[str]], dict[str, str | None]] | None:
    """Every trial's screening columns, stored topics and title; None when the stored topics
    cannot be used (then ``read_screening`` reads the names to derive them from)."""
    with session_factory() as session:
        if not stored_screening_usable(session):
            return None
        connection = session.connection()
        found = connection.execute(
            _STORED_SCREENING.add_columns(TrialScreening.title).order_by(TrialScreening.trial_id)
        ).all()
        rows = [ScreeningColumns(*row[:7]) for row in found]
        titles = {row[0]: row[7] for row in found}
        stored: dict[str, list[str]] = {}
        for trial_id, topic in connection.execute(
            sa.select(TrialTopic.trial_id, TrialTopic.topic)
        ).all():
            stored.setdefault(trial_id, []).append(topic)
    # Trials share few topic sets: one frozenset each.
    shared: dict[tuple[str, ...], frozenset[str]] = {}
    topics: dict[str, frozenset[str]] = {}
    for trial_id, names in stored.items():
        key = tuple(sorted(names))
        topic_set = shared.get(key)
        if topic_set is None:
            topic_set = shared[key] = read_topics(key)
        topics[trial_id] = topic_set
    return rows, topics, titles
