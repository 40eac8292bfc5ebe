"""Compiled criteria: shared rule atoms evaluated once per patient, trial verdicts from statuses.

A trial's criteria set compiles to a *program*: one atom per criterion plus, when the set has
cohorts or groups, its *shape*. An atom is what decides a criterion's status and missing
facts: its kind, rule and applicability condition, without node ids and wording (which only
the explanation shows). Identical atoms across trials ("ANC ≥ 1.5 ×10⁹/L", "no active
hepatitis B") are evaluated once per patient; a trial's verdict, counts and missing facts are
then combined from its atoms' outcomes exactly as ``engine.evaluator.combine_results`` does.
The full evaluation with evidence is still ``evaluate_trial`` on the trial's own criteria,
done only for a trial someone opens. An atom is decided by ``engine.evaluator.decide_criterion``:
the same operators and logic as ``evaluate_criterion``, without building evidence or reasons;
equal rule nodes of different atoms are one shared object, decided once per patient.

Atoms are canonical JSON of the criterion as written (not the loaded objects), so a stored
atom is read back as ``load_criteria`` reads it (``engine.atom_loader``, which falls back to
``load_criteria`` itself for what its fast path does not know) and picks up any change of the
loader. A new rule node kind needs nothing here: ``atom_body`` strips ids and wording from
every nested object, and an atom's reads are those of ``engine.incremental.criterion_reads``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from engine import atom_loader
from engine.atom_loader import load_atom
from engine.criteria import Criterion, TrialCriteria
from engine.errors import CriteriaError
from engine.evaluator import NodeMemo, decide_criterion
from engine.facts import Facts
from engine.loader import load_criteria
from engine.outcomes import Counts, CriterionStatus, Verdict

# Keys of a rule node that only word or name it; they never change an outcome.
_WORDING_KEYS = frozenset({"id", "text"})


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _strip(item) for key, item in value.items() if key not in _WORDING_KEYS}
    if isinstance(value, list):
        return [_strip(item) for item in value]
    return value


def atom_body(entry: Mapping[str, Any]) -> str:
    """The canonical JSON of what decides a criterion's outcome (kind, rule, applies_if)."""
    atom = {
        "kind": entry.get("kind"),
        "rule": _strip(entry.get("rule")),
        "applies_if": _strip(entry.get("applies_if")),
    }
    return json.dumps(atom, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def atom_criterion(body: str) -> Criterion:
    """The criterion an atom stands for (id "atom", no wording): what ``load_criteria`` reads
    of it as a one-criterion criteria file, read by the fast path of ``engine.atom_loader``.

    Its rule nodes are shared with the atoms loaded before that have equal ones.
    Raises CriteriaError when the atom no longer loads (the loader changed since it was stored).
    """
    return load_atom(body)


@dataclass(frozen=True, slots=True)
class Shape:
    """How a set's criteria combine when it has cohorts or groups.

    Attributes:
        cohorts: (id, label) of each cohort in file order; empty when there are none.
        members: per criterion, its (cohort, group) ids.
    """

    cohorts: tuple[tuple[str, str], ...]
    members: tuple[tuple[str | None, str | None], ...]

    def to_data(self) -> dict[str, Any]:
        return {
            "cohorts": [list(cohort) for cohort in self.cohorts],
            "members": [list(member) for member in self.members],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Shape:
        return cls(
            tuple((str(c[0]), str(c[1])) for c in data["cohorts"]),
            tuple((m[0], m[1]) for m in data["members"]),
        )


@dataclass(frozen=True, slots=True)
class CompiledSet:
    """A criteria set as atom bodies (one per criterion, in order) and its shape."""

    source: str
    atoms: tuple[str, ...]
    shape: Shape | None


def compile_criteria_data(data: object) -> CompiledSet:
    """Compiles a criteria file dict; raises CriteriaError when the set does not load.

    The set is loaded once to validate it, so a stored program always stands for a set the
    engine can evaluate.
    """
    return compile_loaded(data, load_criteria(data))


def compile_loaded(data: object, criteria: TrialCriteria) -> CompiledSet:
    """``compile_criteria_data`` for a set already loaded from ``data`` by ``load_criteria``."""
    assert isinstance(data, Mapping)
    entries = data["criteria"]
    if len(entries) != len(criteria.criteria):
        raise CriteriaError(criteria.trial_id, None, "criteria", "criteria did not all load")
    atoms = tuple(atom_body(entry) for entry in entries)
    shape = None
    if criteria.cohorts or any(c.group is not None for c in criteria.criteria):
        shape = Shape(
            tuple((c.id, c.label) for c in criteria.cohorts),
            tuple((c.cohort, c.group) for c in criteria.criteria),
        )
    return CompiledSet(criteria.source, atoms, shape)


# ---------------------------------------------------------------------------------------------
# Per patient: atom outcomes


AtomOutcome = tuple[CriterionStatus, tuple[str, ...]]


# The facts of the latest evaluate_atom call and the node decisions made for them. Facts are
# immutable, and a match evaluates all its atoms for one Facts object; kept by reference, so
# the identity test cannot meet another object at the same address.
_latest: tuple[Facts, NodeMemo] | None = None


def evaluate_atom(criterion: Criterion, facts: Facts) -> AtomOutcome:
    """An atom's status and the facts behind it when unknown (what combining reads): the
    status and missing facts of ``evaluate_criterion``, without building its evidence.

    Rule nodes the atoms share (``atom_criterion``) are decided once per Facts object.
    """
    global _latest
    latest = _latest
    if latest is None or latest[0] is not facts:
        # A local copy: another thread replacing ``_latest`` only loses the sharing.
        latest = _latest = (facts, {})
    return decide_criterion(criterion, facts, latest[1])


def atom_reads(criterion: Criterion) -> frozenset[str]:
    """The fact tokens an atom reads (engine.incremental): an edit of others cannot change it.

    Remembered per shared rule node (``engine.atom_loader.atom_reads``).
    """
    return atom_loader.atom_reads(criterion)


# ---------------------------------------------------------------------------------------------
# Per trial: the verdict from the atoms' outcomes


class TrialOutcome(NamedTuple):
    """What the ranked list needs of a trial's evaluation, equal to the same fields of
    ``evaluate_trial``'s TrialEvaluation (verdict, near miss, best cohort, counts, missing).

    Immutable like a frozen dataclass, but a tuple: one is made for every candidate of a
    first match, and a frozen dataclass takes three times as long to make.
    """

    trial_id: str
    verdict: Verdict
    near_miss: bool
    best_cohort: str | None
    counts: Counts
    missing_facts: tuple[str, ...]


_VERDICT_RANK = {
    Verdict.MEETS_CHECKABLE_CRITERIA: 0,
    Verdict.POTENTIALLY_ELIGIBLE: 1,
    Verdict.NOT_ELIGIBLE: 2,
}
_SAT = CriterionStatus.SATISFIED
_UNK = CriterionStatus.UNKNOWN
_VIO = CriterionStatus.VIOLATED
_REV = CriterionStatus.REVIEW
_NA = CriterionStatus.NOT_APPLICABLE


def _counts(statuses: Sequence[CriterionStatus]) -> Counts:
    return Counts(
        satisfied=statuses.count(_SAT),
        unknown=statuses.count(_UNK),
        violated=statuses.count(_VIO),
        review=statuses.count(_REV),
        not_applicable=statuses.count(_NA),
    )


def _verdict(statuses: Sequence[CriterionStatus]) -> Verdict:
    if _VIO in statuses:
        return Verdict.NOT_ELIGIBLE
    if _UNK in statuses:
        return Verdict.POTENTIALLY_ELIGIBLE
    return Verdict.MEETS_CHECKABLE_CRITERIA


def combine_outcomes(
    trial_id: str, outcomes: Sequence[AtomOutcome], shape: Shape | None
) -> TrialOutcome:
    """The trial's verdict fields from its criteria's outcomes, in criterion order.

    Mirrors ``engine.evaluator.combine_results`` (flat sets in one pass; cohorts and "any"
    groups per scope, the best cohort wins); tests/engine/test_compiled.py holds them equal.
    """
    if shape is None:
        return _combine_flat(trial_id, outcomes)
    return _combine_scoped(trial_id, outcomes, shape)


def _combine_flat(trial_id: str, outcomes: Sequence[AtomOutcome]) -> TrialOutcome:
    statuses = [status for status, _ in outcomes]
    verdict = _verdict(statuses)
    missing: list[str] = []
    for status, facts in outcomes:
        if status is _UNK:
            missing.extend(f for f in facts if f not in missing)
    return TrialOutcome(
        trial_id=trial_id,
        verdict=verdict,
        near_miss=verdict is Verdict.NOT_ELIGIBLE and statuses.count(_VIO) == 1,
        best_cohort=None,
        counts=_counts(statuses),
        missing_facts=tuple(missing),
    )


def _combine_group(statuses: Sequence[CriterionStatus]) -> CriterionStatus:
    for candidate in (_SAT, _UNK, _REV, _VIO):
        if candidate in statuses:
            return candidate
    return _NA


@dataclass(frozen=True, slots=True)
class _Scope:
    cohort_id: str | None
    verdict: Verdict
    violated_units: int
    counts: Counts
    # (effective status, own missing facts) of each criterion in the scope, in order.
    resolved: tuple[AtomOutcome, ...]


def _scope(outcomes: Sequence[AtomOutcome], shape: Shape, cohort_id: str | None) -> _Scope:
    scoped = [
        (index, outcome)
        for index, outcome in enumerate(outcomes)
        if shape.members[index][0] is None or shape.members[index][0] == cohort_id
    ]
    group_status: dict[str, CriterionStatus] = {}
    for index, _ in scoped:
        group = shape.members[index][1]
        if group is not None and group not in group_status:
            members = [o[0] for i, o in scoped if shape.members[i][1] == group]
            group_status[group] = _combine_group(members)
    resolved: list[AtomOutcome] = []
    units: list[CriterionStatus] = []
    seen_groups: set[str] = set()
    for index, (status, missing) in scoped:
        group = shape.members[index][1]
        if group is None:
            resolved.append((status, missing))
            units.append(status)
            continue
        effective = group_status[group]
        resolved.append((effective, missing))
        if group not in seen_groups:
            seen_groups.add(group)
            units.append(effective)
    return _Scope(
        cohort_id,
        _verdict(units),
        units.count(_VIO),
        _counts([status for status, _ in resolved]),
        tuple(resolved),
    )


def _combine_scoped(trial_id: str, outcomes: Sequence[AtomOutcome], shape: Shape) -> TrialOutcome:
    cohort_ids: list[str | None] = [cohort_id for cohort_id, _ in shape.cohorts] or [None]
    scopes = [_scope(outcomes, shape, cohort_id) for cohort_id in cohort_ids]
    best = min(
        range(len(scopes)),
        key=lambda i: (
            _VERDICT_RANK[scopes[i].verdict],
            scopes[i].violated_units,
            scopes[i].counts.unknown,
            scopes[i].counts.review,
            i,
        ),
    )
    chosen = scopes[best]
    open_scopes = [scope for scope in scopes if scope.verdict is not Verdict.NOT_ELIGIBLE]
    missing: list[str] = []
    for scope in open_scopes or [chosen]:
        for effective, facts in scope.resolved:
            if effective is _UNK:
                missing.extend(f for f in facts if f not in missing)
    return TrialOutcome(
        trial_id=trial_id,
        verdict=chosen.verdict,
        near_miss=chosen.verdict is Verdict.NOT_ELIGIBLE and chosen.violated_units == 1,
        best_cohort=chosen.cohort_id,
        counts=chosen.counts,
        missing_facts=tuple(missing),
    )
