"""Not treated with X, or … after previous X: the untreated qualify, the treated are reviewed."""

from __future__ import annotations

from datetime import date

import pytest

from engine import load_criteria
from engine.evaluator import evaluate_trial
from engine.facts import Facts
from engine.parser import parse_criteria_text
from engine.profile import Treatment
from tests.engine.parser.test_patterns import rule_of


@pytest.mark.parametrize(
    ("item", "second"),
    [
        (
            "Previously not treated with CAR-T; or recurrence or poor efficacy after previous "
            "autologous or universal CD19-targeted CAR-T treatment (evaluated by the researcher).",
            "recurrence or poor efficacy after previous autologous or universal CD19-targeted "
            "CAR-T treatment (evaluated by the researcher)",
        ),
        (
            "Not previously treated with CAR-T; or relapse after prior CD19-targeted CAR-T "
            "therapy.",
            "relapse after prior CD19-targeted CAR-T therapy",
        ),
        (
            "No prior CAR-T therapy or progression more than 6 months following CAR-T.",
            "progression more than 6 months following CAR-T",
        ),
    ],
)
def test_untreated_or_treated_with_review(item: str, second: str) -> None:
    rule = rule_of(item)
    assert rule["any"][0] == {"not": {"fact": "treatment.car_t", "op": "ever"}}
    assert rule["any"][1] == {
        "all": [{"fact": "treatment.car_t", "op": "ever"}, {"review": second}]
    }


def test_the_same_form_for_a_named_drug() -> None:
    rule = rule_of("No prior rituximab, or relapse following rituximab.")
    assert rule == {
        "any": [
            {"not": {"fact": "treatment.rituximab", "op": "ever"}},
            {
                "all": [
                    {"fact": "treatment.rituximab", "op": "ever"},
                    {"review": "relapse following rituximab"},
                ]
            },
        ]
    }


@pytest.mark.parametrize(
    "item",
    [
        # Another treatment could satisfy the second alternative alone.
        "No prior CAR-T therapy; or relapse after previous rituximab or CAR-T.",
        # Another treatment than the first alternative's.
        "No prior CAR-T therapy; or relapse after rituximab.",
        # A negation in the second alternative.
        "No prior CAR-T therapy; or no response after CAR-T.",
    ],
)
def test_second_alternatives_that_do_not_need_the_treatment(item: str) -> None:
    rule = rule_of(item)
    # The treated alternative is never read as "X ever" with review.
    assert rule is None or all("all" not in part for part in rule.get("any", []))


@pytest.mark.parametrize(
    "item",
    [
        # Not an untreated alternative first.
        "Previously treated with CAR-T; or relapse after CAR-T (evaluated by the researcher).",
        # The judgement in the first alternative keeps the whole criterion for review.
        "Not treated with CAR-T as judged by the investigator; or relapse after CAR-T.",
    ],
)
def test_other_wordings_stay_review(item: str) -> None:
    assert rule_of(item) is None


def test_an_exclusion_is_not_read_this_way() -> None:
    rule = rule_of(
        "No prior CAR-T therapy; or relapse after CAR-T (per the investigator).", "exclusion"
    )
    assert rule is None


def _facts(*drugs: str) -> Facts:
    return Facts(
        screening_date=date(2026, 11, 20),
        values={},
        treatments=tuple(
            (f"treatments[{n}]", Treatment(drug, date(2025, 1, 10), date(2025, 1, 10)))
            for n, drug in enumerate(drugs)
        ),
        treatments_complete=True,
    )


@pytest.mark.parametrize(
    ("drugs", "status"),
    [
        ((), "satisfied"),  # never treated: the first alternative holds
        (("car_t",), "review"),  # treated: whether it failed is the team's
    ],
)
def test_evaluation_never_calls_a_treated_patient_eligible(
    drugs: tuple[str, ...], status: str
) -> None:
    criteria = load_criteria(
        parse_criteria_text(
            "T",
            "Inclusion Criteria:\n\n1. Previously not treated with CAR-T; or recurrence after "
            "previous CD19-targeted CAR-T treatment (evaluated by the researcher).\n",
        )
    )
    evaluation = evaluate_trial(criteria, _facts(*drugs))
    assert evaluation.criteria[0].status.value == status
