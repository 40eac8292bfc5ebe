"""Criteria loader: canonical units at load time and errors naming trial, criterion and path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.criteria import AllOf, AnyOf, CriterionKind, Leaf, Not, ReviewLeaf, Window, leaves
from engine.errors import CriteriaError
from engine.loader import load_criteria

CASES = Path(__file__).parent / "cases"
RESOURCES = Path(__file__).parents[2] / "resources" / "criteria"


def trial(rule: Any = None, **criterion: Any) -> dict[str, Any]:
    entry = {"id": "inc-1", "kind": "inclusion", "text": "criterion", "rule": rule, **criterion}
    return {
        "format": "trialmatch-criteria/1",
        "trial_id": "NCT01",
        "source": "curated",
        "criteria": [entry],
    }


def test_broken_fixture_names_trial_criterion_and_path() -> None:
    data = json.loads((CASES / "broken_criteria.json").read_text(encoding="utf-8"))
    with pytest.raises(CriteriaError) as caught:
        load_criteria(data)
    error = caught.value
    assert str(error) == (
        "NCT09999999: criterion inc-2, criteria[1].rule.all[1].fact: unknown fact 'lab.neutrophils'"
    )
    assert (error.trial_id, error.criterion_id, error.path) == (
        "NCT09999999",
        "inc-2",
        "criteria[1].rule.all[1].fact",
    )


def test_rule_values_are_converted_to_canonical_units_once() -> None:
    rule = {
        "all": [
            {"fact": "lab.anc", "op": ">=", "value": 1500, "unit": "/µL"},
            {
                "fact": "lab.hemoglobin",
                "op": ">=",
                "value": 9,
                "unit": "g/dL",
                "id": "hb",
                "text": "Hb ≥ 9",
            },
            {"fact": "lab.alt", "op": "<=", "value": 2.5, "unit": "xULN"},
            {"fact": "lab.creatinine", "op": "between", "value": [0.5, 1.5], "unit": "mg/dL"},
            {"fact": "score.sledai_2k", "op": ">=", "value": 6},
        ]
    }
    node = load_criteria(trial(rule)).criteria[0].rule
    assert isinstance(node, AllOf)
    anc, hb, alt, creatinine, sledai = node.children
    assert isinstance(anc, Leaf)
    assert (anc.value, anc.unit, anc.rule_value) == (1.5, "10*9/L", "1500 /µL")
    assert isinstance(hb, Leaf)
    assert (hb.value, hb.unit, hb.id, hb.text) == (90.0, "g/L", "hb", "Hb ≥ 9")
    assert isinstance(alt, Leaf)
    assert (alt.value, alt.unit, alt.rule_value) == (2.5, "xULN", "2.5 × ULN")
    assert isinstance(creatinine, Leaf)
    assert creatinine.value == pytest.approx((44.2, 132.6))
    assert isinstance(sledai, Leaf)
    assert (sledai.value, sledai.unit) == (6.0, "{score}")


def test_every_node_kind_and_option_loads() -> None:
    data = trial(
        {
            "any": [
                {"not": {"fact": "treatment.live_vaccine", "op": "within", "window": {"weeks": 4}}},
                {"review": "investigator judgement"},
                {
                    "fact": "diagnosis",
                    "op": "has",
                    "value": ["ssc"],
                    "classification": "2013 ACR/EULAR",
                    "status": ["progressive"],
                    "subtype": ["diffuse"],
                    "min_duration": {"months": 6},
                },
                {"fact": "treatment.immunosuppressant", "op": "count_at_least", "value": 2},
                {"fact": "sex", "op": "in", "value": "female"},
                {"fact": "lupus_nephritis_class", "op": "any_of", "value": ["III", "IV"]},
                {"fact": "serology.hbsag", "op": "is_true", "max_age_days": 30},
                {"fact": "history.malignancy", "op": "ever"},
            ]
        },
        kind="exclusion",
        cohort="ssc",
        group="g",
        applies_if={"fact": "sex", "op": "in", "value": ["female"]},
        reading="why",
        verified=True,
        span=[3, 40],
    )
    data["cohorts"] = [{"id": "ssc", "label": "SSc", "text": "SSc cohort"}]
    data["groups"] = [{"id": "g", "mode": "any", "text": "either"}]
    loaded = load_criteria(data)
    criterion = loaded.criteria[0]
    assert criterion.kind is CriterionKind.EXCLUSION
    assert (
        criterion.cohort,
        criterion.group,
        criterion.reading,
        criterion.verified,
        criterion.span,
    ) == ("ssc", "g", "why", True, (3, 40))
    assert loaded.cohort("ssc") is not None
    assert loaded.group("g") is not None
    assert loaded.cohort("x") is None
    assert loaded.group("x") is None
    assert isinstance(criterion.rule, AnyOf)
    first = criterion.rule.children[0]
    assert isinstance(first, Not)
    assert isinstance(criterion.rule.children[1], ReviewLeaf)
    condition = criterion.rule.children[2]
    assert isinstance(condition, Leaf)
    assert condition.classification == ("2013 ACR/EULAR",)
    assert condition.min_duration == Window(6, "months")
    assert len(leaves(criterion.rule)) == 8


def test_review_criterion_and_automatic_source() -> None:
    data = trial(None)
    data["source"] = "automatic"
    loaded = load_criteria(data)
    assert loaded.source == "automatic"
    assert loaded.criteria[0].rule is None


@pytest.mark.parametrize(
    ("rule", "path", "problem"),
    [
        (
            {"fact": "lab.anc", "op": "≥", "value": 1, "unit": "10*9/L"},
            "rule.op",
            "operator '≥' does not apply",
        ),
        ({"fact": "lab.anc", "op": "is_true"}, "rule.op", "does not apply to lab.anc"),
        (
            {"fact": "lab.anc", "op": ">=", "value": "1", "unit": "10*9/L"},
            "rule.value",
            ">= needs a number",
        ),
        (
            {"fact": "lab.anc", "op": ">=", "value": True, "unit": "10*9/L"},
            "rule.value",
            ">= needs a number",
        ),
        (
            {"fact": "lab.anc", "op": ">=", "value": 1, "unit": "mg/dL"},
            "rule.unit",
            "unit 'mg/dL' is not accepted",
        ),
        (
            {"fact": "lab.anc", "op": ">=", "value": 1},
            "rule.unit",
            "a unit is required for lab.anc",
        ),
        ({"fact": "lab.anc", "op": ">=", "value": 1, "unit": 9}, "rule.unit", "must be a string"),
        (
            {"fact": "lab.anc", "op": ">=", "value": 1, "unit": "xULN"},
            "rule.unit",
            "cannot be compared as multiples",
        ),
        (
            {"fact": "lab.anc", "op": "between", "value": [2, 1], "unit": "10*9/L"},
            "rule.value",
            "low ≤ high",
        ),
        (
            {"fact": "lab.anc", "op": "between", "value": 1, "unit": "10*9/L"},
            "rule.value",
            "[low, high]",
        ),
        (
            {"fact": "lab.anc", "op": ">=", "value": 1, "unit": "10*9/L", "max_age_days": -1},
            "rule.max_age_days",
            "non-negative",
        ),
        (
            {"fact": "lab.anc", "op": ">=", "value": 1, "unit": "10*9/L", "window": {"days": 1}},
            "rule.window",
            "does not apply",
        ),
        (
            {"fact": "lab.anc", "op": ">=", "value": 1, "unit": "10*9/L", "valeu": 1},
            "rule",
            "unknown key(s) 'valeu'",
        ),
        ({"fact": 3, "op": "is_true"}, "rule.fact", "must be a fact name"),
        (
            {"fact": "serology.hbsag", "op": "is_true", "value": True},
            "rule.value",
            "is_true takes no value",
        ),
        (
            {"fact": "history.malignancy", "op": "ever", "max_age_days": 5},
            "rule.max_age_days",
            "does not apply to event",
        ),
        ({"fact": "sex", "op": "in", "value": ["f"]}, "rule.value", "not among the allowed values"),
        ({"fact": "sex", "op": "in", "value": []}, "rule.value", "empty list"),
        (
            {"fact": "sex", "op": "in", "value": [1]},
            "rule.value",
            "must be a string or a list of strings",
        ),
        ({"fact": "treatment.csf", "op": "within"}, "rule.window", "within needs a window"),
        (
            {"fact": "treatment.csf", "op": "within", "window": {"fortnights": 1}},
            "rule.window",
            "unknown window key 'fortnights'",
        ),
        (
            {"fact": "treatment.csf", "op": "within", "window": {"weeks": 1, "days": 2}},
            "rule.window",
            "must be one of",
        ),
        (
            {"fact": "treatment.csf", "op": "within", "window": {"weeks": 1.5}},
            "rule.window.weeks",
            "whole number",
        ),
        (
            {"fact": "treatment.csf", "op": "ever", "window": {"weeks": 1}},
            "rule.window",
            "ever takes no window",
        ),
        ({"fact": "treatment.csf", "op": "ever", "value": 1}, "rule.value", "ever takes no value"),
        (
            {"fact": "treatment.csf", "op": "count_at_least", "value": 0},
            "rule.value",
            "whole number ≥ 1",
        ),
        (
            {"fact": "treatment.aspirin", "op": "ever"},
            "rule.fact",
            "unknown fact 'treatment.aspirin'",
        ),
        (
            {"fact": "diagnosis", "op": "has", "value": "lupus"},
            "rule.value",
            "unknown condition id(s) ['lupus']",
        ),
        (
            {"fact": "diagnosis", "op": "has", "value": "sle", "status": ["active"]},
            "rule.status",
            "unknown status",
        ),
        (
            {"fact": "diagnosis", "op": "has", "value": "sle", "id": 4},
            "rule.id",
            "must be a string",
        ),
        (
            {"fact": "serology.hbsag", "op": "is_true", "classification": "x"},
            "rule.classification",
            "does not apply",
        ),
        ({"all": []}, "rule.all", "non-empty list"),
        (
            {"all": [{"fact": "serology.hbsag", "op": "is_true"}], "extra": 1},
            "rule",
            "unknown key(s) 'extra'",
        ),
        (
            {"not": {"fact": "serology.hbsag", "op": "is_true"}, "all": []},
            "rule",
            "unknown key(s) 'not'",
        ),
        (
            {"not": {"fact": "serology.hbsag", "op": "is_true"}, "x": 1},
            "rule",
            "unknown key(s) 'x'",
        ),
        ({"review": ""}, "rule.review", "must be the text"),
        ({"review": "x", "y": 1}, "rule", "unknown key(s) 'y'"),
        ({"something": 1}, "rule", "a rule node needs one of"),
        ([1], "rule", "a rule node must be an object"),
    ],
)
def test_rule_errors(rule: Any, path: str, problem: str) -> None:
    with pytest.raises(CriteriaError) as caught:
        load_criteria(trial(rule))
    assert caught.value.path == f"criteria[0].{path}"
    assert caught.value.criterion_id == "inc-1"
    assert problem in caught.value.problem


@pytest.mark.parametrize(
    ("change", "path", "problem"),
    [
        ({"format": "x"}, "format", "must be 'trialmatch-criteria/1'"),
        ({"source": "manual"}, "source", 'must be "curated" or "automatic"'),
        ({"trial_id": ""}, "trial_id", "non-empty string"),
        ({"extra": 1}, "$", "unknown key(s) 'extra'"),
        ({"criteria": []}, "criteria", "at least one criterion"),
        ({"criteria": "x"}, "criteria", "must be a list of objects"),
        ({"cohorts": [{"id": "a"}, {"id": "a"}]}, "cohorts[1].id", "duplicate cohort id 'a'"),
        ({"cohorts": [{"id": "a", "x": 1}]}, "cohorts[0]", "unknown key(s) 'x'"),
        ({"cohorts": [{"label": "a"}]}, "cohorts[0].id", "non-empty string"),
        ({"groups": [{"id": "g"}, {"id": "g"}]}, "groups[1].id", "duplicate group id 'g'"),
        (
            {"groups": [{"id": "g", "mode": "all"}]},
            "groups[0].mode",
            'the only group mode is "any"',
        ),
    ],
)
def test_file_errors(change: dict[str, Any], path: str, problem: str) -> None:
    data = {**trial({"fact": "serology.hbsag", "op": "is_true"}), **change}
    with pytest.raises(CriteriaError) as caught:
        load_criteria(data)
    assert caught.value.path == path
    assert problem in caught.value.problem


@pytest.mark.parametrize(
    ("criterion", "path", "problem"),
    [
        ({"kind": "include"}, "criteria[0].kind", 'must be "inclusion" or "exclusion"'),
        ({"text": ""}, "criteria[0].text", "non-empty string"),
        ({"cohort": "ra"}, "criteria[0].cohort", "unknown cohort 'ra'"),
        ({"group": "g"}, "criteria[0].group", "unknown group 'g'"),
        ({"verified": "yes"}, "criteria[0].verified", "true or false"),
        ({"span": [5, 2]}, "criteria[0].span", "start ≤ end"),
        ({"note": "x"}, "criteria[0]", "unknown key(s) 'note'"),
        ({"reading": 5}, "criteria[0].reading", "must be a string"),
        (
            {"applies_if": {"fact": "nope", "op": "is_true"}},
            "criteria[0].applies_if.fact",
            "unknown fact",
        ),
    ],
)
def test_criterion_errors(criterion: dict[str, Any], path: str, problem: str) -> None:
    with pytest.raises(CriteriaError) as caught:
        load_criteria(trial({"fact": "serology.hbsag", "op": "is_true"}, **criterion))
    assert caught.value.path == path
    assert problem in caught.value.problem


def test_duplicate_criterion_ids_and_non_objects() -> None:
    data = trial({"fact": "serology.hbsag", "op": "is_true"})
    data["criteria"].append(dict(data["criteria"][0]))
    with pytest.raises(CriteriaError, match=r"criteria\[1\]\.id: duplicate criterion id 'inc-1'"):
        load_criteria(data)
    with pytest.raises(CriteriaError, match=r"\?: \$: a criteria file must be a JSON object"):
        load_criteria([])
    no_id = trial(None)
    del no_id["criteria"][0]["id"]
    with pytest.raises(CriteriaError) as caught:
        load_criteria(no_id)
    assert caught.value.criterion_id is None
    assert str(caught.value) == "NCT01: criteria[0].id: must be a non-empty string"


def test_bundled_curated_criteria_load() -> None:
    files = sorted(RESOURCES.glob("*.json"))
    for path in files:
        loaded = load_criteria(json.loads(path.read_text(encoding="utf-8")))
        assert loaded.trial_id == path.stem


def test_a_leaf_read_once_is_shared_and_a_bad_one_fails_every_time() -> None:
    anc = {"fact": "lab.anc", "op": ">=", "value": 1.5, "unit": "10^9/L"}
    first = load_criteria(trial(anc)).criteria[0].rule
    again = load_criteria(trial({"all": [dict(anc), {"fact": "serology.hbsag", "op": "is_false"}]}))
    rule = again.criteria[0].rule
    assert isinstance(rule, AllOf)
    assert rule.children[0] is first  # the same immutable Leaf, not read again
    # Equal in Python but not to the loader: 1 (a whole number) against 1.0 and True.
    counted = {"fact": "treatment.glucocorticoid", "op": "count_at_least", "value": 1}
    assert isinstance(load_criteria(trial(counted)).criteria[0].rule, Leaf)
    for wrong in (True, 1.0):
        with pytest.raises(CriteriaError) as caught:
            load_criteria(trial({**counted, "value": wrong}))
        assert "count_at_least needs a whole number" in caught.value.problem
    # A bad leaf is never kept: it fails again, naming where it is this time.
    bad = {"fact": "lab.anc", "op": ">=", "value": 1.5, "unit": "furlongs"}
    for rule_json, path in ((bad, "rule.unit"), ({"any": [anc, bad]}, "rule.any[1].unit")):
        with pytest.raises(CriteriaError) as caught:
            load_criteria(trial(rule_json))
        assert caught.value.path == f"criteria[0].{path}"
