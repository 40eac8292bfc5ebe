"""Patient profile: validation errors name the field, exact round trip, schema kept in step."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.errors import ProfileError
from engine.facts import FACTS
from engine.profile import (
    Diagnosis,
    Finding,
    HistoryItem,
    Lab,
    LupusNephritisBiopsy,
    Measure,
    PatientInfo,
    PatientProfile,
    PregnancyTest,
    Reproductive,
    Score,
    Treatment,
    lower_label,
    profile_from_dict,
    profile_to_dict,
    profile_warnings,
    result_truth,
)
from engine.vocabulary import CONDITIONS, DRUGS, INSTRUMENTS

TODAY = date(2026, 11, 23)
SCHEMA = json.loads(
    (Path(__file__).parents[2] / "resources" / "schema" / "patient-profile.schema.json").read_text(
        encoding="utf-8"
    )
)


def test_round_trip_is_exact(profile_dict: dict[str, Any]) -> None:
    profile = profile_from_dict(profile_dict, today=TODAY)
    assert profile_to_dict(profile) == profile_dict
    assert profile_from_dict(profile_to_dict(profile), today=TODAY) == profile


def test_minimal_profile_fills_defaults() -> None:
    profile = profile_from_dict({"format": "trialmatch-patient/1", "patient": {}}, today=TODAY)
    assert profile == PatientProfile(patient=PatientInfo())
    again = profile_from_dict(profile_to_dict(profile), today=TODAY)
    assert again == profile
    assert profile_from_dict({"format": "trialmatch-patient/1"}, today=TODAY).labs == ()


def edit(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    target: Any = changed
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("format", "v2", "format: must be 'trialmatch-patient/1'"),
        ("patient.birth_date", "2030-01-01", "patient.birth_date: 2030-01-01 is in the future"),
        ("patient.birth_date", "01/02/1990", "patient.birth_date: '01/02/1990' is not a date"),
        ("patient.birth_date", "2026-1-1", "patient.birth_date: '2026-1-1' is not a date"),
        ("patient.birth_date", 1990, "patient.birth_date: must be a date YYYY-MM-DD"),
        ("patient.birth_date", "19900402", "patient.birth_date: '19900402' is not a date"),
        ("labs.0.analyte", "  ", "labs[0].analyte: is required"),
        ("patient.sex", "f", 'patient.sex: must be "female", "male" or null'),
        ("patient.name", 5, "patient.name: must be text, not int"),
        ("patient.weight", {"value": 62, "unit": "stone"}, "patient.weight.unit: unit 'stone'"),
        ("patient.weight", {"value": 6200, "unit": "kg"}, "patient.weight.value: 6200 kg is not"),
        ("patient.weight", {"unit": "kg"}, "patient.weight.value: is required"),
        ("patient.weight", {"value": "62", "unit": "kg"}, "patient.weight.value: must be a number"),
        ("patient.weight", 62, "patient.weight: must be an object, not int"),
        (
            "patient.weight.date",
            "1980-01-01",
            "patient.weight.date: 1980-01-01 is before the birth date 1990-04-02",
        ),
        ("patient.nickname", "JD", "patient.nickname: unknown field"),
        ("nickname", "JD", "nickname: unknown field"),
        ("reproductive.pregnant", "no", "reproductive.pregnant: must be true, false or null"),
        (
            "reproductive.pregnancy_test",
            {"result": "neg"},
            'reproductive.pregnancy_test.result: must be "positive" or "negative"',
        ),
        ("labs.0.value", 1.5, "labs[0].value: 1.5 g/dL is not a plausible haemoglobin"),
        (
            "labs.0",
            {"analyte": "hemoglobin", "value": 5.4, "unit": "g/L", "date": "2026-11-18"},
            "labs[0].value: 5.4 g/L is not a plausible haemoglobin; "
            "did you mean 5.4 g/dL (54 g/L)?",
        ),
        (
            "labs.1",
            {"analyte": "anc", "value": 1500, "unit": "×10^9/L", "date": "2026-11-18"},
            "labs[1].value: 1500 ×10⁹/L is not a plausible absolute neutrophil count; did you mean "
            "1500 /µL (1.5 ×10⁹/L)?",
        ),
        (
            "labs.3",
            {"analyte": "creatinine", "value": 1.1, "unit": "µmol/L", "date": "2026-11-18"},
            "labs[3].value: 1.1 µmol/L is not a plausible serum creatinine; did you mean 1.1 mg/dL",
        ),
        ("labs.0.analyte", "haemoglobine", "labs[0].analyte: unknown analyte 'haemoglobine'"),
        ("labs.0.analyte", "wbc_count", "labs[0].analyte: unknown analyte"),
        ("labs.0.unit", "mg", "labs[0].unit: unit 'mg' is not accepted"),
        ("labs.0.unit", 3, "labs[0].unit: must be text"),
        ("labs.0.value", None, "labs[0].value: is required"),
        ("labs.0.value", True, "labs[0].value: must be a number"),
        ("labs.0.date", "2027-01-01", "labs[0].date: 2027-01-01 is in the future"),
        ("labs.2.uln", -1, "labs[2].uln: must be a positive number"),
        ("labs.0.uln", 16, "labs[0].uln: Haemoglobin is not compared with a ULN"),
        ("labs", {"a": 1}, "labs: must be a list"),
        ("labs.0", "Hb 10", "labs[0]: must be an object, not str"),
        ("scores.0.instrument", "sledai", "scores[0].instrument: unknown instrument 'sledai'"),
        ("scores.0.value", 120, "scores[0].value: 120 is outside the SLEDAI-2K range 0–105"),
        ("scores.0.value", 4.5, "scores[0].value: SLEDAI-2K is a whole number"),
        ("scores.0.value", None, "scores[0].value: is required"),
        ("scores.0.domains", {"renal": "A"}, "scores[0].domains: SLEDAI-2K has no domains"),
        ("scores.1.domains", {"renal": "F"}, "scores[1].domains.renal: grade must be A–E"),
        ("scores.1.domains", {"kidney": "A"}, "scores[1].domains.kidney: unknown field"),
        ("scores.1.value", 3, "scores[1].value: BILAG-2004 is entered as domain grades"),
        ("findings.0.test", "serology.hbv", "findings[0].test: unknown test 'serology.hbv'"),
        ("findings.0.test", "history.esrd", "findings[0].test: unknown test"),
        ("findings.0.result", "pos", "findings[0].result: 'pos' is not a result"),
        ("findings.1.titer", 0, "findings[1].titer: must be the positive denominator"),
        (
            "treatments.1.drug",
            "Rituxan",
            "treatments[1].drug: unknown drug 'Rituxan'; did you mean 'rituximab'?",
        ),
        ("treatments.1.drug", "aspirin", "treatments[1].drug: unknown drug 'aspirin'"),
        (
            "treatments.1.end",
            "2023-01-01",
            "treatments[1].end: 2023-01-01 is before the start 2024-01-10",
        ),
        ("treatments.1.dose", -5, "treatments[1].dose: must not be negative"),
        ("treatments.1.dose_unit", "mg/day", "treatments[1].dose_unit: unknown dose unit 'mg/day'"),
        ("treatments.1.dose_unit", None, "treatments[1].dose_unit: is required with a dose"),
        ("treatments_complete", "yes", "treatments_complete: must be true or false"),
        (
            "history.0.item",
            "history.cancer",
            "history[0].item: unknown history item 'history.cancer'",
        ),
        ("history.0", {"item": "history.malignancy"}, "history[0].present: is required"),
        (
            "diagnoses.0.condition",
            "lupus",
            "diagnoses[0].condition: unknown condition 'lupus'; did you mean 'sle'",
        ),
        (
            "diagnoses.0.condition",
            None,
            "diagnoses[0].condition: is required; did you mean 'lupus_nephritis'",
        ),
        (
            "diagnoses.0.condition",
            "xyz",
            "diagnoses[0].condition: unknown condition 'xyz'; did you mean 'lupus_nephritis'",
        ),
        ("diagnoses.0", {"condition": "xyz"}, "diagnoses[0].condition: unknown condition 'xyz'"),
        ("diagnoses.0.status", ["resistant"], "diagnoses[0].status: unknown status ['resistant']"),
        (
            "diagnoses.0.classification",
            "2019",
            "diagnoses[0].classification: must be a list of text values",
        ),
        (
            "diagnoses.0.treatments_tried",
            ["MMF"],
            "diagnoses[0].treatments_tried[0]: unknown drug or class 'MMF'; "
            "did you mean 'mycophenolate'?",
        ),
        (
            "diagnoses.0.treatments_tried",
            ["x"],
            "diagnoses[0].treatments_tried[0]: unknown drug or class 'x'",
        ),
        (
            "diagnoses.0.lupus_nephritis.classes",
            ["VII"],
            "diagnoses[0].lupus_nephritis.classes: unknown ISN/RPS class",
        ),
        (
            "diagnoses.0.lupus_nephritis.activity_index",
            30,
            "diagnoses[0].lupus_nephritis.activity_index: must be between 0 and 24",
        ),
        (
            "diagnoses.0.lupus_nephritis.chronicity_index",
            13,
            "diagnoses[0].lupus_nephritis.chronicity_index: must be between 0 and 12",
        ),
        (
            "diagnoses.0.diagnosis_date",
            "1980-05-05",
            "diagnoses[0].diagnosis_date: 1980-05-05 is before the birth date",
        ),
        ("screening_date", "1980-05-05", "screening_date: 1980-05-05 is before the birth date"),
        ("consent_to_contact", "yes", "consent_to_contact: must be true, false or null"),
    ],
)
def test_errors_name_the_field(
    profile_dict: dict[str, Any], path: str, value: Any, message: str
) -> None:
    with pytest.raises(ProfileError) as caught:
        profile_from_dict(edit(profile_dict, path, value), today=TODAY)
    assert str(caught.value).startswith(message)


def test_non_object_profile_is_rejected() -> None:
    with pytest.raises(ProfileError, match="must be an object, not list"):
        profile_from_dict([], today=TODAY)


def test_future_screening_date_is_allowed(profile_dict: dict[str, Any]) -> None:
    profile_dict["screening_date"] = "2027-01-15"
    assert profile_from_dict(profile_dict, today=TODAY).screening_date == date(2027, 1, 15)


def test_accepted_variants(profile_dict: dict[str, Any]) -> None:
    profile_dict["labs"].append(
        {
            "analyte": "lab.platelets",
            "value": 150,
            "unit": "K/µL",
            "date": "2026-11-18",
            "uln": None,
        }
    )
    profile_dict["findings"].append(
        {"test": "infection.latent_tb", "result": "Absent", "date": None, "titer": None}
    )
    profile_dict["diagnoses"].append(
        {
            "condition": "ra",
            "text": None,
            "icd10": None,
            "diagnosis_date": None,
            "classification": None,
            "subtype": None,
            "status": None,
            "treatments_tried": None,
            "lupus_nephritis": None,
        }
    )
    profile_dict["reproductive"] = None
    profile_dict["history"] = None
    profile = profile_from_dict(profile_dict, today=TODAY)
    assert profile.labs[-1].fact == "lab.platelets"
    assert profile.findings[-1].present is False
    assert profile.diagnoses[-1].classification == ()
    assert profile.reproductive == Reproductive()
    assert profile.history == ()


def test_result_words_and_labels() -> None:
    assert result_truth("Positive") is True
    assert result_truth("not detected") is False
    assert result_truth("equivocal") is None
    assert lower_label("Haemoglobin") == "haemoglobin"
    assert lower_label("ALT") == "ALT"
    assert lower_label("x") == "x"


def test_warnings_for_unusual_values(profile_dict: dict[str, Any]) -> None:
    assert profile_warnings(profile_from_dict(profile_dict, today=TODAY)) == ()
    profile_dict["labs"].append(
        {"analyte": "anc", "value": 45, "unit": "10^9/L", "date": "2026-11-18", "uln": None}
    )
    profile_dict["patient"]["height"] = {"value": 30, "unit": "cm", "date": None}
    profile_dict["patient"]["weight"] = None
    warnings = profile_warnings(profile_from_dict(profile_dict, today=TODAY))
    assert warnings == (
        "labs[4].value: 45 ×10⁹/L is an unusual absolute neutrophil count",
        "patient.height.value: 30 cm is an unusual height",
    )


# The schema and the dataclasses must not drift apart.
SCHEMA_OBJECTS: list[tuple[dict[str, Any], type, set[str]]] = [
    (SCHEMA, PatientProfile, {"format"}),
    (SCHEMA["$defs"]["patient"], PatientInfo, set()),
    (SCHEMA["$defs"]["measure"], Measure, set()),
    (SCHEMA["$defs"]["reproductive"], Reproductive, set()),
    (SCHEMA["$defs"]["reproductive"]["properties"]["pregnancy_test"], PregnancyTest, set()),
    (SCHEMA["$defs"]["diagnosis"], Diagnosis, set()),
    (SCHEMA["$defs"]["lupus_nephritis"], LupusNephritisBiopsy, set()),
    (SCHEMA["$defs"]["score"], Score, set()),
    (SCHEMA["$defs"]["lab"], Lab, set()),
    (SCHEMA["$defs"]["finding"], Finding, set()),
    (SCHEMA["$defs"]["treatment"], Treatment, set()),
    (SCHEMA["$defs"]["history_item"], HistoryItem, set()),
]


@pytest.mark.parametrize(
    ("schema", "cls", "extra"), SCHEMA_OBJECTS, ids=lambda v: getattr(v, "__name__", "")
)
def test_schema_properties_match_dataclass_fields(
    schema: dict[str, Any], cls: type, extra: set[str]
) -> None:
    fields = {field.name for field in dataclasses.fields(cls)}
    assert set(schema["properties"]) == fields | extra
    assert schema["additionalProperties"] is False


def test_schema_enumerations_match_the_vocabularies() -> None:
    defs = SCHEMA["$defs"]
    assert defs["diagnosis"]["properties"]["condition"]["enum"] == list(CONDITIONS)
    assert defs["treatment"]["properties"]["drug"]["enum"] == list(DRUGS)
    assert defs["score"]["properties"]["instrument"]["enum"] == list(INSTRUMENTS)
    lab_facts = {f"lab.{name}" for name in defs["lab"]["properties"]["analyte"]["enum"]}
    assert lab_facts == {name for name in FACTS if name.startswith("lab.")}
    history = set(defs["history_item"]["properties"]["item"]["enum"])
    assert history == {name for name in FACTS if name.startswith("history.")}
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_example_in_the_docs_loads() -> None:
    text = (Path(__file__).parents[2] / "docs" / "patient-profile.md").read_text(encoding="utf-8")
    example = text.split("```json", 1)[1].split("```", 1)[0]
    profile = profile_from_dict(json.loads(example), today=TODAY)
    assert profile.patient.sex == "female"
