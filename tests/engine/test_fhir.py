"""FHIR R4 import: mapping into the profile, the import report, refused input, and same verdicts."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine import Settings, build_facts, evaluate_trial, load_criteria, profile_from_dict
from engine.fhir import (
    FINDING_LOINC,
    FhirError,
    FhirImportReport,
    import_fhir,
    resources_from_bundle,
)

ROOT = Path(__file__).resolve().parents[2]
FHIR_DIR = ROOT / "tests" / "fhir"
TODAY = date(2026, 11, 23)
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"


def _patient(**extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "p", "birthDate": "1990-04-02", **extra}


def _quantity(
    obs_id: str, code: str, value: float, ucum: str, day: str = "2026-11-18", **extra: Any
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": obs_id,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": f"{day}T07:45:00Z",
        "valueQuantity": {"value": value, "unit": ucum, "system": UCUM, "code": ucum},
        **extra,
    }


def _run(*resources: dict[str, Any]) -> FhirImportReport:
    return import_fhir([(f"entry[{i}]", r) for i, r in enumerate(resources)], today=TODAY)


def _lab(report: FhirImportReport, analyte: str) -> dict[str, Any] | None:
    return next((lab for lab in report.profile_dict["labs"] if lab["analyte"] == analyte), None)


# ---------------------------------------------------------------------------------------------
# Observations
# ---------------------------------------------------------------------------------------------


def test_us_core_labs_are_imported_with_units_uln_and_source() -> None:
    creatinine_range = {"referenceRange": [{"high": {"value": 1.1, "unit": "mg/dL"}}]}
    report = _run(
        _patient(),
        _quantity("hb", "718-7", 11.8, "g/dL"),
        _quantity("anc", "751-8", 0.9, "10*3/uL"),
        _quantity("cr", "2160-0", 0.9, "mg/dL", **creatinine_range),
    )
    profile = report.profile
    hemoglobin = next(lab for lab in profile.labs if lab.analyte == "hemoglobin")
    assert (hemoglobin.value, hemoglobin.unit, hemoglobin.date) == (
        11.8,
        "g/dL",
        date(2026, 11, 18),
    )
    anc = next(lab for lab in profile.labs if lab.analyte == "anc")
    assert (anc.value, anc.unit) == (0.9, "10*3/uL")
    creatinine = next(lab for lab in profile.labs if lab.analyte == "creatinine")
    assert (creatinine.value, creatinine.unit, creatinine.uln) == (0.9, "mg/dL", 1.1)
    # The engine converts exactly as for manual entry: 11.8 g/dL = 118 g/L, 0.9 mg/dL ≈ 79.6 µmol/L.
    facts = build_facts(profile, TODAY, Settings())
    hb_fact = facts.get("lab.hemoglobin")
    assert hb_fact is not None
    assert hb_fact.value == pytest.approx(118)
    cr_fact = facts.get("lab.creatinine")
    assert cr_fact is not None
    assert cr_fact.value == pytest.approx(79.56)
    source = next(v.source for v in report.imported if v.field == "labs[creatinine]")
    assert (source.resource_type, source.resource_id, source.code) == (
        "Observation",
        "cr",
        "2160-0",
    )
    assert source.system == LOINC
    assert source.date == date(2026, 11, 18)
    assert report.issues == ()


def test_latest_value_is_used_and_earlier_ones_are_kept_as_history() -> None:
    report = _run(
        _patient(),
        _quantity("hb-new", "718-7", 12.4, "g/dL", day="2026-11-18"),
        _quantity("hb-old", "718-7", 9.1, "g/dL", day="2026-08-01"),
    )
    lab = _lab(report, "hemoglobin")
    assert lab is not None
    assert lab["value"] == 12.4
    assert [v.source.resource_id for v in report.earlier_values] == ["hb-old"]


def test_string_value_is_reported_not_guessed() -> None:
    observation = {
        "resourceType": "Observation",
        "id": "plt",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "777-3"}]},
        "effectiveDateTime": "2026-11-18",
        "valueString": "150",
    }
    report = _run(_patient(), observation)
    assert _lab(report, "platelets") is None
    [issue] = report.issues_of("not_imported")
    assert "valueString '150'" in issue.message
    assert issue.source.resource_id == "plt"


def test_implausible_value_is_flagged_and_not_stored() -> None:
    report = _run(_patient(), _quantity("hb", "718-7", 5.4, "g/L"))
    assert _lab(report, "hemoglobin") is None
    [issue] = report.issues_of("implausible")
    assert "not a plausible haemoglobin" in issue.message
    assert "5.4 g/dL" in issue.message


def test_unit_that_cannot_be_converted_is_reported() -> None:
    report = _run(_patient(), _quantity("anc", "751-8", 2.0, "mmol/L"))
    assert _lab(report, "anc") is None
    [issue] = report.issues_of("unit")
    assert "'mmol/L' is not accepted" in issue.message


def test_reference_range_in_another_unit_is_not_used_as_uln() -> None:
    other_unit = {"referenceRange": [{"high": {"value": 106, "code": "umol/L", "system": UCUM}}]}
    report = _run(_patient(), _quantity("cr", "2160-0", 0.9, "mg/dL", **other_unit))
    lab = _lab(report, "creatinine")
    assert lab is not None
    assert lab["uln"] is None
    assert len(report.issues_of("unit")) == 1


def test_bound_and_unknown_loinc_are_reported() -> None:
    below = _quantity("crp", "1988-5", 5, "mg/L")
    below["valueQuantity"]["comparator"] = "<"
    sodium = _quantity("na", "2951-2", 140, "mmol/L")
    report = _run(_patient(), below, sodium)
    assert report.profile.labs == ()
    assert "a bound, not a value" in report.issues_of("not_imported")[0].message
    [unknown] = report.issues_of("unknown_code")
    assert unknown.source.code == "2951-2"


def test_serology_from_coded_value_and_interpretation() -> None:
    hbsag = {
        "resourceType": "Observation",
        "id": "hbsag",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "5196-1"}]},
        "effectiveDateTime": "2026-10-01",
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "260385009"}]},
    }
    dsdna = _quantity("ds", "5130-0", 180, "[IU]/mL", day="2026-11-10")
    dsdna["interpretation"] = [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                    "code": "POS",
                }
            ]
        }
    ]
    high_only = _quantity("sm", "18323-6", 40, "U/mL", day="2026-11-10")
    report = _run(_patient(), hbsag, dsdna, high_only)
    findings = {f.test: (f.result, f.date) for f in report.profile.findings}
    assert findings == {
        "serology.hbsag": ("negative", date(2026, 10, 1)),
        "antibody.anti_dsdna": ("positive", date(2026, 11, 10)),
    }
    # A number without a coded positive/negative is not turned into one.
    [issue] = report.issues_of("not_imported")
    assert issue.source.resource_id == "sm"


def test_weight_height_and_ecog() -> None:
    ecog = {
        "resourceType": "Observation",
        "id": "ecog",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "89247-1"}]},
        "effectiveDateTime": "2026-11-15",
        "valueInteger": 2,
    }
    report = _run(
        _patient(),
        _quantity("w", "29463-7", 136, "[lb_av]"),
        _quantity("h", "8302-2", 1.68, "m"),
        ecog,
    )
    patient = report.profile.patient
    assert patient.weight is not None
    assert (patient.weight.value, patient.weight.unit) == (
        136,
        "[lb_av]",
    )
    assert patient.height is not None
    assert patient.height.unit == "m"
    assert [(s.instrument, s.value) for s in report.profile.scores] == [("ecog", 2)]


def test_entered_in_error_observation_is_ignored() -> None:
    wrong = _quantity("hb", "718-7", 11.0, "g/dL", status="entered-in-error")
    report = _run(_patient(), wrong)
    assert report.profile.labs == ()
    assert report.issues_of("ignored")[0].source.resource_id == "hb"


# ---------------------------------------------------------------------------------------------
# Patient and Condition
# ---------------------------------------------------------------------------------------------


def test_birthsex_is_preferred_and_a_disagreement_is_reported() -> None:
    patient = _patient(
        gender="male",
        extension=[{"url": BIRTHSEX, "valueCode": "F"}],
        name=[{"given": ["Alex"], "family": "Lee"}],
        identifier=[
            {"type": {"coding": [{"code": "MR"}]}, "value": "MRN-77"},
            {"system": "urn:ssn", "value": "not-the-mrn"},
        ],
    )
    report = _run(patient)
    info = report.profile.patient
    assert (info.sex, info.name, info.record_number) == ("female", "Alex Lee", "MRN-77")
    assert "differs from administrative gender" in report.issues_of("note")[0].message


def test_administrative_gender_alone_is_used_and_reported() -> None:
    report = _run(_patient(gender="female"))
    assert report.profile.patient.sex == "female"
    assert "no US Core birth sex" in report.issues_of("note")[0].message


def test_condition_with_only_snomed_and_partial_onset() -> None:
    condition = {
        "resourceType": "Condition",
        "id": "c",
        "code": {"coding": [{"system": SNOMED, "code": "55464009"}]},
        "onsetDateTime": "2011-07",
    }
    report = _run(_patient(), condition)
    [diagnosis] = report.profile.diagnoses
    assert (diagnosis.condition, diagnosis.icd10, diagnosis.diagnosis_date) == ("sle", None, None)
    assert "gives no day" in report.issues_of("note")[0].message


def test_refuted_condition_is_ignored_and_listed_unknown_code_listed() -> None:
    refuted = {
        "resourceType": "Condition",
        "id": "ra",
        "verificationStatus": {"coding": [{"code": "refuted"}]},
        "code": {"coding": [{"system": ICD10CM, "code": "M06.9"}]},
    }
    unknown = {
        "resourceType": "Condition",
        "id": "htn",
        "code": {"coding": [{"system": ICD10CM, "code": "I10"}], "text": "Hypertension"},
        "onsetDateTime": "2020-01-01",
    }
    report = _run(_patient(), refuted, unknown)
    assert report.profile.diagnoses == ()
    assert report.issues_of("ignored")[0].source.resource_id == "ra"
    assert "'Hypertension'" in report.issues_of("unknown_code")[0].message


def test_resolved_condition_is_listed_with_a_note() -> None:
    resolved = {
        "resourceType": "Condition",
        "id": "ssc",
        "clinicalStatus": {"coding": [{"code": "resolved"}]},
        "code": {"coding": [{"system": ICD10CM, "code": "M34.0"}]},
        "recordedDate": "2018-05-02",
    }
    report = _run(_patient(), resolved)
    [diagnosis] = report.profile.diagnoses
    assert diagnosis.condition == "ssc"
    assert diagnosis.diagnosis_date == date(2018, 5, 2)
    messages = " | ".join(issue.message for issue in report.issues)
    assert "recorded as resolved" in messages
    assert "no onset date" in messages


# ---------------------------------------------------------------------------------------------
# Medications, procedures, immunizations
# ---------------------------------------------------------------------------------------------


def test_glucocorticoid_daily_dose_and_dose_without_schedule() -> None:
    def statement(stmt_id: str, dosage: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "resourceType": "MedicationStatement",
            "id": stmt_id,
            "status": "active",
            "medicationCodeableConcept": {"text": "Methylprednisolone 4 MG Oral Tablet"},
            "effectivePeriod": {"start": "2026-10-01"},
            "dosage": dosage,
        }

    dose = {"doseAndRate": [{"doseQuantity": {"value": 4, "unit": "mg"}}]}
    scheduled = {**dose, "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}}}
    report = _run(_patient(), statement("a", [scheduled]), statement("b", [dose]))
    first, second = report.profile.treatments
    assert (first.drug, first.dose, first.dose_unit, first.start) == (
        "methylprednisolone",
        12,
        "mg/d",
        date(2026, 10, 1),
    )
    assert (second.dose, second.dose_unit) == (None, None)
    assert "daily dose was not computed" in report.issues_of("not_imported")[0].message
    assert report.profile.treatments_complete is False


def test_unknown_medication_and_procedures_and_vaccines() -> None:
    unknown_drug = {
        "resourceType": "MedicationRequest",
        "id": "x",
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1"}],
            "text": "Amlodipine 5 MG",
        },
        "authoredOn": "2025-01-01",
    }
    car_t = {
        "resourceType": "Procedure",
        "id": "cart",
        "status": "completed",
        "code": {"text": "CD19 CAR-T infusion"},
        "performedDateTime": "2025-03-04",
    }
    kidney = {
        "resourceType": "Procedure",
        "id": "ktx",
        "status": "completed",
        "code": {"coding": [{"system": SNOMED, "code": "70536003"}]},
        "performedDateTime": "2010-06-01",
    }
    mmr = {
        "resourceType": "Immunization",
        "id": "mmr",
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "03"}]},
        "occurrenceDateTime": "2026-10-20",
    }
    report = _run(_patient(), unknown_drug, car_t, kidney, mmr)
    drugs = [(t.drug, t.start) for t in report.profile.treatments]
    assert drugs == [
        ("car_t", date(2025, 3, 4)),
        ("organ_transplant", date(2010, 6, 1)),
        ("mmr_vaccine", date(2026, 10, 20)),
    ]
    assert "'Amlodipine 5 MG'" in report.issues_of("unknown_code")[0].message


def test_unknown_resource_type_is_listed_as_ignored() -> None:
    report = _run(_patient(), {"resourceType": "Encounter", "id": "e1"})
    [ignored] = report.issues_of("ignored")
    assert ignored.source.resource_type == "Encounter"


def test_future_dates_and_dates_before_birth_are_not_stored() -> None:
    report = _run(
        _patient(),
        _quantity("hb", "718-7", 12.0, "g/dL", day="2027-01-01"),
        _quantity("plt", "777-3", 200, "10*9/L", day="1980-01-01"),
    )
    hb = _lab(report, "hemoglobin")
    assert hb is not None
    assert hb["date"] is None
    assert _lab(report, "platelets") is None
    assert len(report.issues_of("implausible")) == 2


# ---------------------------------------------------------------------------------------------
# Refused input
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bundle", "where"),
    [
        ([], "Bundle: must be a JSON object, not a list"),
        ({"resourceType": "Patient"}, 'Bundle.resourceType: must be "Bundle"'),
        ({"resourceType": "Bundle", "type": "history"}, "Bundle.type: 'history'"),
        (
            {"resourceType": "Bundle", "type": "collection", "entry": {"resource": {}}},
            "Bundle.entry: must be a list",
        ),
        (
            {"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "x"}]},
            "Bundle.entry[0].resource: is missing",
        ),
        (
            {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": "Patient"}]},
            "Bundle.entry[0].resource: must be a JSON object, not text",
        ),
    ],
)
def test_malformed_bundle_is_refused_naming_entry_and_field(bundle: object, where: str) -> None:
    with pytest.raises(FhirError) as caught:
        resources_from_bundle(bundle)
    assert str(caught.value).startswith(where)


def test_wrong_field_type_is_refused_naming_the_field() -> None:
    bad_code = {"resourceType": "Observation", "id": "o", "code": {"coding": {"code": "718-7"}}}
    with pytest.raises(FhirError, match=r"^entry\[1\]\.code\.coding: must be a list"):
        _run(_patient(), bad_code)
    with pytest.raises(FhirError, match=r"^entry\[0\]\.resourceType: is missing"):
        import_fhir([("entry[0]", {"id": "x"})], today=TODAY)


# ---------------------------------------------------------------------------------------------
# The key property: same facts typed by hand and imported from FHIR give the same verdicts
# ---------------------------------------------------------------------------------------------

# What a FHIR export cannot carry (or TrialMatch does not read from it); the physician adds it
# after the import, exactly as in the hand-typed golden profile.
_BY_HAND_TOP = ("reproductive", "consent_to_contact", "history", "treatments_complete")
_BY_HAND_DIAGNOSIS = ("classification", "status", "lupus_nephritis")


def _imported_plus_hand_entered(imported: dict[str, Any], golden: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(imported)
    for key in _BY_HAND_TOP:
        merged[key] = golden[key]
    [diagnosis] = merged["diagnoses"]
    for key in _BY_HAND_DIAGNOSIS:
        diagnosis[key] = golden["diagnoses"][0][key]
    merged["scores"] += [s for s in golden["scores"] if s["instrument"] != "ecog"]
    merged["findings"] += [f for f in golden["findings"] if f["test"] not in FINDING_LOINC.values()]
    imported_analytes = {lab["analyte"] for lab in imported["labs"]}
    merged["labs"] += [lab for lab in golden["labs"] if lab["analyte"] not in imported_analytes]
    return merged


def test_fhir_import_gives_the_same_verdicts_as_hand_entry() -> None:
    bundle = json.loads((FHIR_DIR / "sle_bundle.json").read_text("utf-8"))
    golden = json.loads(
        (ROOT / "tests" / "golden" / "adult_refractory_sle.json").read_text("utf-8")
    )
    expected = json.loads((ROOT / "tests" / "golden" / "expected.json").read_text("utf-8"))
    screening = date.fromisoformat(expected["screening_date"])
    report = import_fhir(resources_from_bundle(bundle), today=TODAY)
    # Only the CD19+ B-cell count (no LOINC mapping) is added by hand among the labs.
    hand_labs = {lab["analyte"] for lab in golden["labs"]} - {
        lab["analyte"] for lab in report.profile_dict["labs"]
    }
    assert hand_labs == {"cd19_b_cells"}
    assert {d["condition"] for d in report.profile_dict["diagnoses"]} == {"lupus_nephritis"}
    assert len(report.earlier_values) == 1  # the older haemoglobin
    assert {i.source.resource_id for i in report.issues_of("ignored")} == {"ra-ruleout", "visit"}

    from_fhir = profile_from_dict(_imported_plus_hand_entered(dict(report.profile_dict), golden))
    by_hand = profile_from_dict(golden)
    fhir_facts = build_facts(from_fhir, screening, Settings())
    hand_facts = build_facts(by_hand, screening, Settings())
    criteria_files = sorted((ROOT / "resources" / "criteria").glob("*.json"))
    assert len(criteria_files) >= 5
    for path in criteria_files:
        criteria = load_criteria(json.loads(path.read_text("utf-8")))
        fhir_eval = evaluate_trial(criteria, fhir_facts)
        hand_eval = evaluate_trial(criteria, hand_facts)
        assert fhir_eval.verdict == hand_eval.verdict, path.stem
        assert [(c.criterion_id, c.effective_status) for c in fhir_eval.criteria] == [
            (c.criterion_id, c.effective_status) for c in hand_eval.criteria
        ], path.stem


def test_vaccine_text_is_matched_whole_and_name_matches_are_reported() -> None:
    live_zoster = {
        "resourceType": "Immunization",
        "id": "zos",
        "status": "completed",
        "vaccineCode": {"text": "Vaccine, live zoster"},
        "occurrenceDateTime": "2026-10-01",
    }
    hcq = {
        "resourceType": "MedicationStatement",
        "id": "hcq",
        "status": "active",
        "medicationCodeableConcept": {"text": "Hydroxychloroquine sulfate 200 MG Oral Tablet"},
        "effectivePeriod": {"start": "2020-01-01"},
    }
    report = _run(_patient(), live_zoster, hcq)
    # "Vaccine" alone would name an inactivated vaccine: the import must not read it so.
    assert [t.drug for t in report.profile.treatments] == ["hydroxychloroquine"]
    assert report.issues_of("unknown_code")[0].source.resource_id == "zos"
    [note] = report.issues_of("note")
    assert "read by its name as Hydroxychloroquine" in note.message


def test_score_outside_the_instrument_range_is_not_stored() -> None:
    ecog = {
        "resourceType": "Observation",
        "id": "ecog",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "89247-1"}]},
        "effectiveDateTime": "2026-11-15",
        "valueInteger": 7,
    }
    report = _run(_patient(), ecog)
    assert report.profile.scores == ()
    assert (
        "7 is not a possible ECOG performance status (whole numbers 0–5)"
        in report.issues_of("implausible")[0].message
    )


def test_known_loinc_is_found_among_several_codings() -> None:
    observation = _quantity("hb", "718-7", 12.1, "g/dL")
    observation["code"]["coding"] = [
        {"system": "urn:oid:1.2.3.local-lab", "code": "HGB"},
        {"system": LOINC, "code": "99999-9"},
        {"system": LOINC, "code": "718-7"},
    ]
    report = _run(_patient(), observation)
    lab = _lab(report, "hemoglobin")
    assert lab is not None
    assert lab["value"] == 12.1
    assert report.issues == ()


def _paths(value: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def test_any_field_of_the_wrong_type_is_refused_or_reported_never_a_crash() -> None:
    bundle = json.loads((FHIR_DIR / "sle_bundle.json").read_text("utf-8"))
    resources = resources_from_bundle(bundle)
    chosen = {"lena", "ln", "creat", "dsdna", "ecog", "mmf", "rtx1", "hcq"}
    tried = 0
    refused_at: list[str] = []
    for index, (location, resource) in enumerate(resources):
        if resource.get("id") not in chosen:
            continue
        for path in _paths(resource):
            for wrong in ([1], {"a": 1}, "x"):
                mutated = copy.deepcopy(resource)
                parent: Any = mutated
                for key in path[:-1]:
                    parent = parent[key]
                parent[path[-1]] = wrong
                attempt = [*resources[:index], (location, mutated), *resources[index + 1 :]]
                tried += 1
                try:
                    report = import_fhir(attempt, today=TODAY)
                except FhirError as error:
                    refused_at.append(error.where)
                else:
                    # Whatever was imported is a valid profile, as manual entry would give.
                    assert profile_from_dict(report.profile_dict, today=TODAY) == report.profile
    assert tried > 300
    assert refused_at
    # Refusals name the entry and field, never only a profile path (that would be a mapping bug).
    assert all(where.startswith("Bundle.entry[") for where in refused_at)


def test_planned_drugs_ignored_stopped_without_end_and_same_day_results_reported() -> None:
    planned = {
        "resourceType": "MedicationRequest",
        "id": "plan",
        "status": "active",
        "intent": "plan",
        "medicationCodeableConcept": {"text": "Rituximab"},
        "authoredOn": "2026-11-20",
    }
    stopped = {
        "resourceType": "MedicationStatement",
        "id": "aza",
        "status": "stopped",
        "medicationCodeableConcept": {"text": "Azathioprine"},
        "effectivePeriod": {"start": "2021-01-01"},
    }
    report = _run(
        _patient(),
        planned,
        stopped,
        _quantity("plt-a", "777-3", 150, "10*9/L"),
        _quantity("plt-b", "777-3", 95, "10*9/L"),
    )
    assert [t.drug for t in report.profile.treatments] == ["azathioprine"]
    assert report.issues_of("ignored")[0].source.resource_id == "plan"
    notes = [issue.message for issue in report.issues_of("note")]
    assert any("stopped but has no end date" in note for note in notes)
    assert any("two Platelets results on 2026-11-18" in note for note in notes)
