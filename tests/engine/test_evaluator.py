"""Evaluator: Kleene tables, shape fixtures, criterion statuses, groups, cohorts and verdicts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from engine.evaluator import evaluate_trial
from engine.facts import Facts, FactValue
from engine.loader import load_criteria
from engine.outcomes import CriterionStatus, Truth, Verdict, all_of, any_of, negate
from tests.engine.serology_flags import flags

SCREENING = date(2026, 11, 23)
CASES = json.loads((Path(__file__).parent / "cases" / "shapes.json").read_text(encoding="utf-8"))
T, F, U, R = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN, Truth.REVIEW


@pytest.mark.parametrize(
    ("a", "b", "conjunction", "disjunction"),
    [
        (T, T, T, T),
        (T, F, F, T),
        (T, U, U, T),
        (T, R, R, T),
        (F, T, F, T),
        (F, F, F, F),
        (F, U, F, U),
        (F, R, F, R),
        (U, T, U, T),
        (U, F, F, U),
        (U, U, U, U),
        (U, R, U, U),
        (R, T, R, T),
        (R, F, F, R),
        (R, U, U, U),
        (R, R, R, R),
    ],
)
def test_kleene_tables(a: Truth, b: Truth, conjunction: Truth, disjunction: Truth) -> None:
    assert all_of([a, b]) is conjunction
    assert any_of([a, b]) is disjunction


@pytest.mark.parametrize(("value", "expected"), [(T, F), (F, T), (U, U), (R, R)])
def test_negation(value: Truth, expected: Truth) -> None:
    assert negate(value) is expected


def test_de_morgan_holds_for_every_pair() -> None:
    for a, b in product(Truth, repeat=2):
        assert negate(all_of([a, b])) is any_of([negate(a), negate(b)])


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
@pytest.mark.parametrize("kind", ["inclusion", "exclusion"])
def test_shape_fixtures(case: dict[str, Any], kind: str, one_criterion: Callable[..., Any]) -> None:
    evaluation = evaluate_trial(one_criterion(case["rule"], kind), flags(**case["facts"]))
    result = evaluation.criteria[0]
    assert result.tree is not None
    assert result.tree.truth.value == case["truth"]
    assert result.status.value == case[kind]


def test_review_criterion_without_rule(evaluate: Callable[..., Any]) -> None:
    evaluation = evaluate(None, flags(), "exclusion")
    assert evaluation.criteria[0].status is CriterionStatus.REVIEW
    assert evaluation.verdict is Verdict.MEETS_CHECKABLE_CRITERIA
    assert evaluation.counts.review == 1


def test_unknown_criterion_lists_only_the_facts_that_keep_it_unknown(
    evaluate: Callable[..., Any],
) -> None:
    rule = {
        "any": [
            {
                "all": [
                    {"fact": "serology.hbsag", "op": "is_true"},
                    {"fact": "serology.hiv", "op": "is_true"},
                ]
            },
            {"fact": "serology.hcv_ab", "op": "is_true"},
        ]
    }
    evaluation = evaluate(rule, flags(hbsag=False))
    assert evaluation.criteria[0].missing_facts == ("serology.hcv_ab",)
    assert evaluation.missing_facts == ("serology.hcv_ab",)


APPLIES_FEMALE = {"fact": "sex", "op": "in", "value": ["female"]}
PREGNANCY_TEST = {"fact": "pregnancy_test_positive", "op": "is_true"}


@pytest.mark.parametrize(
    ("sex", "test_positive", "expected"),
    [
        ("male", True, CriterionStatus.NOT_APPLICABLE),
        ("female", True, CriterionStatus.VIOLATED),
        ("female", False, CriterionStatus.SATISFIED),
        (None, True, CriterionStatus.UNKNOWN),  # would exclude only if it applies
        (None, False, CriterionStatus.SATISFIED),
        ("female", None, CriterionStatus.UNKNOWN),
    ],
)
def test_applies_if(
    sex: str | None,
    test_positive: bool | None,
    expected: CriterionStatus,
    evaluate: Callable[..., Any],
) -> None:
    values: dict[str, FactValue] = {}
    if sex is not None:
        values["sex"] = FactValue("sex", sex)
    if test_positive is not None:
        values["pregnancy_test_positive"] = FactValue(
            "pregnancy_test_positive", test_positive, "", date(2026, 11, 20)
        )
    state = Facts(screening_date=SCREENING, values=values)
    evaluation = evaluate(PREGNANCY_TEST, state, "exclusion", applies_if=APPLIES_FEMALE)
    result = evaluation.criteria[0]
    assert result.status is expected
    if expected is CriterionStatus.UNKNOWN:
        assert result.missing_facts
    if expected is CriterionStatus.NOT_APPLICABLE:
        assert result.reason.startswith("Does not apply")
        assert evaluation.verdict is Verdict.MEETS_CHECKABLE_CRITERIA


def test_applies_if_review_keeps_a_violation_for_the_team(evaluate: Callable[..., Any]) -> None:
    state = flags(hiv=True)
    evaluation = evaluate(
        {"fact": "serology.hiv", "op": "is_true"},
        state,
        "exclusion",
        applies_if={"review": "if the investigator considers it relevant"},
    )
    assert evaluation.criteria[0].status is CriterionStatus.REVIEW


def trial(criteria: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "format": "trialmatch-criteria/1",
        "trial_id": "NCT00000002",
        "source": "curated",
        "criteria": criteria,
        **extra,
    }


def crit(cid: str, fact: str, kind: str = "inclusion", **extra: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "kind": kind,
        "text": cid,
        "rule": {"fact": f"serology.{fact}", "op": "is_true"},
        **extra,
    }


def test_verdicts_and_near_miss() -> None:
    data = trial([crit("inc-1", "hiv"), crit("inc-2", "hbsag"), crit("inc-3", "hcv_ab")])
    criteria = load_criteria(data)
    met = evaluate_trial(criteria, flags(hiv=True, hbsag=True, hcv_ab=True))
    assert met.verdict is Verdict.MEETS_CHECKABLE_CRITERIA
    assert met.counts.satisfied == 3
    unknown = evaluate_trial(criteria, flags(hiv=True, hbsag=True))
    assert unknown.verdict is Verdict.POTENTIALLY_ELIGIBLE
    assert unknown.missing_facts == ("serology.hcv_ab",)
    one_out = evaluate_trial(criteria, flags(hiv=False, hbsag=True))
    assert one_out.verdict is Verdict.NOT_ELIGIBLE
    assert one_out.near_miss
    two_out = evaluate_trial(criteria, flags(hiv=False, hbsag=False))
    assert not two_out.near_miss
    assert two_out.counts.violated == 2


def test_any_group_is_satisfied_by_one_member() -> None:
    data = trial(
        [
            crit("inc-4", "hiv", group="g"),
            crit("inc-5", "hbsag", group="g"),
            crit("inc-6", "hcv_ab"),
        ],
        groups=[{"id": "g", "mode": "any", "text": "either 4 or 5"}],
    )
    criteria = load_criteria(data)
    evaluation = evaluate_trial(criteria, flags(hiv=False, hbsag=True, hcv_ab=True))
    assert evaluation.verdict is Verdict.MEETS_CHECKABLE_CRITERIA
    member = evaluation.result("inc-4")
    assert member is not None
    assert member.status is CriterionStatus.VIOLATED
    assert member.effective_status is CriterionStatus.SATISFIED
    both_false = evaluate_trial(criteria, flags(hiv=False, hbsag=False, hcv_ab=True))
    assert both_false.verdict is Verdict.NOT_ELIGIBLE
    assert both_false.near_miss  # the group counts once
    unknown = evaluate_trial(criteria, flags(hiv=False, hcv_ab=True))
    assert unknown.verdict is Verdict.POTENTIALLY_ELIGIBLE
    assert evaluation.result("missing") is None


def test_cohorts_best_cohort_wins() -> None:
    data = trial(
        [
            crit("inc-1", "hiv"),
            crit("ra-1", "hbsag", cohort="ra"),
            crit("sle-1", "hcv_ab", cohort="sle"),
        ],
        cohorts=[
            {"id": "ra", "label": "RA"},
            {"id": "sle", "label": "SLE", "text": "SLE patients"},
        ],
    )
    criteria = load_criteria(data)
    evaluation = evaluate_trial(criteria, flags(hiv=True, hbsag=False, hcv_ab=True))
    assert evaluation.verdict is Verdict.MEETS_CHECKABLE_CRITERIA
    assert evaluation.best_cohort == "sle"
    by_cohort = {c.cohort_id: c for c in evaluation.cohorts}
    assert by_cohort["ra"].verdict is Verdict.NOT_ELIGIBLE
    assert by_cohort["ra"].violated_ids == ("ra-1",)
    assert by_cohort["sle"].label == "SLE"
    # A violated common criterion no cohort escapes.
    out = evaluate_trial(criteria, flags(hiv=False, hbsag=True, hcv_ab=True))
    assert out.verdict is Verdict.NOT_ELIGIBLE
    assert out.near_miss
    # Missing facts come from every cohort still open.
    open_both = evaluate_trial(criteria, flags(hiv=True))
    assert set(open_both.missing_facts) == {"serology.hbsag", "serology.hcv_ab"}


def test_automatic_criteria_are_flagged() -> None:
    data = trial([crit("inc-1", "hiv")], source="automatic")
    evaluation = evaluate_trial(load_criteria(data), flags(hiv=True))
    assert any("not verified" in note for note in evaluation.notes)


def test_full_profile_against_a_realistic_trial(
    profile_dict: dict[str, Any], facts_from: Callable[..., Facts]
) -> None:
    data = trial(
        [
            {
                "id": "inc-1",
                "kind": "inclusion",
                "text": "Age 18-65",
                "rule": {"fact": "age_years", "op": "between", "value": [18, 65], "unit": "a"},
            },
            {
                "id": "inc-2",
                "kind": "inclusion",
                "text": "SLE ≥ 6 months (2019 EULAR/ACR)",
                "rule": {
                    "fact": "diagnosis",
                    "op": "has",
                    "value": "sle",
                    "classification": ["2019 EULAR/ACR"],
                    "min_duration": {"months": 6},
                },
            },
            {
                "id": "inc-3",
                "kind": "inclusion",
                "text": "ANC ≥ 1.0, Hb ≥ 60 g/L, no G-CSF 2 weeks",
                "rule": {
                    "all": [
                        {"fact": "lab.anc", "op": ">=", "value": 1, "unit": "10*9/L"},
                        {"fact": "lab.hemoglobin", "op": ">=", "value": 60, "unit": "g/L"},
                        {"not": {"fact": "treatment.csf", "op": "within", "window": {"weeks": 2}}},
                    ]
                },
            },
            {
                "id": "inc-4",
                "kind": "inclusion",
                "text": "ALT ≤ 3 × ULN",
                "rule": {"fact": "lab.alt", "op": "<=", "value": 3, "unit": "xULN"},
            },
            {
                "id": "inc-5",
                "kind": "inclusion",
                "text": "eGFR ≥ 60",
                "rule": {"fact": "derived.egfr", "op": ">=", "value": 60, "unit": "mL/min/1.73m2"},
            },
            {
                "id": "exc-1",
                "kind": "exclusion",
                "text": "B-cell therapy within 6 months",
                "rule": {
                    "fact": "treatment.b_cell_targeted",
                    "op": "within",
                    "window": {"months": 6},
                },
            },
            {
                "id": "exc-2",
                "kind": "exclusion",
                "text": "HIV",
                "rule": {"fact": "serology.hiv", "op": "is_true"},
            },
            {"id": "exc-3", "kind": "exclusion", "text": "Other circumstances", "rule": None},
        ]
    )
    evaluation = evaluate_trial(load_criteria(data), facts_from(profile_dict))
    statuses = {r.criterion_id: r.status for r in evaluation.criteria}
    assert statuses == {
        "inc-1": CriterionStatus.SATISFIED,
        "inc-2": CriterionStatus.SATISFIED,
        "inc-3": CriterionStatus.SATISFIED,
        "inc-4": CriterionStatus.SATISFIED,
        "inc-5": CriterionStatus.SATISFIED,
        "exc-1": CriterionStatus.SATISFIED,
        "exc-2": CriterionStatus.UNKNOWN,
        "exc-3": CriterionStatus.REVIEW,
    }
    assert evaluation.verdict is Verdict.POTENTIALLY_ELIGIBLE
    assert evaluation.missing_facts == ("serology.hiv",)
    alt = evaluation.result("inc-4")
    assert alt is not None
    (evidence,) = alt.evidence
    assert evidence.uln == 35
    assert evidence.uln_assumed is False
    assert evidence.entered == "30 U/L"
    egfr = evaluation.result("inc-5")
    assert egfr is not None
    assert egfr.evidence[0].formula is not None
    assert egfr.evidence[0].formula.startswith("CKD-EPI 2021")
    anc = evaluation.result("inc-3")
    assert anc is not None
    assert anc.evidence[0].entered == "1500 /µL"
    assert anc.evidence[0].patient_value == "1.5 ×10⁹/L"


def test_group_of_not_applicable_members_counts_as_not_applicable() -> None:
    applies = {"fact": "sex", "op": "in", "value": ["female"]}
    data = trial(
        [
            crit("inc-1", "hiv", group="g", applies_if=applies),
            crit("inc-2", "hbsag", group="g", applies_if=applies),
        ],
        groups=[{"id": "g", "mode": "any"}],
    )
    state = Facts(screening_date=SCREENING, values={"sex": FactValue("sex", "male")})
    evaluation = evaluate_trial(load_criteria(data), state)
    assert evaluation.verdict is Verdict.MEETS_CHECKABLE_CRITERIA
    assert evaluation.counts.not_applicable == 2
