"""Reading FHIR exports from files: Bundle JSON, a folder of resources, bulk-export NDJSON."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import pytest

from models.cli import CliError
from models.fhir_io import (
    FhirFileError,
    add_patient_arguments,
    load_cli_patient,
    load_fhir_profile,
    read_fhir_resources,
)

FHIR_DIR = Path(__file__).resolve().parents[2] / "tests" / "fhir"
TODAY = date(2026, 11, 23)


def test_bundle_file_gives_profile_and_report() -> None:
    profile, report = load_fhir_profile(FHIR_DIR / "sle_bundle.json", today=TODAY)
    assert profile is report.profile
    assert profile.patient.record_number == "GOLDEN-LENA"
    assert profile.patient.sex == "female"
    assert [d.condition for d in profile.diagnoses] == ["lupus_nephritis"]
    assert {lab.analyte for lab in profile.labs} >= {"hemoglobin", "anc", "creatinine"}
    summary = report.summary_lines()
    assert summary[0].startswith("FHIR import: ")
    assert any("Encounter" in line for line in summary)


def test_searchset_with_snomed_string_value_unknown_types_and_refuted() -> None:
    profile, report = load_fhir_profile(FHIR_DIR / "searchset_mixed.json", today=TODAY)
    [diagnosis] = profile.diagnoses
    assert diagnosis.condition == "sle"
    assert diagnosis.diagnosis_date is None  # "2011-07" has no day; not guessed
    assert profile.labs == ()
    assert profile.findings == ()
    not_imported = {issue.source.resource_id for issue in report.issues_of("not_imported")}
    assert not_imported == {"plt-text", "hbsag-string"}
    ignored = {issue.source.resource_id for issue in report.issues_of("ignored")}
    assert ignored == {"tb-refuted", "a1", "warn"}
    location = report.issues_of("ignored")[0].source.location
    assert location.startswith("Bundle.entry[")


def test_bulk_export_folder_of_ndjson() -> None:
    profile, report = load_fhir_profile(FHIR_DIR / "bulk_export", today=TODAY)
    assert profile.patient.birth_date == date(1980, 6, 15)
    assert [d.condition for d in profile.diagnoses] == ["ra"]
    assert {(lab.analyte, lab.value, lab.unit) for lab in profile.labs} == {
        ("hemoglobin", 13.9, "g/dL"),
        ("crp", 1.2, "mg/dL"),
    }
    crp = next(v for v in report.imported if v.field == "labs[crp]")
    assert crp.source.location == "Observation.ndjson: line 2"


def test_single_ndjson_file_and_folder_of_json_resources() -> None:
    resources = read_fhir_resources(FHIR_DIR / "bulk_export" / "Observation.ndjson")
    assert [where for where, _ in resources] == ["line 1", "line 2"]
    profile, _ = load_fhir_profile(FHIR_DIR / "resource_folder", today=TODAY)
    assert profile.patient.name == "Ravi Kumar"
    assert [lab.analyte for lab in profile.labs] == ["hemoglobin"]


def test_not_json_is_refused_with_line_and_column() -> None:
    with pytest.raises(FhirFileError, match=r"not_json\.json: is not valid JSON \(line 2"):
        load_fhir_profile(FHIR_DIR / "not_json.json", today=TODAY)


def test_entry_without_resource_is_refused_naming_the_entry() -> None:
    with pytest.raises(FhirFileError) as caught:
        load_fhir_profile(FHIR_DIR / "malformed_entry_without_resource.json", today=TODAY)
    assert "Bundle.entry[1].resource: is missing" in str(caught.value)


def test_bad_ndjson_line_and_non_resource_are_refused(tmp_path: Path) -> None:
    ndjson = tmp_path / "Observation.ndjson"
    ndjson.write_text('{"resourceType": "Observation", "id": "a"}\n{"id": "b"}\n', "utf-8")
    with pytest.raises(FhirFileError, match="line 2: is not a FHIR resource"):
        read_fhir_resources(ndjson)
    plain = tmp_path / "profile.json"
    plain.write_text(json.dumps({"format": "trialmatch-patient/1"}), "utf-8")
    with pytest.raises(FhirFileError, match="resourceType is missing"):
        read_fhir_resources(plain)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FhirFileError, match=r"no \.json or \.ndjson files"):
        read_fhir_resources(empty)
    with pytest.raises(FhirFileError, match="no such file"):
        read_fhir_resources(tmp_path / "missing.json")


def test_second_patient_is_refused(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "a"}},
            {"resource": {"resourceType": "Patient", "id": "b"}},
        ],
    }
    path = tmp_path / "two.json"
    path.write_text(json.dumps(bundle), "utf-8")
    with pytest.raises(FhirFileError, match=r"entry\[1\]\.resource: a second Patient"):
        load_fhir_profile(path, today=TODAY)


def test_command_line_takes_exactly_one_patient_source(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_patient_arguments(parser, "profile")
    with pytest.raises(SystemExit):
        parser.parse_args([])
    with pytest.raises(SystemExit):
        parser.parse_args(["--patient", "a.json", "--fhir", "b.json"])
    capsys.readouterr()
    args = parser.parse_args(["--fhir", str(FHIR_DIR / "sle_bundle.json")])
    profile = load_cli_patient(args, today=TODAY)
    assert profile.patient.record_number == "GOLDEN-LENA"
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("FHIR import: ")
    assert "Encounter/visit" in captured.err
    bad = parser.parse_args(["--fhir", str(FHIR_DIR / "not_json.json")])
    with pytest.raises(CliError, match="is not valid JSON"):
        load_cli_patient(bad, today=TODAY)
