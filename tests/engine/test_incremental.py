"""Incremental re-evaluation equals a full evaluation after single-field edits (golden patients)."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import Settings, build_facts, evaluate_trial, load_criteria, profile_from_dict
from engine.criteria import TrialCriteria
from engine.errors import ProfileError
from engine.evaluator import _combine_scoped, combine_results, evaluate_criterion
from engine.facts import Facts
from engine.incremental import (
    DIAGNOSES_TOKEN,
    TREATMENTS_TOKEN,
    changed_tokens,
    criterion_reads,
    reevaluate_trial,
    trial_reads,
)
from engine.outcomes import TrialEvaluation

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
CRITERIA_DIR = ROOT / "resources" / "criteria"
SCREENING = date.fromisoformat(
    json.loads((GOLDEN / "expected.json").read_text("utf-8"))["screening_date"]
)
PATIENTS = sorted(path.stem for path in GOLDEN.glob("*.json") if path.stem != "expected")
TRIALS: dict[str, TrialCriteria] = {
    path.stem: load_criteria(json.loads(path.read_text("utf-8")))
    for path in sorted(CRITERIA_DIR.glob("*.json"))
}

Edit = Callable[[dict[str, Any]], None]


def _patient(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text("utf-8"))
    return data


@functools.cache
def _unedited(patient: str) -> tuple[Facts, dict[str, TrialEvaluation]]:
    """The patient's facts and every trial's evaluation before any edit (computed once)."""
    facts = _facts(_patient(patient))
    assert facts is not None
    return facts, {trial_id: evaluate_trial(c, facts) for trial_id, c in TRIALS.items()}


def _facts(data: dict[str, Any]) -> Facts | None:
    try:
        profile = profile_from_dict(data, today=SCREENING)
    except ProfileError:
        return None
    return build_facts(profile, SCREENING, Settings())


def _list_edits(data: dict[str, Any], key: str) -> Iterator[tuple[str, Edit]]:
    """Remove each item of a list; scale, re-date or (for findings) flip each one's value."""
    for index, item in enumerate(data.get(key) or []):

        def remove(d: dict[str, Any], key: str = key, index: int = index) -> None:
            del d[key][index]

        yield f"{key}[{index}] removed", remove
        if isinstance(item.get("value"), int | float):
            for factor in (0.3,):

                def scale(
                    d: dict[str, Any], key: str = key, index: int = index, factor: float = factor
                ) -> None:
                    d[key][index]["value"] = round(d[key][index]["value"] * factor, 2)

                yield f"{key}[{index}] x{factor}", scale
        if item.get("date"):

            def stale(d: dict[str, Any], key: str = key, index: int = index) -> None:
                d[key][index]["date"] = "2025-01-02"

            yield f"{key}[{index}] dated 2025-01-02", stale
        if "result" in item:

            def flip(d: dict[str, Any], key: str = key, index: int = index) -> None:
                result = d[key][index]["result"]
                d[key][index]["result"] = "positive" if result == "negative" else "negative"

            yield f"{key}[{index}] result flipped", flip
        if "present" in item:

            def toggle(d: dict[str, Any], key: str = key, index: int = index) -> None:
                d[key][index]["present"] = not d[key][index]["present"]

            yield f"{key}[{index}] present toggled", toggle


def _edits(data: dict[str, Any]) -> Iterator[tuple[str, Edit]]:
    for key in ("labs", "scores", "findings", "treatments", "history", "diagnoses"):
        yield from _list_edits(data, key)

    def older(d: dict[str, Any]) -> None:
        d["patient"]["birth_date"] = "1950-01-01"

    def younger(d: dict[str, Any]) -> None:
        d["patient"]["birth_date"] = "2015-06-01"

    def other_sex(d: dict[str, Any]) -> None:
        d["patient"]["sex"] = "male" if d["patient"].get("sex") == "female" else "female"

    def heavier(d: dict[str, Any]) -> None:
        d["patient"]["weight"] = {"value": 95, "unit": "kg", "date": "2026-11-20"}

    def pregnant(d: dict[str, Any]) -> None:
        d.setdefault("reproductive", {})["pregnant"] = True

    def complete(d: dict[str, Any]) -> None:
        d["treatments_complete"] = not d.get("treatments_complete", False)

    def new_drug(d: dict[str, Any]) -> None:
        d.setdefault("treatments", []).append({"drug": "belimumab", "start": "2026-10-01"})

    def systemic_sclerosis(d: dict[str, Any]) -> None:
        d["diagnoses"] = [{"condition": "ssc", "text": "Systemic sclerosis"}]

    yield from [
        ("born 1950", older),
        ("born 2015", younger),
        ("other sex", other_sex),
        ("weight 95 kg", heavier),
        ("pregnant", pregnant),
        ("treatments_complete toggled", complete),
        ("belimumab added", new_drug),
        ("diagnosis SSc", systemic_sclerosis),
    ]


