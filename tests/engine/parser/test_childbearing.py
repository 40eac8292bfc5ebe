"""Criteria for women of childbearing potential: applies_if with the sex/potential branch."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine import Settings, build_facts, evaluate_trial, load_criteria, profile_from_dict
from tests.engine.parser.reading import criterion_of
from tests.engine.parser.reading import strip_text as _strip_text

APPLIES = {
    "all": [
        {"fact": "sex", "op": "in", "value": ["female"]},
        {"fact": "childbearing_potential", "op": "is_true"},
    ]
}
NEGATIVE_TEST = {"fact": "pregnancy_test_positive", "op": "is_false"}
CONTRACEPTION = {"fact": "contraception_agreed", "op": "is_true"}


@pytest.mark.parametrize(
    ("item", "rule"),
    [
        (
            "Female subjects of childbearing potential must have a negative serum pregnancy "
            "test at screening.",
            NEGATIVE_TEST,
        ),
        (
            "Female subjects of childbearing potential must have a negative pregnancy test "
            "within 7 days before enrolment.",
            {**NEGATIVE_TEST, "max_age_days": 7},
        ),
        (
            "Women of childbearing potential must agree to use highly effective contraception "
            "during the study.",
            CONTRACEPTION,
        ),
        (
            "Negative pregnancy test for female subjects of childbearing age, agree to take "
            "effective contraceptive measures the first year after CAR-T infusion.",
            {"all": [NEGATIVE_TEST, CONTRACEPTION]},
        ),
        (
            "The subject of childbearing age has a negative urine pregnancy test result and "
            "agrees to take effective contraceptive measures during the test period until 1 "
            "year after the infusion.",
            {"all": [NEGATIVE_TEST, CONTRACEPTION]},
        ),
    ],
)
def test_childbearing_criteria_apply_to_women_of_childbearing_potential(item, rule):
    criterion = criterion_of(item)
    assert criterion["applies_if"] == APPLIES
    assert _strip_text(criterion["rule"]) == rule


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        # a pregnancy test asked of men, or men with an exception: not the usual wording
        (
            "Female subjects of childbearing potential and male subjects must have a negative "
            "pregnancy test.",
            "inclusion",
        ),
        (
            "Women of childbearing potential and men with partners of childbearing potential "
            "must use effective contraception unless surgically sterilised.",
            "inclusion",
        ),
        # a clause that names nobody
        (
            "Male subjects must use effective contraception; a negative pregnancy test within "
            "7 days before enrolment.",
            "inclusion",
        ),
        # a negation or an exception changes the meaning
        ("Women of childbearing potential not using effective contraception.", "inclusion"),
        (
            "Women of childbearing potential must have a negative pregnancy test unless "
            "surgically sterilised.",
            "inclusion",
        ),
        # alternatives and other conditions in the same criterion
        (
            "Women of childbearing potential must have a negative serum or urine pregnancy test.",
            "inclusion",
        ),
        (
            "Women of childbearing potential must have a negative pregnancy test and an "
            "ECG without abnormalities.",
            "inclusion",
        ),
        # hedged wording
        (
            "Women of childbearing potential may be asked to use effective contraception.",
            "inclusion",
        ),
        # the same words in an exclusion are not read as a requirement
        (
            "Women of childbearing potential must have a negative pregnancy test.",
            "exclusion",
        ),
    ],
)
def test_other_childbearing_wording_gets_no_applies_if(item, kind):
    criterion = criterion_of(item, kind)
    assert "applies_if" not in criterion
    assert "contraception_agreed" not in str(criterion["rule"])
    assert "'is_false'" not in str(criterion["rule"])


@pytest.mark.parametrize(
    "item", ["Pregnancy", "Pregnant or breastfeeding women", "Lactating or nursing"]
)
def test_a_pregnancy_exclusion_concerns_women_and_is_not_applicable_to_a_man(item):
    # Before, a 70-year-old man was "potentially eligible" with "Currently pregnant" unknown
    # and asked whether he was pregnant.
    criterion = criterion_of(item, "exclusion")
    assert criterion["applies_if"] == {"fact": "sex", "op": "in", "value": ["female"]}
    criteria = load_criteria(
        {"format": "trialmatch-criteria/1", "trial_id": "T", "source": "automatic",
         "criteria": [criterion]}
    )  # fmt: skip
    screening = date(2026, 11, 23)

    def status(patient: dict[str, Any]) -> str:
        profile = profile_from_dict({"format": "trialmatch-patient/1", "patient": patient})
        (result,) = evaluate_trial(criteria, build_facts(profile, screening, Settings())).criteria
        return result.status.value

    assert status({"birth_date": "1956-03-01", "sex": "male"}) == "not_applicable"
    assert status({"birth_date": "1990-03-01", "sex": "female"}) == "unknown"
    assert status({"birth_date": "1990-03-01"}) == "unknown"


def test_a_pregnancy_exclusion_with_other_conditions_keeps_applying_to_everyone():
    criterion = criterion_of("Pregnancy or active hepatitis B infection", "exclusion")
    assert "applies_if" not in criterion


MALE = {"fact": "sex", "op": "in", "value": ["male"]}
NOT_LACTATING = {"fact": "lactating", "op": "is_false"}
WOMEN_OR_MEN = {"any": [APPLIES, MALE]}


def test_women_and_men_with_partners_of_childbearing_potential_clause_by_clause():
    criterion = criterion_of(
        "Female subjects of childbearing potential and male subjects with partners of "
        "childbearing potential must use medically approved contraception or abstinence during "
        "the study treatment period and for at least 6 months after the end of the study "
        "treatment; Female subjects of childbearing potential must have a negative Human "
        "chorionic gonadotropin (HCG) test within 7 days before study enrollment and not be "
        "lactating."
    )
    assert criterion["applies_if"] == WOMEN_OR_MEN
    # as the curated file of NCT06941129 writes it
    assert _strip_text(criterion["rule"]) == {
        "all": [
            CONTRACEPTION,
            {"any": [MALE, {"all": [{**NEGATIVE_TEST, "max_age_days": 7}, NOT_LACTATING]}]},
        ]
    }
    criteria = load_criteria(
        {"format": "trialmatch-criteria/1", "trial_id": "T", "source": "automatic",
         "criteria": [criterion]}
    )  # fmt: skip
    screening = date(2026, 11, 23)

    def status(patient: dict[str, Any], reproductive: dict[str, Any]) -> str:
        profile = profile_from_dict(
            {"format": "trialmatch-patient/1", "patient": patient, "reproductive": reproductive}
        )
        (result,) = evaluate_trial(criteria, build_facts(profile, screening, Settings())).criteria
        return result.status.value

    man = {"birth_date": "1980-03-01", "sex": "male"}
    woman = {"birth_date": "1990-03-01", "sex": "female"}
    # A man who agrees to contraception is not asked about a pregnancy test.
    assert status(man, {"contraception_agreed": True}) == "satisfied"
    assert status(man, {"contraception_agreed": False}) == "violated"
    ready = {
        "childbearing_potential": True,
        "contraception_agreed": True,
        "pregnancy_test": {"result": "negative", "date": "2026-11-20"},
        "lactating": False,
    }
    assert status(woman, ready) == "satisfied"
    assert status(woman, {**ready, "lactating": True}) == "violated"
    old_test = {"result": "negative", "date": "2026-11-01"}
    assert status(woman, {**ready, "pregnancy_test": old_test}) == "unknown"
    assert status(woman, {**ready, "childbearing_potential": False}) == "not_applicable"


def test_women_of_childbearing_potential_who_must_not_be_breastfeeding():
    criterion = criterion_of(
        "Women of childbearing potential must have a negative pregnancy test and must not "
        "be breastfeeding."
    )
    assert criterion["applies_if"] == APPLIES
    assert _strip_text(criterion["rule"]) == {"all": [NEGATIVE_TEST, NOT_LACTATING]}


def test_men_with_partners_of_childbearing_potential_alone():
    criterion = criterion_of(
        "Male subjects with female partners of childbearing potential must agree to use "
        "effective contraception during the study."
    )
    assert criterion["applies_if"] == MALE
    assert _strip_text(criterion["rule"]) == CONTRACEPTION


FEMALE = {"fact": "sex", "op": "in", "value": ["female"]}


def test_pregnancy_said_of_women_beside_a_partners_plan_keeps_sex_in_the_rule():
    criterion = criterion_of(
        "Females who are pregnant or breastfeeding or who plan to have a pregnancy within 2 "
        "years of return infusion of the test drug; partners of male patients who plan to "
        "become pregnant within 2 years of treatment with the test drug.",
        "exclusion",
    )
    assert "applies_if" not in criterion
    women, partners = _strip_text(criterion["rule"])["any"]
    assert women["any"][0] == {
        "all": [
            FEMALE,
            {
                "any": [
                    {"fact": "pregnant", "op": "is_true"},
                    {"fact": "lactating", "op": "is_true"},
                ]
            },
        ]
    }
    assert "review" in women["any"][1]
    assert "review" in partners


def test_pregnant_women_or_women_planning_to_conceive_concerns_women():
    criterion = criterion_of("Pregnant women or women planning to conceive.", "exclusion")
    assert criterion["applies_if"] == FEMALE
    assert _strip_text(criterion["rule"]) == {
        "any": [{"fact": "pregnant", "op": "is_true"}, {"review": "women planning to conceive"}]
    }


@pytest.mark.parametrize(
    "item",
    [
        # "conceive" said of unnamed patients may be a man's plan
        "Pregnancy or patients planning to conceive.",
        # a plan that is not about pregnancy
        "Pregnant women or women planning surgery.",
    ],
)
def test_other_plans_do_not_make_a_criterion_womens_only(item):
    assert "applies_if" not in criterion_of(item, "exclusion")
