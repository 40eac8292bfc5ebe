"""Ages in months or days: each bound compared in the unit it is written in."""

from __future__ import annotations

from datetime import date

import pytest

from engine import Settings, build_facts, evaluate_trial, load_criteria, profile_from_dict
from tests.engine.parser.reading import criterion_of
from tests.engine.parser.reading import strip_text as _strip_text


@pytest.mark.parametrize(
    ("item", "rule"),
    [
        (
            "Children aged 6 months to 17 years (inclusive) at the time of informed consent.",
            {
                "all": [
                    {"fact": "age_months", "op": ">=", "value": 6, "unit": "mo"},
                    {"fact": "age_years", "op": "<=", "value": 17, "unit": "a"},
                ]
            },
        ),
        (
            "Infants 6 to 24 months of age.",
            {"fact": "age_months", "op": "between", "value": [6, 24], "unit": "mo"},
        ),
        ("Age ≥ 28 days.", {"fact": "age_days", "op": ">=", "value": 28, "unit": "d"}),
        (
            "Aged 28 days to 17 years.",
            {
                "all": [
                    {"fact": "age_days", "op": ">=", "value": 28, "unit": "d"},
                    {"fact": "age_years", "op": "<=", "value": 17, "unit": "a"},
                ]
            },
        ),
        # wholly in years: the year patterns as before
        (
            "Aged 2 to 17 years.",
            {"fact": "age_years", "op": "between", "value": [2, 17], "unit": "a"},
        ),
    ],
)
def test_ages_in_months_or_days(item, rule):
    assert _strip_text(criterion_of(item)["rule"]) == rule


@pytest.mark.parametrize(
    "item",
    [
        "Disease duration 6 months to 2 years.",  # a duration, not an age
        "Aged 6 weeks to 17 years.",  # weeks: no fact
        "Aged 24 to 6 months.",  # not a range
    ],
)
def test_other_month_wording_is_not_an_age(item):
    assert "age_" not in str(criterion_of(item)["rule"])


def test_a_child_of_six_months_and_twenty_days_is_old_enough():
    criterion = criterion_of("Children aged 6 months to 17 years (inclusive).")
    criteria = load_criteria(
        {"format": "trialmatch-criteria/1", "trial_id": "T", "source": "automatic",
         "criteria": [criterion]}
    )  # fmt: skip
    screening = date(2026, 11, 23)

    def status(birth_date: str) -> str:
        profile = profile_from_dict(
            {"format": "trialmatch-patient/1", "patient": {"birth_date": birth_date}}
        )
        (result,) = evaluate_trial(criteria, build_facts(profile, screening, Settings())).criteria
        return result.status.value

    assert status("2026-05-03") == "satisfied"  # 6 months 20 days, 0 completed years
    assert status("2026-06-01") == "violated"  # 5 months
    assert status("2008-11-24") == "satisfied"  # 17 years 11 months
    assert status("2008-11-23") == "violated"  # 18 years on the screening date


def test_males_or_females_is_any_sex_but_males_alone_is_a_restriction():
    assert _strip_text(criterion_of("Males or females aged 18 to 65 years.")["rule"]) == {
        "fact": "age_years",
        "op": "between",
        "value": [18, 65],
        "unit": "a",
    }
    assert criterion_of("Males aged 18 to 65 years.")["rule"] is None