def _cases() -> Iterator[tuple[str, str]]:
    for patient in PATIENTS:
        for name, _ in _edits(_patient(patient)):
            yield patient, name


@pytest.mark.parametrize(("patient", "edit_name"), list(_cases()))
def test_incremental_equals_full_evaluation_after_one_edit(patient: str, edit_name: str) -> None:
    data = _patient(patient)
    edit = dict(_edits(data))[edit_name]
    edited = copy.deepcopy(data)
    edit(edited)
    before, previous_evaluations = _unedited(patient)
    after = _facts(edited)
    if after is None:
        pytest.skip(f"{edit_name} makes the profile invalid")
    changed = changed_tokens(before, after)
    assert changed is not None
    for trial_id, criteria in TRIALS.items():
        previous = previous_evaluations[trial_id]
        incremental = reevaluate_trial(criteria, trial_reads(criteria), previous, after, changed)
        assert incremental == evaluate_trial(criteria, after), (criteria.trial_id, edit_name)


@settings(max_examples=25, deadline=None)
@given(
    patient=st.sampled_from(PATIENTS),
    analyte=st.sampled_from(["anc", "creatinine", "alt", "platelets", "lymphocytes", "wbc"]),
    value=st.floats(min_value=0.01, max_value=900, allow_nan=False),
)
def test_incremental_equals_full_for_any_lab_value(
    patient: str, analyte: str, value: float
) -> None:
    data = _patient(patient)
    edited = copy.deepcopy(data)
    labs = [lab for lab in edited.get("labs") or [] if lab["analyte"] != analyte]
    units = {"creatinine": "umol/L", "alt": "U/L"}
    labs.append(
        {
            "analyte": analyte,
            "value": value,
            "unit": units.get(analyte, "10^9/L"),
            "date": "2026-11-20",
        }
    )
    edited["labs"] = labs
    before, previous_evaluations = _unedited(patient)
    after = _facts(edited)
    assume(after is not None)  # values the profile check rejects as implausible
    assert after is not None
    changed = changed_tokens(before, after)
    assert changed is not None
    for trial_id, criteria in TRIALS.items():
        previous = previous_evaluations[trial_id]
        incremental = reevaluate_trial(criteria, trial_reads(criteria), previous, after, changed)
        assert incremental == evaluate_trial(criteria, after)


def test_an_edit_no_criterion_reads_reuses_the_evaluation() -> None:
    data = _patient("adult_refractory_sle")
    edited = copy.deepcopy(data)
    edited["patient"]["height"] = {"value": 150, "unit": "cm"}
    before, after = _facts(data), _facts(edited)
    assert before is not None
    assert after is not None
    changed = changed_tokens(before, after)
    assert changed == {"height_cm"}
    for criteria in TRIALS.values():
        reads = trial_reads(criteria)
        if "height_cm" in reads:
            continue
        previous = evaluate_trial(criteria, before)
        assert reevaluate_trial(criteria, reads, previous, after, changed) is previous


def test_a_new_screening_date_changes_everything() -> None:
    profile = profile_from_dict(_patient("adult_refractory_sle"), today=SCREENING)
    before = build_facts(profile, SCREENING, Settings())
    after = build_facts(profile, date(2026, 12, 1), Settings())
    assert changed_tokens(before, after) is None


def test_treatment_and_condition_rules_read_the_whole_lists() -> None:
    reads = {
        token
        for criteria in TRIALS.values()
        for criterion in criteria.criteria
        for token in criterion_reads(criterion)
    }
    assert TREATMENTS_TOKEN in reads
    assert DIAGNOSES_TOKEN in reads
    assert not any(token.startswith("treatment.") or token == "diagnosis" for token in reads)


def test_combining_earlier_results_gives_the_same_evaluation() -> None:
    facts = _facts(_patient("adult_refractory_sle"))
    assert facts is not None
    for criteria in TRIALS.values():
        full = evaluate_trial(criteria, facts)
        assert combine_results(criteria, full.criteria, facts) == full
        fresh = [evaluate_criterion(criterion, facts) for criterion in criteria.criteria]
        assert combine_results(criteria, fresh, facts) == full


@pytest.mark.parametrize("patient", PATIENTS)
def test_the_one_pass_combination_equals_the_cohort_one(patient: str) -> None:
    """Trials without cohorts or groups (every parsed set) take the one-pass path."""
    facts, _ = _unedited(patient)
    for criteria in TRIALS.values():
        flat = dataclasses.replace(
            criteria,
            cohorts=(),
            criteria=tuple(
                dataclasses.replace(c, group=None, cohort=None) for c in criteria.criteria
            ),
        )
        results = tuple(evaluate_criterion(c, facts) for c in flat.criteria)
        assert combine_results(flat, results, facts) == _combine_scoped(flat, results, facts)
