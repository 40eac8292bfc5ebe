"""Golden patients: the engine's verdicts on the five seed trials match a rheumatologist's reading.

tests/golden/<patient>.json are patient profiles (trialmatch-patient/1); tests/golden/expected.json
holds, per patient and trial, the verdict and the status of the key criteria with the reason a
rheumatologist gives. The expectations were written from the seed texts, not from engine output.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine import (
    Settings,
    TrialEvaluation,
    build_facts,
    evaluate_trial,
    load_criteria,
    profile_from_dict,
)
from engine.vocabulary import find_condition

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
CRITERIA = ROOT / "resources" / "criteria"
EXPECTED: dict[str, Any] = json.loads((GOLDEN / "expected.json").read_text(encoding="utf-8"))
SCREENING = date.fromisoformat(EXPECTED["screening_date"])

CASES = [
    (patient, trial_id)
    for patient, entry in EXPECTED["patients"].items()
    for trial_id in entry["trials"]
]


def _evaluate(patient: str, trial_id: str) -> TrialEvaluation:
    profile = profile_from_dict(json.loads((GOLDEN / f"{patient}.json").read_text("utf-8")))
    facts = build_facts(profile, SCREENING, Settings())
    criteria = load_criteria(json.loads((CRITERIA / f"{trial_id}.json").read_text("utf-8")))
    return evaluate_trial(criteria, facts)


def test_golden_set_covers_every_patient_file_and_trial() -> None:
    profiles = {path.stem for path in GOLDEN.glob("*.json")} - {"expected"}
    assert profiles == set(EXPECTED["patients"])
    assert len(profiles) >= 8
    trials = {path.stem for path in CRITERIA.glob("*.json")}
    for entry in EXPECTED["patients"].values():
        assert set(entry["trials"]) == trials


def test_dry_syndrome_is_entered_as_sjogren() -> None:
    profile = json.loads((GOLDEN / "dry_syndrome.json").read_text("utf-8"))
    diagnosis = profile["diagnoses"][0]
    assert diagnosis["text"] == "Dry syndrome"
    found = find_condition(diagnosis["text"])
    assert found is not None
    assert found.id == diagnosis["condition"] == "sjogren"


@pytest.mark.parametrize(("patient", "trial_id"), CASES, ids=[f"{p}-{t}" for p, t in CASES])
def test_golden_patient(patient: str, trial_id: str) -> None:
    expected = EXPECTED["patients"][patient]["trials"][trial_id]
    evaluation = _evaluate(patient, trial_id)
    statuses = {result.criterion_id: result.status.value for result in evaluation.criteria}
    expected_statuses = {cid: item["status"] for cid, item in expected["criteria"].items()}
    actual_key = {cid: statuses.get(cid) for cid in expected_statuses}
    assert actual_key == expected_statuses, expected["reason"]
    assert evaluation.verdict.value == expected["verdict"], (
        f"{expected['reason']} | violated: "
        f"{[r.criterion_id for r in evaluation.criteria if r.status.value == 'violated']} "
        f"unknown: {[r.criterion_id for r in evaluation.criteria if r.status.value == 'unknown']}"
    )
    if "best_cohort" in expected:
        assert evaluation.best_cohort == expected["best_cohort"]
    if "near_miss" in expected:
        assert evaluation.near_miss is expected["near_miss"]
