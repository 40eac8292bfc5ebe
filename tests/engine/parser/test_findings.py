"""Diagnoses without a classification sentence, disease findings, antibody families and counts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine import load_criteria
from engine.evaluator import evaluate_trial
from engine.facts import Facts, FactValue
from engine.parser import parse_criteria_text
from tests.engine.parser.test_patterns import rule_of


def leaf(fact: str, op: str, **extra: Any) -> dict[str, Any]:
    return {"fact": fact, "op": op, **extra}


def has(*conditions: str, **extra: Any) -> dict[str, Any]:
    return {"fact": "diagnosis", "op": "has", "value": list(conditions), **extra}


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            "A history of SLE for at least 6 months prior to screening.",
            has("sle", min_duration={"months": 6}),
        ),
        (
            "History of dry syndrome for at least 6 months prior to screening.",
            has("sjogren", min_duration={"months": 6}),
        ),
        (
            "History of primary Sjögren's syndrome for at least 12 months prior to Screening.",
            has("sjogren", min_duration={"months": 12}),
        ),
        (
            "Clinical diagnosis of granulomatosis with polyangiitis (GPA) or microscopic "
            "polyangiitis (MPA), consistent with the 2022 ACR/EULAR classification criteria.",
            has("gpa", "mpa", classification=["2022 ACR/EULAR"]),
        ),
        (
            "Diagnosed as juvenile dermatomyositis(JDM) according to the criteria of Bohan and "
            "Peter, and meeting the following conditions:",
            has("jdm", classification=["Bohan and Peter"]),
        ),
        (
            "Meet the classification criteria for Systemic sclerosis (SSc) as defined by the "
            "2013ACR/EULAR standards, and meeting the following conditions:",
            has("ssc", classification=["2013 ACR/EULAR"]),
        ),
        (
            "Diagnosis of pSS-TP with platelet count <30 x 10^9/L.",
            {
                "all": [
                    has("sjogren"),
                    leaf("lab.platelets", "<", value=30, unit="10*9/L"),
                ]
            },
        ),
    ],
)
def test_diagnoses_without_a_classification_sentence(item, expected):
    assert rule_of(item) == expected


def test_a_history_with_its_duration_keeps_the_rest_of_the_sentence_for_review():
    rule = rule_of(
        "A history of SLE for at least 6 months prior to screening, with the disease remaining "
        "active 2 months after the use of a standard treatment regimen prior to screening."
    )
    assert rule["all"][0] == has("sle", min_duration={"months": 6})
    assert rule["all"][1]["review"].startswith("with the disease remaining active")


@pytest.mark.parametrize(
    ("item", "kind", "expected"),
    [
        ("Eosinophilic granulomatosis with polyangiitis (EGPA).", "exclusion", has("egpa")),
        (
            "Presence of diffuse cutaneous systemic sclerosis or active interstitial lung disease "
            "(high-resolution computed tomography (HRCT) showing ground-glass opacities);",
            "inclusion",
            {"any": [has("dcssc"), leaf("disease.ild_active", "is_true")]},
        ),
        ("Presence of clear evidence of HRCT progression.", "inclusion", None),
        (
            "Combined with severe kidney disease or signs of renal crisis in the participant.",
            "exclusion",
            None,
        ),
    ],
)
def test_diagnoses_and_findings_as_alternatives(item, kind, expected):
    rule = rule_of(item, kind)
    if expected is not None:
        assert rule == expected
    elif "HRCT" in item:
        assert rule == leaf("disease.hrct_progression", "is_true")
    else:
        # "in the participant" is not understood, so the part is read from the clause pieces.
        assert (
            rule is None
            or "review" in str(rule)
            or rule
            == {
                "any": [
                    leaf("disease.severe_kidney_disease", "is_true"),
                    leaf("disease.renal_crisis", "is_true"),
                ]
            }
        )


@pytest.mark.parametrize(
    ("item", "kind", "expected"),
    [
        ("Combined with severe kidney disease or signs of renal crisis.", "exclusion", None),
        (
            "Combined with interstitial pneumonia caused by SSc.",
            "inclusion",
            {
                "all": [
                    leaf("disease.ild", "is_true"),
                    {"review": "interstitial pneumonia caused by SSc"},
                ]
            },
        ),
        (
            "isolated skin and mucous membrane involvement is not eligible for inclusion.",
            "inclusion",
            leaf("disease.isolated_mucocutaneous", "is_false"),
        ),
        (
            "Active or latent tuberculosis infection.",
            "exclusion",
            {
                "any": [
                    leaf("infection.active_tb", "is_true"),
                    leaf("infection.latent_tb", "is_true"),
                ]
            },
        ),
    ],
)
def test_disease_findings(item, kind, expected):
    rule = rule_of(item, kind)
    if expected is None:
        expected = {
            "any": [
                leaf("disease.severe_kidney_disease", "is_true"),
                leaf("disease.renal_crisis", "is_true"),
            ]
        }
    assert rule == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            "Positive scleroderma-related antibodies.",
            {
                "any": [
                    leaf("antibody.anti_scl70", "is_true"),
                    leaf("antibody.anti_centromere", "is_true"),
                    leaf("antibody.anti_rnapol3", "is_true"),
                    {
                        "review": "Another scleroderma-related antibody is positive (e.g. "
                        "anti-Th/To, anti-PM/Scl, anti-U3-RNP)."
                    },
                ]
            },
        ),
        (
            # The bracket restates members of the family: read once, not twice.
            "Positive ANCA-associated antibodies (MPO-ANCA or PR3-ANCA positive).",
            {
                "any": [
                    leaf("antibody.mpo_anca", "is_true"),
                    leaf("antibody.pr3_anca", "is_true"),
                    {
                        "review": "ANCA is positive without MPO or PR3 specificity (e.g. by "
                        "immunofluorescence only)."
                    },
                ]
            },
        ),
        (
            "Positive test for anti-PR3 or anti-MPO antibodies (current or historical).",
            {
                "any": [
                    leaf("antibody.pr3_anca", "is_true"),
                    leaf("antibody.mpo_anca", "is_true"),
                ]
            },
        ),
        ("Positive anti-Ro/SSA antibodies at Screening.", leaf("antibody.anti_ssa", "is_true")),
        (
            "Positive for SRP or HMGCR antibody.",
            {
                "any": [
                    leaf("antibody.anti_srp", "is_true"),
                    leaf("antibody.anti_hmgcr", "is_true"),
                ]
            },
        ),
    ],
)
def test_antibody_families_and_names(item, expected):
    assert rule_of(item) == expected


def test_a_family_negative_patient_is_for_review_never_ruled_out():
    criteria = parse_criteria_text(
        "T", "Inclusion Criteria:\n\n1. Positive scleroderma-related antibodies.\n"
    )
    family = criteria["criteria"][0]["rule"]
    assert family["any"][-1].keys() == {"review"}
    load_criteria(criteria)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            "BILAG-2004 assessment of the presence of at least 1 grade A or 2 grade B organ "
            "scores.",
            {
                "any": [
                    leaf("score.bilag_a_count", ">=", value=1),
                    leaf("score.bilag_b_count", ">=", value=2),
                ]
            },
        ),
        ("At least 2 active joints.", leaf("score.active_joints", ">=", value=2)),
        ("≥ 3 swollen joints.", leaf("score.sjc", ">=", value=3)),
        (
            "Number of swollen joints and/or number of joints with tenderness ≥3.",
            {
                "any": [
                    leaf("score.sjc", ">=", value=3, unit="{count}"),
                    leaf("score.tjc", ">=", value=3, unit="{count}"),
                ]
            },
        ),
        (
            "Positive expression of CD19 in peripheral blood B cells determined by flow "
            "cytometry, and B cells > 5 per/uL.",
            {
                "all": [
                    leaf("marker.cd19_positive", "is_true"),
                    leaf("lab.cd19_b_cells", ">", value=5, unit="/uL"),
                ]
            },
        ),
        (
            "NIH activity index (AI) > 2.",
            leaf("score.nih_activity_index", ">", value=2, unit="{score}"),
        ),
    ],
)
def test_activity_counts(item, expected):
    assert rule_of(item) == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            "Those suffering from relatively serious heart diseases such as angina pectoris, "
            "myocardial infarction, heart failure and arrhythmia.",
            {
                "any": [
                    leaf("history.cardiac_disease", "ever"),
                    leaf("history.angina", "ever"),
                    leaf("history.myocardial_infarction", "ever"),
                    leaf("history.heart_failure", "ever"),
                    leaf("history.arrhythmia", "ever"),
                ]
            },
        ),
        (
            "Subjects with central nervous system diseases caused by autoimmune diseases or "
            "non-autoimmune diseases (including epilepsy, psychosis, organic brain syndrome, "
            "cerebral vascular accidents, encephalitis, central nervous system vasculitis);",
            leaf("history.cns_disease", "ever"),
        ),
        (
            "History of severe allergy to drugs used in clinical studies or raw materials of test "
            "drugs, such as cyclophosphamide, fludarabine, DMSO.",
            {
                "all": [
                    leaf("history.severe_drug_allergy", "ever"),
                    {
                        "review": "severe allergy to drugs used in clinical studies or raw "
                        "materials of test drugs, such as cyclophosphamide, fludarabine, DMSO"
                    },
                ]
            },
        ),
        (
            "The patient is positive for HBV surface antigen, or HBV core antibody and positive "
            "for DNA by RT-PCR.",
            {
                "any": [
                    leaf("serology.hbsag", "is_true"),
                    {
                        "all": [
                            leaf("serology.hbcab", "is_true"),
                            leaf("serology.hbv_dna", "is_true"),
                        ]
                    },
                ]
            },
        ),
        (
            "Clinically significant cardiac disease, including unstable angina or myocardial "
            "infarction within 6 months.",
            leaf("history.cardiac_disease", "ever"),
        ),
        (
            "Received rituximab or other B cell-depleting therapy within 12 months prior to "
            "Screening.",
            None,
        ),
    ],
)
def test_history_classes_in_exclusions(item, expected):
    rule = rule_of(item, "exclusion")
    if expected is None:
        # "or other ... within 12 months" shares the window: rituximab is never read as "ever".
        assert "'ever'" not in str(rule)
    else:
        assert rule == expected


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        # Judgement, risk and wider classes without a fact: left for review.
        ("Risk of active tuberculosis at screening.", "exclusion"),
        ("Positive myositis-specific antibodies.", "inclusion"),
        ("Rapid progression of interstitial lung disease within a short period.", "inclusion"),
        ("Active interstitial lung disease requiring treatment.", "exclusion"),
        ("Heart disease such as valve disease.", "exclusion"),
        ("Negative for scleroderma-related antibodies.", "inclusion"),
        ("No interstitial lung disease.", "inclusion"),
        # Examples after "including" are not each a diagnosis.
        (
            "To meet the diagnostic criteria of refractory B-cell-related pediatric rheumatic "
            "diseases, including but not limited to juvenile dermatomyositis, polyarticular "
            "juvenile idiopathic arthritis, systemic sclerosis, and primary Sjogren's syndrome.",
            "inclusion",
        ),
        (
            "Secondary Sjögren's syndrome associated with another autoimmune disease such as "
            "rheumatoid arthritis or systemic lupus erythematosus.",
            "exclusion",
        ),
        # "pSS-TP" without the platelet limit that defines the thrombocytopenia.
        ("Diagnosis of pSS-TP.", "inclusion"),
        # Isolated mucocutaneous disease as a plain inclusion item says nothing readable.
        ("Isolated mucocutaneous involvement.", "inclusion"),
    ],
)
def test_cases_that_stay_review(item, kind):
    assert rule_of(item, kind) is None


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            "Biopsy-proven active lupus nephritis class III or IV (ISN/RPS 2003), with or without "
            "class V, with the biopsy performed within 6 months before screening.",
            {
                "all": [
                    has("lupus_nephritis"),
                    {
                        "all": [
                            leaf("lupus_nephritis_class", "any_of", value=["III", "IV"]),
                            {
                                "review": "with the biopsy performed within 6 months before "
                                "screening"
                            },
                        ]
                    },
                ]
            },
        ),
        (
            "Lupus nephritis class III, IV or V.",
            {
                "all": [
                    has("lupus_nephritis"),
                    leaf("lupus_nephritis_class", "any_of", value=["III", "IV", "V"]),
                ]
            },
        ),
        (
            "Diagnosis of dry syndrome according to the 2002 International Classification Criteria "
            "for Primary Dry Syndrome or the 2016 ACR/EULAR classification criteria.",
            has("sjogren", classification=["2016 ACR/EULAR", "2002 AECG"]),
        ),
        (
            "The Birmingham Vasculitis Activity Scale (BVAS) ≥ 15 points (a total score of 63 "
            "points), indicating active vasculitis.",
            leaf("score.bvas", ">=", value=15, unit="{score}"),
        ),
    ],
)
def test_nephritis_classes_named_criteria_sets_and_scales(item, expected):
    assert rule_of(item) == expected


def test_a_class_not_after_lupus_nephritis_is_not_a_biopsy_class():
    assert rule_of("NYHA class III or IV heart failure.", "exclusion") is None


def test_and_joins_two_required_halves_of_an_inclusion_read_one_by_one():
    rule = rule_of(
        "History of dry syndrome for at least 6 months prior to screening and disease still "
        "active 2 months after use of conventional treatment regimen prior to screening."
    )
    assert rule == {
        "all": [
            has("sjogren", min_duration={"months": 6}),
            {
                "review": "disease still active 2 months after use of conventional treatment "
                "regimen prior to screening"
            },
        ]
    }


def test_the_referring_clause_of_a_definition_keeps_its_words():
    # A sub-bullet glyph was removed anywhere in the clause ("prior to" became "prior t").
    text = (
        "Inclusion Criteria:\n\n3. History of dry syndrome for at least 6 months prior to "
        "screening and disease still active 2 months after use of conventional treatment regimen "
        "prior to screening. Definition of conventional therapy: Use of glucocorticoids and "
        "cyclophosphamide.\n"
    )
    rule = parse_criteria_text("T", text)["criteria"][0]["rule"]
    assert "prior tscreening" not in str(rule)
    assert has("sjogren", min_duration={"months": 6}).items() <= rule["all"][0]["all"][0].items()


def test_an_exemption_due_to_an_unknown_cause_stays_review():
    rule = rule_of("ALT ≤ 3×ULN (excluding ALT elevation due to muscle injury).")
    assert rule == {
        "any": [
            leaf("lab.alt", "<=", value=3, unit="xULN"),
            {"review": "excluding ALT elevation due to muscle injury"},
        ]
    }


def _leaves(node: Any) -> list[dict[str, Any]]:
    if "fact" in node:
        return [node]
    if "not" in node:
        return _leaves(node["not"])
    return [leaf for child in node.get("all") or node.get("any") or [] for leaf in _leaves(child)]


def test_females_who_are_pregnant_beside_a_review_clause_name_the_sex():
    text = (
        "Exclusion Criteria:\n\n1. Females who are pregnant or breastfeeding or who plan to have a "
        "pregnancy within 2 years of return infusion of the test drug; partners of male patients "
        "who plan to become pregnant within 2 years of treatment with the test drug.\n"
        "2. Females who are pregnant or breastfeeding.\n"
    )
    first, second = parse_criteria_text("T", text)["criteria"]
    facts = [leaf["fact"] for leaf in _leaves(first["rule"])]
    assert facts == ["sex", "pregnant", "lactating"]
    assert _leaves(first["rule"])[0]["value"] == ["female"]
    assert "applies_if" not in first
    # Alone, the criterion says women through applies_if and keeps no sex leaf of its own.
    assert second["applies_if"] == {"fact": "sex", "op": "in", "value": ["female"]}
    assert [leaf["fact"] for leaf in _leaves(second["rule"])] == ["pregnant", "lactating"]


def _antibody_facts(**results: bool) -> Facts:
    return Facts(
        screening_date=date(2026, 11, 20),
        values={
            f"antibody.{name}": FactValue(f"antibody.{name}", value, "", date(2026, 1, 5))
            for name, value in results.items()
        },
    )


@pytest.mark.parametrize(
    ("results", "status"),
    [
        # Negative for every listed member: another family member may be positive.
        ({"anti_scl70": False, "anti_centromere": False, "anti_rnapol3": False}, "review"),
        ({"anti_scl70": False, "anti_centromere": True, "anti_rnapol3": False}, "satisfied"),
        ({}, "unknown"),
    ],
)
def test_an_antibody_family_never_rules_a_patient_out(results, status):
    criteria = load_criteria(
        parse_criteria_text(
            "T", "Inclusion Criteria:\n\n1. Positive scleroderma-related antibodies.\n"
        )
    )
    evaluation = evaluate_trial(criteria, _antibody_facts(**results))
    assert evaluation.criteria[0].status.value == status


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            # "3)" closing the bracket is not an inline item "3)"; the bracket only names the
            # instrument again; "active disease with" is what the score defines.
            "Active disease with a Birmingham Vasculitis Activity Score (BVAS version 3) of at "
            "least 3.",
            leaf("score.bvas", ">=", value=3, unit="{score}"),
        ),
        (
            "Active disease defined as SLEDAI-2K ≥ 6 points at screening.",
            leaf("score.sledai_2k", ">=", value=6, unit="{score}"),
        ),
        ("Active disease with organ involvement.", None),
    ],
)
def test_active_disease_defined_by_a_score(item, expected):
    assert rule_of(item) == expected


@pytest.mark.parametrize(
    ("item", "kind", "expected"),
    [
        (
            # One combination, not a list of what excludes: both are required.
            "SLE with active interstitial lung disease.",
            "exclusion",
            {"all": [has("sle"), leaf("disease.ild_active", "is_true")]},
        ),
        (
            "Systemic juvenile idiopathic arthritis (sJIA) with active systemic features within "
            "6 months before Screening.",
            "exclusion",
            {
                "all": [
                    has("sjia"),
                    {"review": "with active systemic features within 6 months before Screening"},
                ]
            },
        ),
        (
            "Diagnosis of polyarticular juvenile idiopathic arthritis (pJIA) according to the "
            "International League of Associations for Rheumatology (ILAR) criteria.",
            "inclusion",
            has("pjia"),
        ),
        # "Granulomatosis" alone is not understood: the name is never cut at its "with".
        ("Granulomatosis with polyangiitis flare with haemoptysis.", "exclusion", None),
    ],
)
def test_with_narrows_the_part_before_it(item, kind, expected):
    assert rule_of(item, kind) == expected


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        # The half-by-half and "with" readings are for a diagnosis and what is said of it only.
        ("HCV RNA not detectable and HBsAg positive.", "inclusion"),
        ("Known HIV infection with a CD4 count below 200.", "exclusion"),
    ],
)
def test_and_or_with_after_something_else_than_a_diagnosis_stays_whole(item, kind):
    rule = rule_of(item, kind)
    assert rule is None or "serology" not in str(rule)
