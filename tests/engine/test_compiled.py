"""Compiled criteria give exactly evaluate_trial's verdict, counts, cohort and missing facts."""

from __future__ import annotations

import copy
import functools
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bench.generate import generate_study
from engine import (
    ProfileError,
    Settings,
    build_facts,
    evaluate_trial,
    load_criteria,
    profile_from_dict,
)
from engine.compiled import (
    AtomOutcome,
    atom_body,
    atom_criterion,
    combine_outcomes,
    compile_criteria_data,
    evaluate_atom,
)
from engine.criteria import Cohort, Criterion, CriterionKind, Group, TrialCriteria
from engine.evaluator import combine_results
from engine.facts import Facts
from engine.outcomes import CriterionResult, CriterionStatus, TrialEvaluation
from engine.parser import parse_criteria_text

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
SCREENING = date.fromisoformat(
    json.loads((GOLDEN / "expected.json").read_text("utf-8"))["screening_date"]
)
PATIENTS = sorted(path.stem for path in GOLDEN.glob("*.json") if path.stem != "expected")
CURATED: dict[str, dict[str, Any]] = {
    path.stem: json.loads(path.read_text("utf-8"))
    for path in sorted((ROOT / "resources" / "criteria").glob("*.json"))
}


@functools.cache
def _generated(count: int = 30) -> dict[str, dict[str, Any]]:
    """The parser's reading of the first ``count`` bench trials (the synthetic mix)."""
    found: dict[str, dict[str, Any]] = {}
    for index in range(count):
        study, _ = generate_study(index, 2026)
        section = study["protocolSection"]
        trial_id = section["identificationModule"]["nctId"]
        text = section["eligibilityModule"]["eligibilityCriteria"]
        found[trial_id] = parse_criteria_text(trial_id, text)
    return found


def _patient(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text("utf-8"))
    return data


def _facts(data: dict[str, Any]) -> Facts:
    return build_facts(profile_from_dict(data, today=SCREENING), SCREENING, Settings())


def _via_atoms(data: dict[str, Any], facts: Facts) -> tuple[object, ...]:
    compiled = compile_criteria_data(data)
    # Evaluated from the stored form, as the matcher does: each atom read back by the loader.
    outcomes = [evaluate_atom(atom_criterion(body), facts) for body in compiled.atoms]
    outcome = combine_outcomes(data["trial_id"], outcomes, compiled.shape)
    return (
        outcome.trial_id,
        outcome.verdict,
        outcome.near_miss,
        outcome.best_cohort,
        outcome.counts,
        outcome.missing_facts,
    )


def _expected(evaluation: TrialEvaluation) -> tuple[object, ...]:
    return (
        evaluation.trial_id,
        evaluation.verdict,
        evaluation.near_miss,
        evaluation.best_cohort,
        evaluation.counts,
        evaluation.missing_facts,
    )


@pytest.mark.parametrize("patient", PATIENTS)
def test_curated_and_generated_trials_give_evaluate_trials_outcome(patient: str) -> None:
    facts = _facts(_patient(patient))
    trials = {**CURATED, **_generated()}
    verdicts = set()
    for data in trials.values():
        expected = evaluate_trial(load_criteria(data), facts)
        assert _via_atoms(data, facts) == _expected(expected), data["trial_id"]
        verdicts.add(expected.verdict)
    # The sets are not trivially alike for this patient: more than one verdict occurs.
    assert len(verdicts) >= 2


@settings(max_examples=40, deadline=None)
@given(
    patient=st.sampled_from(PATIENTS),
    factors=st.lists(st.floats(min_value=0.2, max_value=5, allow_nan=False), max_size=6),
    drop=st.lists(st.integers(min_value=0, max_value=30), max_size=4),
)
def test_random_lab_values_give_evaluate_trials_outcome(
    patient: str, factors: list[float], drop: list[int]
) -> None:
    data = copy.deepcopy(_patient(patient))
    labs = data.get("labs") or []
    for index, factor in enumerate(factors[: len(labs)]):
        labs[index]["value"] = round(labs[index]["value"] * factor, 2)
    for index in sorted(set(drop), reverse=True):
        if index < len(labs):
            del labs[index]
    try:
        facts = _facts(data)
    except ProfileError:
        assume(False)
        raise
    for data_set in {**CURATED, **_generated(12)}.values():
        expected = evaluate_trial(load_criteria(data_set), facts)
        assert _via_atoms(data_set, facts) == _expected(expected), data_set["trial_id"]


