"""Clause readings: organ involvement defined by its own score, exempt conditions in brackets."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.parser.test_patterns import rule_of


def leaf(fact: str, op: str, **extra: Any) -> dict[str, Any]:
    return {"fact": fact, "op": op, **extra}


def score(fact: str, op: str, value: float) -> dict[str, Any]:
    return leaf(fact, op, value=value, unit="{score}")


def has(*conditions: str) -> dict[str, Any]:
    return {"fact": "diagnosis", "op": "has", "value": list(conditions)}


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            "Manual Muscle Testing-8 (MMT-8) score less than 142.",
            score("score.mmt8", "<", 142),
        ),
        ("Manual Muscle Testing 8 score ≤ 136.", score("score.mmt8", "<=", 136)),
        ("MMT8 score < 150.", score("score.mmt8", "<", 150)),
        (
            "Muscle involvement with Manual Muscle Testing-8 (MMT-8) score less than 142.",
            score("score.mmt8", "<", 142),
        ),
        ("Muscle weakness defined as CMAS < 48.", score("score.cmas", "<", 48)),
        (
            "Skin involvement with a modified Rodnan skin score ≥ 15.",
            score("score.mrss", ">=", 15),
        ),
        ("Skin thickening defined as mRSS ≥ 10.", score("score.mrss", ">=", 10)),
    ],
)
def test_involvement_defined_by_the_organs_own_score(item: str, expected: Any) -> None:
    assert rule_of(item) == expected


@pytest.mark.parametrize(
    "item",
    [
        # Proteinuria or a raised CK have other causes than the disease: the involvement is
        # not what the value alone says.
        "Renal involvement with UPCR > 0.5 g/g.",
        "Muscle involvement with CK > 2 × ULN.",
        # A score of another organ does not define this one.
        "Skin involvement with MMT-8 < 142.",
        "Muscle involvement with mRSS ≥ 15.",
        "Muscle involvement with dysphagia.",
        "Muscle involvement.",
    ],
)
def test_other_involvements_stay_review(item: str) -> None:
    assert rule_of(item) is None


def test_an_exempt_condition_in_an_exclusion_is_for_the_team() -> None:
    # Without the condition the part excludes; with it, whether the exemption covers the case
    # is the team's.
    assert rule_of("Subjects with end-stage renal failure(LN is excluded);", "exclusion") == {
        "all": [
            leaf("history.esrd", "ever"),
            {"any": [{"not": has("lupus_nephritis")}, {"review": "LN is excluded"}]},
        ]
    }


def test_an_exempt_condition_in_an_inclusion_is_an_alternative_with_review() -> None:
    assert rule_of("eGFR ≥ 30 mL/min/1.73 m² (lupus nephritis is excluded).") == {
        "any": [
            leaf("derived.egfr", ">=", value=30, unit="mL/min/{1.73_m2}"),
            {"all": [has("lupus_nephritis"), {"review": "lupus nephritis is excluded"}]},
        ]
    }


def test_each_semicolon_piece_of_a_bracket_is_one_exemption() -> None:
    rule = rule_of(
        "creatinine clearance rate (CrCl) ≥ 30ml/minute (calculated by Cockcroft/Gault "
        "formula, acute CrCl decrease due to the target disease is excluded; LN is exluded);"
    )
    assert rule == {
        "any": [
            leaf("derived.crcl", ">=", value=30, unit="mL/min"),
            {
                "review": "calculated by Cockcroft/Gault formula, acute CrCl decrease due to "
                "the target disease is excluded"
            },
            {"all": [has("lupus_nephritis"), {"review": "LN is exluded"}]},
        ]
    }


def test_an_exempt_cause_is_read_as_the_excluding_form() -> None:
    # As "(excluding ALT elevation due to inflammatory myopathy)": only a patient with the
    # cause may be exempt, and whether the anaemia is due to it is the team's.
    assert rule_of("Hemoglobin ≥ 80 g/L (anaemia due to lupus is excluded).") == {
        "any": [
            leaf("lab.hemoglobin", ">=", value=80, unit="g/L"),
            {"all": [has("sle"), {"review": "anaemia due to lupus is excluded"}]},
        ]
    }


def test_a_formula_piece_beside_an_exemption_is_a_detail() -> None:
    assert rule_of("eGFR ≥ 30 mL/min/1.73 m² (calculated by CKD-EPI; LN is excluded).") == {
        "any": [
            leaf("derived.egfr", ">=", value=30, unit="mL/min/{1.73_m2}"),
            {"all": [has("lupus_nephritis"), {"review": "LN is excluded"}]},
        ]
    }


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        # Not one condition of the vocabulary, or more than a condition: no diagnosis is read.
        ("Severe hepatic impairment (autoimmune hepatitis is excluded).", "exclusion"),
        ("Hemoglobin ≥ 80 g/L (patients with lupus are excluded).", "inclusion"),
        ("End-stage renal disease (LN and SSc are excluded).", "exclusion"),
        ("Hemoglobin ≥ 80 g/L (anaemia due to the target disease is excluded).", "inclusion"),
    ],
)
def test_other_exemptions_name_no_diagnosis(item: str, kind: str) -> None:
    rule = rule_of(item, kind)
    assert "'diagnosis'" not in repr(rule)


def lab(fact: str, op: str, value: float, unit: str) -> dict[str, Any]:
    return leaf(fact, op, value=value, unit=unit)


CLASSES = leaf("lupus_nephritis_class", "any_of", value=["III", "IV"])


@pytest.mark.parametrize(
    "item",
    [
        "Active nephritis type III or IV with or without type V.",
        "The histological diagnosis was active nephritis class III or IV.",
        "Histological diagnosis (LN classification of ISN/RPS in 2018) was active nephritis "
        "type III or IV with or without type V.",
        "Pathological class (ISN/RPS 2003 classification) showed nephritis class III or IV.",
    ],
)
def test_the_biopsy_class_after_its_lead_words(item: str) -> None:
    assert rule_of(item) == CLASSES


@pytest.mark.parametrize(
    "item",
    [
        # A class without nephritis before it is another scale (NYHA).
        "Histological diagnosis was class III or IV.",
        "NYHA class III or IV heart failure.",
        # A bracket that says more than the classification system is not a detail.
        "Histological diagnosis (repeat biopsy required) was active nephritis class III or IV.",
    ],
)
def test_other_classes_are_not_read_as_the_biopsy_class(item: str) -> None:
    rule = rule_of(item)
    assert rule is None or {"review": "repeat biopsy required"} in rule.get("all", [])


def test_a_sentence_end_without_its_space() -> None:
    assert rule_of("NIH activity index > 2.Chronicity index ≤ 3.") == {
        "all": [
            score("score.nih_activity_index", ">", 2),
            score("score.nih_chronicity_index", "<=", 3),
        ]
    }


@pytest.mark.parametrize(
    "item",
    [
        # An abbreviation or a decimal is not a sentence end.
        "Treatment with e.g.MMF or azathioprine.",
        "Activity index > 2.5 and more.",
    ],
)
def test_glued_abbreviations_stay_whole(item: str) -> None:
    assert rule_of(item) is None


def test_a_comma_and_joins_two_requirements_around_an_or() -> None:
    assert rule_of(
        "The diagnosis of lupus nephritis was confirmed with renal biopsy within 6 months "
        "before the study, and histological diagnosis (LN classification of isn/RPS in 2018) "
        "was active nephritis type III or IV with or without type V."
    ) == {
        "all": [
            {
                "all": [
                    has("lupus_nephritis"),
                    {"review": "with renal biopsy within 6 months before the study"},
                ]
            },
            CLASSES,
        ]
    }


def test_a_comma_and_in_an_exclusion_is_not_split() -> None:
    # "A, and B" in an exclusion: both together or either alone is not said.
    assert rule_of("Active tuberculosis, and HIV infection or syphilis.", "exclusion") is None


@pytest.mark.parametrize(
    "item",
    [
        "UPCR ≥ 1.0 g/g or 24-hour urine protein ≥ 1.0 g, with or without active urinary sediment.",
        "Urine protein to creatinine ratio (upcr)>1.0g/g, or 24-hour urine protein>1.0g, with or "
        "without active urinary sediment with erythrocyte precipitation.",
    ],
)
def test_with_or_without_at_the_end_asks_for_nothing(item: str) -> None:
    rule = rule_of(item)
    assert [child["fact"] for child in rule["any"]] == ["lab.upcr", "lab.urine_protein_24h"]


@pytest.mark.parametrize(
    "item",
    [
        # The optional treatment carries a condition of its own.
        "DAS28-CRP ≥ 3.2 with or without methotrexate at a stable dose.",
        "DAS28-CRP ≥ 3.2 with or without methotrexate if tolerated.",
        "DAS28-CRP ≥ 3.2 with or without methotrexate ≥ 15 mg/week.",
    ],
)
def test_with_or_without_and_a_condition_stays_review(item: str) -> None:
    assert rule_of(item) is None
