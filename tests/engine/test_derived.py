"""Derived formulas against hand-computed values, and how facts are built from a profile."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from engine.derived import (
    age_in_months_on,
    age_on,
    bedside_schwartz,
    bilag_counts,
    ckd_epi_2021,
    cockcroft_gault,
)
from engine.errors import CriteriaError
from engine.evaluator import evaluate_trial
from engine.facts import Facts, build_facts
from engine.loader import load_criteria
from engine.profile import profile_from_dict
from engine.units import Settings


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(1990, 4, 2), date(2026, 4, 1), 35),
        (date(1990, 4, 2), date(2026, 4, 2), 36),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
    ],
)
def test_age_in_completed_years(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


@pytest.mark.parametrize(
    ("birth", "on", "months"),
    [
        (date(2026, 5, 1), date(2026, 11, 23), 6),  # 6 months 22 days: 0 completed years
        (date(2026, 5, 24), date(2026, 11, 23), 5),
        (date(2025, 1, 10), date(2026, 11, 23), 22),
        (date(2026, 1, 31), date(2026, 2, 28), 0),  # no 31 February: completed on 1 March
        (date(2026, 1, 31), date(2026, 3, 1), 1),
        (date(2026, 11, 23), date(2026, 11, 23), 0),
    ],
)
def test_age_in_completed_months(birth: date, on: date, months: int) -> None:
    assert age_in_months_on(birth, on) == months


def test_age_limits_in_months_are_decided_in_completed_months() -> None:
    criteria = load_criteria(
        {
            "format": "trialmatch-criteria/1",
            "trial_id": "NCT09100001",
            "source": "curated",
            "criteria": [
                {
                    "id": "min",
                    "kind": "inclusion",
                    "text": "Aged 6 months or older",
                    "rule": {"fact": "age_months", "op": ">=", "value": 6, "unit": "mo"},
                },
                {
                    "id": "max",
                    "kind": "inclusion",
                    "text": "Aged 18 months or younger",
                    "rule": {"fact": "age_months", "op": "<=", "value": 18, "unit": "months"},
                },
            ],
        }
    )
    screening = date(2026, 11, 23)

    def statuses(birth_date: str) -> dict[str, str]:
        profile = profile_from_dict(
            {"format": "trialmatch-patient/1", "patient": {"birth_date": birth_date}},
            today=screening,
        )
        evaluation = evaluate_trial(criteria, build_facts(profile, screening, Settings()))
        return {r.criterion_id: r.status.value for r in evaluation.criteria}

    assert statuses("2026-05-01") == {"min": "satisfied", "max": "satisfied"}
    assert statuses("2025-01-10") == {"min": "satisfied", "max": "violated"}
    assert statuses("2026-05-24") == {"min": "violated", "max": "satisfied"}


def test_an_age_in_months_cannot_be_written_against_completed_years() -> None:
    # 6 months is not 0.5 completed years: a child of 6 months and 20 days is 0 years old, so
    # the conversion would rule them out. The loader refuses the rule instead.
    with pytest.raises(CriteriaError, match="age_years"):
        load_criteria(
            {
                "format": "trialmatch-criteria/1",
                "trial_id": "NCT09100002",
                "source": "curated",
                "criteria": [
                    {
                        "id": "min",
                        "kind": "inclusion",
                        "text": "Aged 6 months or older",
                        "rule": {"fact": "age_years", "op": ">=", "value": 6, "unit": "mo"},
                    }
                ],
            }
        )


@pytest.mark.parametrize(
    ("age", "scr_mg_dl", "female", "expected"),
    [
        (50, 0.8, True, 89.71),  # 142 × (0.8/0.7)^−1.2 × 0.9938^50 × 1.012
        (60, 1.2, False, 69.23),  # 142 × (1.2/0.9)^−1.2 × 0.9938^60
        (30, 0.5, True, 129.3),  # 142 × (0.5/0.7)^−0.241 × 0.9938^30 × 1.012
    ],
)
def test_ckd_epi_2021(age: int, scr_mg_dl: float, female: bool, expected: float) -> None:
    assert ckd_epi_2021(age, scr_mg_dl * 88.4, female) == pytest.approx(expected, abs=0.1)


def test_cockcroft_gault_by_hand() -> None:
    # (140 − 60) × 80 / (72 × 1.0) = 88.89; × 0.85 for a woman = 75.56
    assert cockcroft_gault(60, 80, 88.4, female=False) == pytest.approx(88.89, abs=0.01)
    assert cockcroft_gault(60, 80, 88.4, female=True) == pytest.approx(75.56, abs=0.01)


def test_bedside_schwartz_by_hand() -> None:
    # 0.413 × 140 / 0.5 = 115.64 (≡ 36.5 × 140 / 44.2)
    assert bedside_schwartz(140, 44.2) == pytest.approx(115.64, abs=0.01)


def test_bilag_counts_are_lower_bounds_until_all_domains_are_graded() -> None:
    partial_a, partial_b = bilag_counts((("renal", "A"), ("mucocutaneous", "B")), None, "s")
    assert (partial_a.value, partial_b.value) == (1.0, 1.0)
    assert partial_a.lower_bound
    full = tuple(
        (d, "A" if d == "renal" else "D")
        for d in (
            "constitutional",
            "mucocutaneous",
            "neuropsychiatric",
            "musculoskeletal",
            "cardiorespiratory",
            "gastrointestinal",
            "ophthalmic",
            "renal",
            "haematological",
        )
    )
    complete_a, complete_b = bilag_counts(full, date(2026, 11, 1), "scores[0]")
    assert complete_a.value == 1.0
    assert complete_b.value == 0.0
    assert not complete_a.lower_bound


SCREENING = date(2026, 11, 23)


def test_facts_from_the_example_profile(
    profile_dict: dict[str, Any], facts_from: Callable[..., Facts]
) -> None:
    facts = facts_from(profile_dict)
    assert facts.screening_date == SCREENING
    age = facts.get("age_years")
    assert age is not None
    assert age.value == 36
    hb = facts.get("lab.hemoglobin")
    assert hb is not None
    assert (hb.value, hb.unit, hb.entered, hb.source) == (102.0, "g/L", "10.2 g/dL", "labs[0]")
    crcl = facts.get("derived.crcl")
    assert crcl is not None
    # (140 − 36) × 62 / (72 × 0.8) × 0.85
    assert crcl.value == pytest.approx(95.15, abs=0.01)
    assert crcl.date == date(2026, 11, 1)  # as old as its oldest input (the weight)
    assert crcl.notes == (
        "inputs measured on different days: weight 2026-11-01, creatinine 2026-11-18",
    )
    assert any("actual body weight" in (crcl.formula or "") for _ in [0])
    egfr = facts.get("derived.egfr")
    assert egfr is not None
    assert egfr.formula is not None
    assert egfr.formula.startswith("CKD-EPI 2021")
    creatinine = facts.get("lab.creatinine")
    assert creatinine is not None
    assert creatinine.uln == 88
    assert creatinine.uln_assumed
    alt = facts.get("lab.alt")
    assert alt is not None
    assert (alt.uln, alt.uln_assumed) == (35, False)
    gc = facts.get("derived.gc_dose_mg_day")
    assert gc is not None
    assert gc.value == 10
    per_kg = facts.get("derived.gc_dose_mg_kg_day")
    assert per_kg is not None
    assert per_kg.value == pytest.approx(10 / 62)
    classes = facts.get("lupus_nephritis_class")
    assert classes is not None
    assert classes.value == ("IV",)
    ana = facts.get("antibody.ana")
    assert ana is not None
    assert ana.entered == "positive (titre 1:640)"
    assert facts.get("score.nih_activity_index") is not None
    assert facts.get("pregnancy_test_positive") is not None
    assert facts.history_item("history.esrd") is not None
    assert facts.notes == ()


def test_child_gets_bedside_schwartz_never_the_adult_formula(
    profile_dict: dict[str, Any], facts_from: Callable[..., Facts]
) -> None:
    profile_dict["patient"]["birth_date"] = "2014-06-01"
    profile_dict["patient"]["height"] = {"value": 140, "unit": "cm", "date": "2026-11-18"}
    profile_dict["patient"]["weight"] = {"value": 35, "unit": "kg", "date": "2026-11-18"}
    profile_dict["labs"][3] = {
        "analyte": "creatinine",
        "value": 44.2,
        "unit": "µmol/L",
        "date": "2026-11-18",
        "uln": None,
    }
    facts = facts_from(profile_dict)
    egfr = facts.get("derived.egfr")
    assert egfr is not None
    assert egfr.value == pytest.approx(115.64, abs=0.01)
    assert egfr.formula is not None
    assert egfr.formula.startswith("Bedside Schwartz")
    profile_dict["patient"]["height"] = None
    no_height = facts_from(profile_dict)
    assert no_height.get("derived.egfr") is None
    assert no_height.missing_for("derived.egfr") == ("height_cm",)


def test_missing_inputs_of_derived_values(
    profile_dict: dict[str, Any], facts_from: Callable[..., Facts]
) -> None:
    del profile_dict["labs"][3]
    profile_dict["patient"]["sex"] = None
    facts = facts_from(profile_dict)
    assert facts.missing_for("derived.crcl") == ("lab.creatinine", "sex")
    assert facts.missing_for("derived.egfr") == ("lab.creatinine", "sex")
    assert facts.missing_for("lab.alt") == ("lab.alt",)
    profile_dict["labs"].append(
        {"analyte": "creatinine", "value": 70, "unit": "umol/L", "date": "2026-11-18", "uln": None}
    )
    adult_no_sex = facts_from(profile_dict)
    assert adult_no_sex.missing_for("derived.egfr") == ("sex",)
    assert adult_no_sex.get("lab.creatinine") is not None
    creatinine = adult_no_sex.get("lab.creatinine")
    assert creatinine is not None
    assert creatinine.uln is None  # the default ULN depends on sex


def test_latest_value_on_or_before_screening(
    profile_dict: dict[str, Any], facts_from: Callable[..., Facts]
) -> None:
    profile_dict["labs"] += [
        {"analyte": "anc", "value": 0.9, "unit": "10^9/L", "date": "2026-11-01", "uln": None},
        {"analyte": "anc", "value": 3.0, "unit": "10^9/L", "date": "2026-11-20", "uln": None},
        {"analyte": "anc", "value": 0.5, "unit": "10^9/L", "date": None, "uln": None},
    ]
    facts = facts_from(profile_dict, date(2026, 11, 19))
    anc = facts.get("lab.anc")
    assert anc is not None
    assert anc.value == 1.5  # 2026-11-18 wins; 2026-11-20 is after screening
    assert any("2026-11-20 is after the screening date" in note for note in facts.notes)
    profile_dict["labs"] = [
        {"analyte": "anc", "value": 0.5, "unit": "10^9/L", "date": None, "uln": None},
    ]
    undated_only = facts_from(profile_dict)
    undated = undated_only.get("lab.anc")
    assert undated is not None
    assert undated.date is None


def test_lab_uln_in_the_entered_unit_is_converted(
    profile_dict: dict[str, Any], facts_from: Callable[..., Facts]
) -> None:
    profile_dict["labs"].append(
        {
            "analyte": "bilirubin_total",
            "value": 1.0,
            "unit": "mg/dL",
            "date": "2026-11-18",
            "uln": 1.2,
        }
    )
    bilirubin = facts_from(profile_dict).get("lab.bilirubin_total")
    assert bilirubin is not None
    assert bilirubin.value == pytest.approx(17.1)
    assert bilirubin.uln == pytest.approx(20.52)
    assert not bilirubin.uln_assumed


def test_clinic_default_uln(profile_dict: dict[str, Any], facts_from: Callable[..., Facts]) -> None:
    profile_dict["labs"][2]["uln"] = None
    facts = facts_from(profile_dict, SCREENING, Settings(uln={"lab.alt": 33}))
    alt = facts.get("lab.alt")
    assert alt is not None
    assert (alt.uln, alt.uln_assumed) == (33, True)


@pytest.mark.parametrize(
    ("treatments", "complete", "mg_day", "mg_kg_day"),
    [
        (
            [
                {
                    "drug": "prednisone",
                    "start": "2026-01-01",
                    "end": None,
                    "dose": 10,
                    "dose_unit": "mg/d",
                },
                {
                    "drug": "methylprednisolone",
                    "start": "2026-01-01",
                    "end": None,
                    "dose": 8,
                    "dose_unit": "mg/d",
                },
            ],
            True,
            20.0,
            20 / 62,
        ),
        (
            [
                {
                    "drug": "prednisolone",
                    "start": "2026-01-01",
                    "end": None,
                    "dose": 0.5,
                    "dose_unit": "mg/kg/d",
                }
            ],
            False,
            31.0,
            0.5,
        ),
        (
            [
                {
                    "drug": "dexamethasone",
                    "start": "2026-01-01",
                    "end": None,
                    "dose": 0.75,
                    "dose_unit": "mg/d",
                }
            ],
            False,
            5.0,
            5 / 62,
        ),
        (
            [
                {
                    "drug": "prednisone",
                    "start": "2020-01-01",
                    "end": "2025-01-01",
                    "dose": 60,
                    "dose_unit": "mg/d",
                }
            ],
            True,
            0.0,
            0.0,
        ),
        (
            [
                {
                    "drug": "prednisone",
                    "start": "2020-01-01",
                    "end": "2025-01-01",
                    "dose": 60,
                    "dose_unit": "mg/d",
                }
            ],
            False,
            None,
            None,
        ),
        (
            [
                {
                    "drug": "prednisone",
                    "start": "2026-01-01",
                    "end": None,
                    "dose": None,
                    "dose_unit": None,
                }
            ],
            True,
            None,
            None,
        ),
        (
            [
                {
                    "drug": "hydrocortisone",
                    "start": "2026-01-01",
                    "end": None,
                    "dose": 100,
                    "dose_unit": "mg",
                }
            ],
            True,
            None,
            None,
        ),
    ],
)
def test_glucocorticoid_dose(
    treatments: list[dict[str, Any]],
    complete: bool,
    mg_day: float | None,
    mg_kg_day: float | None,
    profile_dict: dict[str, Any],
    facts_from: Callable[..., Facts],
) -> None:
    profile_dict["treatments"] = treatments
    profile_dict["treatments_complete"] = complete
    facts = facts_from(profile_dict)
    daily = facts.get("derived.gc_dose_mg_day")
    per_kg = facts.get("derived.gc_dose_mg_kg_day")
    assert (daily.value if daily else None) == (
        pytest.approx(mg_day) if mg_day is not None else None
    )
    assert (per_kg.value if per_kg else None) == (
        pytest.approx(mg_kg_day) if mg_kg_day is not None else None
    )
    if mg_day is None:
        assert facts.missing_for("derived.gc_dose_mg_day") == ("treatment.glucocorticoid",)
        assert any(note.startswith("glucocorticoid dose unknown") for note in facts.notes)


def test_glucocorticoid_dose_without_weight(
    profile_dict: dict[str, Any], facts_from: Callable[..., Facts]
) -> None:
    profile_dict["patient"]["weight"] = None
    facts = facts_from(profile_dict)
    assert facts.get("derived.gc_dose_mg_day") is not None
    assert facts.get("derived.gc_dose_mg_kg_day") is None
    assert facts.missing_for("derived.gc_dose_mg_kg_day") == ("weight_kg",)
    assert facts.missing_for("derived.crcl") == ("weight_kg",)
    profile_dict["treatments"] = [
        {
            "drug": "prednisone",
            "start": "2026-01-01",
            "end": None,
            "dose": 1,
            "dose_unit": "mg/kg/d",
        }
    ]
    per_kg_only = facts_from(profile_dict)
    assert per_kg_only.get("derived.gc_dose_mg_day") is None


def test_indeterminate_findings_and_future_scores_are_unknown(
    profile_dict: dict[str, Any], facts_from: Callable[..., Facts]
) -> None:
    profile_dict["findings"].append(
        {"test": "serology.hiv", "result": "indeterminate", "date": "2026-11-01", "titer": None}
    )
    profile_dict["scores"].append({"instrument": "sledai_2k", "value": 4, "date": "2026-11-22"})
    facts = facts_from(profile_dict, date(2026, 11, 21))
    assert facts.get("serology.hiv") is None
    assert any("indeterminate" in note for note in facts.notes)
    sledai = facts.get("score.sledai_2k")
    assert sledai is not None
    assert sledai.value == 12


def test_treatment_events_by_class(
    profile_dict: dict[str, Any], facts_from: Callable[..., Facts]
) -> None:
    profile_dict["diagnoses"][0]["treatments_tried"].append("rituximab")  # also listed
    facts = facts_from(profile_dict)
    assert [t.drug for _, t in facts.treatment_events("b_cell_targeted")] == ["rituximab"]
    assert [s for s, _ in facts.treatment_events("glucocorticoid")] == ["treatments[0]"]
    # Drugs tried for a diagnosis count as undated courses.
    tried = facts.treatment_events("immunosuppressant")
    assert [(s, t.drug, t.start) for s, t in tried] == [
        ("diagnoses[0].treatments_tried[0]", "cyclophosphamide", None),
        ("diagnoses[0].treatments_tried[1]", "mycophenolate", None),
    ]
    assert facts.treatment_events("car_t") == ()


def test_everything_after_the_screening_date_is_ignored(
    profile_dict: dict[str, Any], facts_from: Callable[..., Facts]
) -> None:
    profile_dict["findings"].append(
        {"test": "serology.hiv", "result": "negative", "date": "2026-11-20", "titer": None}
    )
    facts = facts_from(profile_dict, date(2026, 11, 10))
    assert facts.get("lab.hemoglobin") is None
    assert facts.get("score.sledai_2k") is None
    assert facts.get("serology.hiv") is None
    assert facts.get("serology.hbsag") is not None
    # four labs, SLEDAI-2K, BILAG-2004 and the HIV test
    assert len([n for n in facts.notes if "after the screening date 2026-11-10" in n]) == 7
    before_weight = facts_from(profile_dict, date(2026, 10, 20))
    assert before_weight.get("weight_kg") is None
    assert before_weight.get("height_cm") is not None  # undated
    assert before_weight.missing_for("derived.crcl") == ("lab.creatinine", "weight_kg")


def test_biopsy_without_classes_or_indices_adds_no_facts(
    profile_dict: dict[str, Any], facts_from: Callable[..., Facts]
) -> None:
    profile_dict["diagnoses"][0]["lupus_nephritis"] = {
        "classes": [],
        "biopsy_date": "2026-08-01",
        "activity_index": None,
        "chronicity_index": None,
    }
    facts = facts_from(profile_dict)
    assert facts.get("lupus_nephritis_class") is None
    assert facts.get("score.nih_activity_index") is None
