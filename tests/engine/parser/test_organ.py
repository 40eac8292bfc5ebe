"""Organ-function wording: support-free thresholds, transfusions, "INR or APTT", lab codes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine import Settings, build_facts, evaluate_trial, load_criteria, profile_from_dict
from tests.engine.parser.reading import criterion_of
from tests.engine.parser.reading import strip_text as _strip_text

SCREENING = date(2026, 11, 23)


def rule_of(item: str, kind: str = "inclusion") -> Any:
    return _strip_text(criterion_of(item, kind)["rule"])


def status(criterion: dict[str, Any], patient: dict[str, Any]) -> str:
    criteria = load_criteria(
        {"format": "trialmatch-criteria/1", "trial_id": "T", "source": "automatic",
         "criteria": [criterion]}
    )  # fmt: skip
    profile = profile_from_dict({"format": "trialmatch-patient/1", **patient})
    (result,) = evaluate_trial(criteria, build_facts(profile, SCREENING, Settings())).criteria
    return result.status.value


CRCL_50 = {"fact": "derived.crcl", "op": ">=", "value": 50, "unit": "mL/min"}
NO_TRANSFUSION_7D = {
    "not": {"fact": "treatment.transfusion", "op": "within", "window": {"days": 7}}
}
NO_CSF_7D = {"not": {"fact": "treatment.csf", "op": "within", "window": {"days": 7}}}


def test_renal_line_keeps_the_threshold_and_leaves_the_support_for_review():
    rule = rule_of(
        "Renal function: Defined as a calculated creatinine clearance rate (Cockcroft - Gault) "
        "≥ 50 mL/min without the need for hydration assistance."
    )
    assert rule == {"all": [CRCL_50, {"review": "without the need for hydration assistance"}]}


def test_bone_marrow_line_with_the_transfusion_and_growth_factor_sentence():
    rule = rule_of(
        "Bone marrow function: Defined as absolute neutrophil count (ANC) ≥ 1.0×10⁹/L and "
        "hemoglobin (Hb) ≥ 60 g/L. Blood transfusion and growth factors should not be used to "
        "meet these requirements within 7 days before the inclusion and exclusion screening."
    )
    assert rule["all"][0] == {
        "all": [
            {"fact": "lab.anc", "op": ">=", "value": 1, "unit": "10*9/L"},
            {"fact": "lab.hemoglobin", "op": ">=", "value": 60, "unit": "g/L"},
        ]
    }
    sentence = rule["all"][1]["all"]
    assert sentence[:2] == [NO_TRANSFUSION_7D, NO_CSF_7D]
    # "growth factors" is wider than the colony-stimulating factors the facts record.
    assert "erythropoietin" in sentence[2]["review"]


@pytest.mark.parametrize(
    ("item", "expected_tail"),
    [
        (
            "Platelets ≥ 75×10^9/L without transfusion within 7 days before screening.",
            NO_TRANSFUSION_7D,
        ),
        (
            "Hemoglobin ≥ 90 g/L without the need for red blood cell transfusion support.",
            {"review": "without the need for red blood cell transfusion support"},
        ),
        (
            "ANC ≥ 1.5×10^9/L (without G-CSF support within 14 days).",
            {"not": {"fact": "treatment.csf", "op": "within", "window": {"days": 14}}},
        ),
    ],
)
def test_support_free_thresholds(item, expected_tail):
    rule = rule_of(item)
    assert rule["all"][1] == expected_tail
    assert "fact" in rule["all"][0]


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        # a tail that is not about support: a negation the reader does not structure
        ("Creatinine clearance ≥ 50 mL/min without evidence of proteinuria.", "inclusion"),
        # the same words in an exclusion are not read as a requirement
        ("Creatinine clearance < 30 mL/min without dialysis support.", "exclusion"),
        # products the facts do not record, or no window: never assumed absent
        (
            "Erythropoietin should not be used to meet these requirements within 7 days.",
            "inclusion",
        ),
        ("Blood transfusion should not be used to meet these requirements.", "inclusion"),
    ],
)
def test_support_wording_that_stays_for_review(item, kind):
    criterion = criterion_of(item, kind)
    text = str(criterion["rule"])
    assert "treatment.transfusion" not in text
    assert "treatment.csf" not in text


def test_transfusion_within_the_window_violates_the_bone_marrow_line():
    criterion = criterion_of(
        "Hemoglobin (Hb) ≥ 60 g/L. Blood transfusion should not be used to meet these "
        "requirements within 7 days before screening."
    )
    patient = {
        "patient": {"birth_date": "1990-03-01", "sex": "female"},
        "labs": [{"analyte": "hemoglobin", "value": 95, "unit": "g/L", "date": "2026-11-20"}],
        "treatments_complete": True,
    }
    transfused = {
        **patient,
        "treatments": [
            {"drug": "red_cell_transfusion", "start": "2026-11-19", "end": "2026-11-19"}
        ],
    }
    assert status(criterion, {**patient, "treatments": []}) == "satisfied"
    assert status(criterion, transfused) == "violated"


INR = {"fact": "lab.inr", "op": "<=", "value": 1.5, "unit": "xULN"}
APTT = {"fact": "lab.aptt", "op": "<=", "value": 1.5, "unit": "xULN"}


def test_inr_or_aptt_in_an_inclusion_is_true_only_when_both_hold():
    criterion = criterion_of(
        "Coagulation function: Defined as international normalized ratio (INR) or activated "
        "partial thromboplastin time (APTT) ≤ 1.5×ULN."
    )
    assert _strip_text(criterion["rule"]) == {
        "any": [
            {"all": [INR, APTT]},
            {
                "all": [
                    {"any": [INR, APTT]},
                    {
                        "review": "Whether one of the values within the limit suffices: "
                        "international normalized ratio (INR) or activated partial "
                        "thromboplastin time (APTT) ≤ 1.5×ULN"
                    },
                ]
            },
        ]
    }

    def labs(inr: float, aptt: float) -> dict[str, Any]:
        return {
            "patient": {"birth_date": "1990-03-01", "sex": "female"},
            "labs": [
                {"analyte": "inr", "value": inr, "unit": "{INR}", "date": "2026-11-20",
                 "uln": 1.1},
                {"analyte": "aptt", "value": aptt, "unit": "s", "date": "2026-11-20",
                 "uln": 35},
            ],
        }  # fmt: skip

    assert status(criterion, labs(1.0, 30)) == "satisfied"
    assert status(criterion, labs(3.0, 80)) == "violated"
    # One within the limit and one above: the wording does not say, the team decides.
    assert status(criterion, labs(1.0, 80)) == "review"


def test_inr_or_aptt_in_an_exclusion_is_either():
    rule = rule_of("INR or APTT > 1.5×ULN.", "exclusion")
    assert rule == {"any": [{**INR, "op": ">"}, {**APTT, "op": ">"}]}


def test_a_garbled_name_is_read_by_the_known_code_in_brackets():
    rule = rule_of(
        "Liver function: Asparagus cochinchinensis transase (AST) and Alanine "
        "Aminotransferase (ALT)≤3.0 ULN, Total Bilirubin (TBIL) in serum ≤2.0×ULN."
    )
    assert rule == {
        "all": [
            {
                "all": [
                    {"fact": "lab.ast", "op": "<=", "value": 3, "unit": "xULN"},
                    {"fact": "lab.alt", "op": "<=", "value": 3, "unit": "xULN"},
                ]
            },
            {"fact": "lab.bilirubin_total", "op": "<=", "value": 2, "unit": "xULN"},
        ]
    }


@pytest.mark.parametrize(
    "item",
    [
        # the bracket holds more than a code
        "Asparagus cochinchinensis transase (AST, SGOT) ≤ 3.0 ULN.",
        "Asparagus cochinchinensis transase (AST level) ≤ 3.0 ULN.",
        # a qualifier or another known name before the bracket changes what is measured
        "Direct bilirubin (TBIL) ≤ 1.5×ULN.",
        "Urine transase (AST) ≤ 3.0 ULN.",
        # a negation before the bracket
        "No transase (AST) ≤ 3.0 ULN.",
        # more than four unknown words
        "Some very long garbled enzyme transase (AST) ≤ 3.0 ULN.",
    ],
)
def test_a_code_in_brackets_does_not_cover_other_words(item):
    rule = str(criterion_of(item)["rule"])
    assert "lab.ast" not in rule
    assert "bilirubin" not in rule


ORGAN_TABLE = """Adequate organ function defined as:
   * Hemoglobin ≥ 9.0 g/dL
   * INR or PT ≤ 1.5 × ULN unless the participant is receiving anticoagulant therapy
   * aPTT ≤ 1.5 × ULN"""


def test_unless_in_one_sub_item_leaves_only_that_line_for_review():
    rule = rule_of(ORGAN_TABLE)
    assert rule == {
        "all": [
            {"fact": "lab.hemoglobin", "op": ">=", "value": 9, "unit": "g/dL"},
            {
                "review": "INR or PT ≤ 1.5 × ULN unless the participant is receiving "
                "anticoagulant therapy"
            },
            {"fact": "lab.aptt", "op": "<=", "value": 1.5, "unit": "xULN"},
        ]
    }


@pytest.mark.parametrize(
    "item",
    [
        # the condition is in the lead line: it may cover every line below
        "Unless on anticoagulants, adequate coagulation:\n   * INR ≤ 1.5 × ULN\n"
        "   * aPTT ≤ 1.5 × ULN",
        # judgement and counted choices keep the whole criterion for review
        "Adequate organ function:\n   * Hemoglobin ≥ 9.0 g/dL\n"
        "   * Other values acceptable in the opinion of the investigator",
        # the same word in a one-line criterion
        "Hemoglobin ≥ 9.0 g/dL unless transfused.",
    ],
)
def test_conditions_that_may_cover_more_than_their_line_keep_the_criterion_for_review(item):
    assert criterion_of(item)["rule"] is None


def test_a_window_after_two_treatments_joined_by_or_is_not_dropped_from_the_first():
    rule = rule_of(
        "Treatment with tocilizumab or canakinumab within 3 months before screening.",
        "exclusion",
    )
    # Before: tocilizumab "ever", which excluded a use years ago. The treatment-history reader
    # (regimens.py) gives a window written after a list of medicines to every one of them.
    assert rule == {
        "any": [
            {"fact": "treatment.tocilizumab", "op": "within", "window": {"months": 3}},
            {"fact": "treatment.canakinumab", "op": "within", "window": {"months": 3}},
        ]
    }


def test_a_disease_beside_an_event_with_a_window_keeps_its_lifetime_reading():
    rule = rule_of(
        "Have a history of congenital heart disease or acute myocardial infarction within 6 "
        "months prior to screening.",
        "exclusion",
    )
    assert rule == {
        "any": [
            {"fact": "history.congenital_heart_disease", "op": "ever"},
            {"fact": "history.myocardial_infarction", "op": "within", "window": {"months": 6}},
        ]
    }


@pytest.mark.parametrize(
    ("item", "kind", "expected"),
    [
        (
            "Urine protein-to-creatinine ratio > 1.0 g/g.",
            "exclusion",
            {"fact": "lab.upcr", "op": ">", "value": 1, "unit": "g/g"},
        ),
        (
            "HCV RNA detectable at screening.",
            "exclusion",
            {"fact": "serology.hcv_rna", "op": "is_true"},
        ),
        (
            "HCV RNA not detectable at screening.",
            "inclusion",
            {"fact": "serology.hcv_rna", "op": "is_false"},
        ),
        (
            "Left ventricular ejection fraction (LVEF) ≥ 55% by echocardiography at screening.",
            "inclusion",
            {"fact": "lab.lvef", "op": ">=", "value": 55, "unit": "%"},
        ),
        (
            "eGFR ≥ 45 mL/min/1.73 m² calculated using the CKD-EPI equation.",
            "inclusion",
            {"fact": "derived.egfr", "op": ">=", "value": 45, "unit": "mL/min/{1.73_m2}"},
        ),
        (
            "Estimated GFR < 60 mL/min/1.73 m² (Schwartz formula).",
            "exclusion",
            {"fact": "derived.egfr", "op": "<", "value": 60, "unit": "mL/min/{1.73_m2}"},
        ),
    ],
)
def test_wording_that_changes_nothing(item, kind, expected):
    assert rule_of(item, kind) == expected


@pytest.mark.parametrize(
    "item",
    [
        # another equation than the engine's: not the same value
        "eGFR ≥ 45 mL/min/1.73 m² calculated using the MDRD equation.",
        "eGFR ≥ 45 mL/min/1.73 m² calculated using the Cockcroft-Gault equation.",
        # "not detectable" with a positive elsewhere: mixed polarity
        "HCV RNA not detectable and HBsAg positive.",
    ],
)
def test_wording_that_changes_the_reading_stays_for_review(item):
    assert criterion_of(item)["rule"] is None


@pytest.mark.parametrize(
    ("item", "kind", "expected"),
    [
        (
            "≥Grade 2 GVHD within 2 weeks prior to screening.",
            "exclusion",
            {"fact": "history.gvhd", "op": "within", "window": {"weeks": 2}},
        ),
        (
            "Body weight between 50 and 120 kg.",
            "inclusion",
            {"fact": "weight_kg", "op": "between", "value": [50, 120], "unit": "kg"},
        ),
    ],
)
def test_grade_sign_and_between_values(item, kind, expected):
    assert rule_of(item, kind) == expected


@pytest.mark.parametrize(
    "item",
    [
        "Body weight between 50 and 120.",  # no unit
        "Body weight between 120 and 50 kg.",  # not a range
        "≥ 2 GVHD within 2 weeks.",  # a number without "grade"
    ],
)
def test_grade_sign_and_between_values_that_stay_for_review(item):
    assert criterion_of(item)["rule"] is None


def test_another_measure_of_the_same_analyte_is_not_read_by_the_code():
    rule = str(criterion_of("Prothrombin activity (PT) ≥ 1.5 × ULN.")["rule"])
    assert "lab.pt" not in rule


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            "ANC ≥ 1.5 × 10^9/L (1500/μL).",
            {"fact": "lab.anc", "op": ">=", "value": 1.5, "unit": "10*9/L"},
        ),
        (
            "Hemoglobin ≥ 90 g/L (9 g/dL).",
            {"fact": "lab.hemoglobin", "op": ">=", "value": 90, "unit": "g/L"},
        ),
        (
            "Serum creatinine ≤ 1.5 mg/dL (133 µmol/L).",  # a rounded conversion
            {"fact": "lab.creatinine", "op": "<=", "value": 1.5, "unit": "mg/dL"},
        ),
    ],
)
def test_a_threshold_restated_in_another_unit(item, expected):
    assert rule_of(item) == expected


@pytest.mark.parametrize(
    "item",
    [
        "Hemoglobin ≥ 90 g/L (8 g/dL).",  # another value
        "Platelets ≥ 100 × 10^9/L (≤ 100,000/μL).",  # another comparator
        "Hemoglobin ≥ 90 g/L (9).",  # no unit
        "Hemoglobin ≥ 90 g/L (90 kg).",  # a unit the fact does not take
    ],
)
def test_a_bracketed_value_that_is_not_the_same_threshold_stays_for_review(item):
    assert criterion_of(item)["rule"] is None


def test_a_support_bracket_after_a_threshold_names_its_own_product():
    rule = rule_of(
        "Platelets ≥ 100,000/mm³ (without platelet transfusion within 7 days), "
        "hemoglobin ≥ 9 g/dL (transfusion allowed)."
    )
    assert rule["all"][0] == {
        "all": [
            {"fact": "lab.platelets", "op": ">=", "value": 100000, "unit": "/uL"},
            {
                "not": {
                    "fact": "treatment.platelet_transfusion",
                    "op": "within",
                    "window": {"days": 7},
                }
            },
        ]
    }
    # "(transfusion allowed)" relaxes the threshold: the team reads it.
    assert "review" in rule["all"][1]
