"""Incremental re-evaluation: after an edit, only the criteria that read a changed fact."""

from __future__ import annotations

from dataclasses import replace

from engine.criteria import Criterion, Leaf, TrialCriteria, leaves
from engine.evaluator import combine_results, evaluate_criterion, evaluation_notes
from engine.facts import TREATMENT_PREFIX, Facts
from engine.outcomes import CriterionResult, TrialEvaluation

# What an operator reads besides ``Facts.values[name]`` and ``Facts.missing_inputs[name]``:
# treatment leaves read the whole treatment list (a class matches many drugs, and
# "treatments complete" turns an absent drug from unknown into no), condition leaves read the
# diagnoses. History leaves read ``Facts.history[name]`` under their own name.
TREATMENTS_TOKEN = "@treatments"
DIAGNOSES_TOKEN = "@diagnoses"


def fact_token(fact: str) -> str:
    """The token a leaf on ``fact`` reads: ``TREATMENTS_TOKEN``, ``DIAGNOSES_TOKEN`` or ``fact``."""
    if fact.startswith(TREATMENT_PREFIX):
        return TREATMENTS_TOKEN
    if fact == "diagnosis":
        return DIAGNOSES_TOKEN
    return fact


def criterion_reads(criterion: Criterion) -> frozenset[str]:
    """The tokens of every fact the criterion's rule and its applicability condition read.

    A derived value (``derived.crcl``) is its own token: its FactValue carries its inputs,
    formula and date, so any change of creatinine, weight, age or sex changes it.
    """
    nodes = [node for node in (criterion.rule, criterion.applies_if) if node is not None]
    return frozenset(
        fact_token(leaf.fact) for node in nodes for leaf in leaves(node) if isinstance(leaf, Leaf)
    )


TrialReads = dict[str, tuple[int, ...]]


def trial_reads(criteria: TrialCriteria) -> TrialReads:
    """For each token a trial's criteria read, the positions of the criteria that read it."""
    positions: dict[str, list[int]] = {}
    for index, criterion in enumerate(criteria.criteria):
        for token in criterion_reads(criterion):
            positions.setdefault(token, []).append(index)
    return {token: tuple(found) for token, found in positions.items()}


def changed_tokens(before: Facts, after: Facts) -> frozenset[str] | None:
    """The tokens whose value differs between two builds; None when everything may differ.

    A different screening date changes every freshness window, so nothing can be reused.
    """
    if before.screening_date != after.screening_date:
        return None
    changed: set[str] = set()
    for name in before.values.keys() | after.values.keys():
        if before.values.get(name) != after.values.get(name):
            changed.add(name)
    for name in before.missing_inputs.keys() | after.missing_inputs.keys():
        if before.missing_inputs.get(name) != after.missing_inputs.get(name):
            changed.add(name)
    for name in before.history.keys() | after.history.keys():
        if before.history.get(name) != after.history.get(name):
            changed.add(name)
    if before.diagnoses != after.diagnoses:
        changed.add(DIAGNOSES_TOKEN)
    if (
        before.treatments != after.treatments
        or before.treatments_complete != after.treatments_complete
    ):
        changed.add(TREATMENTS_TOKEN)
    return frozenset(changed)


def _same_outcome(old: CriterionResult, new: CriterionResult) -> bool:
    # The trial's verdict, counts, cohorts and missing facts depend on nothing else.
    return old.status is new.status and old.missing_facts == new.missing_facts


def reevaluate_trial(
    criteria: TrialCriteria,
    reads: TrialReads,
    previous: TrialEvaluation,
    facts: Facts,
    changed: frozenset[str],
) -> TrialEvaluation:
    """The trial's evaluation for ``facts``, reusing ``previous`` for criteria that read nothing
    in ``changed``.

    Equal to ``evaluate_trial(criteria, facts)`` when ``previous`` was evaluated from facts that
    differ from ``facts`` only in ``changed`` (same screening date and settings), and ``reads``
    is ``trial_reads(criteria)``.
    """
    notes = evaluation_notes(criteria, facts)
    affected = sorted({index for token in changed for index in reads.get(token, ())})
    if not affected:
        return previous if previous.notes == notes else replace(previous, notes=notes)
    results = list(previous.criteria)
    outcome_kept = True
    for index in affected:
        fresh = evaluate_criterion(criteria.criteria[index], facts)
        old = results[index]
        if outcome_kept and _same_outcome(old, fresh):
            # Same status: the group-resolved effective status it had still holds.
            fresh = replace(fresh, effective_status=old.effective_status)
        else:
            outcome_kept = False
        results[index] = fresh
    if outcome_kept:
        return replace(previous, criteria=tuple(results), notes=notes)
    return combine_results(criteria, results, facts)