def test_atoms_ignore_ids_and_wording_but_not_the_rule() -> None:
    entry = {
        "id": "inc-1",
        "kind": "inclusion",
        "text": "1. ANC ≥ 1.5",
        "rule": {"id": "n1", "text": "ANC", "fact": "lab.anc", "op": ">=", "value": 1.5},
    }
    renamed = {**entry, "id": "inc-9", "text": "9. other words", "rule": {**entry["rule"]}}
    renamed["rule"]["text"] = "neutrophils"
    assert atom_body(entry) == atom_body(renamed)
    stricter = {**entry, "rule": {**entry["rule"], "value": 2}}
    assert atom_body(entry) != atom_body(stricter)
    exclusion = {**entry, "kind": "exclusion"}
    assert atom_body(entry) != atom_body(exclusion)
    # Identical criteria across the curated and generated sets share their atoms.
    atoms = [body for data in _generated().values() for body in compile_criteria_data(data).atoms]
    assert len(set(atoms)) < len(atoms) / 3


def test_the_seed_sets_with_cohorts_and_groups_keep_their_shape() -> None:
    shaped = [compile_criteria_data(data).shape for data in CURATED.values()]
    assert any(shape is not None and shape.cohorts for shape in shaped)
    assert any(shape is not None and any(group for _, group in shape.members) for shape in shaped)


STATUSES = list(CriterionStatus)
FACT_NAMES = ("lab.anc", "lab.alt", "age_years", "lab.hemoglobin")


@st.composite
def _shaped_results(draw: st.DrawFn) -> tuple[TrialCriteria, list[CriterionResult]]:
    """Random cohorts, "any" groups and criterion statuses (the combination alone)."""
    cohort_ids = [f"c{i}" for i in range(draw(st.integers(min_value=0, max_value=3)))]
    group_ids = [f"g{i}" for i in range(draw(st.integers(min_value=0, max_value=3)))]
    size = draw(st.integers(min_value=1, max_value=12))
    criteria: list[Criterion] = []
    results: list[CriterionResult] = []
    for index in range(size):
        cohort = draw(st.sampled_from([None, *cohort_ids]))
        group = draw(st.sampled_from([None, *group_ids]))
        status = draw(st.sampled_from(STATUSES))
        missing: tuple[str, ...] = ()
        if status is CriterionStatus.UNKNOWN:
            missing = tuple(draw(st.lists(st.sampled_from(FACT_NAMES), max_size=3, unique=True)))
        kind = CriterionKind.INCLUSION
        criteria.append(Criterion(f"k{index}", kind, "text", None, cohort, group))
        results.append(
            CriterionResult(
                criterion_id=f"k{index}",
                kind=kind.value,
                text="text",
                status=status,
                effective_status=status,
                reason="",
                cohort=cohort,
                group=group,
                missing_facts=missing,
            )
        )
    trial = TrialCriteria(
        "T",
        "curated",
        tuple(criteria),
        tuple(Cohort(c, f"Cohort {c}") for c in cohort_ids),
        tuple(Group(g, "any") for g in group_ids),
    )
    return trial, results


@settings(max_examples=400, deadline=None)
@given(_shaped_results())
def test_combining_statuses_equals_the_evaluators_combination(
    case: tuple[TrialCriteria, list[CriterionResult]],
) -> None:
    trial, results = case
    facts = Facts(screening_date=SCREENING, values={})
    expected = combine_results(trial, results, facts)
    shape = None
    if trial.cohorts or any(c.group for c in trial.criteria):
        from engine.compiled import Shape

        shape = Shape(
            tuple((c.id, c.label) for c in trial.cohorts),
            tuple((c.cohort, c.group) for c in trial.criteria),
        )
    outcomes: list[AtomOutcome] = [(r.status, r.missing_facts) for r in results]
    got = combine_outcomes("T", outcomes, shape)
    assert (
        got.trial_id,
        got.verdict,
        got.near_miss,
        got.best_cohort,
        got.counts,
        got.missing_facts,
    ) == _expected(expected)
