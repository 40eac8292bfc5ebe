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
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.compiled import CompiledSet, Shape, compile_criteria_data
from engine.errors import CriteriaError
from models.criteria_set import CriteriaAtom, CriteriaSet
from models.database import SessionFactory
from models.trial import Site, Trial

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
    """Compile every stored set that has no current compiled program (after migration 0003,
    or after COMPILED_FORMAT changed); returns how many were compiled.

    ``updated_at`` is left as it is: the sets did not change, so matchers keep what they hold.
    """
    done = 0
    known: dict[str, int] = {}
    last_id = 0
    while True:
        with session_factory.begin() as session:
            rows = session.execute(
                sa.select(CriteriaSet.id, CriteriaSet.criteria_json, CriteriaSet.compiled)
                .where(
                    CriteriaSet.id > last_id,
                    sa.or_(
                        CriteriaSet.compiled.is_(None),
                        sa.not_(CriteriaSet.compiled.startswith(f"{COMPILED_FORMAT}|")),
                    ),
                )
                .order_by(CriteriaSet.id)
                .limit(batch)
            ).all()
            if not rows:
                return done
            last_id = rows[-1][0]
            updates = []
            for row_id, criteria_json, current in rows:
                if decode_program(current) is not None:
                    continue
                text = compiled_text(session, criteria_json, known)
                if text is not None:
                    updates.append({"row_id": row_id, "new_compiled": text})
            if updates:
                table = cast(sa.Table, CriteriaSet.__table__)
                session.execute(
                    sa.update(table)
                    .where(table.c.id == sa.bindparam("row_id"))
                    .values(compiled=sa.bindparam("new_compiled")),
                    updates,
                )
                done += len(updates)


@dataclass(frozen=True, slots=True)
class StoredSetRow:
    """What the matcher reads of a stored set: never its criteria JSON."""

    trial_id: str
    source: str
    verified: bool
    stamp: str
    compiled: str | None


def read_stored_sets(
    session_factory: SessionFactory, trial_ids: Sequence[str]
) -> list[StoredSetRow]:
    """The narrow columns of the given trials' stored sets."""
    query = sa.select(
        CriteriaSet.trial_id,
        CriteriaSet.source,
        CriteriaSet.verified,
        CriteriaSet.updated_at,
        CriteriaSet.compiled,
    )
    found: list[StoredSetRow] = []
    with session_factory() as session:
        for start in range(0, len(trial_ids), _IN_CHUNK):
            chunk = trial_ids[start : start + _IN_CHUNK]
            found.extend(
                StoredSetRow(trial_id, source, verified, updated_at.isoformat(), compiled)
                for trial_id, source, verified, updated_at, compiled in session.execute(
                    query.where(CriteriaSet.trial_id.in_(chunk))
                ).all()
            )
    return found


def read_atoms(session_factory: SessionFactory, ids: Iterable[int]) -> dict[int, str]:
    """The bodies of the given atoms, by id."""
    wanted = sorted(set(ids))
    found: dict[int, str] = {}
    with session_factory() as session:
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            found.update(
                session.execute(
                    sa.select(CriteriaAtom.id, CriteriaAtom.body).where(CriteriaAtom.id.in_(chunk))
                ).all()
            )
    return found


@dataclass(frozen=True, slots=True)
class RankingRow:
    """What ranking reads of a trial besides its status: its dates and, when the clinic
    location is set, each site's (status, latitude, longitude) in the record's order."""

    last_update: str | None
    record_version: str | None
    sites: tuple[tuple[str | None, float | None, float | None], ...]


def read_ranking_rows(
    session_factory: SessionFactory, trial_ids: Sequence[str], *, with_sites: bool
) -> dict[str, RankingRow]:
    """The ranking columns of the given trials (no ORM objects, no contacts)."""
    dates: dict[str, tuple[str | None, str | None]] = {}
    sites: dict[str, list[tuple[str | None, float | None, float | None]]] = {}
    with session_factory() as session:
        for start in range(0, len(trial_ids), _IN_CHUNK):
            chunk = trial_ids[start : start + _IN_CHUNK]
            for trial_id, last_update, record_version in session.execute(
                sa.select(Trial.trial_id, Trial.last_update, Trial.record_version).where(
                    Trial.trial_id.in_(chunk)
                )
            ):
                dates[trial_id] = (last_update, record_version)
            if with_sites:
                for trial_id, status, latitude, longitude in session.execute(
                    sa.select(Site.trial_id, Site.status, Site.latitude, Site.longitude)
                    .where(Site.trial_id.in_(chunk))
                    .order_by(Site.trial_id, Site.position)
                ):
                    sites.setdefault(trial_id, []).append((status, latitude, longitude))
    return {
        trial_id: RankingRow(last_update, record_version, tuple(sites.get(trial_id, ())))
        for trial_id, (last_update, record_version) in dates.items()
    }
