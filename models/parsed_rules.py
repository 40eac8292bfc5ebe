"""Stores the parser's reading of trials that have no criteria set, so matches need not parse.

A trial imported from the registry has only its criteria text. Until a set is stored for it, every
match that makes it a candidate parses that text again (about 20 ms a trial: minutes for the
candidates of a whole registry, at every start of the command line). ``store_parsed_rules``
parses each such trial once and stores the result as its automatic, unverified set, compiled,
exactly what the match would have used (``models.criteria_library.parsed_criteria``). Trials
with a set of their own (reviewed or automatic) or a bundled curated file are left alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from engine.errors import CriteriaError
from engine.loader import load_criteria
from models.compiled_store import compiled_text
from models.criteria_library import parsed_criteria, read_bundled_criteria
from models.criteria_set import CriteriaSet, CriteriaSource, save_criteria_set
from models.database import SessionFactory, write_errors_as_database_error
from models.trial import Trial, utc_now

# Trials parsed and stored per transaction: a stopped or failed run keeps what it finished.
BATCH = 200

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ParsedRulesReport:
    """What ``store_parsed_rules`` did: trials stored, and trials whose reading does not load
    (left without a set: a match reports the problem, as before)."""

    stored: int
    not_loadable: tuple[str, ...]


def trials_without_rules(
    session_factory: SessionFactory, bundled: Sequence[str] | None = None
) -> list[str]:
    """The trials with no stored criteria set and no bundled curated file, by id."""
    bundled_ids = set(read_bundled_criteria() if bundled is None else bundled)
    with session_factory() as session:
        with_sets = sa.select(CriteriaSet.trial_id)
        rows = session.scalars(
            sa.select(Trial.trial_id)
            .where(Trial.trial_id.not_in(with_sets))
            .order_by(Trial.trial_id)
        ).all()
    return [trial_id for trial_id in rows if trial_id not in bundled_ids]


def store_parsed_rules(
    session_factory: SessionFactory,
    *,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int = BATCH,
    bundled: Sequence[str] | None = None,
) -> ParsedRulesReport:
    """Parse and store, as automatic unverified sets, the criteria of every trial without rules.

    ``progress(done, total)`` is called after each batch of ``batch_size`` trials;
    ``should_stop()`` is asked before each batch (the window closing): what was stored stays,
    the rest waits for the next run. ``bundled``: the trial ids with a bundled curated file
    (default: the app's).

    Raises:
        DatabaseError: another TrialMatch held the write lock past the busy timeout (the
            batches before stay stored; running again carries on).
    """
    waiting = trials_without_rules(session_factory, bundled)
    stored = 0
    not_loadable: list[str] = []
    known_atoms: dict[str, int] = {}
    for start in range(0, len(waiting), batch_size):
        if should_stop is not None and should_stop():
            break
        batch = waiting[start : start + batch_size]
        with session_factory() as session:
            texts = dict(
                session.execute(
                    sa.select(Trial.trial_id, Trial.eligibility_criteria).where(
                        Trial.trial_id.in_(batch)
                    )
                ).all()
            )
        readings: list[tuple[str, str]] = []
        for trial_id in batch:
            data = parsed_criteria(trial_id, texts.get(trial_id))
            try:
                load_criteria(data)
            except CriteriaError:
                not_loadable.append(trial_id)
                continue
            readings.append((trial_id, json.dumps(data, ensure_ascii=False)))
        now = utc_now()
        with write_errors_as_database_error(), session_factory.begin() as session:
            for trial_id, criteria_json in readings:
                save_criteria_set(
                    session,
                    trial_id,
                    CriteriaSource.AUTOMATIC,
                    criteria_json,
                    verified=False,
                    reviewed_at=None,
                    now=now,
                    compiled=compiled_text(session, criteria_json, known_atoms),
                )
        stored += len(readings)
        if progress is not None:
            progress(min(start + len(batch), len(waiting)), len(waiting))
    return ParsedRulesReport(stored, tuple(not_loadable))
